//! The `memory` server: settings, plugin selection and the running HTTP server. The binary in
//! `main.rs` is a thin shell over this library, which the end-to-end tests drive directly.

pub mod app;
pub mod audit;
pub mod backup;
pub mod clients;
pub mod config;
pub mod documents;
pub mod environment;
pub mod grants;
pub mod keys;
mod listener;
pub mod logging;
pub mod mcp;
mod plugins;
pub mod tls;
#[cfg(feature = "authn-local")]
pub mod users;

pub use app::App;
pub use config::{Cli, Command, ConfigAction, Settings};
pub use plugins::{DEFAULT_STORAGE, default_signer};
