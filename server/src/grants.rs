//! `memory grants list|revoke`: what people approved for clients, in the configured storage.

use mcp_oauth_core::engine::revoke_stored_grant;
use mcp_oauth_core::model::{AuditEvent, AuditKind, ClientId};
use mcp_oauth_core::{Error, PluginSettings, UnixTime};

use crate::app::{Existing, open_persistent_storage, setting};
use crate::config::{GrantsCommand, StorageSettings};

/// Runs `command` on the storage the settings name; the lines to print.
pub async fn run(
    command: GrantsCommand,
    settings: &StorageSettings,
    plugin_settings: PluginSettings,
    now: UnixTime,
) -> Result<String, Error> {
    let storage = open_persistent_storage(
        settings,
        &plugin_settings,
        "use GET and DELETE /oauth/grants on the running server",
        Existing::Required,
    )
    .await?;
    match command {
        GrantsCommand::List { subject } => {
            let grants: Vec<_> = storage
                .consents(subject.as_deref())
                .await?
                .into_iter()
                .filter(|grant| grant.revoked_at.is_none())
                .collect();
            if grants.is_empty() {
                return Ok("no grants in force\n".into());
            }
            Ok(grants
                .iter()
                .map(|grant| {
                    format!(
                        "{}\t{}\t{}\tapproved {} ago\tlast used {} ago\n",
                        grant.subject,
                        grant.client_id,
                        grant.scope,
                        crate::keys::age(now - grant.granted_at),
                        crate::keys::age(now - grant.last_used_at)
                    )
                })
                .collect())
        }
        GrantsCommand::Revoke { subject, client_id } => {
            let client = ClientId::new(client_id.as_str());
            if revoke_stored_grant(storage.as_ref(), &subject, &client, now).await? {
                let event = AuditEvent::new(AuditKind::TokenRevoked, now)
                    .client(client_id.as_str())
                    .subject(subject.as_str())
                    .detail("grant, by memory grants revoke");
                storage.append_audit(&[event]).await?;
                Ok(format!("revoked the grant of {subject} to {client_id}\n"))
            } else {
                Err(setting(
                    "SUBJECT CLIENT_ID",
                    &format!("{subject} {client_id}"),
                    "a grant in force (memory grants list)",
                ))
            }
        }
    }
}
