//! `memory audit [--since 24h]`: the audit trail in the configured storage, oldest first, one
//! event a line (time, kind, client, person, detail).

use mcp_oauth_core::model::AuditEvent;
use mcp_oauth_core::{Error, PluginSettings, UnixTime};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::app::{Existing, open_persistent_storage};
use crate::config::StorageSettings;

/// Most events one listing prints.
pub const LIMIT: usize = 10_000;

/// The events of the last `since` seconds in the storage the settings name; the lines to print.
pub async fn run(
    since: i64,
    settings: &StorageSettings,
    plugin_settings: PluginSettings,
    now: UnixTime,
) -> Result<String, Error> {
    let storage = open_persistent_storage(
        settings,
        &plugin_settings,
        "the memory storage keeps its trail only while the server runs",
        Existing::Required,
    )
    .await?;
    let events = storage.audit_since(now - since, LIMIT).await?;
    if events.is_empty() {
        return Ok("no audit events in that time\n".into());
    }
    let mut out: String = events.iter().map(line).collect();
    if events.len() == LIMIT {
        out.push_str(&format!(
            "… the first {LIMIT} only: ask for a shorter time with --since\n"
        ));
    }
    Ok(out)
}

/// One event: `2026-12-03T07:40:00Z  token_issued  client=…  subject=…  detail`.
fn line(event: &AuditEvent) -> String {
    let mut line = format!("{}  {:<18}", timestamp(event.at), event.kind.as_str());
    if let Some(client) = &event.client_id {
        line.push_str(&format!("  client={client}"));
    }
    if let Some(subject) = &event.subject {
        line.push_str(&format!("  subject={subject}"));
    }
    if !event.detail.is_empty() {
        line.push_str(&format!("  {}", event.detail));
    }
    line.push('\n');
    line
}

/// `at` in RFC 3339, UTC (the seconds when out of range).
pub(crate) fn timestamp(at: UnixTime) -> String {
    OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(|at| at.format(&Rfc3339).ok())
        .unwrap_or_else(|| at.to_string())
}
