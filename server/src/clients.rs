//! `memory clients prune`: removes the registered clients that never completed a grant within
//! `MCP_OAUTH_UNUSED_CLIENT_TTL`, now, on the configured storage (a running server does it at start
//! and every ten minutes).

use mcp_oauth_core::engine::prune_unused_clients;
use mcp_oauth_core::{Error, PluginSettings, UnixTime};

use crate::app::open_persistent_storage;
use crate::config::Settings;

/// Prunes the storage the settings name; the line to print, with its newline.
pub async fn prune(
    settings: &Settings,
    plugin_settings: PluginSettings,
    now: UnixTime,
) -> Result<String, Error> {
    let storage = open_persistent_storage(
        settings,
        &plugin_settings,
        "a running server prunes it itself",
    )
    .await?;
    let removed =
        prune_unused_clients(storage.as_ref(), settings.oauth_unused_client_ttl, now).await?;
    Ok(format!(
        "removed {removed} client registration{} unused for {} s\n",
        if removed == 1 { "" } else { "s" },
        settings.oauth_unused_client_ttl
    ))
}
