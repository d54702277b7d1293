//! A map of records that expire, swept of the expired ones as it grows: the in-memory tables of
//! short-lived grants (codes, what codes were exchanged for, one-time ids, refresh tokens in the
//! memory storage).

use std::collections::HashMap;

/// The smallest table size at which expired records are swept on insert.
const SWEEP_THRESHOLD: usize = 1024;

/// A table of expiring records, swept of expired ones on insert whenever it has doubled since the
/// last sweep: amortised O(1) per insert, and at most twice the live records.
pub struct ExpiringMap<K, V> {
    records: HashMap<K, V>,
    sweep_at: usize,
}

impl<K, V> Default for ExpiringMap<K, V> {
    fn default() -> Self {
        Self {
            records: HashMap::new(),
            sweep_at: SWEEP_THRESHOLD,
        }
    }
}

impl<K, V> std::ops::Deref for ExpiringMap<K, V> {
    type Target = HashMap<K, V>;

    fn deref(&self) -> &Self::Target {
        &self.records
    }
}

impl<K, V> std::ops::DerefMut for ExpiringMap<K, V> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.records
    }
}

impl<K: std::hash::Hash + Eq, V> ExpiringMap<K, V> {
    /// Inserts `value`, first dropping the records `live` rejects when it is time to sweep.
    pub fn insert(&mut self, key: K, value: V, live: impl Fn(&V) -> bool) {
        if self.records.len() >= self.sweep_at {
            self.records.retain(|_, kept| live(kept));
            self.sweep_at = (self.records.len() * 2).max(SWEEP_THRESHOLD);
        }
        self.records.insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_records_are_swept_when_the_table_has_doubled() {
        let mut table: ExpiringMap<u32, i64> = ExpiringMap::default();
        for key in 0..SWEEP_THRESHOLD as u32 {
            table.insert(key, 10, |expiry| *expiry > 100);
        }
        assert_eq!(table.len(), SWEEP_THRESHOLD, "no sweep below the threshold");
        table.insert(u32::MAX, 500, |expiry| *expiry > 100);
        assert_eq!(
            table.len(),
            1,
            "the expired records went, the new one stayed"
        );
        for key in 0..3000 {
            table.insert(key, 500, |expiry| *expiry > 100);
        }
        assert_eq!(table.len(), 3001, "live records are never swept");
    }
}
