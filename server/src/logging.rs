//! Where the server's log goes and how it is written: `MCP_LOG_FORMAT` (`text` for people,
//! `json` for a log pipeline, one object a line) and `MCP_LOG_FILE` (appended to instead of
//! standard error). `RUST_LOG` chooses the levels.

use std::fs::File;
use std::path::Path;
use std::sync::Mutex;

use clap::ValueEnum;
use mcp_oauth_core::Error;
use schemars::JsonSchema;
use tracing_subscriber::EnvFilter;

/// How each log line is written (`MCP_LOG_FORMAT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, JsonSchema)]
#[schemars(rename_all = "lowercase")]
pub enum LogFormat {
    /// One readable line per event (default).
    Text,
    /// One JSON object per event: `timestamp`, `level`, `target`, the event's fields at the top
    /// level and the request's `id` under `span`.
    Json,
}

/// The levels when `RUST_LOG` is unset: the server at INFO, the libraries' chatter at WARN.
const DEFAULT_LEVELS: &str = "info,rmcp=warn,surrealdb=warn,surrealkv=warn";

/// Installs the log for the process. A log file that cannot be opened for appending stops the
/// start with one line naming `MCP_LOG_FILE`.
pub fn init(format: LogFormat, file: Option<&Path>) -> Result<(), Error> {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LEVELS));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match (format, file) {
        (LogFormat::Text, None) => builder
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        (LogFormat::Json, None) => builder
            .json()
            .flatten_event(true)
            .with_writer(std::io::stderr)
            .init(),
        (LogFormat::Text, Some(path)) => builder
            .with_ansi(false)
            .with_writer(Mutex::new(open_for_append(path)?))
            .init(),
        (LogFormat::Json, Some(path)) => builder
            .json()
            .flatten_event(true)
            .with_writer(Mutex::new(open_for_append(path)?))
            .init(),
    }
    Ok(())
}

/// Opens (or creates) the log file for appending; its directory must exist.
fn open_for_append(path: &Path) -> Result<File, Error> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|error| Error::Config {
            variable: "MCP_LOG_FILE".into(),
            got: path.display().to_string(),
            expected: format!("a file this user may append to, in an existing directory ({error})"),
        })
}
