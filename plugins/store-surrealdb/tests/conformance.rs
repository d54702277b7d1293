//! The `surrealdb` storage passes the storage conformance suite unchanged, on the in-memory and the
//! on-disk embedded engines.

use mcp_oauth_core::PluginSettings;
use mcp_oauth_core::registry;
use mcp_oauth_core::testkit;

/// SurrealDB's parser and executor recurse deeply: run on threads with large stacks.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(8 << 20)
        .build()
        .unwrap()
}

fn run_suite(url: &str) {
    let mut settings = PluginSettings::default();
    settings.set("MCP_OAUTH_STORAGE_URL", url);
    runtime().block_on(async {
        let storage = (registry::storage(mcp_oauth_store_surrealdb::NAME)
            .unwrap()
            .open)(settings)
        .await
        .unwrap();
        testkit::storage::run(storage.as_ref()).await;
    });
}

#[test]
fn mem_passes_the_storage_conformance_suite() {
    run_suite("mem://");
}

#[test]
fn surrealkv_passes_the_storage_conformance_suite() {
    let dir =
        std::env::temp_dir().join(format!("mcp-surrealkv-conformance-{}", std::process::id()));
    run_suite(&format!("surrealkv://{}", dir.display()));
    let _ = std::fs::remove_dir_all(dir);
}
