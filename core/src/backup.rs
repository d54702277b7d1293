//! Backups of a deployment (`memory backup FILE`, `memory restore FILE`): every record a
//! deployment must keep, read and written through the storage roles, so that one format serves
//! every backend and carries a deployment from one to another (an embedded database to a
//! SurrealDB server, say).
//!
//! A backup is JSON Lines: a [`Header`], then one [`Record`] a line. It holds the signing keys
//! and the hashes of client secrets and refresh tokens: it is as secret as the database.
//!
//! Left out, on purpose: authorization codes and the one-time identifiers of client assertions
//! (they live minutes: a sign-in in flight starts again) and what codes were exchanged for (a
//! code replayed after a restore finds no code and fails anyway).

use std::collections::BTreeMap;
use std::fmt;
use std::io::BufRead;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::clock::UnixTime;
use crate::error::{Error, Result};
use crate::model::{Account, AuditEvent, Client, Consent, Memory, MemoryQuery, RefreshToken};
use crate::store::Storage;

/// The `format` of every backup's header.
pub const FORMAT: &str = "mcp-oauth-backup";
/// The version of the format this build writes and reads.
pub const VERSION: u32 = 1;
/// Memories read per storage call while exporting.
const MEMORY_PAGE: usize = 500;
/// Audit events written per storage call while importing.
const AUDIT_BATCH: usize = 1_000;
/// Most audit events one export reads (the trail is kept 90 days).
const AUDIT_LIMIT: usize = 10_000_000;

/// The first line of a backup.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Always [`FORMAT`].
    pub format: String,
    /// The format version, [`VERSION`] when written by this build.
    pub version: u32,
    /// When the backup was taken.
    pub created_at: UnixTime,
}

impl Header {
    /// The header of a backup taken at `now`.
    pub fn new(now: UnixTime) -> Self {
        Self {
            format: FORMAT.into(),
            version: VERSION,
            created_at: now,
        }
    }
}

/// One kept record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "record", rename_all = "snake_case")]
pub enum Record {
    /// Named key material (the signer's key ring).
    Key {
        /// Its name.
        name: String,
        /// Its value, base64.
        #[serde(with = "base64_bytes")]
        value: Vec<u8>,
    },
    /// A registered client.
    Client(Box<Client>),
    /// A local account.
    Account(Account),
    /// A person's consent to a client.
    Consent(Consent),
    /// A refresh token in whatever state (a rotated one still catches a replay).
    RefreshToken(RefreshToken),
    /// A revoked access token, until it expires.
    AccessRevocation {
        /// The token's id.
        jti: String,
        /// When the token expires.
        expires_at: UnixTime,
    },
    /// A memory.
    Memory(Box<Memory>),
    /// An audit event.
    Audit(AuditEvent),
}

impl Record {
    /// The record's kind, as the summaries name it: one, and several.
    fn kind(&self) -> (&'static str, &'static str) {
        match self {
            Self::Key { .. } => ("key", "keys"),
            Self::Client(_) => ("client", "clients"),
            Self::Account(_) => ("account", "accounts"),
            Self::Consent(_) => ("consent", "consents"),
            Self::RefreshToken(_) => ("refresh token", "refresh tokens"),
            Self::AccessRevocation { .. } => {
                ("access-token revocation", "access-token revocations")
            }
            Self::Memory(_) => ("memory", "memories"),
            Self::Audit(_) => ("audit event", "audit events"),
        }
    }
}

/// How many records of each kind a backup or a storage holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary(BTreeMap<(&'static str, &'static str), usize>);

impl Summary {
    /// Counts `record`.
    fn count(&mut self, record: &Record) {
        *self.0.entry(record.kind()).or_default() += 1;
    }

    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("nothing");
        }
        let parts: Vec<_> = self
            .0
            .iter()
            .map(|((one, several), count)| {
                format!("{count} {}", if *count == 1 { one } else { several })
            })
            .collect();
        f.write_str(&parts.join(", "))
    }
}

/// Reads every kept record of `storage` at `now`, handing each to `emit` as it is read
/// (memories a page at a time, so a large service is never held in memory at once).
pub async fn export(
    storage: &dyn Storage,
    now: UnixTime,
    mut emit: impl FnMut(&Record) -> Result<()>,
) -> Result<Summary> {
    let mut summary = Summary::default();
    let mut put = |record: Record| {
        summary.count(&record);
        emit(&record)
    };
    for (name, value) in storage.keys().await? {
        put(Record::Key { name, value })?;
    }
    for client in storage.clients().await? {
        put(Record::Client(Box::new(client)))?;
    }
    for account in storage.accounts().await? {
        put(Record::Account(account))?;
    }
    for consent in storage.consents(None).await? {
        put(Record::Consent(consent))?;
    }
    for token in storage.refresh_tokens(now).await? {
        put(Record::RefreshToken(token))?;
    }
    for (jti, expires_at) in storage.access_revocations(now).await? {
        put(Record::AccessRevocation { jti, expires_at })?;
    }
    let mut offset = 0;
    loop {
        let query = MemoryQuery {
            offset,
            limit: MEMORY_PAGE,
            ..MemoryQuery::default()
        };
        let page = storage.list_memories(&query).await?.memories;
        offset += page.len();
        let last = page.len() < MEMORY_PAGE;
        for memory in page {
            put(Record::Memory(Box::new(memory)))?;
        }
        if last {
            break;
        }
    }
    for event in storage.audit_since(0, AUDIT_LIMIT).await? {
        put(Record::Audit(event))?;
    }
    Ok(summary)
}

/// What `storage` holds at `now`, by kind.
pub async fn contents(storage: &dyn Storage, now: UnixTime) -> Result<Summary> {
    export(storage, now, |_| Ok(())).await
}

/// A backup that cannot be read: the line and what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct Unreadable {
    /// The line, from 1.
    pub line: usize,
    /// What is wrong.
    pub problem: String,
}

/// Parses a whole backup (header and records) before anything is written, so that a damaged or
/// foreign file is refused with nothing restored.
pub fn read(input: impl BufRead) -> std::result::Result<(Header, Vec<Record>), Unreadable> {
    let mut lines = input.lines().enumerate();
    let unreadable = |line: usize, problem: String| Unreadable {
        line: line + 1,
        problem,
    };
    let header = match lines.next() {
        None => return Err(unreadable(0, "the file is empty".into())),
        Some((at, line)) => {
            let line = line.map_err(|e| unreadable(at, e.to_string()))?;
            let header: Header = serde_json::from_str(&line).map_err(|_| {
                unreadable(
                    at,
                    format!("not a backup: the first line is no {FORMAT} header"),
                )
            })?;
            if header.format != FORMAT {
                return Err(unreadable(
                    at,
                    format!("not a backup: format {:?}", header.format),
                ));
            }
            if header.version != VERSION {
                return Err(unreadable(
                    at,
                    format!(
                        "format version {} (this build reads version {VERSION})",
                        header.version
                    ),
                ));
            }
            header
        }
    };
    let mut records = Vec::new();
    for (at, line) in lines {
        let line = line.map_err(|e| unreadable(at, e.to_string()))?;
        if line.trim().is_empty() {
            continue;
        }
        let record = serde_json::from_str(&line).map_err(|e| unreadable(at, e.to_string()))?;
        records.push(record);
    }
    Ok((header, records))
}

/// Writes `records` into `storage`, which must hold nothing at `now` (a restore merges nothing:
/// keys and registrations from two places would contradict each other). A storage fault part
/// way leaves what was written; the error says so.
pub async fn import(storage: &dyn Storage, records: &[Record], now: UnixTime) -> Result<Summary> {
    let present = contents(storage, now).await?;
    if !present.is_empty() {
        return Err(Error::Conflict(format!(
            "the storage is not empty ({present}): restore into a new data directory or database"
        )));
    }
    let mut summary = Summary::default();
    let mut audit = Vec::new();
    for record in records {
        let written = match record {
            Record::Key { name, value } => {
                let stored = storage.get_or_create_key(name, value).await?;
                if &stored != value {
                    return Err(Error::Conflict(format!(
                        "key {name} was created by someone else during the restore"
                    )));
                }
                Ok(())
            }
            Record::Client(client) => storage.insert_client(client).await,
            Record::Account(account) => storage.insert_account(account).await,
            Record::Consent(consent) => storage.put_consent(consent).await,
            Record::RefreshToken(token) => storage.put_refresh(token).await,
            Record::AccessRevocation { jti, expires_at } => {
                storage.revoke_access(jti, *expires_at).await
            }
            Record::Memory(memory) => storage.put_memory(memory).await.map(|_| ()),
            Record::Audit(event) => {
                audit.push(event.clone());
                if audit.len() == AUDIT_BATCH {
                    storage.append_audit(&std::mem::take(&mut audit)).await?;
                }
                Ok(())
            }
        };
        written.map_err(|error| partly(&summary, error))?;
        summary.count(record);
    }
    storage
        .append_audit(&audit)
        .await
        .map_err(|error| partly(&summary, error))?;
    Ok(summary)
}

/// `error`, saying what had been restored before it.
fn partly(restored: &Summary, error: Error) -> Error {
    Error::storage_caused(
        format!(
            "restoring stopped after {restored}; remove the partly restored storage and try again"
        ),
        error,
    )
}

/// Key bytes as base64 in JSON.
mod base64_bytes {
    use super::{Engine, STANDARD};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_foreign_or_damaged_file_is_refused_with_its_line() {
        let refused = |text: &str| read(text.as_bytes()).expect_err("refused").to_string();
        assert_eq!(refused(""), "line 1: the file is empty");
        assert!(refused("{\"hello\":1}\n").starts_with("line 1: not a backup"));
        assert!(
            refused("{\"format\":\"mcp-oauth-backup\",\"version\":9,\"created_at\":0}\n")
                .contains("format version 9")
        );
        let header = serde_json::to_string(&Header::new(5)).unwrap();
        let damaged = format!(
            "{header}\n{{\"kind\":\"key\",\"record\":{{\"name\":\"k\",\"value\":\"***\"}}}}\n"
        );
        assert!(refused(&damaged).starts_with("line 2: "));
    }

    #[test]
    fn records_survive_the_round_trip_through_text() {
        let key = Record::Key {
            name: "signer/hs256".into(),
            value: vec![0, 1, 254, 255],
        };
        let revoked = Record::AccessRevocation {
            jti: "j".into(),
            expires_at: 9,
        };
        let text = [
            serde_json::to_string(&Header::new(5)).unwrap(),
            serde_json::to_string(&key).unwrap(),
            String::new(),
            serde_json::to_string(&revoked).unwrap(),
        ]
        .join("\n");
        let (header, records) = read(text.as_bytes()).expect("read");
        assert_eq!(header, Header::new(5));
        assert_eq!(records, [key, revoked]);
    }
}
