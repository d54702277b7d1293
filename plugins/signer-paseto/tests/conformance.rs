//! Both PASETO signers pass the signer conformance suite unchanged.

use std::sync::Arc;

use mcp_oauth_core::registry;
use mcp_oauth_core::{KeyStore, testkit};
use mcp_oauth_store_memory::InMemoryStorage;

fn keys() -> Arc<dyn KeyStore> {
    Arc::new(InMemoryStorage::default())
}

#[test]
fn v4_public_passes_the_signer_conformance_suite() {
    let plugin = registry::signer(mcp_oauth_signer_paseto::PUBLIC_NAME).unwrap();
    futures::executor::block_on(testkit::signer::run(plugin, keys));
}

#[test]
fn v4_local_passes_the_signer_conformance_suite() {
    let plugin = registry::signer(mcp_oauth_signer_paseto::LOCAL_NAME).unwrap();
    futures::executor::block_on(testkit::signer::run(plugin, keys));
}
