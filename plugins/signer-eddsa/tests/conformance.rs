//! The `eddsa` signer passes the signer conformance suite unchanged and reads configured PEM keys.

use std::sync::Arc;

use mcp_oauth_core::registry::{self, SignerContext};
use mcp_oauth_core::{KeyStore, PluginSettings, Signing, TokenSigner, testkit};
use mcp_oauth_store_memory::InMemoryStorage;

fn keys() -> Arc<dyn KeyStore> {
    Arc::new(InMemoryStorage::default())
}

/// The Ed25519 test key of RFC 8410 §10.3.
const RFC_8410_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n-----END PRIVATE KEY-----";

#[test]
fn passes_the_signer_conformance_suite() {
    let plugin = registry::signer(mcp_oauth_signer_eddsa::NAME).unwrap();
    futures::executor::block_on(testkit::signer::run(plugin, keys));
}

#[test]
fn a_configured_pem_key_signs_and_is_published() {
    let plugin = registry::signer(mcp_oauth_signer_eddsa::NAME).unwrap();
    let mut settings = PluginSettings::default();
    settings.set("MCP_OAUTH_PRIVATE_KEY", RFC_8410_KEY);
    let context = SignerContext {
        settings: settings.clone(),
        keys: keys(),
        now: 0,
        token_lifetime: 3600,
    };
    let signer = futures::executor::block_on(Signing::start(plugin, context)).unwrap();
    let jwks = signer.public_keys();
    // RFC 8410 §10.3's public key.
    assert_eq!(jwks[0]["x"], "Gb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE");
    let rotated = futures::executor::block_on(signer.rotate(0));
    assert!(
        rotated.is_err_and(|e| e.to_string().starts_with("MCP_OAUTH_PRIVATE_KEY:")),
        "a configured key is rotated by changing it"
    );

    settings.set("MCP_OAUTH_PRIVATE_KEY", "not a key");
    let context = SignerContext {
        settings,
        keys: keys(),
        now: 0,
        token_lifetime: 3600,
    };
    let line = futures::executor::block_on(Signing::start(plugin, context))
        .err()
        .unwrap()
        .to_string();
    assert!(line.starts_with("MCP_OAUTH_PRIVATE_KEY: got"), "{line}");
}
