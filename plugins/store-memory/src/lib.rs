#![doc = include_str!("../README.md")]

mod config;
mod store;

pub use config::MemoryStoreConfig;
pub use store::InMemoryStorage;

use std::sync::Arc;

use mcp_oauth_core::registry::StoragePlugin;
use mcp_oauth_core::{PluginSettings, Storage};

/// The name deployers choose this plugin by.
pub const NAME: &str = "memory";

fn open(
    _settings: PluginSettings,
) -> mcp_oauth_core::registry::BoxFuture<mcp_oauth_core::Result<Arc<dyn Storage>>> {
    Box::pin(async { Ok(Arc::new(InMemoryStorage::default()) as Arc<dyn Storage>) })
}

mcp_oauth_core::inventory::submit! {
    StoragePlugin {
        name: NAME,
        summary: "In-process memory: fast, nothing survives a restart, not shared by replicas",
        config_schema: || mcp_oauth_core::schemars::schema_for!(MemoryStoreConfig),
        open,
    }
}
