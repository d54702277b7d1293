#![doc = include_str!("../README.md")]

mod config;
mod error;
mod signer;

pub use config::Hs256Config;
pub use signer::Hs256Signer;

use std::sync::Arc;

use mcp_oauth_core::registry::{BoxFuture, SignerContext, SignerPlugin};
use mcp_oauth_core::secret::random_bytes;
use mcp_oauth_core::{Result, TokenSigner};

/// The name deployers choose this plugin by.
pub const NAME: &str = "hs256";
/// The shortest key accepted: the size of the hash output (RFC 7518 §3.2).
pub const MIN_KEY_BYTES: usize = 32;
/// The key-store entry of the generated key.
const KEY_NAME: &str = "signer/hs256";

fn build(context: SignerContext) -> BoxFuture<Result<Arc<dyn TokenSigner>>> {
    Box::pin(async move {
        let config: Hs256Config = context.settings.parse()?;
        let key = match config.secret_key {
            Some(secret) => secret.into_bytes(),
            None => {
                context
                    .keys
                    .get_or_create_key(KEY_NAME, &random_bytes(MIN_KEY_BYTES))
                    .await?
            }
        };
        Ok(Arc::new(Hs256Signer::new(&key)?) as Arc<dyn TokenSigner>)
    })
}

mcp_oauth_core::inventory::submit! {
    SignerPlugin {
        name: NAME,
        summary: "HS256 JWT (RFC 9068): shared secret, fastest; verifiers need the secret",
        config_schema: || mcp_oauth_core::schemars::schema_for!(Hs256Config),
        build,
    }
}
