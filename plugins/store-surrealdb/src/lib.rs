#![doc = include_str!("../README.md")]

mod config;
mod error;
mod local;
mod schema;
mod store;

pub use config::SurrealConfig;
pub use store::SurrealStorage;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mcp_oauth_core::registry::{BoxFuture, StoragePlugin};
use mcp_oauth_core::{Error, PluginSettings, Result, Storage};
use serde_json::json;
use surrealdb::Surreal;
use surrealdb::engine::any::Any;
use surrealdb::opt::auth::Root;

/// The name deployers choose this plugin by.
pub const NAME: &str = "surrealdb";
/// How often expired codes and refresh tokens are deleted.
const SWEEP_INTERVAL: Duration = Duration::from_secs(60);
/// What surrealkv says when another process holds an embedded database.
const LOCKED: &str = "already locked";
/// What the operator is told then.
const IN_USE: &str = "is in use by a running server: stop it or use the HTTP endpoint";
/// Pause between attempts to reach a SurrealDB server that is not up yet.
const CONNECT_RETRY: Duration = Duration::from_millis(500);

impl SurrealStorage {
    /// Connects to (or opens) the database `config` names and brings its schema up to date.
    pub async fn connect(config: SurrealConfig) -> Result<Self> {
        let Some(url) = config.url.clone() else {
            return Err(Error::Config {
                variable: "MCP_OAUTH_STORAGE_URL".into(),
                got: "unset".into(),
                expected: "surrealkv://PATH, mem:// or ws://HOST:PORT".into(),
            });
        };
        let unusable = |why: String| Error::Config {
            variable: "MCP_OAUTH_STORAGE_URL".into(),
            got: url.clone(),
            expected: format!(
                "surrealkv://PATH, mem:// or ws://HOST:PORT of a reachable SurrealDB ({why})"
            ),
        };
        if let Some(path) = config.embedded_path() {
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
        let db = connect_patiently(&url, config.connect_timeout()?)
            .await
            .map_err(|why| match config.embedded_path() {
                Some(path) if why.contains(LOCKED) => {
                    Error::storage(format!("the database at {path} {IN_USE}"))
                }
                _ => unusable(why),
            })?;
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
        let on_disk = config.embedded_path().is_some();
        let in_flight = on_disk.then(|| {
            std::sync::Arc::new(tokio::sync::Semaphore::new(
                store::EMBEDDED_QUERIES_IN_FLIGHT,
            ))
        });
        // One process holds an embedded database: it may keep codes and listed pages itself.
        let local = (on_disk || url.starts_with("mem://"))
            .then(|| std::sync::Arc::new(local::Local::default()));
        let storage = Self {
            db,
            in_flight,
            local,
        };
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
        for step in [
            schema::V1,
            schema::V2,
            schema::V3,
            schema::V4,
            schema::V5,
            schema::V6,
        ] {
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

    /// Deletes expired codes and refresh tokens (they are never returned anyway), and audit
    /// events past their retention.
    pub async fn sweep(&self, now: i64) -> Result<()> {
        self.run(
            "DELETE oauth_code WHERE expires_at <= $now RETURN NONE;
             DELETE oauth_refresh WHERE expires_at <= $now RETURN NONE;
                          DELETE oauth_revoked WHERE expires_at <= $now RETURN NONE;
             DELETE oauth_code_use WHERE expires_at <= $now RETURN NONE;
             DELETE oauth_audit WHERE at < $audit_before RETURN NONE;",
            vec![
                ("now", json!(now)),
                (
                    "audit_before",
                    json!(now - mcp_oauth_core::model::AUDIT_RETENTION),
                ),
            ],
        )
        .await?;
        Ok(())
    }
}

/// Opens `url`. A SurrealDB server (`ws://`) that refuses or does not answer is tried again
/// until `patience` has passed, since a compose file or a service manager may start it at the
/// same time as this server; the embedded engines answer at once or never.
async fn connect_patiently(
    url: &str,
    patience: Duration,
) -> std::result::Result<Surreal<Any>, String> {
    let deadline = tokio::time::Instant::now() + patience;
    let mut waiting = false;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let attempt = tokio::time::timeout(
            left.max(CONNECT_RETRY),
            surrealdb::engine::any::connect(url),
        );
        let error = match attempt.await {
            Ok(Ok(db)) => return Ok(db),
            Ok(Err(error)) => error.to_string(),
            Err(_) => "no answer".to_owned(),
        };
        let retry =
            url.starts_with("ws://") && tokio::time::Instant::now() + CONNECT_RETRY < deadline;
        if !retry {
            return Err(format!("{error}, after waiting {} s", patience.as_secs()));
        }
        if !waiting {
            tracing::warn!(target: "storage", url, %error, "the SurrealDB server is not answering yet; trying again for up to {} s", patience.as_secs());
            waiting = true;
        }
        tokio::time::sleep(CONNECT_RETRY).await;
    }
}

fn open(settings: PluginSettings) -> BoxFuture<Result<Arc<dyn Storage>>> {
    Box::pin(async move {
        let config = SurrealConfig::from_settings(&settings)?;
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
