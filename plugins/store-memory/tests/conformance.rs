//! The `memory` storage passes the storage conformance suite unchanged.

use mcp_oauth_core::testkit;
use mcp_oauth_store_memory::InMemoryStorage;

#[test]
fn passes_the_storage_conformance_suite() {
    futures::executor::block_on(testkit::storage::run(&InMemoryStorage::default()));
}
