//! The compile-time plugin registry. Each plugin crate submits one static descriptor with
//! `inventory::submit!`; the server picks among those compiled in by name.
//!
//! A crate that is only listed in `Cargo.toml` is never linked, and its descriptor vanishes: the
//! binary names every enabled plugin crate (`use plugin as _;`) and a test asserts the registered
//! names.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::authenticator::{Authenticator, AuthenticatorContext};
use crate::clock::UnixTime;
use crate::error::{Error, Result};
use crate::keyring::{KeyRing, RingStore, SigningKey};
use crate::settings::PluginSettings;
use crate::signer::TokenSigner;
use crate::store::{KeyStore, Storage};

/// A boxed, sendable future, as the factories return.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Opens a storage from its settings.
pub type StorageOpener = fn(PluginSettings) -> BoxFuture<Result<Arc<dyn Storage>>>;

/// A key the deployer fixed in a setting, and the setting's name: such a key is rotated by
/// changing the setting, never by generating one.
pub struct ConfiguredKey {
    /// The key, as a ring entry.
    pub key: SigningKey,
    /// The setting that holds it, e.g. `MCP_OAUTH_SECRET_KEY`.
    pub setting: &'static str,
}

/// What core's [`Signing`](crate::Signing) needs to keep a signer's key ring: its settings, the key
/// store where the ring lives (so that it survives restarts and is shared by replicas), the time,
/// and how long a retired key keeps verifying.
#[derive(Clone)]
pub struct SignerContext {
    /// The `MCP_*` settings.
    pub settings: PluginSettings,
    /// Where the signer's key ring lives, so that it survives restarts and is shared by replicas.
    pub keys: Arc<dyn KeyStore>,
    /// The current time.
    pub now: UnixTime,
    /// The longest lifetime of a token it signs: retired keys verify this long.
    pub token_lifetime: i64,
}

impl SignerContext {
    /// The signer's ring in the key store, named after the plugin.
    pub(crate) fn ring(&self, plugin: &str) -> RingStore<'_> {
        RingStore {
            keys: self.keys.as_ref(),
            name: format!("signer/{plugin}"),
            now: self.now,
            lifetime: self.token_lifetime,
        }
    }
}

/// A token signer plugin: a key type (generated or configured keys) and the signer over a ring
/// of such keys. Everything else about keys (loading the ring, creating it on first use,
/// rotation, reloading what another replica changed, publishing public keys) is core's, in
/// [`Signing`](crate::Signing), the same for every signer.
pub struct SignerPlugin {
    /// The name deployers choose it by (`MCP_OAUTH_SIGNER`).
    pub name: &'static str,
    /// One line on what it does.
    pub summary: &'static str,
    /// The JSON Schema of the settings it reads.
    pub config_schema: fn() -> schemars::Schema,
    /// The key the settings fix, if any; an error names a setting that holds no usable key.
    pub configured_key: fn(&PluginSettings, UnixTime) -> Result<Option<ConfiguredKey>>,
    /// A fresh random key, made at the given time.
    pub generate_key: fn(UnixTime) -> Result<SigningKey>,
    /// The signer over a ring of this plugin's keys: it signs with the current key and verifies
    /// with any key of the ring, and publishes the ring's public keys.
    pub signer: fn(&KeyRing) -> Result<Arc<dyn TokenSigner>>,
}

impl SignerPlugin {
    /// A configured key that is absent: for signers whose keys are always generated.
    pub fn no_configured_key(_: &PluginSettings, _: UnixTime) -> Result<Option<ConfiguredKey>> {
        Ok(None)
    }
}

/// A storage plugin.
pub struct StoragePlugin {
    /// The name deployers choose it by (`MCP_OAUTH_STORAGE_BACKEND`).
    pub name: &'static str,
    /// One line on what it does.
    pub summary: &'static str,
    /// The JSON Schema of the settings it reads.
    pub config_schema: fn() -> schemars::Schema,
    /// Opens (or connects to) the storage.
    pub open: StorageOpener,
}

/// An authenticator plugin: who approves on the consent page (`MCP_OAUTH_AUTHENTICATOR`).
pub struct AuthenticatorPlugin {
    /// The name deployers choose it by.
    pub name: &'static str,
    /// One line on what it does.
    pub summary: &'static str,
    /// The JSON Schema of the settings it reads.
    pub config_schema: fn() -> schemars::Schema,
    /// Opens the authenticator; an error names a setting it cannot work with.
    pub open: fn(AuthenticatorContext) -> Result<Arc<dyn Authenticator>>,
}

inventory::collect!(SignerPlugin);
inventory::collect!(StoragePlugin);
inventory::collect!(AuthenticatorPlugin);

/// Every authenticator compiled in, by name.
pub fn authenticators() -> Vec<&'static AuthenticatorPlugin> {
    let mut all: Vec<_> = inventory::iter::<AuthenticatorPlugin>.into_iter().collect();
    all.sort_by_key(|plugin| plugin.name);
    all
}

/// The authenticator called `name`; otherwise an error listing the compiled-in ones.
pub fn authenticator(name: &str) -> Result<&'static AuthenticatorPlugin> {
    find(
        authenticators(),
        |plugin| plugin.name,
        name,
        "MCP_OAUTH_AUTHENTICATOR",
        "authenticators",
    )
}

/// Every signer compiled in, by name.
pub fn signers() -> Vec<&'static SignerPlugin> {
    let mut all: Vec<_> = inventory::iter::<SignerPlugin>.into_iter().collect();
    all.sort_by_key(|plugin| plugin.name);
    all
}

/// Every storage compiled in, by name.
pub fn storages() -> Vec<&'static StoragePlugin> {
    let mut all: Vec<_> = inventory::iter::<StoragePlugin>.into_iter().collect();
    all.sort_by_key(|plugin| plugin.name);
    all
}

/// The signer called `name`; otherwise an error listing the compiled-in ones.
pub fn signer(name: &str) -> Result<&'static SignerPlugin> {
    find(
        signers(),
        |plugin| plugin.name,
        name,
        "MCP_OAUTH_SIGNER",
        "signers",
    )
}

/// The storage called `name`; otherwise an error listing the compiled-in ones.
pub fn storage(name: &str) -> Result<&'static StoragePlugin> {
    find(
        storages(),
        |plugin| plugin.name,
        name,
        "MCP_OAUTH_STORAGE_BACKEND",
        "storage backends",
    )
}

/// The plugin of `all` called `name`, or the one-line error naming `variable` and what is there.
fn find<P>(
    all: Vec<&'static P>,
    name_of: fn(&P) -> &'static str,
    name: &str,
    variable: &str,
    kind: &str,
) -> Result<&'static P> {
    let names: Vec<_> = all.iter().map(|plugin| name_of(plugin)).collect();
    all.into_iter()
        .find(|plugin| name_of(plugin) == name)
        .ok_or_else(|| Error::Config {
            variable: variable.into(),
            got: name.into(),
            expected: format!("one of the {kind} compiled in: {}", names.join(", ")),
        })
}
