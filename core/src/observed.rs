//! A [`Storage`] that reports how long each operation of another took and whether it failed, for
//! the operator's metrics: the storage's latency and faults, by operation, apart from the
//! requests' own.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::clock::UnixTime;
use crate::error::{Error, Result};
use crate::model::{
    Account, AuditEvent, AuthorizationCode, Client, ClientId, CodeUse, Consent, Memory, MemoryPage,
    MemoryQuery, RefreshToken, ScoredMemory, TagCount,
};
use crate::secret::SecretHash;
use crate::store::{
    AccountStore, AuditStore, ClientStore, ConsentStore, GrantStore, KeyStore, MemoryStore,
    Storage, TokenStore,
};

/// Told of every storage operation once it has finished.
pub trait StorageObserver: Send + Sync {
    /// `operation` (the storage method's name, e.g. `take_code`) took `elapsed` and failed with
    /// `failure`, if it did.
    fn observed(&self, operation: &'static str, elapsed: Duration, failure: Option<&Error>);
}

/// `inner`, each operation timed and reported to `observer`.
pub struct ObservedStorage {
    inner: Arc<dyn Storage>,
    observer: Arc<dyn StorageObserver>,
}

impl ObservedStorage {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn Storage>, observer: Arc<dyn StorageObserver>) -> Self {
        Self { inner, observer }
    }

    async fn timed<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        let started = Instant::now();
        let result = call.await;
        self.observer
            .observed(operation, started.elapsed(), result.as_ref().err());
        result
    }
}

/// Implements `$role` for [`ObservedStorage`]: each method calls the inner storage's, timed.
macro_rules! observed {
    ($role:ident { $(fn $name:ident($($arg:ident: $ty:ty),*) -> $out:ty;)* }) => {
        #[async_trait]
        impl $role for ObservedStorage {
            $(
                async fn $name(&self, $($arg: $ty),*) -> Result<$out> {
                    self.timed(stringify!($name), self.inner.$name($($arg),*)).await
                }
            )*
        }
    };
}

observed!(ClientStore {
    fn insert_client(client: &Client) -> ();
    fn client(id: &ClientId) -> Option<Client>;
    fn update_client(client: &Client) -> bool;
    fn delete_client(id: &ClientId) -> bool;
    fn delete_unused_clients(registered_before: UnixTime) -> usize;
    fn clients() -> Vec<Client>;
});

observed!(GrantStore {
    fn put_code(code: &AuthorizationCode) -> ();
    fn take_code(hash: &SecretHash, now: UnixTime) -> Option<AuthorizationCode>;
    fn record_code_use(record: &CodeUse) -> ();
    fn code_use(hash: &SecretHash, now: UnixTime) -> Option<CodeUse>;
});

observed!(TokenStore {
    fn put_refresh(token: &RefreshToken) -> ();
    fn refresh(hash: &SecretHash, now: UnixTime) -> Option<RefreshToken>;
    fn rotate_refresh(old: &SecretHash, successor: &RefreshToken, now: UnixTime) -> bool;
    fn active_in_family(family_id: &str, now: UnixTime) -> Option<RefreshToken>;
    fn revoke_family(family_id: &str) -> ();
    fn revoke_client_tokens(client: &ClientId) -> ();
    fn revoke_grant_tokens(client: &ClientId, subject: &str) -> ();
    fn revoke_access(jti: &str, expires_at: UnixTime) -> ();
    fn is_access_revoked(jti: &str, now: UnixTime) -> bool;
    fn use_once(key: &str, expires_at: UnixTime, now: UnixTime) -> bool;
    fn refresh_tokens(now: UnixTime) -> Vec<RefreshToken>;
    fn access_revocations(now: UnixTime) -> Vec<(String, UnixTime)>;
});

observed!(KeyStore {
    fn key(name: &str) -> Option<Vec<u8>>;
    fn get_or_create_key(name: &str, candidate: &[u8]) -> Vec<u8>;
    fn replace_key(name: &str, expected: &[u8], new: &[u8]) -> bool;
    fn keys() -> Vec<(String, Vec<u8>)>;
});

observed!(MemoryStore {
    fn put_memory(memory: &Memory) -> bool;
    fn memory(content_hash: &str) -> Option<Memory>;
    fn delete_memory(content_hash: &str) -> bool;
    fn list_memories(query: &MemoryQuery) -> MemoryPage;
    fn search_memories(text: &str, limit: usize, owner: Option<&str>) -> Vec<ScoredMemory>;
    fn tags(owner: Option<&str>) -> Vec<TagCount>;
});

observed!(AccountStore {
    fn insert_account(account: &Account) -> ();
    fn account(name: &str) -> Option<Account>;
    fn update_account(account: &Account) -> bool;
    fn delete_account(name: &str) -> bool;
    fn accounts() -> Vec<Account>;
});

observed!(ConsentStore {
    fn put_consent(consent: &Consent) -> ();
    fn consent(subject: &str, client: &ClientId) -> Option<Consent>;
    fn consents(subject: Option<&str>) -> Vec<Consent>;
});

observed!(AuditStore {
    fn append_audit(events: &[AuditEvent]) -> ();
    fn audit_since(since: UnixTime, limit: usize) -> Vec<AuditEvent>;
});
