//! The per-client token bucket of the public endpoints (filing, status lookup, login), on
//! governor's keyed limiter. In memory, per instance: behind a load balancer each instance limits
//! on its own. The key is the client address from [`super::client_addr`] (the forwarded client
//! behind a trusted proxy, else the peer).

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota};

pub struct RateLimiter {
    inner: DefaultKeyedRateLimiter<IpAddr>,
}

/// Above this many tracked addresses, the buckets that are full again are forgotten.
const MAX_KEYS: usize = 100_000;

impl RateLimiter {
    /// `per_minute` tokens come back each minute, up to `burst` at once.
    pub fn new(per_minute: u32, burst: u32) -> RateLimiter {
        let per_minute = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
        RateLimiter { inner: governor::RateLimiter::keyed(Quota::per_minute(per_minute).allow_burst(burst)) }
    }

    /// Take one token for `ip`; `false` when the bucket is empty.
    pub fn allow(&self, ip: IpAddr) -> bool {
        if self.inner.len() > MAX_KEYS {
            self.inner.retain_recent();
        }
        self.inner.check_key(&ip).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_limited_per_address() {
        let r = RateLimiter::new(1, 3);
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        assert!(r.allow(a) && r.allow(a) && r.allow(a));
        assert!(!r.allow(a));
        assert!(r.allow(b));
    }
}
