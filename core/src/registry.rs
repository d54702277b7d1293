//! The compile-time plugin registry. Each plugin crate submits one static descriptor with
//! `inventory::submit!`; the server picks among those compiled in by name.
//!
//! A crate that is only listed in `Cargo.toml` is never linked, and its descriptor vanishes: the
//! binary names every enabled plugin crate (`use plugin as _;`) and a test asserts the registered
//! names.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::clock::UnixTime;
use crate::error::{Error, Result};
use crate::keyring::{RingStore, SigningKey};
use crate::settings::PluginSettings;
use crate::signer::TokenSigner;
use crate::store::{KeyStore, Storage};

/// A boxed, sendable future, as the factories return.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Builds a signer from its context.
pub type SignerFactory = fn(SignerContext) -> BoxFuture<Result<Arc<dyn TokenSigner>>>;
/// Opens a storage from its settings.
pub type StorageOpener = fn(PluginSettings) -> BoxFuture<Result<Arc<dyn Storage>>>;

/// Makes a fresh current key for a signer's ring (rotation); refuses when the settings fix the
/// key (e.g. `MCP_OAUTH_SECRET_KEY`), which is rotated by changing the setting.
pub type KeyMaker = fn(&PluginSettings, UnixTime) -> Result<SigningKey>;

/// What a signer factory gets: its settings and the key store where its key ring lives.
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
    pub fn ring(&self, plugin: &str) -> RingStore<'_> {
        RingStore {
            keys: self.keys.as_ref(),
            name: format!("signer/{plugin}"),
            now: self.now,
            lifetime: self.token_lifetime,
        }
    }
}

/// A token signer plugin.
pub struct SignerPlugin {
    /// The name deployers choose it by (`MCP_OAUTH_SIGNER`).
    pub name: &'static str,
    /// One line on what it does.
    pub summary: &'static str,
    /// The JSON Schema of the settings it reads.
    pub config_schema: fn() -> schemars::Schema,
    /// Builds the signer from its ring (creating the ring on first use).
    pub build: SignerFactory,
    /// Makes a new current key for rotation.
    pub new_key: KeyMaker,
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

inventory::collect!(SignerPlugin);
inventory::collect!(StoragePlugin);

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
