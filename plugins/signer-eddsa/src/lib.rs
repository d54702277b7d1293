#![doc = include_str!("../README.md")]

mod config;
mod error;
mod key;

pub use config::EddsaConfig;
pub use key::Ed25519Key;

use ed25519_dalek::pkcs8::DecodePrivateKey as _;
use mcp_oauth_core::keyring::SigningKey;
use mcp_oauth_core::registry::{ConfiguredKey, SignerPlugin};
use mcp_oauth_core::secret::random_bytes;
use mcp_oauth_core::{PluginSettings, Result, UnixTime};

use crate::error::EddsaError;

/// The name deployers choose this plugin by.
pub const NAME: &str = "eddsa";

/// The key fixed by `MCP_OAUTH_PRIVATE_KEY` or `MCP_OAUTH_PRIVATE_KEY_PATH`, if either is set.
fn configured_key(settings: &PluginSettings, now: UnixTime) -> Result<Option<ConfiguredKey>> {
    let config: EddsaConfig = settings.parse()?;
    let (setting, pem) = match (config.private_key, config.private_key_path) {
        (Some(pem), _) => ("MCP_OAUTH_PRIVATE_KEY", pem),
        (None, Some(path)) => {
            let pem = std::fs::read_to_string(&path).map_err(|e| EddsaError::BadKey {
                variable: "MCP_OAUTH_PRIVATE_KEY_PATH",
                why: format!("{path}: {e}"),
            })?;
            ("MCP_OAUTH_PRIVATE_KEY_PATH", pem)
        }
        (None, None) => return Ok(None),
    };
    let key =
        ed25519_dalek::SigningKey::from_pkcs8_pem(pem.trim()).map_err(|e| EddsaError::BadKey {
            variable: setting,
            why: format!("an unreadable key ({e})"),
        })?;
    Ok(Some(ConfiguredKey {
        key: key::ring_entry(&key.to_bytes(), now),
        setting,
    }))
}

fn generate_key(now: UnixTime) -> Result<SigningKey> {
    let mut seed = [0u8; 32];
    seed.copy_from_slice(&random_bytes(32));
    Ok(key::ring_entry(&seed, now))
}

mcp_oauth_core::inventory::submit! {
    SignerPlugin {
        name: NAME,
        summary: "Ed25519 JWT (RFC 9068): public keys at /oauth/jwks.json, any JWT library verifies",
        config_schema: || mcp_oauth_core::schemars::schema_for!(EddsaConfig),
        configured_key,
        generate_key,
        signer: mcp_oauth_jwt::signer::<Ed25519Key>,
    }
}
