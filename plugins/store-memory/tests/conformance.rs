//! The `memory` storage passes the storage conformance suite unchanged, and so does the server's
//! metrics wrapper around it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mcp_oauth_core::Error;
use mcp_oauth_core::observed::{ObservedStorage, StorageObserver};
use mcp_oauth_core::testkit;
use mcp_oauth_store_memory::InMemoryStorage;

#[test]
fn passes_the_storage_conformance_suite() {
    futures::executor::block_on(testkit::storage::run(&InMemoryStorage::default()));
}

/// The operations reported, by name.
#[derive(Default)]
struct Recorder(Mutex<Vec<&'static str>>);

impl StorageObserver for Recorder {
    fn observed(&self, operation: &'static str, _: Duration, _: Option<&Error>) {
        self.0.lock().unwrap().push(operation);
    }
}

#[test]
fn the_observed_storage_keeps_every_contract_and_reports_each_operation() {
    let recorder = Arc::new(Recorder::default());
    let observed = ObservedStorage::new(Arc::new(InMemoryStorage::default()), recorder.clone());
    futures::executor::block_on(testkit::storage::run(&observed));
    let seen = recorder.0.lock().unwrap();
    for operation in [
        "insert_client",
        "take_code",
        "rotate_refresh",
        "use_once",
        "keys",
        "search_memories",
        "consents",
        "audit_since",
    ] {
        assert!(seen.contains(&operation), "{operation} was not reported");
    }
}
