#![doc = include_str!("../README.md")]

mod claims;
mod config;
mod error;
mod signer;

pub use config::{PasetoConfig, PublicConfig};
pub use signer::{PasetoSigner, Purpose};

use std::sync::Arc;

use mcp_oauth_core::keyring::{KeyRing, SigningKey};
use mcp_oauth_core::registry::{ConfiguredKey, SignerPlugin};
use mcp_oauth_core::{PluginSettings, Result, TokenSigner, UnixTime};

/// The name of the `v4.public` signer.
pub const PUBLIC_NAME: &str = "paseto-v4-public";
/// The name of the `v4.local` signer.
pub const LOCAL_NAME: &str = "paseto-v4-local";

/// The `v4.local` key `MCP_OAUTH_PASETO_LOCAL_KEY` fixes, if set (`v4.public` keys are always
/// generated).
fn configured_local_key(settings: &PluginSettings, now: UnixTime) -> Result<Option<ConfiguredKey>> {
    let config: PasetoConfig = settings.parse()?;
    config
        .local_key
        .map(|paserk| {
            Ok(ConfiguredKey {
                key: signer::local_from_paserk(&paserk, now)?,
                setting: "MCP_OAUTH_PASETO_LOCAL_KEY",
            })
        })
        .transpose()
}

fn generate_public_key(now: UnixTime) -> Result<SigningKey> {
    signer::generate(Purpose::Public, now)
}

fn generate_local_key(now: UnixTime) -> Result<SigningKey> {
    signer::generate(Purpose::Local, now)
}

fn public_signer(ring: &KeyRing) -> Result<Arc<dyn TokenSigner>> {
    Ok(Arc::new(PasetoSigner::new(Purpose::Public, ring)?))
}

fn local_signer(ring: &KeyRing) -> Result<Arc<dyn TokenSigner>> {
    Ok(Arc::new(PasetoSigner::new(Purpose::Local, ring)?))
}

// One crate, two signers: they share the token code and differ only in purpose.
mcp_oauth_core::inventory::submit! {
    SignerPlugin {
        name: PUBLIC_NAME,
        summary: "PASETO v4.public (Ed25519): public keys at /oauth/jwks.json as JWK and PASERK",
        config_schema: || mcp_oauth_core::schemars::schema_for!(PublicConfig),
        configured_key: SignerPlugin::no_configured_key,
        generate_key: generate_public_key,
        signer: public_signer,
    }
}

mcp_oauth_core::inventory::submit! {
    SignerPlugin {
        name: LOCAL_NAME,
        summary: "PASETO v4.local (encrypted): claims unreadable; verifiers need the symmetric key",
        config_schema: || mcp_oauth_core::schemars::schema_for!(PasetoConfig),
        configured_key: configured_local_key,
        generate_key: generate_local_key,
        signer: local_signer,
    }
}
