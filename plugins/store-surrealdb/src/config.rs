//! The settings of the `surrealdb` storage.

use mcp_oauth_core::schemars::JsonSchema;
use serde::Deserialize;

/// The default location: an embedded on-disk database beside the working directory.
pub const DEFAULT_URL: &str = "surrealkv://./data/memory";

/// Settings read by the `surrealdb` storage.
#[derive(Default, Deserialize, JsonSchema)]
#[schemars(crate = "mcp_oauth_core::schemars")]
pub struct SurrealConfig {
    /// Where the data lives: `surrealkv://PATH` (embedded, on disk; default
    /// `surrealkv://./data/memory`), `mem://` (embedded, in memory) or `ws://HOST:PORT` (a SurrealDB
    /// server).
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
}

impl std::fmt::Debug for SurrealConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SurrealConfig")
            .field("url", &self.url)
            .field("namespace", &self.namespace)
            .field("database", &self.database)
            .field("user", &self.user)
            .field("pass", &self.pass.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}
