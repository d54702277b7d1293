//! Per-client-address budgets: the rate limit on the OAuth endpoints that do work (register,
//! authorize, token, revoke, introspect; never discovery), `MCP_OAUTH_RATE_LIMIT_PER_MINUTE`, and
//! the budget of failed credentials (the API key, bearer tokens, the consent form) shared by every
//! route. An IPv6 client is its /64: one host is given a whole /64 and can pick any address in it.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use mcp_oauth_core::{ErrorCode, OAuthError};

/// Above this many tracked addresses, the ones whose buckets are full again are forgotten.
const TRACKED_LIMIT: usize = 100_000;

/// The address a budget is kept for: an IPv4 address (also when written IPv4-mapped), or the /64
/// of an IPv6 one.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & (u128::MAX << 64);
                IpAddr::V6(Ipv6Addr::from(bits))
            }
        },
        v4 => v4,
    }
}

/// A token bucket per client address: `per_minute` requests a minute, with bursts of as many.
pub struct RateLimit {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl RateLimit {
    /// A limit of `per_minute`; `None` for 0 (no limit).
    pub fn per_minute(per_minute: u32) -> Option<Self> {
        let quota = Quota::per_minute(NonZeroU32::new(per_minute)?);
        Some(Self {
            limiter: RateLimiter::keyed(quota),
        })
    }

    /// `None` when `ip` may go on; otherwise the seconds to wait (for `Retry-After`).
    pub fn check(&self, ip: IpAddr) -> Option<u64> {
        if self.limiter.len() > TRACKED_LIMIT {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&client_key(ip))
            .err()
            .map(|not_until| {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
            })
    }
}

/// Failed credentials allowed at once from one address, and how often one more is allowed after.
const FAILURE_BURST: f64 = 10.0;
const FAILURE_REFILL: Duration = Duration::from_secs(60);

/// The failed credentials of each client address: 10 at once, then one a minute; an address
/// that spent them is refused before its credentials are even looked at (so the refusal says
/// nothing about a guess). Only failures spend: a client using the right key never waits. Written
/// here because a rate-limit library spends on every check, and this budget must be read without
/// spending.
#[derive(Default)]
pub struct FailureBudget {
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
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

impl FailureBudget {
    /// Refuses a request from `address` that spent its budget: `429` with `Retry-After`, with
    /// `code` (each endpoint answers with a code it registers). An unknown address is admitted.
    pub fn admit(&self, address: Option<IpAddr>, code: ErrorCode) -> Result<(), OAuthError> {
        match address.and_then(|ip| self.blocked(ip)) {
            Some(wait) => Err(OAuthError::over_budget(
                code,
                format!("too many failed credentials from this address; retry in {wait} s"),
                wait,
            )),
            None => Ok(()),
        }
    }

    /// `None` when `ip` may present credentials; otherwise the seconds until it may again.
    fn blocked(&self, ip: IpAddr) -> Option<u64> {
        let now = Instant::now();
        let buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = buckets.get(&client_key(ip))?.at(now);
        (bucket.allowed < 1.0).then(|| {
            let missing = (1.0 - bucket.allowed) * FAILURE_REFILL.as_secs_f64();
            missing.ceil().max(1.0) as u64
        })
    }

    /// Records a failed credential from `address`, when it is known.
    pub fn failed(&self, address: Option<IpAddr>) {
        let Some(ip) = address else {
            return;
        };
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > TRACKED_LIMIT {
            buckets.retain(|_, bucket| bucket.at(now).allowed < FAILURE_BURST);
        }
        let bucket = buckets.entry(client_key(ip)).or_insert(Bucket {
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
    fn an_ipv6_client_is_its_64_and_a_mapped_address_its_ipv4() {
        let key = |text: &str| client_key(text.parse().unwrap());
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:ffff::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:192.0.2.1"), key("192.0.2.1"));
        assert_ne!(key("192.0.2.1"), key("192.0.2.2"));
    }

    #[test]
    fn ten_failures_block_an_address_and_its_64_but_no_other() {
        let budget = FailureBudget::default();
        let ip: IpAddr = "2001:db8::1".parse().unwrap();
        for _ in 0..10 {
            assert_eq!(budget.blocked(ip), None);
            budget.failed(Some(ip));
        }
        let wait = budget.blocked(ip).expect("blocked after ten failures");
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(budget.blocked("2001:db8::2".parse().unwrap()).is_some());
        assert_eq!(budget.blocked("2001:db8:0:1::1".parse().unwrap()), None);
        assert_eq!(budget.blocked("192.0.2.1".parse().unwrap()), None);
    }
}
