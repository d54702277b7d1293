//! The settings of the `surrealdb` storage.

use mcp_oauth_core::schemars::JsonSchema;
use mcp_oauth_core::{PluginSettings, Result};
use serde::Deserialize;

/// How long a SurrealDB server that does not answer yet is waited for at start.
const DEFAULT_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// Where the embedded database lives inside the data directory (`MCP_DATA_DIR`).
const DATABASE_DIR: &str = "memory";

/// Settings read by the `surrealdb` storage.
#[derive(Default, Deserialize, JsonSchema)]
#[schemars(crate = "mcp_oauth_core::schemars")]
pub struct SurrealConfig {
    /// Where the data lives: `surrealkv://PATH` (embedded, on disk; default
    /// `surrealkv://DATA_DIR/memory`, with `MCP_DATA_DIR`), `mem://` (embedded, in memory) or
    /// `ws://HOST:PORT` (a SurrealDB server).
    #[serde(rename = "MCP_OAUTH_STORAGE_URL")]
    pub url: Option<String>,
    /// Namespace (default `mcp`).
    #[serde(rename = "MCP_SURREALDB_NS")]
    pub namespace: Option<String>,
    /// Database (default `memory`).
    #[serde(rename = "MCP_SURREALDB_DB")]
    pub database: Option<String>,
    /// User for a SurrealDB server (root user).
    #[serde(rename = "MCP_SURREALDB_USER")]
    pub user: Option<String>,
    /// Password for a SurrealDB server.
    #[serde(rename = "MCP_SURREALDB_PASS")]
    pub pass: Option<String>,
    /// Seconds to keep trying, at start, a SurrealDB server (`ws://`) that does not answer yet
    /// (default 30; `0`: give up at the first refusal). A compose file or service manager may
    /// start both at once.
    #[serde(rename = "MCP_SURREALDB_CONNECT_TIMEOUT")]
    pub connect_timeout: Option<String>,
}

impl SurrealConfig {
    /// The settings in `settings`, with the default location filled in: the embedded database
    /// in the data directory the server hands over (`MCP_DATA_DIR`).
    pub fn from_settings(settings: &PluginSettings) -> Result<Self> {
        let mut config: Self = settings.parse()?;
        if config.url.is_none() {
            let path = settings.data_dir().join(DATABASE_DIR);
            config.url = Some(format!("surrealkv://{}", path.display()));
        }
        Ok(config)
    }

    /// How long to keep trying a SurrealDB server at start (`MCP_SURREALDB_CONNECT_TIMEOUT`).
    pub fn connect_timeout(&self) -> Result<std::time::Duration> {
        match self.connect_timeout.as_deref().map(str::trim) {
            None => Ok(DEFAULT_CONNECT_TIMEOUT),
            Some(text) => text
                .parse::<u16>()
                .map(|seconds| std::time::Duration::from_secs(seconds.into()))
                .map_err(|_| mcp_oauth_core::Error::Config {
                    variable: "MCP_SURREALDB_CONNECT_TIMEOUT".into(),
                    got: text.to_owned(),
                    expected: "a whole number of seconds from 0 to 65535".into(),
                }),
        }
    }

    /// The directory of an embedded on-disk database, when the location names one.
    pub fn embedded_path(&self) -> Option<&str> {
        self.url.as_deref()?.strip_prefix("surrealkv://")
    }
}

impl std::fmt::Debug for SurrealConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SurrealConfig")
            .field("url", &self.url)
            .field("namespace", &self.namespace)
            .field("database", &self.database)
            .field("user", &self.user)
            .field("pass", &self.pass.as_ref().map(|_| "[redacted]"))
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}
