//! Every storage role on SurrealDB. Records are keyed by their identity (`type::record(table, key)`),
//! so lookups are point reads; one-shot operations are single statements or transactions.

use std::future::Future;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use mcp_oauth_core::model::{
    Account, AuditEvent, AuthorizationCode, Client, ClientId, CodeUse, Consent, Memory, MemoryPage,
    MemoryQuery, RefreshToken, ScoredMemory, TagCount,
};
use mcp_oauth_core::secret::SecretHash;
use mcp_oauth_core::{
    AccountStore, AuditStore, ClientStore, ConsentStore, Error, GrantStore, KeyStore, MemoryStore,
    Result, TokenStore, UnixTime, async_trait,
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use surrealdb::Surreal;
use surrealdb::engine::any::Any;

use crate::error::SurrealError;
use crate::local::Local;

/// Longest wait for one query.
const QUERY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// How often a transaction that lost a race is retried.
const ATTEMPTS: usize = 8;

/// Most queries in flight at once on an embedded surrealkv database. SurrealKV groups the disk
/// syncs of concurrent commits, but once 12 commits wait (its `wait_threshold`, not settable
/// through the SDK) it holds the batch up to 5 ms for more: at 32 connections every commit
/// waited that long, and the server sat idle. Below the threshold each batch syncs at once
/// (about 0.1 ms here), and the commits that arrive meanwhile form the next batch.
pub(crate) const EMBEDDED_QUERIES_IN_FLIGHT: usize = 8;

/// Every storage role on one SurrealDB connection.
#[derive(Clone)]
pub struct SurrealStorage {
    pub(crate) db: Surreal<Any>,
    /// On an embedded database, the permits for queries in flight (see
    /// [`EMBEDDED_QUERIES_IN_FLIGHT`]).
    pub(crate) in_flight: Option<std::sync::Arc<tokio::sync::Semaphore>>,
    /// On an embedded database, what its one process keeps to itself (see [`Local`]).
    pub(crate) local: Option<std::sync::Arc<Local>>,
}

type Vars = Vec<(&'static str, Value)>;

impl SurrealStorage {
    /// Runs `sql`; the first statement error is the error.
    pub(crate) async fn run(
        &self,
        sql: &str,
        vars: Vars,
    ) -> Result<surrealdb::IndexedResults, SurrealError> {
        // The semaphore is never closed: a permit always comes.
        let _permit = match &self.in_flight {
            Some(permits) => permits.acquire().await.ok(),
            None => None,
        };
        let mut query = self.db.query(sql);
        for (name, value) in vars {
            query = query.bind((name, value));
        }
        // A lost server connection makes queries wait for the reconnection: answer 503 instead.
        let mut response = tokio::time::timeout(QUERY_TIMEOUT, query)
            .await
            .map_err(|_| SurrealError::TimedOut(QUERY_TIMEOUT))??;
        if let Some(error) = response.take_errors().into_values().next() {
            return Err(error.into());
        }
        Ok(response)
    }

    /// Runs `sql` and returns the rows of statement `index`.
    pub(crate) async fn rows(
        &self,
        sql: &str,
        vars: Vars,
        index: usize,
    ) -> Result<Vec<Value>, SurrealError> {
        Ok(self.run(sql, vars).await?.take::<Vec<Value>>(index)?)
    }

    /// Runs `attempt` again while it loses races with other writers: every write that
    /// concurrent requests may make to the same record goes through here (parallel first
    /// authorizations of one client by one person all write its consent, for one).
    async fn retrying<T, F, Fut>(&self, attempt: F) -> Result<T, SurrealError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, SurrealError>>,
    {
        let mut outcome = attempt().await;
        for _ in 1..ATTEMPTS {
            match outcome {
                Err(SurrealError::Conflict(_)) => outcome = attempt().await,
                done => return done,
            }
        }
        outcome
    }
}

/// A stored row as a model value; a row that does not read is an error for that row only.
fn decode<T: DeserializeOwned>(what: &'static str, row: Value) -> Result<T, SurrealError> {
    serde_json::from_value(row).map_err(|cause| SurrealError::Unreadable { what, cause })
}

fn encode<T: serde::Serialize>(value: &T) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| Error::storage_caused("encoding a record", e))
}

#[async_trait]
impl ClientStore for SurrealStorage {
    async fn insert_client(&self, client: &Client) -> Result<()> {
        let vars = vec![
            ("key", json!(client.client_id.as_str())),
            ("doc", encode(client)?),
        ];
        match self
            .rows(
                "CREATE type::record('oauth_client', $key) SET doc = $doc RETURN NONE;",
                vars,
                0,
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(SurrealError::Exists(_)) => {
                Err(Error::Conflict(format!("client {}", client.client_id)))
            }
            Err(other) => Err(other.into()),
        }
    }

    async fn client(&self, id: &ClientId) -> Result<Option<Client>> {
        if !is_record_key(id.as_str()) {
            return Ok(None);
        }
        let rows = self
            .rows(
                "SELECT VALUE doc FROM type::record('oauth_client', $key);",
                vec![("key", json!(id.as_str()))],
                0,
            )
            .await?;
        rows.into_iter()
            .next()
            .map(|row| decode("client", row))
            .transpose()
            .map_err(Into::into)
    }

    async fn update_client(&self, client: &Client) -> Result<bool> {
        if !is_record_key(client.client_id.as_str()) {
            return Ok(false);
        }
        let vars = vec![
            ("key", json!(client.client_id.as_str())),
            ("doc", encode(client)?),
        ];
        // UPDATE on a record id changes an existing record and creates none.
        let rows = self
            .retrying(|| {
                self.rows(
                    "UPDATE type::record('oauth_client', $key) SET doc = $doc RETURN BEFORE;",
                    vars.clone(),
                    0,
                )
            })
            .await?;
        Ok(!rows.is_empty())
    }

    async fn clients(&self) -> Result<Vec<Client>> {
        let rows = self
            .rows("SELECT VALUE doc FROM oauth_client;", Vec::new(), 0)
            .await?;
        let mut clients = rows
            .into_iter()
            .map(|row| decode::<Client>("client", row))
            .collect::<Result<Vec<_>, _>>()?;
        clients.sort_by(|a, b| {
            (a.issued_at, a.client_id.as_str()).cmp(&(b.issued_at, b.client_id.as_str()))
        });
        Ok(clients)
    }

    async fn delete_unused_clients(&self, registered_before: UnixTime) -> Result<usize> {
        let rows = self
            .rows(
                "DELETE oauth_client WHERE (doc.used_at = NONE OR doc.used_at = NULL)
                   AND doc.registration_token_hash != NONE AND doc.registration_token_hash != NULL
                   AND doc.issued_at < $cutoff RETURN BEFORE;",
                vec![("cutoff", json!(registered_before))],
                0,
            )
            .await?;
        Ok(rows.len())
    }

    async fn delete_client(&self, id: &ClientId) -> Result<bool> {
        if !is_record_key(id.as_str()) {
            return Ok(false);
        }
        let rows = self
            .rows(
                "DELETE type::record('oauth_client', $key) RETURN BEFORE;",
                vec![("key", json!(id.as_str()))],
                0,
            )
            .await?;
        Ok(!rows.is_empty())
    }
}

#[async_trait]
impl GrantStore for SurrealStorage {
    async fn put_code(&self, code: &AuthorizationCode) -> Result<()> {
        if let Some(local) = &self.local {
            local.put_code(code);
            return Ok(());
        }
        let vars = vec![
            ("key", json!(code.code_hash.as_str())),
            ("doc", encode(code)?),
            ("expires", json!(code.expires_at)),
        ];
        self.rows("CREATE type::record('oauth_code', $key) SET doc = $doc, expires_at = $expires RETURN NONE;", vars, 0).await?;
        Ok(())
    }

    async fn record_code_use(&self, record: &CodeUse) -> Result<()> {
        if let Some(local) = &self.local {
            local.record_code_use(record);
            return Ok(());
        }
        let vars = vec![
            ("key", json!(record.code_hash.as_str())),
            ("doc", encode(record)?),
            ("expires", json!(record.expires_at)),
        ];
        self.rows("UPSERT type::record('oauth_code_use', $key) SET doc = $doc, expires_at = $expires RETURN NONE;", vars, 0)
            .await?;
        Ok(())
    }

    async fn code_use(&self, hash: &SecretHash, now: UnixTime) -> Result<Option<CodeUse>> {
        if let Some(local) = &self.local {
            return Ok(local.code_use(hash, now));
        }
        let rows = self
            .rows(
                "SELECT VALUE doc FROM type::record('oauth_code_use', $key);",
                vec![("key", json!(hash.as_str()))],
                0,
            )
            .await?;
        let found: Option<CodeUse> = rows
            .into_iter()
            .next()
            .map(|row| decode("code use", row))
            .transpose()?;
        Ok(found.filter(|used| used.expires_at > now))
    }

    async fn take_code(
        &self,
        hash: &SecretHash,
        now: UnixTime,
    ) -> Result<Option<AuthorizationCode>> {
        if let Some(local) = &self.local {
            return Ok(local.take_code(hash, now));
        }
        let rows = self
            .retrying(|| {
                self.rows(
                    "DELETE type::record('oauth_code', $key) RETURN BEFORE;",
                    vec![("key", json!(hash.as_str()))],
                    0,
                )
            })
            .await?;
        let code: Option<AuthorizationCode> = rows
            .into_iter()
            .next()
            .map(|row| decode("code", row["doc"].clone()))
            .transpose()?;
        Ok(code.filter(|code| code.expires_at > now))
    }
}

#[async_trait]
impl TokenStore for SurrealStorage {
    async fn put_refresh(&self, token: &RefreshToken) -> Result<()> {
        let vars = vec![
            ("key", json!(token.token_hash.as_str())),
            ("doc", encode(token)?),
            ("family", json!(token.family_id)),
            ("expires", json!(token.expires_at)),
        ];
        self.rows(
            "CREATE type::record('oauth_refresh', $key) SET doc = $doc, family = $family, expires_at = $expires RETURN NONE;",
            vars,
            0,
        )
        .await?;
        Ok(())
    }

    async fn refresh(&self, hash: &SecretHash, now: UnixTime) -> Result<Option<RefreshToken>> {
        let rows = self
            .rows(
                "SELECT VALUE doc FROM type::record('oauth_refresh', $key);",
                vec![("key", json!(hash.as_str()))],
                0,
            )
            .await?;
        let token: Option<RefreshToken> = rows
            .into_iter()
            .next()
            .map(|row| decode("refresh token", row))
            .transpose()?;
        Ok(token.filter(|token| token.expires_at > now))
    }

    async fn rotate_refresh(
        &self,
        old: &SecretHash,
        successor: &RefreshToken,
        now: UnixTime,
    ) -> Result<bool> {
        let sql = "
            BEGIN TRANSACTION;
            LET $rotated = (UPDATE type::record('oauth_refresh', $old) SET doc.state = 'rotated'
                WHERE doc.state = 'active' AND expires_at > $now RETURN AFTER);
            IF array::len($rotated) = 1 {
                CREATE type::record('oauth_refresh', $key) SET doc = $doc, family = $family, expires_at = $expires RETURN NONE;
            };
            RETURN array::len($rotated);
            COMMIT TRANSACTION;";
        let successor_doc = encode(successor)?;
        let rows = self
            .retrying(|| {
                let vars = vec![
                    ("old", json!(old.as_str())),
                    ("now", json!(now)),
                    ("key", json!(successor.token_hash.as_str())),
                    ("doc", successor_doc.clone()),
                    ("family", json!(successor.family_id)),
                    ("expires", json!(successor.expires_at)),
                ];
                self.scalar(sql, vars)
            })
            .await?;
        Ok(rows == Some(json!(1)))
    }

    async fn refresh_tokens(&self, now: UnixTime) -> Result<Vec<RefreshToken>> {
        let rows = self
            .rows(
                "SELECT VALUE doc FROM oauth_refresh WHERE expires_at > $now;",
                vec![("now", json!(now))],
                0,
            )
            .await?;
        rows.into_iter()
            .map(|row| decode("refresh token", row).map_err(Error::from))
            .collect()
    }

    async fn access_revocations(&self, now: UnixTime) -> Result<Vec<(String, UnixTime)>> {
        let rows = self
            .rows(
                "SELECT VALUE [record::id(id), expires_at] FROM oauth_revoked WHERE expires_at > $now;",
                vec![("now", json!(now))],
                0,
            )
            .await?;
        rows.into_iter()
            .map(|row| {
                decode::<(String, UnixTime)>("access token revocation", row).map_err(Error::from)
            })
            .collect()
    }

    async fn revoke_access(&self, jti: &str, expires_at: UnixTime) -> Result<()> {
        let vars = vec![("jti", json!(jti)), ("expires", json!(expires_at))];
        self.retrying(|| {
            self.rows(
                "UPSERT type::record('oauth_revoked', $jti) SET expires_at = $expires RETURN NONE;",
                vars.clone(),
                0,
            )
        })
        .await?;
        Ok(())
    }

    async fn use_once(&self, key: &str, expires_at: UnixTime, now: UnixTime) -> Result<bool> {
        let sql = "
            BEGIN TRANSACTION;
            LET $live = (SELECT VALUE expires_at FROM type::record('oauth_used_once', $key)
                WHERE expires_at > $now);
            IF array::len($live) = 0 {
                UPSERT type::record('oauth_used_once', $key) SET expires_at = $expires RETURN NONE;
            };
            RETURN array::len($live) = 0;
            COMMIT TRANSACTION;";
        let recorded = self
            .retrying(|| {
                let vars = vec![
                    ("key", json!(key)),
                    ("now", json!(now)),
                    ("expires", json!(expires_at)),
                ];
                self.scalar(sql, vars)
            })
            .await?;
        Ok(recorded == Some(json!(true)))
    }

    async fn is_access_revoked(&self, jti: &str, now: UnixTime) -> Result<bool> {
        let rows = self
            .rows(
                "SELECT VALUE expires_at FROM type::record('oauth_revoked', $jti);",
                vec![("jti", json!(jti))],
                0,
            )
            .await?;
        Ok(rows
            .first()
            .and_then(Value::as_i64)
            .is_some_and(|expiry| expiry > now))
    }

    async fn active_in_family(
        &self,
        family_id: &str,
        now: UnixTime,
    ) -> Result<Option<RefreshToken>> {
        let rows = self
            .rows(
                "SELECT VALUE doc FROM oauth_refresh WHERE family = $family AND doc.state = 'active' AND expires_at > $now LIMIT 1;",
                vec![("family", json!(family_id)), ("now", json!(now))],
                0,
            )
            .await?;
        Ok(rows
            .into_iter()
            .next()
            .map(|row| decode("refresh token", row))
            .transpose()?)
    }

    async fn revoke_family(&self, family_id: &str) -> Result<()> {
        self.retrying(|| {
            self.rows(
                "UPDATE oauth_refresh SET doc.state = 'revoked' WHERE family = $family RETURN NONE;",
                vec![("family", json!(family_id))],
                0,
            )
        })
        .await?;
        Ok(())
    }

    async fn revoke_client_tokens(&self, client: &ClientId) -> Result<()> {
        self.retrying(|| {
            self.rows(
                "UPDATE oauth_refresh SET doc.state = 'revoked' WHERE doc.client_id = $client RETURN NONE;",
                vec![("client", json!(client.as_str()))],
                0,
            )
        })
        .await?;
        Ok(())
    }

    async fn revoke_grant_tokens(&self, client: &ClientId, subject: &str) -> Result<()> {
        self.retrying(|| {
            self.rows(
                "UPDATE oauth_refresh SET doc.state = 'revoked'
                   WHERE doc.client_id = $client AND doc.subject = $subject RETURN NONE;",
                vec![
                    ("client", json!(client.as_str())),
                    ("subject", json!(subject)),
                ],
                0,
            )
        })
        .await?;
        Ok(())
    }
}

#[async_trait]
impl AccountStore for SurrealStorage {
    async fn insert_account(&self, account: &Account) -> Result<()> {
        let vars = vec![("key", json!(account.name)), ("doc", encode(account)?)];
        match self
            .rows(
                "CREATE type::record('oauth_account', $key) SET doc = $doc RETURN NONE;",
                vars,
                0,
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(SurrealError::Exists(_)) => {
                Err(Error::Conflict(format!("account {}", account.name)))
            }
            Err(other) => Err(other.into()),
        }
    }

    async fn account(&self, name: &str) -> Result<Option<Account>> {
        if !is_record_key(name) {
            return Ok(None);
        }
        let rows = self
            .rows(
                "SELECT VALUE doc FROM type::record('oauth_account', $key);",
                vec![("key", json!(name))],
                0,
            )
            .await?;
        rows.into_iter()
            .next()
            .map(|row| decode("account", row))
            .transpose()
            .map_err(Into::into)
    }

    async fn update_account(&self, account: &Account) -> Result<bool> {
        if !is_record_key(&account.name) {
            return Ok(false);
        }
        let vars = vec![("key", json!(account.name)), ("doc", encode(account)?)];
        let rows = self
            .retrying(|| {
                self.rows(
                    "UPDATE type::record('oauth_account', $key) SET doc = $doc RETURN BEFORE;",
                    vars.clone(),
                    0,
                )
            })
            .await?;
        Ok(!rows.is_empty())
    }

    async fn delete_account(&self, name: &str) -> Result<bool> {
        if !is_record_key(name) {
            return Ok(false);
        }
        let rows = self
            .rows(
                "DELETE type::record('oauth_account', $key) RETURN BEFORE;",
                vec![("key", json!(name))],
                0,
            )
            .await?;
        Ok(!rows.is_empty())
    }

    async fn accounts(&self) -> Result<Vec<Account>> {
        let rows = self
            .rows("SELECT VALUE doc FROM oauth_account;", Vec::new(), 0)
            .await?;
        let mut accounts = rows
            .into_iter()
            .map(|row| decode::<Account>("account", row))
            .collect::<Result<Vec<_>, _>>()?;
        accounts.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(accounts)
    }
}

#[async_trait]
impl ConsentStore for SurrealStorage {
    async fn put_consent(&self, consent: &Consent) -> Result<()> {
        let vars = vec![
            ("subject", json!(consent.subject)),
            ("client", json!(consent.client_id.as_str())),
            ("doc", encode(consent)?),
        ];
        self.retrying(|| {
            self.rows(
                "UPSERT type::record('oauth_consent', [$subject, $client]) SET doc = $doc RETURN NONE;",
                vars.clone(),
                0,
            )
        })
        .await?;
        Ok(())
    }

    async fn consent(&self, subject: &str, client: &ClientId) -> Result<Option<Consent>> {
        let rows = self
            .rows(
                "SELECT VALUE doc FROM type::record('oauth_consent', [$subject, $client]);",
                vec![
                    ("subject", json!(subject)),
                    ("client", json!(client.as_str())),
                ],
                0,
            )
            .await?;
        rows.into_iter()
            .next()
            .map(|row| decode("consent", row))
            .transpose()
            .map_err(Into::into)
    }

    async fn consents(&self, subject: Option<&str>) -> Result<Vec<Consent>> {
        let rows = match subject {
            Some(subject) => {
                self.rows(
                    "SELECT VALUE doc FROM oauth_consent WHERE doc.subject = $subject;",
                    vec![("subject", json!(subject))],
                    0,
                )
                .await?
            }
            None => {
                self.rows("SELECT VALUE doc FROM oauth_consent;", Vec::new(), 0)
                    .await?
            }
        };
        let mut consents = rows
            .into_iter()
            .map(|row| decode::<Consent>("consent", row))
            .collect::<Result<Vec<_>, _>>()?;
        consents.sort_by(|a, b| (&a.subject, &a.client_id).cmp(&(&b.subject, &b.client_id)));
        Ok(consents)
    }
}

#[async_trait]
impl AuditStore for SurrealStorage {
    async fn append_audit(&self, events: &[AuditEvent]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        // One transaction for the batch. Record ids `[batch time in ns, place in the batch]`
        // keep the order appended: one process appends its batches one after another.
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos() as i64);
        let events = events
            .iter()
            .enumerate()
            .map(|(place, event)| Ok(json!({"key": [stamp, place], "doc": encode(event)?})))
            .collect::<Result<Vec<_>>>()?;
        self.run(
            "BEGIN;
             FOR $event IN $events {
                 CREATE type::record('oauth_audit', $event.key)
                     SET at = $event.doc.at, doc = $event.doc RETURN NONE;
             };
             COMMIT;",
            vec![("events", Value::Array(events))],
        )
        .await?;
        Ok(())
    }

    async fn audit_since(&self, since: UnixTime, limit: usize) -> Result<Vec<AuditEvent>> {
        let rows = self
            .rows(
                "SELECT VALUE doc FROM oauth_audit WHERE at >= $since ORDER BY id LIMIT $limit;",
                vec![("since", json!(since)), ("limit", json!(limit))],
                0,
            )
            .await?;
        rows.into_iter()
            .map(|row| decode::<AuditEvent>("audit event", row).map_err(Error::from))
            .collect()
    }
}

impl SurrealStorage {
    /// The value a `RETURN` statement of a transaction gave.
    async fn scalar(&self, sql: &str, vars: Vars) -> Result<Option<Value>, SurrealError> {
        let mut response = self.run(sql, vars).await?;
        let count = response.num_statements();
        for index in (0..count).rev() {
            if let Ok(value) = response.take::<Option<Value>>(index)
                && value.is_some()
            {
                return Ok(value);
            }
        }
        Ok(None)
    }
}

#[async_trait]
impl KeyStore for SurrealStorage {
    async fn key(&self, name: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.find_key(name).await?)
    }

    async fn get_or_create_key(&self, name: &str, candidate: &[u8]) -> Result<Vec<u8>> {
        let encoded = STANDARD.encode(candidate);
        let stored = self
            .retrying(|| async {
                if let Some(existing) = self.find_key(name).await? {
                    return Ok(existing);
                }
                let vars = vec![("name", json!(name)), ("value", json!(encoded))];
                match self
                    .rows(
                        "CREATE type::record('oauth_key', $name) SET value = $value RETURN NONE;",
                        vars,
                        0,
                    )
                    .await
                {
                    Ok(_) => Ok(candidate.to_vec()),
                    // Another process created it first: theirs wins.
                    Err(SurrealError::Exists(_)) => self.find_key(name).await?.ok_or_else(|| {
                        SurrealError::Malformed(format!("key {name} vanished after it was created"))
                    }),
                    Err(other) => Err(other),
                }
            })
            .await?;
        Ok(stored)
    }

    async fn keys(&self) -> Result<Vec<(String, Vec<u8>)>> {
        let rows = self
            .rows(
                "SELECT VALUE [record::id(id), value] FROM oauth_key;",
                Vec::new(),
                0,
            )
            .await?;
        let mut keys = rows
            .into_iter()
            .map(|row| {
                let (name, value) = decode::<(String, Value)>("key", row)?;
                let value = key_bytes(&name, &value)?;
                Ok((name, value))
            })
            .collect::<Result<Vec<_>, SurrealError>>()?;
        keys.sort();
        Ok(keys)
    }

    async fn replace_key(&self, name: &str, expected: &[u8], new: &[u8]) -> Result<bool> {
        let vars = || {
            vec![
                ("name", json!(name)),
                ("expected", json!(STANDARD.encode(expected))),
                ("new", json!(STANDARD.encode(new))),
            ]
        };
        let rows = self
            .retrying(|| {
                self.rows(
                    "UPDATE type::record('oauth_key', $name) SET value = $new WHERE value = $expected RETURN AFTER;",
                    vars(),
                    0,
                )
            })
            .await?;
        Ok(rows.len() == 1)
    }
}

impl SurrealStorage {
    /// The key material stored under `name`.
    async fn find_key(&self, name: &str) -> Result<Option<Vec<u8>>, SurrealError> {
        let rows = self
            .rows(
                "SELECT VALUE value FROM type::record('oauth_key', $name);",
                vec![("name", json!(name))],
                0,
            )
            .await?;
        rows.into_iter()
            .next()
            .map(|value| key_bytes(name, &value))
            .transpose()
    }
}

/// The bytes of the key `name`, stored as base64 text.
fn key_bytes(name: &str, value: &Value) -> Result<Vec<u8>, SurrealError> {
    value
        .as_str()
        .and_then(|text| STANDARD.decode(text).ok())
        .ok_or_else(|| SurrealError::Malformed(format!("unreadable key {name}")))
}

/// Whether `key`, taken from a request, can name a record. SurrealDB refuses an empty record key
/// with an error, so no record has one, and every key this plugin writes (generated ids, hex
/// hashes, key names) is short: a lookup by anything else finds nothing (an unknown client, not a
/// storage fault) without reaching a query.
fn is_record_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= MAX_RECORD_KEY_BYTES && !key.contains('\0')
}

/// Longest record key looked up: client ids are generated (or chosen by the deployer for
/// first-party clients), hashes are 64 hex digits.
const MAX_RECORD_KEY_BYTES: usize = 1024;

/// The fields of a memory row, in the shape of [`Memory`].
const MEMORY_FIELDS: &str =
    "content_hash, content, tags, memory_type, metadata, created_at, updated_at, stored_by";

#[async_trait]
impl MemoryStore for SurrealStorage {
    async fn put_memory(&self, memory: &Memory) -> Result<bool> {
        let vars = vec![
            ("key", json!(memory.content_hash)),
            ("doc", encode(memory)?),
        ];
        let written = self
            .retrying(|| {
                self.rows(
                    "UPSERT type::record('memory', $key) CONTENT $doc RETURN BEFORE;",
                    vars.clone(),
                    0,
                )
            })
            .await;
        self.memories_written();
        Ok(written?.into_iter().all(|row| row.is_null()))
    }

    async fn memory(&self, content_hash: &str) -> Result<Option<Memory>> {
        if !is_record_key(content_hash) {
            return Ok(None);
        }
        let sql = format!("SELECT {MEMORY_FIELDS} FROM type::record('memory', $key);");
        let rows = self
            .rows(&sql, vec![("key", json!(content_hash))], 0)
            .await?;
        rows.into_iter()
            .next()
            .map(|row| decode("memory", row))
            .transpose()
            .map_err(Into::into)
    }

    async fn delete_memory(&self, content_hash: &str) -> Result<bool> {
        if !is_record_key(content_hash) {
            return Ok(false);
        }
        let deleted = self
            .rows(
                "DELETE type::record('memory', $key) RETURN BEFORE;",
                vec![("key", json!(content_hash))],
                0,
            )
            .await;
        self.memories_written();
        Ok(!deleted?.is_empty())
    }

    async fn list_memories(&self, query: &MemoryQuery) -> Result<MemoryPage> {
        let Some(local) = &self.local else {
            return self.query_memories(query).await;
        };
        match local.page(query) {
            Ok(page) => Ok(page),
            Err(writes) => {
                let page = self.query_memories(query).await?;
                local.keep_page(query, &page, writes);
                Ok(page)
            }
        }
    }

    async fn search_memories(
        &self,
        text: &str,
        limit: usize,
        owner: Option<&str>,
    ) -> Result<Vec<ScoredMemory>> {
        if text.trim().is_empty() {
            return Ok(Vec::new());
        }
        let mine = if owner.is_some() {
            " AND stored_by.subject = $owner"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {MEMORY_FIELDS}, search::score(1) AS score FROM memory WHERE content @1@ $text{mine}
             ORDER BY score DESC, created_at DESC LIMIT $limit;"
        );
        let rows = self
            .rows(
                &sql,
                vec![
                    ("text", json!(text)),
                    ("limit", json!(limit)),
                    ("owner", json!(owner)),
                ],
                0,
            )
            .await?;
        let scored: Vec<(f64, Memory)> = rows
            .into_iter()
            .map(|mut row| {
                let score = row.get("score").and_then(Value::as_f64).unwrap_or(0.0);
                if let Some(object) = row.as_object_mut() {
                    object.remove("score");
                }
                decode("memory", row).map(|memory| (score, memory))
            })
            .collect::<Result<_, SurrealError>>()?;
        // BM25 scores are unbounded: scale them to 0..=1 against the best hit.
        let best = scored
            .iter()
            .map(|(score, _)| *score)
            .fold(0.0_f64, f64::max);
        Ok(scored
            .into_iter()
            .map(|(score, memory)| ScoredMemory {
                score: if best > 0.0 {
                    (score / best).clamp(0.0, 1.0)
                } else {
                    1.0
                },
                memory,
            })
            .collect())
    }

    async fn tags(&self, owner: Option<&str>) -> Result<Vec<TagCount>> {
        let rows = match owner {
            Some(owner) => {
                self.rows(
                    "SELECT VALUE tags FROM memory WHERE stored_by.subject = $owner;",
                    vec![("owner", json!(owner))],
                    0,
                )
                .await?
            }
            None => {
                self.rows("SELECT VALUE tags FROM memory;", Vec::new(), 0)
                    .await?
            }
        };
        let mut counts = std::collections::HashMap::<String, usize>::new();
        for tags in rows {
            for tag in tags
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                *counts.entry(tag.to_owned()).or_default() += 1;
            }
        }
        let mut tags: Vec<TagCount> = counts
            .into_iter()
            .map(|(tag, count)| TagCount { tag, count })
            .collect();
        tags.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.tag.cmp(&b.tag)));
        Ok(tags)
    }
}

impl SurrealStorage {
    /// The page of memories `query` asks for, read from the database.
    async fn query_memories(&self, query: &MemoryQuery) -> Result<MemoryPage> {
        let mut conditions = Vec::new();
        if !query.tags.is_empty() {
            conditions.push(if query.match_all {
                "tags CONTAINSALL $tags"
            } else {
                "tags CONTAINSANY $tags"
            });
        }
        if query.memory_type.is_some() {
            conditions.push("memory_type = $kind");
        }
        if query.owner.is_some() {
            conditions.push("stored_by.subject = $owner");
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let sql = format!(
            "SELECT {MEMORY_FIELDS} FROM memory {filter} ORDER BY created_at DESC, content_hash ASC LIMIT $limit START $offset;
             SELECT count() AS total FROM memory {filter} GROUP ALL;"
        );
        let vars = vec![
            ("tags", json!(query.tags)),
            ("kind", json!(query.memory_type)),
            ("limit", json!(query.limit)),
            ("offset", json!(query.offset)),
            ("owner", json!(query.owner)),
        ];
        let mut response = self.run(&sql, vars).await?;
        let rows = response.take::<Vec<Value>>(0).map_err(SurrealError::from)?;
        let memories = rows
            .into_iter()
            .map(|row| decode("memory", row))
            .collect::<Result<Vec<Memory>, SurrealError>>()?;
        let counts = response.take::<Vec<Value>>(1).map_err(SurrealError::from)?;
        let total = counts
            .first()
            .and_then(|row| row["total"].as_u64())
            .unwrap_or(0) as usize;
        Ok(MemoryPage { memories, total })
    }

    /// Tells the process-local page cache that a memory write has ended (committed or not).
    fn memories_written(&self) {
        if let Some(local) = &self.local {
            local.memories_written();
        }
    }
}
