//! Conversions between std time and the protobuf well-known types, and the civil date
//! used in readable references.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A protobuf `Timestamp` for `t`.
pub fn to_timestamp(t: SystemTime) -> prost_types::Timestamp {
    let (seconds, nanos) = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (d.as_secs() as i64, d.subsec_nanos() as i32),
        Err(e) => {
            let d = e.duration();
            let mut secs = -(d.as_secs() as i64);
            let mut nanos = -(d.subsec_nanos() as i32);
            if nanos < 0 {
                secs -= 1;
                nanos += 1_000_000_000;
            }
            (secs, nanos)
        }
    };
    prost_types::Timestamp { seconds, nanos }
}

/// The `SystemTime` of a protobuf `Timestamp` (clamped to the epoch for earlier times).
pub fn from_timestamp(t: &prost_types::Timestamp) -> SystemTime {
    if t.seconds < 0 {
        return UNIX_EPOCH;
    }
    UNIX_EPOCH + Duration::new(t.seconds as u64, t.nanos.clamp(0, 999_999_999) as u32)
}

/// A protobuf `Duration` for `d`.
pub fn to_duration(d: Duration) -> prost_types::Duration {
    prost_types::Duration {
        seconds: d.as_secs() as i64,
        nanos: d.subsec_nanos() as i32,
    }
}

/// The std `Duration` of a protobuf `Duration`; `None` when negative.
pub fn from_duration(d: &prost_types::Duration) -> Option<Duration> {
    if d.seconds < 0 || d.nanos < 0 {
        return None;
    }
    Some(Duration::new(d.seconds as u64, d.nanos as u32))
}

/// Milliseconds since the Unix epoch, the form the stores keep instants in.
pub fn unix_millis(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The instant `ms` milliseconds after the Unix epoch.
pub fn from_unix_millis(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64)
}

/// The UTC calendar date of `t` as `YYYYMMDD`, e.g. `20261125`.
pub fn yyyymmdd(t: SystemTime) -> String {
    let days = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0) as i64;
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}{m:02}{d:02}")
}

/// A wall-clock reading to the minute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Civil {
    /// e.g. 2026.
    pub year: i64,
    /// 1..=12.
    pub month: u32,
    /// 1..=31.
    pub day: u32,
    /// 0..=23.
    pub hour: u32,
    /// 0..=59.
    pub minute: u32,
}

/// The wall-clock time of `t` at `utc_offset_secs` east of UTC (China: 8 hours).
pub fn civil(t: SystemTime, utc_offset_secs: i64) -> Civil {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
        + utc_offset_secs;
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    let of_day = secs.rem_euclid(86_400);
    Civil {
        year,
        month,
        day,
        hour: (of_day / 3600) as u32,
        minute: (of_day % 3600 / 60) as u32,
    }
}

/// Howard Hinnant's days-to-civil algorithm: (year, month, day) of a day number.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_dates() {
        assert_eq!(yyyymmdd(UNIX_EPOCH), "19700101");
        let beijing = civil(
            UNIX_EPOCH + Duration::from_secs(16 * 3600 + 5 * 60),
            8 * 3600,
        );
        assert_eq!(
            (
                beijing.year,
                beijing.month,
                beijing.day,
                beijing.hour,
                beijing.minute
            ),
            (1970, 1, 2, 0, 5)
        );
        // 2026-11-25T12:00:00Z
        assert_eq!(
            yyyymmdd(UNIX_EPOCH + Duration::from_secs(1_795_564_800 + 43_200)),
            "20261125"
        );
        assert_eq!(
            yyyymmdd(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "20000229"
        );
    }

    #[test]
    fn timestamps_round_trip() {
        let t = UNIX_EPOCH + Duration::new(1_700_000_000, 123_000_000);
        assert_eq!(from_timestamp(&to_timestamp(t)), t);
        assert_eq!(from_unix_millis(unix_millis(t)), t);
    }
}
