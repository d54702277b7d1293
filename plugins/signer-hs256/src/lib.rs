#![doc = include_str!("../README.md")]

mod config;
mod error;
mod key;

pub use config::Hs256Config;
pub use key::Hs256Key;

use mcp_oauth_core::keyring::SigningKey;
use mcp_oauth_core::registry::{ConfiguredKey, SignerPlugin};
use mcp_oauth_core::secret::random_bytes;
use mcp_oauth_core::{PluginSettings, Result, UnixTime};

/// The name deployers choose this plugin by.
pub const NAME: &str = "hs256";
/// The shortest key accepted: the size of the hash output (RFC 7518 §3.2).
pub const MIN_KEY_BYTES: usize = 32;
/// The setting that fixes the key.
const SECRET_KEY: &str = "MCP_OAUTH_SECRET_KEY";

/// The key `MCP_OAUTH_SECRET_KEY` fixes, if set.
fn configured_key(settings: &PluginSettings, now: UnixTime) -> Result<Option<ConfiguredKey>> {
    let config: Hs256Config = settings.parse()?;
    config
        .secret_key
        .map(|secret| {
            Ok(ConfiguredKey {
                key: key::ring_entry(secret.as_bytes(), now)?,
                setting: SECRET_KEY,
            })
        })
        .transpose()
}

fn generate_key(now: UnixTime) -> Result<SigningKey> {
    key::ring_entry(&random_bytes(MIN_KEY_BYTES), now)
}

mcp_oauth_core::inventory::submit! {
    SignerPlugin {
        name: NAME,
        summary: "HS256 JWT (RFC 9068): shared secret, fastest; verifiers need the secret",
        config_schema: || mcp_oauth_core::schemars::schema_for!(Hs256Config),
        configured_key,
        generate_key,
        signer: mcp_oauth_jwt::signer::<Hs256Key>,
    }
}
