//! The one place naming every plugin crate compiled in, so the linker keeps their registrations.
//! A crate that is only listed in `Cargo.toml` is never linked and its `inventory::submit!`
//! vanishes; `tests/` asserts the registry holds exactly the enabled plugins.

#[cfg(feature = "authn-local")]
use mcp_oauth_authn_local as _;
#[cfg(feature = "authn-oidc")]
use mcp_oauth_authn_oidc as _;
#[cfg(feature = "authn-owner-key")]
use mcp_oauth_authn_owner_key as _;
#[cfg(feature = "signer-eddsa")]
use mcp_oauth_signer_eddsa as _;
#[cfg(feature = "signer-hs256")]
use mcp_oauth_signer_hs256 as _;
#[cfg(feature = "signer-paseto")]
use mcp_oauth_signer_paseto as _;
#[cfg(feature = "store-memory")]
use mcp_oauth_store_memory as _;
#[cfg(feature = "store-surrealdb")]
use mcp_oauth_store_surrealdb as _;

/// The storage used when `MCP_OAUTH_STORAGE_BACKEND` is unset: SurrealDB (embedded, on disk at
/// `./data/memory`) when compiled in, so the default build persists; otherwise in-process memory.
pub const DEFAULT_STORAGE: &str = if cfg!(feature = "store-surrealdb") {
    "surrealdb"
} else {
    "memory"
};

/// The signer used when `MCP_OAUTH_SIGNER` is unset: `hs256`, or the first compiled in when a build
/// leaves it out.
pub fn default_signer() -> String {
    let names: Vec<_> = mcp_oauth_core::registry::signers()
        .iter()
        .map(|plugin| plugin.name)
        .collect();
    let name = names
        .iter()
        .find(|name| **name == "hs256")
        .or(names.first());
    name.copied().unwrap_or("hs256").to_owned()
}
