//! Where "now" comes from. Services never read the system time directly, so tests can
//! move a [`FakeClock`] forward and see idle timeouts, offer expiry and SLAs happen
//! without sleeping.

use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use tokio::sync::watch;

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;

    /// A receiver that changes whenever this clock is moved by hand (fake clocks only);
    /// background sweepers wake on it as well as on their real-time period.
    fn moves(&self) -> Option<watch::Receiver<SystemTime>> {
        None
    }
}

/// Shared handle to a clock.
pub type SharedClock = Arc<dyn Clock>;

/// The machine's wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that only moves when told to.
#[derive(Clone, Debug)]
pub struct FakeClock {
    now: Arc<watch::Sender<SystemTime>>,
}

impl FakeClock {
    /// A fake clock standing at `start`.
    pub fn at(start: SystemTime) -> Self {
        Self {
            now: Arc::new(watch::channel(start).0),
        }
    }

    /// A fake clock standing at the real current time.
    pub fn starting_now() -> Self {
        Self::at(SystemTime::now())
    }

    /// Moves the clock forward by `by` and wakes the sweepers.
    pub fn advance(&self, by: Duration) {
        self.now.send_modify(|now| *now += by);
    }
}

impl Clock for FakeClock {
    fn now(&self) -> SystemTime {
        *self.now.borrow()
    }

    fn moves(&self) -> Option<watch::Receiver<SystemTime>> {
        Some(self.now.subscribe())
    }
}

/// Wakes a background sweeper every `period` of real time, and at once whenever a fake
/// clock moves.
#[derive(Debug)]
pub struct Ticker {
    interval: tokio::time::Interval,
    moves: Option<watch::Receiver<SystemTime>>,
}

impl Ticker {
    /// A ticker for `clock` with the real-time `period`.
    pub fn new(clock: &dyn Clock, period: Duration) -> Self {
        let mut interval = tokio::time::interval(period);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Self {
            interval,
            moves: clock.moves(),
        }
    }

    /// Waits for the next tick.
    pub async fn tick(&mut self) {
        match &mut self.moves {
            Some(moves) => {
                tokio::select! {
                    _ = self.interval.tick() => {}
                    changed = moves.changed() => {
                        if changed.is_err() {
                            self.moves = None;
                        }
                    }
                }
            }
            None => {
                self.interval.tick().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fake_clock_moves_only_when_told_and_wakes_tickers() {
        let clock = FakeClock::at(SystemTime::UNIX_EPOCH);
        let mut ticker = Ticker::new(&clock, Duration::from_secs(3600));
        ticker.tick().await; // the interval's immediate first tick
        assert_eq!(clock.now(), SystemTime::UNIX_EPOCH);
        let waiting = tokio::spawn(async move { ticker.tick().await });
        tokio::task::yield_now().await;
        clock.advance(Duration::from_secs(90));
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("the ticker wakes when the fake clock moves")
            .unwrap();
        assert_eq!(
            clock.now(),
            SystemTime::UNIX_EPOCH + Duration::from_secs(90)
        );
    }
}
