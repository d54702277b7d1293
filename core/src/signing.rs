//! The signer in use, over its key ring, swappable at run time: key rotation and rings changed by
//! another replica replace it without a restart. It is itself a [`TokenSigner`], delegating to the
//! current one. This is the one place that keeps key rings, for every signer plugin alike.

use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::clock::UnixTime;
use crate::error::{OAuthError, Result};
use crate::keyring::{KeyRing, fixed_by_setting};
use crate::model::AccessClaims;
use crate::registry::{SignerContext, SignerPlugin};
use crate::signer::TokenSigner;

/// The chosen signer plugin, its context, and the signer built from its current ring.
pub struct Signing {
    plugin: &'static SignerPlugin,
    context: SignerContext,
    current: ArcSwap<Built>,
}

struct Built {
    signer: Arc<dyn TokenSigner>,
    ring: KeyRing,
}

impl Signing {
    /// Builds the signer of `plugin` (creating its ring on first use).
    pub async fn start(plugin: &'static SignerPlugin, context: SignerContext) -> Result<Self> {
        let built = Self::build(plugin, &context).await?;
        Ok(Self {
            plugin,
            context,
            current: ArcSwap::from_pointee(built),
        })
    }

    /// Loads the ring (creating it with a configured or generated key on first use, and making a
    /// newly configured key current) and builds the plugin's signer over it.
    async fn build(plugin: &'static SignerPlugin, context: &SignerContext) -> Result<Built> {
        let configured = (plugin.configured_key)(&context.settings, context.now)?;
        let now = context.now;
        let ring = context
            .ring(plugin.name)
            .load(|| (plugin.generate_key)(now), configured.map(|c| c.key))
            .await?;
        let signer = (plugin.signer)(&ring)?;
        Ok(Built { signer, ring })
    }

    /// The plugin's name.
    pub fn name(&self) -> &'static str {
        self.plugin.name
    }

    /// The ring as last loaded.
    pub fn ring(&self) -> KeyRing {
        self.current.load().ring.clone()
    }

    /// Makes a new current key: the previous one keeps verifying until its tokens expire.
    pub async fn rotate(&self, now: UnixTime) -> Result<KeyRing> {
        let context = SignerContext {
            now,
            ..self.context.clone()
        };
        if let Some(configured) = (self.plugin.configured_key)(&context.settings, now)? {
            return Err(fixed_by_setting(configured.setting));
        }
        let key = (self.plugin.generate_key)(now)?;
        let ring = context.ring(self.plugin.name).rotate(key).await?;
        self.current
            .store(Arc::new(Self::build(self.plugin, &context).await?));
        Ok(ring)
    }

    /// Reloads the ring and rebuilds the signer when another process changed it; returns whether
    /// it did.
    pub async fn refresh(&self, now: UnixTime) -> Result<bool> {
        let context = SignerContext {
            now,
            ..self.context.clone()
        };
        let stored = context.ring(self.plugin.name).peek().await?;
        if stored.as_ref() == Some(&self.current.load().ring) {
            return Ok(false);
        }
        self.current
            .store(Arc::new(Self::build(self.plugin, &context).await?));
        Ok(true)
    }
}

impl TokenSigner for Signing {
    fn issue(&self, claims: &AccessClaims) -> Result<String> {
        self.current.load().signer.issue(claims)
    }

    fn decode(&self, token: &str) -> Result<AccessClaims, OAuthError> {
        self.current.load().signer.decode(token)
    }

    fn public_keys(&self) -> Vec<serde_json::Value> {
        self.current.load().signer.public_keys()
    }
}
