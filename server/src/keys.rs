//! `memory keys list` and `memory keys rotate`: the signer's key ring in the configured storage.
//!
//! They open the storage themselves, so they work on a persistent storage the server shares (a
//! SurrealDB server; an embedded database only while no server holds it). A running server picks a
//! rotation up within 30 seconds. The in-process `memory` storage exists only inside the server:
//! rotate that server with `POST /oauth/keys/rotate` (admin) instead.

use mcp_oauth_core::keyring::KeyRing;
use mcp_oauth_core::model::{AuditEvent, AuditKind};
use mcp_oauth_core::{Error, PluginSettings, UnixTime};

use crate::app::{Existing, open_persistent_storage, start_signing};
use crate::config::{KeysCommand, SignerSettings, StorageSettings};

/// Runs `action` on the ring of the configured signer; the listing to print.
pub async fn run(
    action: KeysCommand,
    (storage, signer): (&StorageSettings, &SignerSettings),
    plugin_settings: PluginSettings,
    now: UnixTime,
) -> Result<String, Error> {
    let storage = open_persistent_storage(
        storage,
        &plugin_settings,
        "rotate a running server with POST /oauth/keys/rotate (admin)",
        Existing::Required,
    )
    .await?;
    let signing = start_signing(signer, plugin_settings, storage.clone(), now).await?;
    let ring = match action {
        KeysCommand::Rotate => {
            let ring = signing.rotate(now).await?;
            let kid = ring
                .current()
                .map(|key| key.kid.as_str())
                .unwrap_or_default();
            let event = AuditEvent::new(AuditKind::KeyRotated, now)
                .detail(format!("{} {kid}, by memory keys rotate", signing.name()));
            storage.append_audit(&[event]).await?;
            ring
        }
        KeysCommand::List => signing.ring(),
    };
    Ok(listing(signing.name(), &ring, now))
}

/// A table of the ring: id, algorithm, age, state. Never key material.
pub fn listing(signer: &str, ring: &KeyRing, now: UnixTime) -> String {
    let mut out = format!(
        "signer {signer}\n{:<52} {:<10} {:>10}  state\n",
        "kid", "algorithm", "age"
    );
    let last = ring.keys.len().saturating_sub(1);
    for (index, key) in ring.keys.iter().enumerate() {
        let state = match key.retired_at {
            _ if index == last => "current".to_owned(),
            Some(retired) => format!("retired {} ago, verifies only", age(now - retired)),
            None => "verifies only".to_owned(),
        };
        out.push_str(&format!(
            "{:<52} {:<10} {:>10}  {state}\n",
            key.kid,
            key.algorithm,
            age(now - key.created_at)
        ));
    }
    out
}

/// A duration in seconds, short: `90s`, `12m`, `5h`, `3d`.
pub(crate) fn age(seconds: i64) -> String {
    match seconds {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use mcp_oauth_core::keyring::SigningKey;

    use super::*;

    #[test]
    fn the_listing_shows_ids_algorithms_ages_and_never_material() {
        let mut ring = KeyRing {
            keys: vec![SigningKey::new(
                "kid-one".into(),
                "EdDSA",
                b"SECRET-MATERIAL",
                0,
            )],
        };
        ring.rotate(
            SigningKey::new("kid-two".into(), "EdDSA", b"SECRET-MATERIAL", 3_000),
            3_000,
            3_600,
        );
        let text = listing("eddsa", &ring, 3_060);
        assert!(
            text.contains("kid-one") && text.contains("51m") && text.contains("retired 60s ago"),
            "{text}"
        );
        assert!(
            text.contains("kid-two") && text.contains("current"),
            "{text}"
        );
        assert!(
            !text.contains("U0VDUkVU") && !text.contains("SECRET"),
            "{text}"
        );
    }
}
