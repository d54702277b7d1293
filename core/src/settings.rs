//! Plugin settings: the `MCP_*` variables a plugin reads, handed to it by the server.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// Named string settings, as found in the environment (`MCP_OAUTH_SECRET_KEY`, …).
///
/// A plugin declares what it reads as a struct deriving `Deserialize` and `JsonSchema` whose fields
/// are renamed to the variables' names, so `memory plugins` can print its schema.
#[derive(Clone, Default)]
pub struct PluginSettings(BTreeMap<String, String>);

impl PluginSettings {
    /// The setting naming the directory a storage keeps its files in: the server sets it to the
    /// absolute path of `MCP_DATA_DIR` before opening the storage.
    pub const DATA_DIR: &'static str = "MCP_DATA_DIR";

    /// The data directory ([`Self::DATA_DIR`]); `./data` when unset.
    pub fn data_dir(&self) -> std::path::PathBuf {
        self.get(Self::DATA_DIR).unwrap_or("./data").into()
    }

    /// Every `MCP_*` variable of the process environment.
    pub fn from_env() -> Self {
        std::env::vars()
            .filter(|(name, _)| name.starts_with("MCP_"))
            .collect()
    }

    /// Sets `name` to `value`.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.insert(name.into(), value.into());
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The names of the settings given.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// The settings read into a plugin's configuration struct. Unknown variables are ignored.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T> {
        let object = self
            .0
            .iter()
            .map(|(name, value)| (name.clone(), serde_json::Value::String(value.clone())))
            .collect::<serde_json::Map<_, _>>();
        serde_json::from_value(serde_json::Value::Object(object)).map_err(|error| Error::Config {
            variable: "plugin settings".into(),
            got: String::new(),
            expected: error.to_string(),
        })
    }
}

impl FromIterator<(String, String)> for PluginSettings {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl std::fmt::Debug for PluginSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values may be secrets: show the names only.
        f.debug_set().entries(self.0.keys()).finish()
    }
}
