//! The settings of the PASETO signers.

use mcp_oauth_core::schemars::JsonSchema;
use serde::Deserialize;

/// Settings read by `paseto-v4-public`: none, its Ed25519 keys are generated and kept in the key
/// ring (`memory keys rotate` makes a new one).
#[derive(Default, Deserialize, JsonSchema)]
#[schemars(crate = "mcp_oauth_core::schemars")]
pub struct PublicConfig {}

/// Settings read by `paseto-v4-local`.
#[derive(Default, Deserialize, JsonSchema)]
#[schemars(crate = "mcp_oauth_core::schemars")]
pub struct PasetoConfig {
    /// The symmetric key as a PASERK (`k4.local.…`), for sharing it with
    /// resource servers elsewhere. When unset, a key is generated once and kept in the key ring.
    #[serde(rename = "MCP_OAUTH_PASETO_LOCAL_KEY")]
    pub local_key: Option<String>,
}

impl std::fmt::Debug for PasetoConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasetoConfig")
            .field("local_key", &self.local_key.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}
