//! The `hs256` signer passes the signer conformance suite unchanged, and refuses short keys.

use std::sync::Arc;

use mcp_oauth_core::registry::{self, SignerContext};
use mcp_oauth_core::{KeyStore, PluginSettings, Signing, testkit};
use mcp_oauth_store_memory::InMemoryStorage;

fn keys() -> Arc<dyn KeyStore> {
    Arc::new(InMemoryStorage::default())
}

#[test]
fn passes_the_signer_conformance_suite() {
    let plugin = registry::signer(mcp_oauth_signer_hs256::NAME).unwrap();
    futures::executor::block_on(testkit::signer::run(plugin, keys));
}

#[test]
fn refuses_configured_keys_shorter_than_32_bytes_and_their_rotation() {
    let plugin = registry::signer(mcp_oauth_signer_hs256::NAME).unwrap();
    let mut settings = PluginSettings::default();
    settings.set("MCP_OAUTH_SECRET_KEY", "your-secure-secret-key-here");
    let context = SignerContext {
        settings: settings.clone(),
        keys: keys(),
        now: 0,
        token_lifetime: 3600,
    };
    let error = futures::executor::block_on(Signing::start(plugin, context))
        .err()
        .unwrap();
    let line = error.to_string();
    assert!(
        line.contains("MCP_OAUTH_SECRET_KEY") && line.contains("27 bytes"),
        "{line}"
    );

    settings.set(
        "MCP_OAUTH_SECRET_KEY",
        "a-configured-key-of-at-least-32-bytes!",
    );
    let context = SignerContext {
        settings,
        keys: keys(),
        now: 0,
        token_lifetime: 3600,
    };
    let signing = futures::executor::block_on(Signing::start(plugin, context)).unwrap();
    let error = futures::executor::block_on(signing.rotate(0))
        .err()
        .unwrap();
    assert!(error.to_string().contains("rotated by changing it"));
}
