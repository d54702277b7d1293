//! The settings of the `hs256` signer.

use mcp_oauth_core::schemars::JsonSchema;
use serde::Deserialize;

/// Settings read by the `hs256` signer.
#[derive(Default, Deserialize, JsonSchema)]
#[schemars(crate = "mcp_oauth_core::schemars")]
pub struct Hs256Config {
    /// The HMAC key, at least 32 bytes. When unset, a random key is generated once and kept in the
    /// storage's key store.
    #[serde(rename = "MCP_OAUTH_SECRET_KEY")]
    pub secret_key: Option<String>,
}

impl std::fmt::Debug for Hs256Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hs256Config")
            .field(
                "secret_key",
                &self.secret_key.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}
