#![doc = include_str!("../README.md")]

mod config;
mod error;
mod signer;

pub use config::EddsaConfig;
pub use signer::EddsaSigner;

use std::sync::Arc;

use ed25519_dalek::pkcs8::DecodePrivateKey as _;
use mcp_oauth_core::keyring::{SigningKey, fixed_by_setting};
use mcp_oauth_core::registry::{BoxFuture, SignerContext, SignerPlugin};
use mcp_oauth_core::secret::random_bytes;
use mcp_oauth_core::{PluginSettings, Result, TokenSigner, UnixTime};

use crate::error::EddsaError;

/// The name deployers choose this plugin by.
pub const NAME: &str = "eddsa";

/// The key fixed by `MCP_OAUTH_PRIVATE_KEY` or `MCP_OAUTH_PRIVATE_KEY_PATH`, if either is set.
fn configured_key(settings: &PluginSettings, now: UnixTime) -> Result<Option<SigningKey>> {
    let config: EddsaConfig = settings.parse()?;
    let (variable, pem) = match (config.private_key, config.private_key_path) {
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
            variable,
            why: format!("an unreadable key ({e})"),
        })?;
    Ok(Some(signer::signing_key(&key.to_bytes(), now)))
}

fn generated_key(now: UnixTime) -> SigningKey {
    let mut seed = [0u8; 32];
    seed.copy_from_slice(&random_bytes(32));
    signer::signing_key(&seed, now)
}

fn build(context: SignerContext) -> BoxFuture<Result<Arc<dyn TokenSigner>>> {
    Box::pin(async move {
        let configured = configured_key(&context.settings, context.now)?;
        let now = context.now;
        let ring = context
            .ring(NAME)
            .load(|| Ok(generated_key(now)), configured)
            .await?;
        Ok(Arc::new(EddsaSigner::new(&ring)?) as Arc<dyn TokenSigner>)
    })
}

fn new_key(settings: &PluginSettings, now: UnixTime) -> Result<SigningKey> {
    if configured_key(settings, now)?.is_some() {
        return Err(fixed_by_setting("MCP_OAUTH_PRIVATE_KEY"));
    }
    Ok(generated_key(now))
}

mcp_oauth_core::inventory::submit! {
    SignerPlugin {
        name: NAME,
        summary: "Ed25519 JWT (RFC 9068): public keys at /oauth/jwks.json, any JWT library verifies",
        config_schema: || mcp_oauth_core::schemars::schema_for!(EddsaConfig),
        build,
        new_key,
    }
}
