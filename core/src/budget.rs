//! Budgets of failed credentials: a key (a client address, an account name) may fail 10 times at
//! once, then once a minute. A spent budget is refused before the credential is even looked at,
//! so the refusal says nothing about a guess; only failures spend, so whoever uses the right
//! credential never waits. Written here because a rate-limit library spends on every check, and
//! this budget must be read without spending.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::{ErrorCode, OAuthError};

/// Failed credentials allowed at once, and how often one more is allowed after.
const FAILURE_BURST: f64 = 10.0;
const FAILURE_REFILL: Duration = Duration::from_secs(60);
/// Above this many tracked keys, the ones whose buckets are full again are forgotten.
const TRACKED_LIMIT: usize = 100_000;

/// The failed credentials of each key.
pub struct FailureBudget<K> {
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K> Default for FailureBudget<K> {
    fn default() -> Self {
        Self {
            buckets: Mutex::new(HashMap::new()),
        }
    }
}

/// Failures still allowed, as of a time.
#[derive(Clone, Copy)]
struct Bucket {
    allowed: f64,
    at: Instant,
}

impl Bucket {
    /// The bucket refilled up to `now`.
    fn at(self, now: Instant) -> Self {
        let refilled = now.duration_since(self.at).as_secs_f64() / FAILURE_REFILL.as_secs_f64();
        Self {
            allowed: (self.allowed + refilled).min(FAILURE_BURST),
            at: now,
        }
    }
}

impl<K: Hash + Eq> FailureBudget<K> {
    /// Refuses `key` when it spent its budget: `429` with `Retry-After`, with `code` (each
    /// endpoint answers with a code it registers) and a description saying what `whose`
    /// budget was spent ("this address", "this account").
    pub fn admit(&self, key: &K, code: ErrorCode, whose: &str) -> Result<(), OAuthError> {
        match self.blocked(key) {
            Some(wait) => Err(OAuthError::over_budget(
                code,
                format!("too many failed credentials for {whose}; retry in {wait} s"),
                wait,
            )
            .because(crate::Refusal::TooManyFailures)),
            None => Ok(()),
        }
    }

    /// `None` when `key` may present credentials; otherwise the seconds until it may again.
    pub fn blocked(&self, key: &K) -> Option<u64> {
        let now = Instant::now();
        let buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = buckets.get(key)?.at(now);
        (bucket.allowed < 1.0).then(|| {
            let missing = (1.0 - bucket.allowed) * FAILURE_REFILL.as_secs_f64();
            missing.ceil().max(1.0) as u64
        })
    }

    /// Records a failed credential of `key`.
    pub fn failed(&self, key: K) {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > TRACKED_LIMIT {
            buckets.retain(|_, bucket| bucket.at(now).allowed < FAILURE_BURST);
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            allowed: FAILURE_BURST,
            at: now,
        });
        let refilled = bucket.at(now);
        *bucket = Bucket {
            allowed: (refilled.allowed - 1.0).max(0.0),
            at: now,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_failures_block_a_key_and_no_other() {
        let budget = FailureBudget::default();
        for _ in 0..10 {
            assert_eq!(budget.blocked(&"alice"), None);
            assert!(budget.admit(&"alice", ErrorCode::AccessDenied, "x").is_ok());
            budget.failed("alice");
        }
        let wait = budget
            .blocked(&"alice")
            .expect("blocked after ten failures");
        assert!((1..=60).contains(&wait), "{wait}");
        let refused = budget
            .admit(&"alice", ErrorCode::AccessDenied, "this account")
            .unwrap_err();
        assert_eq!(refused.retry_after, Some(wait));
        assert!(refused.description.contains("this account"));
        assert_eq!(budget.blocked(&"bob"), None);
    }
}
