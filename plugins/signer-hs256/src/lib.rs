#![doc = include_str!("../README.md")]

mod config;
mod error;
mod signer;

pub use config::Hs256Config;
pub use signer::Hs256Signer;

use std::sync::Arc;

use mcp_oauth_core::keyring::{SigningKey, fixed_by_setting};
use mcp_oauth_core::registry::{BoxFuture, SignerContext, SignerPlugin};
use mcp_oauth_core::secret::random_bytes;
use mcp_oauth_core::{PluginSettings, Result, TokenSigner, UnixTime};

/// The name deployers choose this plugin by.
pub const NAME: &str = "hs256";
/// The shortest key accepted: the size of the hash output (RFC 7518 §3.2).
pub const MIN_KEY_BYTES: usize = 32;

/// The key `MCP_OAUTH_SECRET_KEY` fixes, if set.
fn configured_key(settings: &PluginSettings, now: UnixTime) -> Result<Option<SigningKey>> {
    let config: Hs256Config = settings.parse()?;
    config
        .secret_key
        .map(|secret| signer::signing_key(secret.as_bytes(), now))
        .transpose()
}

fn build(context: SignerContext) -> BoxFuture<Result<Arc<dyn TokenSigner>>> {
    Box::pin(async move {
        let configured = configured_key(&context.settings, context.now)?;
        let now = context.now;
        let ring = context
            .ring(NAME)
            .load(
                || signer::signing_key(&random_bytes(MIN_KEY_BYTES), now),
                configured,
            )
            .await?;
        Ok(Arc::new(Hs256Signer::new(&ring)?) as Arc<dyn TokenSigner>)
    })
}

fn new_key(settings: &PluginSettings, now: UnixTime) -> Result<SigningKey> {
    if configured_key(settings, now)?.is_some() {
        return Err(fixed_by_setting("MCP_OAUTH_SECRET_KEY"));
    }
    signer::signing_key(&random_bytes(MIN_KEY_BYTES), now)
}

mcp_oauth_core::inventory::submit! {
    SignerPlugin {
        name: NAME,
        summary: "HS256 JWT (RFC 9068): shared secret, fastest; verifiers need the secret",
        config_schema: || mcp_oauth_core::schemars::schema_for!(Hs256Config),
        build,
        new_key,
    }
}
