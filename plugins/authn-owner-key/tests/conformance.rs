//! `owner-key` passes the authenticator conformance suite.

use mcp_oauth_core::PluginSettings;
use mcp_oauth_core::authenticator::{AuthenticatorContext, SignInFields};
use mcp_oauth_core::registry;
use mcp_oauth_core::secret::Secret;
use mcp_oauth_core::testkit;

#[test]
fn owner_key_passes_the_authenticator_conformance_suite() {
    let plugin = registry::authenticator(mcp_oauth_authn_owner_key::NAME).expect("registered");
    let authenticator = (plugin.open)(AuthenticatorContext {
        settings: PluginSettings::default(),
        owner_key: Some(Secret::new("the-owners-key-0123456789").hash()),
        accounts: std::sync::Arc::new(mcp_oauth_store_memory::InMemoryStorage::default()),
    })
    .expect("opens");
    let valid = SignInFields::default().with("api_key", "the-owners-key-0123456789");
    futures::executor::block_on(testkit::authenticator::run(authenticator.as_ref(), valid));
}
