#![doc = include_str!("../README.md")]

mod claims;
mod config;
mod error;
mod signer;

pub use config::PasetoConfig;
pub use signer::{PasetoSigner, Purpose};

use std::sync::Arc;

use mcp_oauth_core::keyring::{SigningKey, fixed_by_setting};
use mcp_oauth_core::registry::{BoxFuture, SignerContext, SignerPlugin};
use mcp_oauth_core::{PluginSettings, Result, TokenSigner, UnixTime};

/// The name of the `v4.public` signer.
pub const PUBLIC_NAME: &str = "paseto-v4-public";
/// The name of the `v4.local` signer.
pub const LOCAL_NAME: &str = "paseto-v4-local";

/// The key the settings fix for `purpose`, if any (`MCP_OAUTH_PASETO_LOCAL_KEY` for `v4.local`).
fn configured_key(
    purpose: Purpose,
    settings: &PluginSettings,
    now: UnixTime,
) -> Result<Option<SigningKey>> {
    let config: PasetoConfig = settings.parse()?;
    match (purpose, config.local_key) {
        (Purpose::Local, Some(paserk)) => signer::local_from_paserk(&paserk, now).map(Some),
        _ => Ok(None),
    }
}

fn build_with(
    purpose: Purpose,
    name: &'static str,
    context: SignerContext,
) -> BoxFuture<Result<Arc<dyn TokenSigner>>> {
    Box::pin(async move {
        let now = context.now;
        let configured = configured_key(purpose, &context.settings, now)?;
        let ring = context
            .ring(name)
            .load(|| signer::generate(purpose, now), configured)
            .await?;
        Ok(Arc::new(PasetoSigner::new(purpose, &ring)?) as Arc<dyn TokenSigner>)
    })
}

fn new_key_with(purpose: Purpose, settings: &PluginSettings, now: UnixTime) -> Result<SigningKey> {
    if configured_key(purpose, settings, now)?.is_some() {
        return Err(fixed_by_setting("MCP_OAUTH_PASETO_LOCAL_KEY"));
    }
    signer::generate(purpose, now)
}

fn build_public(context: SignerContext) -> BoxFuture<Result<Arc<dyn TokenSigner>>> {
    build_with(Purpose::Public, PUBLIC_NAME, context)
}

fn build_local(context: SignerContext) -> BoxFuture<Result<Arc<dyn TokenSigner>>> {
    build_with(Purpose::Local, LOCAL_NAME, context)
}

fn new_public_key(settings: &PluginSettings, now: UnixTime) -> Result<SigningKey> {
    new_key_with(Purpose::Public, settings, now)
}

fn new_local_key(settings: &PluginSettings, now: UnixTime) -> Result<SigningKey> {
    new_key_with(Purpose::Local, settings, now)
}

// One crate, two signers: they share the token code and differ only in purpose.
mcp_oauth_core::inventory::submit! {
    SignerPlugin {
        name: PUBLIC_NAME,
        summary: "PASETO v4.public (Ed25519): public keys at /oauth/jwks.json as JWK and PASERK",
        config_schema: || mcp_oauth_core::schemars::schema_for!(PasetoConfig),
        build: build_public,
        new_key: new_public_key,
    }
}

mcp_oauth_core::inventory::submit! {
    SignerPlugin {
        name: LOCAL_NAME,
        summary: "PASETO v4.local (encrypted): claims unreadable; verifiers need the symmetric key",
        config_schema: || mcp_oauth_core::schemars::schema_for!(PasetoConfig),
        build: build_local,
        new_key: new_local_key,
    }
}
