//! The in-memory implementation of every storage role.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use mcp_oauth_core::expiring::ExpiringMap;
use mcp_oauth_core::model::{
    Account, AuditEvent, AuthorizationCode, Client, ClientId, CodeUse, Consent, Memory, MemoryPage,
    MemoryQuery, RefreshState, RefreshToken, ScoredMemory, TagCount, owned_by, relevance,
};
use mcp_oauth_core::secret::SecretHash;
use mcp_oauth_core::{
    AccountStore, AuditStore, ClientStore, ConsentStore, Error, GrantStore, KeyStore, MemoryStore,
    Result, TokenStore, UnixTime, async_trait,
};
use parking_lot::Mutex;

/// Every storage role in process memory. Each role has its own lock, held only for map operations
/// (never across an `.await`), which makes each trait method atomic.
#[derive(Default)]
pub struct InMemoryStorage {
    /// Records behind `Arc`, so that a shard growing moves pointers, not whole records.
    clients: Sharded<HashMap<ClientId, Arc<Client>>>,
    codes: Sharded<ExpiringMap<SecretHash, AuthorizationCode>>,
    code_uses: Sharded<ExpiringMap<SecretHash, CodeUse>>,
    refresh_tokens: Mutex<ExpiringMap<SecretHash, RefreshToken>>,
    keys: Mutex<HashMap<String, Vec<u8>>>,
    revoked: Mutex<HashMap<String, UnixTime>>,
    /// One-time identifiers → when their record expires.
    used_once: Mutex<ExpiringMap<String, UnixTime>>,
    memories: Mutex<HashMap<String, Memory>>,
    accounts: Mutex<BTreeMap<String, Account>>,
    /// Consents by subject, then client.
    consents: Mutex<BTreeMap<(String, ClientId), Consent>>,
    /// The audit trail, oldest first, at most [`AUDIT_LIMIT`] events.
    audit: Mutex<std::collections::VecDeque<AuditEvent>>,
}

/// Most audit events kept in memory: the oldest go first (about 200 bytes each).
const AUDIT_LIMIT: usize = 100_000;

/// How many independently locked parts a sharded table has.
const SHARDS: usize = 64;

/// A table in independently locked shards, chosen by the hash of the key. Growing one shard moves
/// a 64th of the table: as single maps, each doubling past 100,000 records stalled every request
/// in flight for 20–30 ms (the p99 of the load benchmark's registration and code-flow runs). Only
/// for tables whose operations touch one key each; refresh tokens rotate and revoke across keys
/// atomically and stay in one map.
struct Sharded<T> {
    shards: Vec<Mutex<T>>,
    hasher: std::hash::RandomState,
}

impl<T: Default> Default for Sharded<T> {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hasher: std::hash::RandomState::new(),
        }
    }
}

impl<T> Sharded<T> {
    /// The shard that holds `key`.
    fn shard<K: std::hash::Hash>(&self, key: &K) -> &Mutex<T> {
        let index = std::hash::BuildHasher::hash_one(&self.hasher, key) as usize % SHARDS;
        &self.shards[index]
    }
}

#[async_trait]
impl ClientStore for InMemoryStorage {
    async fn insert_client(&self, client: &Client) -> Result<()> {
        match self
            .clients
            .shard(&client.client_id)
            .lock()
            .entry(client.client_id.clone())
        {
            Entry::Occupied(_) => Err(Error::Conflict(format!("client {}", client.client_id))),
            Entry::Vacant(slot) => {
                slot.insert(Arc::new(client.clone()));
                Ok(())
            }
        }
    }

    async fn client(&self, id: &ClientId) -> Result<Option<Client>> {
        let found = self.clients.shard(id).lock().get(id).cloned();
        Ok(found.map(|client| Client::clone(&client)))
    }

    async fn update_client(&self, client: &Client) -> Result<bool> {
        match self
            .clients
            .shard(&client.client_id)
            .lock()
            .get_mut(&client.client_id)
        {
            Some(stored) => {
                *stored = Arc::new(client.clone());
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn delete_client(&self, id: &ClientId) -> Result<bool> {
        Ok(self.clients.shard(id).lock().remove(id).is_some())
    }

    async fn clients(&self) -> Result<Vec<Client>> {
        let mut clients: Vec<Client> = self
            .clients
            .shards
            .iter()
            .flat_map(|shard| {
                shard
                    .lock()
                    .values()
                    .map(|client| Client::clone(client))
                    .collect::<Vec<_>>()
            })
            .collect();
        clients.sort_by(|a, b| {
            (a.issued_at, a.client_id.as_str()).cmp(&(b.issued_at, b.client_id.as_str()))
        });
        Ok(clients)
    }

    async fn delete_unused_clients(&self, registered_before: UnixTime) -> Result<usize> {
        let mut removed = 0;
        for shard in &self.clients.shards {
            let mut clients = shard.lock();
            let before = clients.len();
            clients.retain(|_, client| {
                client.used_at.is_some()
                    || client.registration_token_hash.is_none()
                    || client.issued_at >= registered_before
            });
            removed += before - clients.len();
        }
        Ok(removed)
    }
}

#[async_trait]
impl GrantStore for InMemoryStorage {
    async fn put_code(&self, code: &AuthorizationCode) -> Result<()> {
        let now = code.issued_at;
        self.codes.shard(&code.code_hash).lock().insert(
            code.code_hash.clone(),
            code.clone(),
            |kept| kept.expires_at > now,
        );
        Ok(())
    }

    async fn record_code_use(&self, record: &CodeUse) -> Result<()> {
        let now = record.used_at;
        self.code_uses.shard(&record.code_hash).lock().insert(
            record.code_hash.clone(),
            record.clone(),
            |kept| kept.expires_at > now,
        );
        Ok(())
    }

    async fn code_use(&self, hash: &SecretHash, now: UnixTime) -> Result<Option<CodeUse>> {
        Ok(self
            .code_uses
            .shard(hash)
            .lock()
            .get(hash)
            .filter(|used| used.expires_at > now)
            .cloned())
    }

    async fn take_code(
        &self,
        hash: &SecretHash,
        now: UnixTime,
    ) -> Result<Option<AuthorizationCode>> {
        Ok(self
            .codes
            .shard(hash)
            .lock()
            .remove(hash)
            .filter(|code| code.expires_at > now))
    }
}

#[async_trait]
impl TokenStore for InMemoryStorage {
    async fn put_refresh(&self, token: &RefreshToken) -> Result<()> {
        let now = token.issued_at;
        self.refresh_tokens
            .lock()
            .insert(token.token_hash.clone(), token.clone(), |kept| {
                kept.expires_at > now
            });
        Ok(())
    }

    async fn refresh(&self, hash: &SecretHash, now: UnixTime) -> Result<Option<RefreshToken>> {
        Ok(self
            .refresh_tokens
            .lock()
            .get(hash)
            .filter(|token| token.expires_at > now)
            .cloned())
    }

    async fn rotate_refresh(
        &self,
        old: &SecretHash,
        successor: &RefreshToken,
        now: UnixTime,
    ) -> Result<bool> {
        let mut tokens = self.refresh_tokens.lock();
        match tokens.get_mut(old) {
            Some(token) if token.state == RefreshState::Active && token.expires_at > now => {
                token.state = RefreshState::Rotated;
            }
            _ => return Ok(false),
        }
        ExpiringMap::insert(
            &mut tokens,
            successor.token_hash.clone(),
            successor.clone(),
            |kept| kept.expires_at > now,
        );
        Ok(true)
    }

    async fn refresh_tokens(&self, now: UnixTime) -> Result<Vec<RefreshToken>> {
        Ok(self
            .refresh_tokens
            .lock()
            .values()
            .filter(|token| token.expires_at > now)
            .cloned()
            .collect())
    }

    async fn access_revocations(&self, now: UnixTime) -> Result<Vec<(String, UnixTime)>> {
        Ok(self
            .revoked
            .lock()
            .iter()
            .filter(|(_, expiry)| **expiry > now)
            .map(|(jti, expiry)| (jti.clone(), *expiry))
            .collect())
    }

    async fn revoke_access(&self, jti: &str, expires_at: UnixTime) -> Result<()> {
        // One entry per revoked token; entries stop counting at the token's expiry.
        self.revoked.lock().insert(jti.to_owned(), expires_at);
        Ok(())
    }

    async fn is_access_revoked(&self, jti: &str, now: UnixTime) -> Result<bool> {
        Ok(self
            .revoked
            .lock()
            .get(jti)
            .is_some_and(|expiry| *expiry > now))
    }

    async fn use_once(&self, key: &str, expires_at: UnixTime, now: UnixTime) -> Result<bool> {
        let mut used = self.used_once.lock();
        if used.get(key).is_some_and(|expiry| *expiry > now) {
            return Ok(false);
        }
        used.insert(key.to_owned(), expires_at, |expiry| *expiry > now);
        Ok(true)
    }

    async fn active_in_family(
        &self,
        family_id: &str,
        now: UnixTime,
    ) -> Result<Option<RefreshToken>> {
        // A scan: only a refresh token presented a second time asks this.
        Ok(self
            .refresh_tokens
            .lock()
            .values()
            .find(|token| {
                token.family_id == family_id
                    && token.state == RefreshState::Active
                    && token.expires_at > now
            })
            .cloned())
    }

    async fn revoke_family(&self, family_id: &str) -> Result<()> {
        for token in self.refresh_tokens.lock().values_mut() {
            if token.family_id == family_id {
                token.state = RefreshState::Revoked;
            }
        }
        Ok(())
    }

    async fn revoke_client_tokens(&self, client: &ClientId) -> Result<()> {
        for token in self.refresh_tokens.lock().values_mut() {
            if token.client_id == *client {
                token.state = RefreshState::Revoked;
            }
        }
        Ok(())
    }

    async fn revoke_grant_tokens(&self, client: &ClientId, subject: &str) -> Result<()> {
        for token in self.refresh_tokens.lock().values_mut() {
            if token.client_id == *client && token.subject == subject {
                token.state = RefreshState::Revoked;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl AccountStore for InMemoryStorage {
    async fn insert_account(&self, account: &Account) -> Result<()> {
        match self.accounts.lock().entry(account.name.clone()) {
            std::collections::btree_map::Entry::Occupied(_) => {
                Err(Error::Conflict(format!("account {}", account.name)))
            }
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(account.clone());
                Ok(())
            }
        }
    }

    async fn account(&self, name: &str) -> Result<Option<Account>> {
        Ok(self.accounts.lock().get(name).cloned())
    }

    async fn update_account(&self, account: &Account) -> Result<bool> {
        match self.accounts.lock().get_mut(&account.name) {
            Some(stored) => {
                *stored = account.clone();
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn delete_account(&self, name: &str) -> Result<bool> {
        Ok(self.accounts.lock().remove(name).is_some())
    }

    async fn accounts(&self) -> Result<Vec<Account>> {
        Ok(self.accounts.lock().values().cloned().collect())
    }
}

#[async_trait]
impl ConsentStore for InMemoryStorage {
    async fn put_consent(&self, consent: &Consent) -> Result<()> {
        let key = (consent.subject.clone(), consent.client_id.clone());
        self.consents.lock().insert(key, consent.clone());
        Ok(())
    }

    async fn consent(&self, subject: &str, client: &ClientId) -> Result<Option<Consent>> {
        let key = (subject.to_owned(), client.clone());
        Ok(self.consents.lock().get(&key).cloned())
    }

    async fn consents(&self, subject: Option<&str>) -> Result<Vec<Consent>> {
        Ok(self
            .consents
            .lock()
            .values()
            .filter(|consent| subject.is_none_or(|wanted| consent.subject == wanted))
            .cloned()
            .collect())
    }
}

#[async_trait]
impl AuditStore for InMemoryStorage {
    async fn append_audit(&self, events: &[AuditEvent]) -> Result<()> {
        let mut audit = self.audit.lock();
        audit.extend(events.iter().cloned());
        let excess = audit.len().saturating_sub(AUDIT_LIMIT);
        audit.drain(..excess);
        Ok(())
    }

    async fn audit_since(&self, since: UnixTime, limit: usize) -> Result<Vec<AuditEvent>> {
        let audit = self.audit.lock();
        Ok(audit
            .iter()
            .filter(|event| event.at >= since)
            .take(limit)
            .cloned()
            .collect())
    }
}

#[async_trait]
impl KeyStore for InMemoryStorage {
    async fn key(&self, name: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.keys.lock().get(name).cloned())
    }

    async fn replace_key(&self, name: &str, expected: &[u8], new: &[u8]) -> Result<bool> {
        let mut keys = self.keys.lock();
        match keys.get_mut(name) {
            Some(stored) if stored.as_slice() == expected => {
                *stored = new.to_vec();
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn keys(&self) -> Result<Vec<(String, Vec<u8>)>> {
        let mut keys: Vec<_> = self
            .keys
            .lock()
            .iter()
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        keys.sort();
        Ok(keys)
    }

    async fn get_or_create_key(&self, name: &str, candidate: &[u8]) -> Result<Vec<u8>> {
        Ok(self
            .keys
            .lock()
            .entry(name.to_owned())
            .or_insert_with(|| candidate.to_vec())
            .clone())
    }
}

#[async_trait]
impl MemoryStore for InMemoryStorage {
    async fn put_memory(&self, memory: &Memory) -> Result<bool> {
        Ok(self
            .memories
            .lock()
            .insert(memory.content_hash.clone(), memory.clone())
            .is_none())
    }

    async fn memory(&self, content_hash: &str) -> Result<Option<Memory>> {
        Ok(self.memories.lock().get(content_hash).cloned())
    }

    async fn delete_memory(&self, content_hash: &str) -> Result<bool> {
        Ok(self.memories.lock().remove(content_hash).is_some())
    }

    async fn list_memories(&self, query: &MemoryQuery) -> Result<MemoryPage> {
        let mut matching: Vec<Memory> = self
            .memories
            .lock()
            .values()
            .filter(|m| query.accepts(m))
            .cloned()
            .collect();
        sort_newest_first(&mut matching);
        let total = matching.len();
        let memories = matching
            .into_iter()
            .skip(query.offset)
            .take(query.limit)
            .collect();
        Ok(MemoryPage { memories, total })
    }

    async fn search_memories(
        &self,
        text: &str,
        limit: usize,
        owner: Option<&str>,
    ) -> Result<Vec<ScoredMemory>> {
        let mut hits: Vec<ScoredMemory> = self
            .memories
            .lock()
            .values()
            .filter(|memory| owned_by(memory, owner))
            .map(|memory| ScoredMemory {
                score: relevance(text, &memory.content),
                memory: memory.clone(),
            })
            .filter(|hit| hit.score > 0.0)
            .collect();
        hits.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| newest_first(&a.memory, &b.memory))
        });
        hits.truncate(limit);
        Ok(hits)
    }

    async fn tags(&self, owner: Option<&str>) -> Result<Vec<TagCount>> {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for memory in self
            .memories
            .lock()
            .values()
            .filter(|memory| owned_by(memory, owner))
        {
            for tag in &memory.tags {
                *counts.entry(tag.clone()).or_default() += 1;
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

fn newest_first(a: &Memory, b: &Memory) -> std::cmp::Ordering {
    b.created_at
        .cmp(&a.created_at)
        .then_with(|| a.content_hash.cmp(&b.content_hash))
}

fn sort_newest_first(memories: &mut [Memory]) {
    memories.sort_by(newest_first);
}
