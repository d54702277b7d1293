//! The registry holds exactly the plugins compiled in for the enabled features.

use mcp_oauth_core::registry;

#[test]
fn registry_holds_exactly_the_enabled_plugins() {
    let mut expected_signers = Vec::new();
    if cfg!(feature = "signer-eddsa") {
        expected_signers.push("eddsa");
    }
    if cfg!(feature = "signer-hs256") {
        expected_signers.push("hs256");
    }
    if cfg!(feature = "signer-paseto") {
        expected_signers.extend(["paseto-v4-local", "paseto-v4-public"]);
    }
    let mut expected_storages = Vec::new();
    if cfg!(feature = "store-memory") {
        expected_storages.push("memory");
    }
    if cfg!(feature = "store-surrealdb") {
        expected_storages.push("surrealdb");
    }
    let mut expected_authenticators = Vec::new();
    if cfg!(feature = "authn-local") {
        expected_authenticators.push("local");
    }
    if cfg!(feature = "authn-oidc") {
        expected_authenticators.push("oidc");
    }
    if cfg!(feature = "authn-owner-key") {
        expected_authenticators.push("owner-key");
    }
    // Touch the server crate so its plugin anchors are linked into this test binary.
    assert!(!mcp_oauth_server::DEFAULT_STORAGE.is_empty());
    let signers: Vec<_> = registry::signers().iter().map(|p| p.name).collect();
    let storages: Vec<_> = registry::storages().iter().map(|p| p.name).collect();
    assert_eq!(signers, expected_signers);
    assert_eq!(storages, expected_storages);
    let authenticators: Vec<_> = registry::authenticators().iter().map(|p| p.name).collect();
    assert_eq!(authenticators, expected_authenticators);
}

#[test]
fn unknown_plugins_are_refused_with_the_compiled_in_list() {
    let error = registry::signer("rs256").err().expect("no rs256 signer");
    let line = error.to_string();
    assert!(
        line.starts_with("MCP_OAUTH_SIGNER: got \"rs256\""),
        "{line}"
    );
    for plugin in registry::signers() {
        assert!(line.contains(plugin.name), "{line}");
    }
    let error = registry::storage("postgres")
        .err()
        .expect("no postgres storage");
    assert!(error.to_string().contains("MCP_OAUTH_STORAGE_BACKEND"));
    let error = registry::authenticator("ldap")
        .err()
        .expect("no ldap authenticator");
    assert!(error.to_string().contains("MCP_OAUTH_AUTHENTICATOR"));
}
