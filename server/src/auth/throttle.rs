//! Brute-force protection: failed password checks are counted per username and per client
//! address, and while either count is over its limit every password attempt (right or wrong)
//! is refused with 429 before any hash runs.
//!
//! The rule is a generic cell rate algorithm (GCRA): a limit of N failures per window is a
//! bucket of N cells refilled at one cell per window/N. Only failures take a cell, so a user who
//! types the right password never uses up an allowance. Where one process owns the database
//! (SQLite) the buckets live in its memory; where several instances share one (PostgreSQL)
//! they live in the database (store/login_failures.rs), so the limits are totals over all.
//!
//! In memory, governor does the counting. It has no "would this be allowed?" query, and
//! asking must not cost a cell, so each bucket map sits behind [`Buckets`], a state store that
//! can run governor's test without saving its outcome (a *probe*).

use crate::store::{FailureCounter, FailureKey, StoreError};
use governor::{
    clock::{Clock, DefaultClock, Reference},
    nanos::Nanos,
    state::{keyed::DashMapStateStore, InMemoryState, NotKeyed, StateStore},
    Quota, RateLimiter,
};
use std::{
    convert::Infallible, hash::Hash, net::IpAddr, num::NonZeroU32, sync::Arc, time::Duration,
};

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

    fn quota(&self) -> Quota {
        Quota::with_period(self.window / self.failures.get())
            .expect("a window of at least a second gives a non-zero period")
            .allow_burst(self.failures)
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

/// The failure counts: in this process's memory, or in the shared database.
pub struct LoginThrottle {
    limits: LoginLimits,
    counts: Counts,
}

enum Counts {
    Memory(Box<MemoryCounts>),
    Shared(FailureCounter),
}

impl LoginThrottle {
    /// Counts in the database when `shared` is given (several instances), else in memory.
    pub fn new(limits: LoginLimits, shared: Option<FailureCounter>) -> Arc<Self> {
        let counts = match shared {
            Some(counter) => Counts::Shared(counter),
            None => Counts::Memory(Box::new(MemoryCounts::new(limits))),
        };
        Arc::new(LoginThrottle { limits, counts })
    }

    /// The lock on a password attempt for `username` from `address`, if there is one now.
    /// Counts nothing.
    pub async fn check(
        &self,
        username: &str,
        address: IpAddr,
    ) -> Result<Option<Locked>, StoreError> {
        match &self.counts {
            Counts::Memory(memory) => Ok(memory.check(username, address).err()),
            Counts::Shared(counter) => {
                let (username_key, address_key) = shared_keys(username, address);
                let ahead = counter.ahead([&username_key, &address_key]).await?;
                Ok(self.lock_from(ahead))
            }
        }
    }

    /// Counts a failed check. Returns the lock this failure started, if it used up a limit.
    pub async fn record_failure(
        &self,
        username: &str,
        address: IpAddr,
    ) -> Result<Option<Locked>, StoreError> {
        match &self.counts {
            Counts::Memory(memory) => Ok(memory.record_failure(username, address)),
            Counts::Shared(counter) => {
                let (username_key, address_key) = shared_keys(username, address);
                let [by_username, by_address] = [self.limits.per_username, self.limits.per_address];
                let ahead = counter
                    .add([
                        by_username.failure_key(&username_key),
                        by_address.failure_key(&address_key),
                    ])
                    .await?;
                Ok(self.lock_from(ahead))
            }
        }
    }

    /// The lock implied by how far each key's bucket is ahead of now (username, address).
    fn lock_from(&self, ahead: [f64; 2]) -> Option<Locked> {
        let limits = [self.limits.per_username, self.limits.per_address];
        let wait = ahead
            .iter()
            .zip(limits)
            .map(|(ahead, limit)| ahead - (limit.window - limit.period()).as_secs_f64())
            .fold(0.0, f64::max);
        (wait > 0.0).then(|| Locked {
            retry_after: Duration::from_secs_f64(wait),
        })
    }

    /// Drops the entries whose bucket has refilled (from memory, or from the database), so a
    /// spray of made-up usernames cannot grow them without bound. Run once a minute.
    pub async fn forget_idle(&self) {
        match &self.counts {
            Counts::Memory(memory) => memory.forget_idle(),
            Counts::Shared(counter) => {
                if let Err(error) = counter.prune(PRUNE_BATCH).await {
                    tracing::warn!(%error, "pruning the login failure counts failed");
                }
            }
        }
    }
}

/// Keys one statement of the pruning forgets.
const PRUNE_BATCH: u32 = 1_000;

/// The database keys of a username and an address (one table holds both).
fn shared_keys(username: &str, address: IpAddr) -> (String, String) {
    (
        format!("user:{}", username_key(username)),
        format!("addr:{}", address_key(address)),
    )
}

impl Limit {
    /// The time one failure takes to pay back.
    fn period(&self) -> Duration {
        self.window / self.failures.get()
    }

    fn failure_key<'a>(&self, key: &'a str) -> FailureKey<'a> {
        FailureKey {
            key,
            period: self.period().as_secs_f64(),
            window: self.window.as_secs_f64(),
        }
    }
}

/// The failure counts of one process, with governor.
struct MemoryCounts {
    by_username: Counter<String>,
    by_address: Counter<IpAddr>,
}

impl MemoryCounts {
    fn new(limits: LoginLimits) -> Self {
        MemoryCounts {
            by_username: Counter::new(limits.per_username),
            by_address: Counter::new(limits.per_address),
        }
    }

    fn check(&self, username: &str, address: IpAddr) -> Result<(), Locked> {
        let waits = [
            self.by_username.wait(&username_key(username)),
            self.by_address.wait(&address_key(address)),
        ];
        match waits.into_iter().flatten().max() {
            Some(retry_after) => Err(Locked { retry_after }),
            None => Ok(()),
        }
    }

    fn record_failure(&self, username: &str, address: IpAddr) -> Option<Locked> {
        self.by_username.record(username_key(username));
        self.by_address.record(address_key(address));
        self.check(username, address).err()
    }

    fn forget_idle(&self) {
        self.by_username.forget_idle();
        self.by_address.forget_idle();
    }
}

/// Usernames are unique without regard to case, so their failures are counted that way too.
fn username_key(username: &str) -> String {
    username.to_lowercase()
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

/// One limit, counted per key.
struct Counter<K: Hash + Eq + Clone> {
    limiter: RateLimiter<Attempt<K>, Buckets<K>, DefaultClock>,
    buckets: Arc<DashMapStateStore<K>>,
    clock: DefaultClock,
    /// Taken just after the limiter's own start, so our "now" is never ahead of its.
    start: <DefaultClock as Clock>::Instant,
}

impl<K: Hash + Eq + Clone> Counter<K> {
    fn new(limit: Limit) -> Self {
        let clock = DefaultClock::default();
        let buckets = Arc::new(DashMapStateStore::default());
        let limiter = RateLimiter::new(limit.quota(), Buckets(buckets.clone()), clock.clone());
        let start = clock.now();
        Counter {
            limiter,
            buckets,
            clock,
            start,
        }
    }

    /// How long until `key` may try again; `None` when it may now.
    fn wait(&self, key: &K) -> Option<Duration> {
        self.limiter
            .check_key(&Attempt::Probe(key.clone()))
            .err()
            .map(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    fn record(&self, key: K) {
        // Already over the limit (a race with a concurrent failure): nothing more to count.
        let _ = self.limiter.check_key(&Attempt::Failure(key));
    }

    fn forget_idle(&self) {
        let now = self.clock.now().duration_since(self.start);
        self.buckets.retain(|_, state| {
            // The bucket is full again once its theoretical arrival time has passed.
            theoretical_arrival(state).is_some_and(|tat| tat > now)
        });
    }
}

/// What governor is asked about a key: a failure to count (it takes a cell), or a probe that
/// only looks.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Attempt<K> {
    Failure(K),
    Probe(K),
}

/// governor's keyed store, shared with [`Counter`] (for clean-up) and able to probe.
struct Buckets<K: Hash + Eq + Clone>(Arc<DashMapStateStore<K>>);

impl<K: Hash + Eq + Clone> StateStore for Buckets<K> {
    type Key = Attempt<K>;

    fn measure_and_replace<T, F, E>(&self, attempt: &Attempt<K>, decide: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        let key = match attempt {
            Attempt::Failure(key) => return self.0.measure_and_replace(key, decide),
            Attempt::Probe(key) => key,
        };
        match self.0.get(key) {
            // Never failed (or forgotten): a full bucket. Do not create an entry for a look.
            None => decide(None).map(|(outcome, _)| outcome),
            // Same decision, previous state written back unchanged.
            Some(state) => state.measure_and_replace(&NotKeyed::NonKey, |previous| {
                decide(previous).map(|(outcome, _)| (outcome, previous.unwrap_or_default()))
            }),
        }
    }
}

fn theoretical_arrival(state: &InMemoryState) -> Option<Nanos> {
    state
        .measure_and_replace(&NotKeyed::NonKey, |previous| {
            Ok::<_, Infallible>((previous, previous.unwrap_or_default()))
        })
        .unwrap_or_else(|never| match never {})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle(per_user: u32, per_addr: u32) -> MemoryCounts {
        MemoryCounts::new(LoginLimits {
            per_username: Limit::new(per_user, Duration::from_secs(900)).unwrap(),
            per_address: Limit::new(per_addr, Duration::from_secs(60)).unwrap(),
        })
    }

    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const AWAY: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn checking_costs_nothing() {
        let throttle = throttle(3, 100);
        for _ in 0..100 {
            assert_eq!(throttle.check("miguel", HOME), Ok(()));
        }
        assert!(
            throttle.by_username.buckets.is_empty(),
            "a look stores nothing"
        );
    }

    #[test]
    fn username_locks_after_its_limit_of_failures() {
        let throttle = throttle(3, 100);
        assert_eq!(throttle.record_failure("miguel", HOME), None);
        assert_eq!(throttle.record_failure("Miguel", AWAY), None);
        let lock = throttle
            .record_failure("MIGUEL", HOME)
            .expect("third failure locks");
        // One cell comes back after window / limit = 300 s.
        assert!(lock.retry_after > Duration::from_secs(290));
        assert!(lock.retry_after <= Duration::from_secs(300));
        assert_eq!(lock.retry_after_secs(), 300);
        assert!(throttle.check("miguel", AWAY).is_err(), "any address");
        assert_eq!(
            throttle.check("susan", HOME),
            Ok(()),
            "other users unaffected"
        );
    }

    #[test]
    fn address_locks_after_its_limit_of_failures() {
        let throttle = throttle(100, 5);
        for i in 0..4 {
            assert_eq!(throttle.record_failure(&format!("user{i}"), HOME), None);
        }
        assert!(throttle.record_failure("user4", HOME).is_some());
        assert!(throttle.check("someone-else", HOME).is_err());
        assert_eq!(throttle.check("someone-else", AWAY), Ok(()));
    }

    #[test]
    fn ipv6_neighbours_in_one_slash_64_count_together() {
        let a: IpAddr = "2001:db8::1".parse().unwrap();
        let b: IpAddr = "2001:db8::ffff:2".parse().unwrap();
        let c: IpAddr = "2001:db8:0:1::1".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(c));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(address_key(mapped), HOME);
    }

    #[test]
    fn refilled_buckets_are_forgotten_and_busy_ones_kept() {
        let throttle = throttle(3, 100);
        throttle.record_failure("miguel", HOME);
        throttle.forget_idle();
        assert_eq!(throttle.by_username.buckets.len(), 1, "not refilled yet");
        let quick = Counter::new(Limit::new(1, Duration::from_secs(1)).unwrap());
        quick.record("x".to_string());
        assert!(quick.wait(&"x".to_string()).is_some());
        std::thread::sleep(Duration::from_millis(1100));
        quick.forget_idle();
        assert!(quick.buckets.is_empty());
        assert!(quick.wait(&"x".to_string()).is_none());
    }
}
