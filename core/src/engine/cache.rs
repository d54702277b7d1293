//! A small bounded map whose entries are believed until a given time: the engine keeps storage
//! answers in it (revoked token ids, registered clients, verified tokens) so that hot paths rarely
//! read storage or check a signature.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard};

use crate::clock::UnixTime;

/// Key → (value, believed until), at most `limit` entries; when full it starts afresh.
pub(crate) struct TimedCache<K, V> {
    entries: Mutex<HashMap<K, (V, UnixTime)>>,
    limit: usize,
}

impl<K: Hash + Eq, V: Clone> TimedCache<K, V> {
    /// An empty cache of at most `limit` entries.
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            limit,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<K, (V, UnixTime)>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The value for `key`, unless it is unknown or no longer believed at `now`.
    pub(crate) fn get<Q>(&self, key: &Q, now: UnixTime) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.lock()
            .get(key)
            .filter(|(_, until)| *until > now)
            .map(|(value, _)| value.clone())
    }

    /// Believes `value` for `key` until `until`.
    pub(crate) fn put(&self, key: K, value: V, until: UnixTime) {
        let mut entries = self.lock();
        if entries.len() >= self.limit {
            entries.clear();
        }
        entries.insert(key, (value, until));
    }

    /// Forgets every entry.
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    /// Forgets `key`.
    pub(crate) fn forget<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.lock().remove(key);
    }
}
