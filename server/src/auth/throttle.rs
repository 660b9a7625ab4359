//! Brute-force protection: guesses (a password or a one-time code, right or wrong) are counted
//! per username and per client address, and while either count is used up every guess is
//! refused with 429 before any hash or code check runs.
//!
//! A guess takes its place in both counts *before* it is judged, and gives it back if it turns
//! out right ([`LoginThrottle::reserve`], then [`LoginThrottle::give_back`] or
//! [`LoginThrottle::keep`]). So guesses sent at the same moment cannot all be judged while the
//! count is still being written: at most the limit's number hold a place, and every other one is
//! refused at once. A right password never uses up an allowance.
//!
//! The rule is a generic cell rate algorithm (GCRA), written once in [`take`]: a limit of N
//! failures per window is a bucket of N cells, each paid back window/N after it was taken; a
//! key's state is one number, its theoretical arrival time (TAT). Where one process owns the
//! database (SQLite) the TATs live in its memory; where several instances share one
//! (PostgreSQL) they live in the database, whose statement mirrors [`take`]
//! (store/login_failures.rs), so the limits are totals over all instances.

use crate::store::{FailureCounter, FailureKey, StoreError};
use std::{
    collections::HashMap,
    net::IpAddr,
    num::NonZeroU32,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// Microseconds since the Unix epoch: the unit of every TAT, in memory and in the database.
pub type Micros = i64;

fn now_micros() -> Micros {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Micros::try_from(since_epoch.as_micros()).unwrap_or(Micros::MAX)
}

/// At most `failures` failed checks within `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub failures: NonZeroU32,
    pub window: Duration,
}

impl Limit {
    pub fn new(failures: u32, window: Duration) -> Option<Self> {
        let failures = NonZeroU32::new(failures)?;
        (window >= Duration::from_secs(1)).then_some(Limit { failures, window })
    }

    /// The time one cell takes to pay back. Rounded down, so N cells always fit the window.
    pub fn period(&self) -> Micros {
        self.window_micros() / Micros::from(self.failures.get())
    }

    pub fn window_micros(&self) -> Micros {
        Micros::try_from(self.window.as_micros()).unwrap_or(Micros::MAX)
    }
}

/// The GCRA rule: a key whose TAT is `tat` (`None`: never counted, or forgotten) takes one cell
/// at `now`. Either its new TAT, or, when its bucket is empty, how long until a cell is back.
/// The SQL of store/login_failures.rs is this function, statement for statement.
pub fn take(tat: Option<Micros>, now: Micros, limit: Limit) -> Result<Micros, Micros> {
    let next = tat.map_or(now, |tat| tat.max(now)) + limit.period();
    if next - now <= limit.window_micros() {
        Ok(next)
    } else {
        Err(next - limit.window_micros() - now)
    }
}

/// The defaults: 10 failures per username per 15 minutes, 100 per address per minute.
#[derive(Clone, Copy, Debug)]
pub struct LoginLimits {
    pub per_username: Limit,
    pub per_address: Limit,
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits {
            per_username: Limit::new(10, Duration::from_secs(15 * 60)).unwrap(),
            per_address: Limit::new(100, Duration::from_secs(60)).unwrap(),
        }
    }
}

/// Refused until `retry_after` has passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Locked {
    pub retry_after: Duration,
}

impl Locked {
    fn after(micros: Micros) -> Self {
        Locked {
            retry_after: Duration::from_micros(u64::try_from(micros).unwrap_or(0)),
        }
    }

    /// Whole seconds for `Retry-After`, rounded up so a client that waits that long succeeds.
    pub fn retry_after_secs(&self) -> u64 {
        let secs = self.retry_after.as_secs();
        if self.retry_after.subsec_nanos() > 0 {
            secs + 1
        } else {
            secs.max(1)
        }
    }
}

/// A place taken in both counts by a guess not yet judged: hand it to
/// [`LoginThrottle::give_back`] if the guess is right, to [`LoginThrottle::keep`] if it is not.
#[must_use = "a reservation is given back (a right guess) or kept (a wrong one)"]
#[derive(Debug)]
pub struct Reservation {
    keys: [String; 2],
    /// The lock this guess starts if it turns out wrong: it took the last cell of a count.
    lock_if_wrong: Option<Locked>,
}

/// The counts: in this process's memory, or in the shared database.
pub struct LoginThrottle {
    limits: LoginLimits,
    counts: Counts,
}

enum Counts {
    Memory(MemoryCounts),
    Shared(FailureCounter),
}

impl LoginThrottle {
    /// Counts in the database when `shared` is given (several instances), else in memory.
    pub fn new(limits: LoginLimits, shared: Option<FailureCounter>) -> Arc<Self> {
        let counts = match shared {
            Some(counter) => Counts::Shared(counter),
            None => Counts::Memory(MemoryCounts::default()),
        };
        Arc::new(LoginThrottle { limits, counts })
    }

    /// Takes a place for one guess for `username` from `address`, or refuses it (the lock in
    /// force) without taking anything.
    pub async fn reserve(
        &self,
        username: &str,
        address: IpAddr,
    ) -> Result<Result<Reservation, Locked>, StoreError> {
        self.reserve_at(username, address, now_micros()).await
    }

    /// [`LoginThrottle::reserve`] at `now` (tests run the rule's cases at chosen times).
    pub async fn reserve_at(
        &self,
        username: &str,
        address: IpAddr,
        now: Micros,
    ) -> Result<Result<Reservation, Locked>, StoreError> {
        let keys = keys(username, address);
        let limits = [self.limits.per_username, self.limits.per_address];
        let taken = match &self.counts {
            Counts::Memory(memory) => memory.take_both(&keys, limits, now),
            Counts::Shared(counter) => counter
                .take_both(self.failure_keys(&keys), now)
                .await?
                .map_err(Locked::after),
        };
        Ok(taken.map(|tats| {
            // What the next guess at this moment would be told: if refused, this guess holds
            // the last cell of a count.
            let lock_if_wrong = tats
                .iter()
                .zip(limits)
                .filter_map(|(&tat, limit)| take(Some(tat), now, limit).err())
                .max()
                .map(Locked::after);
            Reservation {
                keys,
                lock_if_wrong,
            }
        }))
    }

    /// The guess was right: its place goes back to both counts.
    pub async fn give_back(&self, reservation: Reservation) -> Result<(), StoreError> {
        let keys = reservation.keys;
        match &self.counts {
            Counts::Memory(memory) => {
                memory.give_back(&keys, self.periods());
                Ok(())
            }
            Counts::Shared(counter) => counter.give_back(self.failure_keys(&keys)).await,
        }
    }

    /// The guess was wrong: its place stays taken. The lock it starts, if it took the last
    /// cell of a count.
    pub fn keep(&self, reservation: Reservation) -> Option<Locked> {
        reservation.lock_if_wrong
    }

    /// Forgets the keys whose buckets have refilled (in memory, or in the database), so a
    /// spray of made-up usernames cannot grow them without bound. Run once a minute.
    pub async fn forget_idle(&self) {
        let now = now_micros();
        match &self.counts {
            Counts::Memory(memory) => memory.forget_before(now),
            Counts::Shared(counter) => {
                if let Err(error) = counter.prune(now, PRUNE_BATCH).await {
                    tracing::warn!(%error, "pruning the login failure counts failed");
                }
            }
        }
    }

    fn periods(&self) -> [Micros; 2] {
        [
            self.limits.per_username.period(),
            self.limits.per_address.period(),
        ]
    }

    fn failure_keys<'a>(&self, keys: &'a [String; 2]) -> [FailureKey<'a>; 2] {
        let limits = [self.limits.per_username, self.limits.per_address];
        [0, 1].map(|i| FailureKey {
            key: &keys[i],
            period: limits[i].period(),
            window: limits[i].window_micros(),
        })
    }
}

/// Keys one statement of the pruning forgets.
const PRUNE_BATCH: u32 = 1_000;

/// The keys of a username and an address (one table, one map, holds both).
fn keys(username: &str, address: IpAddr) -> [String; 2] {
    [
        format!("user:{}", username.to_lowercase()),
        format!("addr:{}", address_key(address)),
    ]
}

/// One IPv6 host usually owns a whole /64, so that is what counts as one address.
fn address_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        },
    }
}

/// The TATs of one process. One lock for the map: both keys are taken together or not at all,
/// and only guesses (each bound for an argon2 hash or a code check) come here.
#[derive(Default)]
struct MemoryCounts {
    tats: Mutex<HashMap<String, Micros>>,
}

impl MemoryCounts {
    fn tats(&self) -> std::sync::MutexGuard<'_, HashMap<String, Micros>> {
        // Every update is one insert of a computed value: a panic cannot leave it half done.
        self.tats
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn take_both(
        &self,
        keys: &[String; 2],
        limits: [Limit; 2],
        now: Micros,
    ) -> Result<[Micros; 2], Locked> {
        let mut tats = self.tats();
        let taken = [0, 1].map(|i| take(tats.get(&keys[i]).copied(), now, limits[i]));
        match taken {
            [Ok(first), Ok(second)] => {
                tats.insert(keys[0].clone(), first);
                tats.insert(keys[1].clone(), second);
                Ok([first, second])
            }
            [first, second] => {
                let wait = first.err().max(second.err()).unwrap_or_default();
                Err(Locked::after(wait))
            }
        }
    }

    /// Pays one cell back to each key (a key refilled this way is forgotten by the next
    /// [`MemoryCounts::forget_before`]).
    fn give_back(&self, keys: &[String; 2], periods: [Micros; 2]) {
        let mut tats = self.tats();
        for (key, period) in keys.iter().zip(periods) {
            if let Some(tat) = tats.get_mut(key) {
                *tat -= period;
            }
        }
    }

    fn forget_before(&self, now: Micros) {
        self.tats().retain(|_, tat| *tat > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Micros = 1_000_000;

    fn limit(failures: u32, window_secs: u64) -> Limit {
        Limit::new(failures, Duration::from_secs(window_secs)).unwrap()
    }

    #[test]
    fn a_bucket_holds_its_limit_then_refills_one_cell_per_period() {
        let limit = limit(3, 900);
        let now = 1_000 * SECOND;
        let mut tat = None;
        for _ in 0..3 {
            tat = Some(take(tat, now, limit).expect("within the limit"));
        }
        assert_eq!(take(tat, now, limit), Err(300 * SECOND));
        assert_eq!(take(tat, now + 299 * SECOND, limit), Err(SECOND));
        assert!(take(tat, now + 300 * SECOND, limit).is_ok());
    }

    #[test]
    fn a_window_that_does_not_divide_evenly_still_holds_every_cell() {
        let limit = limit(7, 60);
        let mut tat = None;
        for _ in 0..7 {
            tat = Some(take(tat, 0, limit).expect("seven fit"));
        }
        assert!(take(tat, 0, limit).is_err());
    }

    #[test]
    fn locked_rounds_up_to_whole_seconds() {
        assert_eq!(Locked::after(300 * SECOND).retry_after_secs(), 300);
        assert_eq!(Locked::after(300 * SECOND + 1).retry_after_secs(), 301);
        assert_eq!(Locked::after(0).retry_after_secs(), 1);
    }

    #[test]
    fn ipv6_neighbours_in_one_slash_64_count_together() {
        let a: IpAddr = "2001:db8::1".parse().unwrap();
        let b: IpAddr = "2001:db8::ffff:2".parse().unwrap();
        let c: IpAddr = "2001:db8:0:1::1".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(c));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(address_key(mapped), "10.0.0.1".parse::<IpAddr>().unwrap());
    }
}
