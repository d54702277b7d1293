#![doc = include_str!("../README.md")]

mod config;
mod error;
mod schema;
mod store;

pub use config::{DEFAULT_URL, SurrealConfig};
pub use store::SurrealStorage;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mcp_oauth_core::registry::{BoxFuture, StoragePlugin};
use mcp_oauth_core::{Error, PluginSettings, Result, Storage};
use serde_json::json;
use surrealdb::opt::auth::Root;

/// The name deployers choose this plugin by.
pub const NAME: &str = "surrealdb";
/// How often expired codes and refresh tokens are deleted.
const SWEEP_INTERVAL: Duration = Duration::from_secs(60);
/// Longest wait for the database at start.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

impl SurrealStorage {
    /// Connects to (or opens) the database `config` names and brings its schema up to date.
    pub async fn connect(config: SurrealConfig) -> Result<Self> {
        let url = config.url.clone().unwrap_or_else(|| DEFAULT_URL.to_owned());
        let unusable = |why: String| Error::Config {
            variable: "MCP_OAUTH_STORAGE_URL".into(),
            got: url.clone(),
            expected: format!(
                "surrealkv://PATH, mem:// or ws://HOST:PORT of a reachable SurrealDB ({why})"
            ),
        };
        let embedded_path = url.strip_prefix("surrealkv://");
        if let Some(path) = embedded_path {
            std::fs::create_dir_all(path)
                .map_err(|e| unusable(format!("cannot create {path}: {e}")))?;
        } else if url.starts_with("wss://") {
            // TLS to SurrealDB would need the driver's own TLS stack (a second one, with a C
            // crypto library); reach the server over a private network or a TLS tunnel instead.
            return Err(unusable(
                "wss:// is not built in: use ws:// on a private network or through a TLS tunnel"
                    .into(),
            ));
        } else if !(url.starts_with("mem://") || url.starts_with("ws://")) {
            return Err(unusable("an unknown scheme".into()));
        }
        let db = tokio::time::timeout(
            CONNECT_TIMEOUT,
            surrealdb::engine::any::connect(url.as_str()),
        )
        .await
        .map_err(|_| unusable("no answer within 10 s".into()))?
        .map_err(|e| unusable(e.to_string()))?;
        if let (Some(username), Some(password)) = (config.user.clone(), config.pass.clone()) {
            db.signin(Root { username, password })
                .await
                .map_err(|e| Error::Config {
                    variable: "MCP_SURREALDB_USER".into(),
                    got: config.user.clone().unwrap_or_default(),
                    expected: format!(
                        "a root user of the SurrealDB server with MCP_SURREALDB_PASS ({e})"
                    ),
                })?;
        }
        let namespace = config.namespace.clone().unwrap_or_else(|| "mcp".into());
        let database = config.database.clone().unwrap_or_else(|| "memory".into());
        db.use_ns(namespace)
            .use_db(database)
            .await
            .map_err(|e| unusable(e.to_string()))?;
        let storage = Self { db };
        storage.migrate().await.map_err(|e| match e {
            Error::Config { .. } => e,
            other => unusable(other.to_string()),
        })?;
        Ok(storage)
    }

    /// Applies the schema; refuses a database written by a newer version.
    async fn migrate(&self) -> Result<()> {
        let found = self
            .rows("DEFINE TABLE IF NOT EXISTS schema_meta SCHEMALESS; SELECT VALUE version FROM schema_meta:current;", Vec::new(), 1)
            .await?;
        let stored = found
            .first()
            .and_then(serde_json::Value::as_i64)
            .unwrap_or(0);
        if stored > schema::VERSION {
            return Err(Error::Config {
                variable: "MCP_OAUTH_STORAGE_URL".into(),
                got: format!("a database of schema version {stored}"),
                expected: format!(
                    "schema version {} or older: upgrade this binary",
                    schema::VERSION
                ),
            });
        }
        // Each step is idempotent, so every start applies them all: an older database is upgraded.
        for step in [schema::V1, schema::V2, schema::V3, schema::V4, schema::V5] {
            self.run(step, Vec::new()).await?;
        }
        self.run(
            "UPSERT schema_meta:current SET version = $version RETURN NONE;",
            vec![("version", json!(schema::VERSION))],
        )
        .await?;
        Ok(())
    }

    /// Runs SurrealQL directly (maintenance and tests): the results of every statement.
    pub async fn execute(&self, sql: &str) -> Result<Vec<serde_json::Value>> {
        let mut response = self.run(sql, Vec::new()).await?;
        (0..response.num_statements())
            .map(|index| {
                response
                    .take::<Vec<serde_json::Value>>(index)
                    .map(serde_json::Value::Array)
                    .map_err(|e| Error::from(error::SurrealError::from(e)))
            })
            .collect()
    }

    /// Deletes expired codes and refresh tokens (they are never returned anyway).
    pub async fn sweep(&self, now: i64) -> Result<()> {
        self.run(
            "DELETE oauth_code WHERE expires_at <= $now RETURN NONE;
             DELETE oauth_refresh WHERE expires_at <= $now RETURN NONE;
                          DELETE oauth_revoked WHERE expires_at <= $now RETURN NONE;
             DELETE oauth_code_use WHERE expires_at <= $now RETURN NONE;",
            vec![("now", json!(now))],
        )
        .await?;
        Ok(())
    }
}

fn open(settings: PluginSettings) -> BoxFuture<Result<Arc<dyn Storage>>> {
    Box::pin(async move {
        let config: SurrealConfig = settings.parse()?;
        let storage = Arc::new(SurrealStorage::connect(config).await?);
        // The sweeper holds the storage weakly: when the server drops it, the database closes (and
        // an embedded directory is released) and the sweeper ends.
        let sweeper = Arc::downgrade(&storage);
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(SWEEP_INTERVAL);
            loop {
                interval.tick().await;
                let Some(storage) = sweeper.upgrade() else {
                    break;
                };
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_secs() as i64)
                    .unwrap_or(0);
                if let Err(error) = storage.sweep(now).await {
                    tracing::warn!(%error, "sweeping expired grants failed");
                }
            }
        });
        Ok(storage as Arc<dyn Storage>)
    })
}

mcp_oauth_core::inventory::submit! {
    StoragePlugin {
        name: NAME,
        summary: "SurrealDB: embedded on disk (surrealkv://, the default), in memory (mem://) or a shared server (ws://)",
        config_schema: || mcp_oauth_core::schemars::schema_for!(SurrealConfig),
        open,
    }
}
