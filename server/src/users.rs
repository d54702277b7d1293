//! `memory users add|list|passwd|remove`: the local accounts of the `local` authenticator, in
//! the configured storage. Passwords come from standard input and are stored as argon2id
//! hashes; nothing prints them.

use mcp_oauth_core::engine::revoke_stored_grant;
use mcp_oauth_core::model::Account;
use mcp_oauth_core::{Error, PluginSettings, UnixTime};

use crate::app::{Existing, open_persistent_storage, setting};
use crate::config::{StorageSettings, UsersCommand};

/// What a running server cannot do for this command.
const INSTEAD: &str = "accounts must outlive the process that makes them";

/// Runs `command` on the storage the settings name, with `password` (standard input's first
/// line) for `add` and `passwd`; the lines to print.
pub async fn run(
    command: UsersCommand,
    settings: &StorageSettings,
    plugin_settings: PluginSettings,
    password: impl FnOnce() -> Result<String, Error>,
    now: UnixTime,
) -> Result<String, Error> {
    // Accounts may be made before the server's first start; the rest needs its database.
    let existing = if matches!(command, UsersCommand::Add { .. }) {
        Existing::MayCreate
    } else {
        Existing::Required
    };
    let storage = open_persistent_storage(settings, &plugin_settings, INSTEAD, existing).await?;
    match command {
        UsersCommand::Add { name, role } => {
            Account::check_name(&name).map_err(|why| setting("NAME", &name, &why))?;
            let password_hash = hash(&password()?)?;
            let account = Account {
                name: name.clone(),
                role,
                password_hash,
                created_at: now,
            };
            match storage.insert_account(&account).await {
                Err(Error::Conflict(_)) => Err(setting(
                    "NAME",
                    &name,
                    "a name no account has (memory users passwd changes a password)",
                )),
                other => other.map(|()| format!("added {name} ({role})\n")),
            }
        }
        UsersCommand::List => {
            let accounts = storage.accounts().await?;
            if accounts.is_empty() {
                return Ok("no accounts: add one with memory users add NAME --role ROLE\n".into());
            }
            Ok(accounts
                .iter()
                .map(|account| {
                    format!(
                        "{}\t{}\tcreated {} ago\n",
                        account.name,
                        account.role,
                        crate::keys::age(now - account.created_at)
                    )
                })
                .collect())
        }
        UsersCommand::Passwd { name } => {
            let Some(mut account) = storage.account(&name).await? else {
                return Err(unknown(&name));
            };
            account.password_hash = hash(&password()?)?;
            storage.update_account(&account).await?;
            Ok(format!(
                "changed the password of {name}; their browser sessions ended\n"
            ))
        }
        UsersCommand::Remove { name } => {
            if !storage.delete_account(&name).await? {
                return Err(unknown(&name));
            }
            let mut revoked = 0;
            for grant in storage.consents(Some(&name)).await? {
                if revoke_stored_grant(storage.as_ref(), &name, &grant.client_id, now).await? {
                    revoked += 1;
                }
            }
            Ok(format!(
                "removed {name}; revoked {revoked} grant{}\n",
                if revoked == 1 { "" } else { "s" }
            ))
        }
    }
}

fn hash(password: &str) -> Result<String, Error> {
    mcp_oauth_authn_local::hash_password(password)
        .map_err(|why| setting("the password on standard input", "(hidden)", &why))
}

fn unknown(name: &str) -> Error {
    setting("NAME", name, "the name of an account (memory users list)")
}
