//! Time as the server signs and stores it: whole seconds since the Unix epoch, as `i64` (what
//! both databases store and a JWT's NumericDate carries). Durations cross into it here, once.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds since 1970-01-01 UTC.
pub type UnixSeconds = i64;

pub fn unix_now() -> UnixSeconds {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("system clock is after 1970");
    seconds(since_epoch)
}

/// A duration in whole seconds (saturating: no setting comes near `i64::MAX`).
pub fn seconds(duration: Duration) -> UnixSeconds {
    UnixSeconds::try_from(duration.as_secs()).unwrap_or(UnixSeconds::MAX)
}
