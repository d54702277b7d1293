//! Per-client-IP rate limits on the OAuth endpoints that do work (register, authorize, token,
//! revoke, introspect), never on discovery: `MCP_OAUTH_RATE_LIMIT_PER_MINUTE`.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Above this many tracked addresses, the ones whose buckets are full again are forgotten.
const TRACKED_LIMIT: usize = 100_000;

/// A token bucket per client IP: `per_minute` requests a minute, with bursts of as many.
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

    /// The budget of consent approvals per client IP: 10 at once, then one a minute, so the
    /// owner's API key cannot be guessed through the consent form.
    pub fn consent_attempts() -> Self {
        let quota = Quota::per_minute(NonZeroU32::MIN)
            .allow_burst(NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN));
        Self {
            limiter: RateLimiter::keyed(quota),
        }
    }

    /// `None` when `ip` may go on; otherwise the seconds to wait (for `Retry-After`).
    pub fn check(&self, ip: IpAddr) -> Option<u64> {
        if self.limiter.len() > TRACKED_LIMIT {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&ip).err().map(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}
