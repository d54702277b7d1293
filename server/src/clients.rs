//! `memory clients list|show|revoke|prune`: the client registrations in the configured storage,
//! beside a running server (which picks a removal up as it does a deletion through RFC 7592).

use mcp_oauth_core::engine::{delete_stored_client, prune_unused_clients};
use mcp_oauth_core::model::{AuditEvent, AuditKind, Client, ClientId};
use mcp_oauth_core::{Error, PluginSettings, UnixTime};

use crate::app::{Existing, open_persistent_storage, setting};
use crate::config::{ClientsCommand, HygieneSettings, SignerSettings, StorageSettings};

/// What `memory clients` reads: where the data lives, how long access tokens live (how long a
/// removed client's tokens stay listed as revoked) and the unused-client lifetime (`prune`).
pub struct ClientsSettings<'a> {
    /// Where the data lives.
    pub storage: &'a StorageSettings,
    /// The access-token lifetime.
    pub signer: &'a SignerSettings,
    /// The unused-client lifetime.
    pub hygiene: &'a HygieneSettings,
}

/// Runs `command` on the storage the settings name; the lines to print.
pub async fn run(
    command: ClientsCommand,
    settings: ClientsSettings<'_>,
    plugin_settings: PluginSettings,
    now: UnixTime,
) -> Result<String, Error> {
    let storage = open_persistent_storage(
        settings.storage,
        &plugin_settings,
        "use /oauth/register/{client_id} (RFC 7592) on the running server",
        Existing::Required,
    )
    .await?;
    match command {
        ClientsCommand::List => {
            let mut clients = storage.clients().await?;
            clients.sort_by_key(|client| std::cmp::Reverse(client.issued_at));
            Ok(listing(&clients, now))
        }
        ClientsCommand::Show { client_id } => {
            let client = storage
                .client(&ClientId::new(client_id.as_str()))
                .await?
                .ok_or_else(|| unknown(&client_id))?;
            Ok(format!("{}\n", shown(&client)))
        }
        ClientsCommand::Revoke { client_id } => {
            let ttl = settings.signer.access_token_expire_minutes * 60;
            let id = ClientId::new(client_id.as_str());
            if delete_stored_client(storage.as_ref(), &id, now, ttl).await? {
                let event = AuditEvent::new(AuditKind::ClientDeleted, now)
                    .client(client_id.as_str())
                    .detail("memory clients revoke");
                storage.append_audit(&[event]).await?;
                Ok(format!(
                    "removed client {client_id}: its tokens stop working\n"
                ))
            } else {
                Err(unknown(&client_id))
            }
        }
        ClientsCommand::Prune => {
            let ttl = settings.hygiene.oauth_unused_client_ttl;
            let removed = prune_unused_clients(storage.as_ref(), ttl, now).await?;
            Ok(format!(
                "removed {removed} client registration{} unused for {ttl} s\n",
                if removed == 1 { "" } else { "s" },
            ))
        }
    }
}

fn unknown(client_id: &str) -> Error {
    setting(
        "CLIENT_ID",
        client_id,
        "a registered client (memory clients list)",
    )
}

/// One line per client: id, name, authentication, redirect URIs, age, last use.
fn listing(clients: &[Client], now: UnixTime) -> String {
    if clients.is_empty() {
        return "no registered clients\n".into();
    }
    let mut out = String::from("client_id\tname\tauth\tredirect_uris\tregistered\tlast used\n");
    for client in clients {
        let redirects: Vec<_> = client
            .redirect_uris
            .iter()
            .map(|uri| uri.as_str())
            .collect();
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{} ago\t{}\n",
            client.client_id,
            client.profile.client_name.as_deref().unwrap_or("-"),
            client.auth_method.as_str(),
            redirects.join(" "),
            crate::keys::age(now - client.issued_at),
            client.used_at.map_or_else(
                || "never".to_owned(),
                |at| format!("{} ago", crate::keys::age(now - at))
            ),
        ));
    }
    out
}

/// The registration as JSON, its secret and registration token hashes replaced by whether it
/// has them.
fn shown(client: &Client) -> String {
    let mut value = serde_json::to_value(client).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        object.remove("secret_hash");
        object.remove("registration_token_hash");
        object.insert("has_secret".into(), client.secret_hash.is_some().into());
        object.insert(
            "has_registration_token".into(),
            client.registration_token_hash.is_some().into(),
        );
    }
    serde_json::to_string_pretty(&value).unwrap_or_default()
}
