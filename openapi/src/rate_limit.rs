//! Per-client-address budgets: the rate limit on the OAuth endpoints that do work (register,
//! authorize, token, revoke, introspect; never discovery), `MCP_OAUTH_RATE_LIMIT_PER_MINUTE`, and
//! the budget of failed credentials (the API key, bearer tokens, the consent form) shared by every
//! route. An IPv6 client is its /64: one host is given a whole /64 and can pick any address in it.

use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;

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

/// The failed credentials of each client address (by [`client_key`]), shared by every route: see
/// [`mcp_oauth_core::budget`].
#[derive(Default)]
pub struct FailureBudget {
    addresses: mcp_oauth_core::budget::FailureBudget<IpAddr>,
}

impl FailureBudget {
    /// Refuses a request from `address` that spent its budget: `429` with `Retry-After`, with
    /// `code` (each endpoint answers with a code it registers). An unknown address is admitted.
    pub fn admit(&self, address: Option<IpAddr>, code: ErrorCode) -> Result<(), OAuthError> {
        match address {
            Some(ip) => self.addresses.admit(&client_key(ip), code, "this address"),
            None => Ok(()),
        }
    }

    /// Records a failed credential from `address`, when it is known.
    pub fn failed(&self, address: Option<IpAddr>) {
        if let Some(ip) = address {
            self.addresses.failed(client_key(ip));
        }
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
        let blocked = |text: &str| {
            budget
                .admit(Some(text.parse().unwrap()), ErrorCode::InvalidToken)
                .err()
                .and_then(|refused| refused.retry_after)
        };
        for _ in 0..10 {
            assert_eq!(blocked("2001:db8::1"), None);
            budget.failed(Some("2001:db8::1".parse().unwrap()));
        }
        let wait = blocked("2001:db8::1").expect("blocked after ten failures");
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(blocked("2001:db8::2").is_some());
        assert_eq!(blocked("2001:db8:0:1::1"), None);
        assert_eq!(blocked("192.0.2.1"), None);
        assert!(budget.admit(None, ErrorCode::InvalidToken).is_ok());
    }
}
