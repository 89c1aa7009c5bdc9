//! Per-caller rate limits (GCRA, `governor`), keyed by whatever the caller is (a token
//! subject, a session): a flood gets RESOURCE_EXHAUSTED with a retry-after hint, while
//! a real client never meets the limit. Time comes from the service's clock, so tests
//! refill a bucket by moving a fake clock. A limit of 0 is off.

use std::{
    num::NonZeroU32,
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, SystemTime},
};

use governor::{
    Quota, RateLimiter, clock::Clock, middleware::NoOpMiddleware,
    state::keyed::DefaultKeyedStateStore,
};
use tonic::{Code, Status, metadata::MetadataValue};
use tonic_types::{ErrorDetails, StatusExt};

use crate::clock::SharedClock;

/// The metadata key that says how long to wait before retrying, in milliseconds.
pub const RETRY_AFTER_MS: &str = "retry-after-ms";

/// Checks between sweeps of keys whose bucket is full again (memory stays bounded by
/// the callers of the last moments, not by every caller ever seen).
const SWEEP_EVERY: u64 = 4096;

/// governor's view of the service clock.
#[derive(Clone)]
struct ServiceClock(SharedClock);

impl Clock for ServiceClock {
    type Instant = SystemTime;
    fn now(&self) -> SystemTime {
        self.0.now()
    }
}

type Limiter =
    RateLimiter<String, DefaultKeyedStateStore<String>, ServiceClock, NoOpMiddleware<SystemTime>>;

/// One limit, applied per key.
pub struct KeyedLimit {
    limiter: Option<Limiter>,
    clock: SharedClock,
    what: &'static str,
    checks: AtomicU64,
}

impl KeyedLimit {
    /// `rate` per `period` (one of them refilled every `period / rate`), up to `burst`
    /// at once; `rate` 0 is no limit. `what` names the limit in refusals.
    pub fn new(
        what: &'static str,
        rate: u32,
        period: Duration,
        burst: u32,
        clock: SharedClock,
    ) -> Self {
        let limiter = NonZeroU32::new(rate).and_then(|rate| {
            let quota = Quota::with_period(period / rate.get())?
                .allow_burst(NonZeroU32::new(burst.max(1)).unwrap_or(rate));
            Some(RateLimiter::new(
                quota,
                DefaultKeyedStateStore::default(),
                ServiceClock(clock.clone()),
            ))
        });
        Self {
            limiter,
            clock,
            what,
            checks: AtomicU64::new(0),
        }
    }

    /// Takes one unit for `key`, or RESOURCE_EXHAUSTED saying when to retry (in the
    /// message, in `retry-after-ms` metadata, and as a `google.rpc.RetryInfo` detail).
    pub fn check(&self, key: &str) -> Result<(), Status> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            limiter.retain_recent();
        }
        match limiter.check_key(&key.to_owned()) {
            Ok(()) => Ok(()),
            Err(not_until) => Err(exhausted(
                self.what,
                not_until.wait_time_from(self.clock.now()),
            )),
        }
    }
}

/// Counts open streams per key and refuses one more past a cap; a stream holds its
/// [`StreamSlot`] for as long as it is open.
pub struct StreamCap {
    open: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, usize>>>,
    cap: usize,
    what: &'static str,
}

/// One open stream's place under a [`StreamCap`]; freed on drop.
pub struct StreamSlot {
    open: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, usize>>>,
    key: String,
}

impl StreamCap {
    /// At most `cap` open streams per key (0 = no cap).
    pub fn new(what: &'static str, cap: usize) -> Self {
        Self {
            open: Default::default(),
            cap,
            what,
        }
    }

    /// A place for one more stream of `key`, or RESOURCE_EXHAUSTED.
    pub fn open(&self, key: &str) -> Result<Option<StreamSlot>, Status> {
        if self.cap == 0 {
            return Ok(None);
        }
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(key.to_owned()).or_default();
        if *count >= self.cap {
            return Err(Status::resource_exhausted(format!(
                "{}: at most {} open at once; close one first",
                self.what, self.cap
            )));
        }
        *count += 1;
        Ok(Some(StreamSlot {
            open: self.open.clone(),
            key: key.to_owned(),
        }))
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// RESOURCE_EXHAUSTED for `what`, retry after `wait`.
fn exhausted(what: &str, wait: Duration) -> Status {
    let millis = wait.as_millis().max(1);
    let mut status = Status::with_error_details(
        Code::ResourceExhausted,
        format!(
            "{what}: limit reached; retry in {:.1} s",
            millis as f64 / 1000.0
        ),
        ErrorDetails::with_retry_info(Some(wait)),
    );
    if let Ok(value) = MetadataValue::try_from(millis.to_string()) {
        status.metadata_mut().insert(RETRY_AFTER_MS, value);
    }
    status
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::FakeClock;

    #[test]
    fn a_burst_passes_the_next_waits_and_time_refills() {
        let clock = FakeClock::starting_now();
        let limit = KeyedLimit::new(
            "new sessions",
            10,
            Duration::from_secs(60),
            10,
            Arc::new(clock.clone()),
        );
        for _ in 0..10 {
            limit.check("alice").unwrap();
        }
        let refused = limit.check("alice").unwrap_err();
        assert_eq!(refused.code(), Code::ResourceExhausted);
        assert!(refused.metadata().get(RETRY_AFTER_MS).is_some());
        limit
            .check("bob")
            .expect("another caller has a bucket of their own");
        clock.advance(Duration::from_secs(6));
        limit
            .check("alice")
            .expect("one refilled after a tenth of the minute");
    }

    #[test]
    fn zero_is_off() {
        let limit = KeyedLimit::new(
            "x",
            0,
            Duration::from_secs(1),
            0,
            Arc::new(FakeClock::starting_now()),
        );
        for _ in 0..1000 {
            limit.check("k").unwrap();
        }
    }
}
