//! The settings of the `eddsa` signer.

use mcp_oauth_core::schemars::JsonSchema;
use serde::Deserialize;

/// Settings read by the `eddsa` signer.
#[derive(Default, Deserialize, JsonSchema)]
#[schemars(crate = "mcp_oauth_core::schemars")]
pub struct EddsaConfig {
    /// An Ed25519 private key as PKCS#8 PEM. When neither this nor the path is set, a key is
    /// generated once and kept in the storage's key ring.
    #[serde(rename = "MCP_OAUTH_PRIVATE_KEY")]
    pub private_key: Option<String>,
    /// A file holding the PKCS#8 PEM private key.
    #[serde(rename = "MCP_OAUTH_PRIVATE_KEY_PATH")]
    pub private_key_path: Option<String>,
}

impl std::fmt::Debug for EddsaConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EddsaConfig")
            .field(
                "private_key",
                &self.private_key.as_ref().map(|_| "[redacted]"),
            )
            .field("private_key_path", &self.private_key_path)
            .finish()
    }
}
