//! The storage roles. Each is a small object-safe async trait; a backend implements all eight and so
//! is a [`Storage`]. One-shot semantics (a code is taken once, a refresh token rotates once) are part
//! of each contract and of the conformance suite (`testkit::storage`), never left to callers.
//!
//! Every method returns core's [`Error`](crate::Error): backends convert their own errors at their
//! edge, report an unreachable backend as [`Error::Unavailable`](crate::Error::Unavailable), and
//! never panic.

use async_trait::async_trait;

use crate::clock::UnixTime;
use crate::error::Result;
use crate::model::{
    Account, AuditEvent, AuthorizationCode, Client, ClientId, CodeUse, Consent, Memory, MemoryPage,
    MemoryQuery, RefreshToken, ScoredMemory, TagCount,
};
use crate::secret::SecretHash;

/// Registered clients.
#[async_trait]
pub trait ClientStore: Send + Sync {
    /// Stores a new client; [`Error::Conflict`](crate::Error::Conflict) when its id is taken.
    async fn insert_client(&self, client: &Client) -> Result<()>;
    /// The client with `id`, if registered.
    async fn client(&self, id: &ClientId) -> Result<Option<Client>>;
    /// Replaces the stored client that has `client`'s id; returns `false`, storing nothing, when
    /// there is none (a client is never created by an update).
    async fn update_client(&self, client: &Client) -> Result<bool>;
    /// Deletes the client with `id`; returns whether there was one.
    async fn delete_client(&self, id: &ClientId) -> Result<bool>;
    /// Deletes every client that registered (it has a registration access token) before
    /// `registered_before` and was never issued a token (`used_at` is `None`); returns how many.
    async fn delete_unused_clients(&self, registered_before: UnixTime) -> Result<usize>;
    /// Every registered client, oldest registration first (for operators: `memory clients
    /// list`, the client count on `/metrics`).
    async fn clients(&self) -> Result<Vec<Client>>;
}

/// Authorization codes.
#[async_trait]
pub trait GrantStore: Send + Sync {
    /// Stores a freshly issued code.
    async fn put_code(&self, code: &AuthorizationCode) -> Result<()>;
    /// Removes and returns the code with `hash`. Of any number of concurrent calls for one code,
    /// exactly one gets it; a code expired at `now` is never returned.
    async fn take_code(
        &self,
        hash: &SecretHash,
        now: UnixTime,
    ) -> Result<Option<AuthorizationCode>>;
    /// Records what a code was exchanged for.
    async fn record_code_use(&self, record: &CodeUse) -> Result<()>;
    /// What the code with `hash` was exchanged for, unless that record expired at `now`.
    async fn code_use(&self, hash: &SecretHash, now: UnixTime) -> Result<Option<CodeUse>>;
}

/// Refresh tokens and their families.
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Stores a freshly issued refresh token.
    async fn put_refresh(&self, token: &RefreshToken) -> Result<()>;
    /// The refresh token with `hash` in whatever state it is, unless it expired at `now`.
    async fn refresh(&self, hash: &SecretHash, now: UnixTime) -> Result<Option<RefreshToken>>;
    /// Marks the active token `old` as rotated and stores `successor`, as one atomic step. Returns
    /// `false`, changing nothing, when `old` is not active (already rotated, revoked, expired or
    /// unknown): of any number of concurrent rotations of one token, exactly one succeeds.
    async fn rotate_refresh(
        &self,
        old: &SecretHash,
        successor: &RefreshToken,
        now: UnixTime,
    ) -> Result<bool>;
    /// The family's active token (there is at most one), unless it expired at `now`.
    async fn active_in_family(
        &self,
        family_id: &str,
        now: UnixTime,
    ) -> Result<Option<RefreshToken>>;
    /// Revokes every token of the family, all or nothing.
    async fn revoke_family(&self, family_id: &str) -> Result<()>;
    /// Revokes every refresh token issued to `client`, all or nothing.
    async fn revoke_client_tokens(&self, client: &ClientId) -> Result<()>;
    /// Revokes every refresh token issued to `client` for `subject` (one person's grant), all
    /// or nothing.
    async fn revoke_grant_tokens(&self, client: &ClientId, subject: &str) -> Result<()>;
    /// Records that the access token `jti` is revoked until it expires at `expires_at`.
    async fn revoke_access(&self, jti: &str, expires_at: UnixTime) -> Result<()>;
    /// Whether the access token `jti` was revoked (and has not expired by `now`).
    async fn is_access_revoked(&self, jti: &str, now: UnixTime) -> Result<bool>;
    /// Records that the one-time identifier `key` (a client assertion's, say) is used, until
    /// `expires_at`. Returns `false`, changing nothing, when it is already recorded and that
    /// record has not expired by `now`: of any number of concurrent calls for one key, on one
    /// replica or several, exactly one returns `true`.
    async fn use_once(&self, key: &str, expires_at: UnixTime, now: UnixTime) -> Result<bool>;
    /// Every refresh token that has not expired by `now`, in whatever state (`memory backup`).
    async fn refresh_tokens(&self, now: UnixTime) -> Result<Vec<RefreshToken>>;
    /// Every access-token revocation still in force at `now`, as `(jti, expires_at)`
    /// (`memory backup`).
    async fn access_revocations(&self, now: UnixTime) -> Result<Vec<(String, UnixTime)>>;
}

/// Named key material that must survive restarts and be shared by replicas.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// The key stored under `name`, if any.
    async fn key(&self, name: &str) -> Result<Option<Vec<u8>>>;
    /// The key stored under `name`; when there is none, stores `candidate` and returns it. Replicas
    /// racing to create the same key all end up with the one that was stored first.
    async fn get_or_create_key(&self, name: &str, candidate: &[u8]) -> Result<Vec<u8>>;
    /// Replaces the key under `name` with `new` if it is still `expected` (compare and swap);
    /// returns whether it was replaced. Of concurrent replacements of one value, one wins.
    async fn replace_key(&self, name: &str, expected: &[u8], new: &[u8]) -> Result<bool>;
    /// Every stored key as `(name, value)`, by name (`memory backup`).
    async fn keys(&self) -> Result<Vec<(String, Vec<u8>)>>;
}

/// The memories of the memory service.
#[async_trait]
pub trait MemoryStore: Send + Sync {
    /// Stores `memory` under its content hash, replacing one with the same hash. Returns whether it
    /// was new.
    async fn put_memory(&self, memory: &Memory) -> Result<bool>;
    /// The memory with `content_hash`.
    async fn memory(&self, content_hash: &str) -> Result<Option<Memory>>;
    /// Deletes the memory with `content_hash`; returns whether there was one.
    async fn delete_memory(&self, content_hash: &str) -> Result<bool>;
    /// The memories passing `query`'s filters, newest first, paged by its offset and limit.
    async fn list_memories(&self, query: &MemoryQuery) -> Result<MemoryPage>;
    /// Up to `limit` memories most relevant to `text`, best first; none when nothing matches.
    /// With `owner`, only the memories that person stored.
    async fn search_memories(
        &self,
        text: &str,
        limit: usize,
        owner: Option<&str>,
    ) -> Result<Vec<ScoredMemory>>;
    /// Every tag in use with its number of memories, most used first, then by name. With
    /// `owner`, only in the memories that person stored.
    async fn tags(&self, owner: Option<&str>) -> Result<Vec<TagCount>>;
}

/// Local accounts (the `local` authenticator's people).
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Stores a new account; [`Error::Conflict`](crate::Error::Conflict) when its name is taken.
    async fn insert_account(&self, account: &Account) -> Result<()>;
    /// The account called `name`.
    async fn account(&self, name: &str) -> Result<Option<Account>>;
    /// Replaces the stored account that has `account`'s name; returns `false`, storing nothing,
    /// when there is none.
    async fn update_account(&self, account: &Account) -> Result<bool>;
    /// Deletes the account called `name`; returns whether there was one.
    async fn delete_account(&self, name: &str) -> Result<bool>;
    /// Every account, by name.
    async fn accounts(&self) -> Result<Vec<Account>>;
}

/// What people approved for clients: remembered consent and connected apps.
#[async_trait]
pub trait ConsentStore: Send + Sync {
    /// Stores `consent`, replacing the one of the same subject and client.
    async fn put_consent(&self, consent: &Consent) -> Result<()>;
    /// The consent `subject` gave `client`, revoked or not.
    async fn consent(&self, subject: &str, client: &ClientId) -> Result<Option<Consent>>;
    /// The consents of `subject`, or of everyone for `None`, by subject then client.
    async fn consents(&self, subject: Option<&str>) -> Result<Vec<Consent>>;
}

/// The audit trail: events appended in batches, read back from a time on.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends `events` (in their order), all or none. Events older than
    /// [`AUDIT_RETENTION`](crate::model::AUDIT_RETENTION) may be dropped from then on.
    async fn append_audit(&self, events: &[AuditEvent]) -> Result<()>;
    /// At most `limit` events at or after `since`, oldest first, in the order appended.
    async fn audit_since(&self, since: UnixTime, limit: usize) -> Result<Vec<AuditEvent>>;
}

/// A complete storage backend: every role.
pub trait Storage:
    ClientStore
    + GrantStore
    + TokenStore
    + KeyStore
    + MemoryStore
    + AccountStore
    + ConsentStore
    + AuditStore
{
}

impl<T> Storage for T where
    T: ClientStore
        + GrantStore
        + TokenStore
        + KeyStore
        + MemoryStore
        + AccountStore
        + ConsentStore
        + AuditStore
{
}
