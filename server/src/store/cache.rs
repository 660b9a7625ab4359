//! The sessions the token path has checked, kept in memory so that a request with a token
//! costs no database round trip.
//!
//! Staying exact is the whole difficulty. Every end of a session removes it here: directly in
//! the process that ended it, and, when several instances share a PostgreSQL database, in every
//! other one through the database's notification (see listener.rs). While that notification
//! channel is down, nothing here is trusted: every lookup goes to the database.
//!
//! The subtle case is a lookup that read a session from the database just before it ended and
//! stores it just after: it would bring the ended session back. So each read takes a ticket
//! first, and a read that overlapped any removal, clearing or loss of trust (`epoch` moved) is
//! not stored.

use moka::sync::Cache;
use std::{
    collections::hash_map::RandomState,
    hash::BuildHasher,
    sync::{
        atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering},
        Arc, Mutex, MutexGuard,
    },
};

/// What the token path needs to know about a live session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActiveSession {
    pub id: String,
    pub user_id: i64,
    pub username: String,
    /// Unix seconds; the session's absolute lifetime counts from here.
    pub started_at: i64,
}

struct Held {
    session: ActiveSession,
    /// Unix seconds of the last use the database has been told about.
    last_used_at: AtomicI64,
}

/// Locks that make "check the epoch, then store" one step against a removal of the same id.
const STRIPES: usize = 64;

/// Which sessions were read from the database lately, one bit per hash of their id: while the
/// cache is at least half full, a session is kept only on its second read, so a pass of one-off
/// tokens (a crawler, a load test) never enters it. Needed because moka's frequency sketch, which
/// judges what a full cache keeps, counts uses only from the moment the cache is first half full:
/// a hot set smaller than that counts for nothing against the pass that fills it.
struct Doorkeeper {
    words: Box<[AtomicU64]>,
    /// Bits set since the last clearing; at `limit`, all are cleared ("lately").
    set: AtomicU64,
    limit: u64,
}

impl Doorkeeper {
    fn new(capacity: u64) -> Self {
        // Eight bits per session held, so few one-off ids share a bit with another.
        let bits = capacity
            .saturating_mul(8)
            .next_power_of_two()
            .clamp(1 << 10, 1 << 24);
        Doorkeeper {
            words: (0..bits / 64).map(|_| AtomicU64::new(0)).collect(),
            set: AtomicU64::new(0),
            limit: capacity.max(1),
        }
    }

    /// Whether `hash` was seen lately; it is from now on.
    fn seen_before(&self, hash: u64) -> bool {
        let bit = hash % (self.words.len() as u64 * 64);
        let mask = 1u64 << (bit % 64);
        let before = self.words[(bit / 64) as usize].fetch_or(mask, Ordering::Relaxed);
        if before & mask != 0 {
            return true;
        }
        if self.set.fetch_add(1, Ordering::Relaxed) + 1 >= self.limit {
            self.set.store(0, Ordering::Relaxed);
            for word in self.words.iter() {
                word.store(0, Ordering::Relaxed);
            }
        }
        false
    }
}

pub struct SessionCache {
    /// Bounded, with TinyLFU admission: when full, a session is kept only if it is asked for
    /// more often than the one it would push out, so a pass of one-off tokens (a crawler, a
    /// load test) does not flush the sessions in use.
    entries: Cache<String, Arc<Held>>,
    /// Half the capacity: from there on, the doorkeeper decides what is kept.
    crowded_from: u64,
    doorkeeper: Doorkeeper,
    stripes: Box<[Mutex<()>]>,
    stripe_of: RandomState,
    epoch: AtomicU64,
    trusted: AtomicBool,
    /// Lookups answered from memory, and those that were not (for `/metrics`).
    hits: AtomicU64,
    misses: AtomicU64,
}

/// What `/metrics` shows of the cache.
#[derive(Clone, Copy, Debug, Default)]
pub struct CacheFigures {
    pub sessions_held: u64,
    pub hits: u64,
    pub misses: u64,
}

/// A session answered from memory.
pub struct CachedUse {
    pub session: ActiveSession,
    /// This use is to be written to the database (see [`SessionCache::get`]).
    pub touch_due: bool,
}

/// Taken before a database read whose result may be stored; `None` while nothing is trusted.
#[derive(Clone, Copy)]
pub struct ReadTicket(Option<u64>);

impl SessionCache {
    /// `trusted`: whether it starts out usable (a PostgreSQL cache waits for its listener).
    pub fn new(capacity: u64, trusted: bool) -> Self {
        SessionCache {
            entries: Cache::new(capacity),
            crowded_from: capacity / 2,
            doorkeeper: Doorkeeper::new(capacity),
            stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
            stripe_of: RandomState::new(),
            epoch: AtomicU64::new(0),
            trusted: AtomicBool::new(trusted),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    pub fn figures(&self) -> CacheFigures {
        CacheFigures {
            sessions_held: self.entries.entry_count(),
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }

    fn stripe(&self, id: &str) -> MutexGuard<'_, ()> {
        let index = self.hash(id) as usize % STRIPES;
        // A panic while holding it cannot leave the guarded unit `()` inconsistent.
        self.stripes[index]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The session, if it is held and may be trusted, and whether this use, at `now`, is the
    /// one to write to the database: the first more than `touch_interval` seconds after the
    /// last one written (only one caller is told so). One lookup for both.
    pub fn get(&self, id: &str, now: i64, touch_interval: i64) -> Option<CachedUse> {
        let held = if self.trusted.load(Ordering::SeqCst) {
            self.entries.get(id)
        } else {
            None
        };
        let counter = if held.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        let held = held?;
        let last = held.last_used_at.load(Ordering::Relaxed);
        let touch_due = now - last >= touch_interval
            && held
                .last_used_at
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok();
        Some(CachedUse {
            session: held.session.clone(),
            touch_due,
        })
    }

    pub fn ticket(&self) -> ReadTicket {
        let epoch = self.epoch.load(Ordering::SeqCst);
        ReadTicket(self.trusted.load(Ordering::SeqCst).then_some(epoch))
    }

    fn hash(&self, id: &str) -> u64 {
        self.stripe_of.hash_one(id)
    }

    /// Keeps what a read begun at `ticket` found, unless anything was removed since, or the
    /// cache is crowded and this session was not read lately (see [`Doorkeeper`]).
    pub fn store_read(&self, ticket: ReadTicket, session: ActiveSession, last_used_at: i64) {
        let Some(epoch) = ticket.0 else { return };
        let crowded = self.entries.entry_count() >= self.crowded_from;
        if crowded && !self.doorkeeper.seen_before(self.hash(&session.id)) {
            return;
        }
        // The epoch is checked under the id's stripe lock, which a removal also takes after
        // moving the epoch: either the removal sees the entry, or we see the new epoch.
        let _stripe = self.stripe(&session.id);
        if self.epoch.load(Ordering::SeqCst) == epoch && !self.entries.contains_key(&session.id) {
            let held = Arc::new(Held {
                session,
                last_used_at: AtomicI64::new(last_used_at),
            });
            self.entries.insert(held.session.id.clone(), held);
        }
    }

    /// After the session ended.
    pub fn remove(&self, id: &str) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        let _stripe = self.stripe(id);
        self.entries.invalidate(id);
    }

    pub fn clear(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        let _stripes: Vec<_> = self
            .stripes
            .iter()
            .map(|stripe| {
                stripe
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
            })
            .collect();
        // Whatever was stored before this is never returned again.
        self.entries.invalidate_all();
    }

    /// Trust ends at once when the notifications stop; it comes back only after the channel
    /// is listened to again and everything held before is forgotten.
    pub fn set_trusted(&self, trusted: bool) {
        if trusted {
            self.clear();
        } else {
            self.epoch.fetch_add(1, Ordering::SeqCst);
        }
        self.trusted.store(trusted, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(id: &str, user_id: i64) -> ActiveSession {
        ActiveSession {
            id: id.into(),
            user_id,
            username: format!("user{user_id}"),
            started_at: 0,
        }
    }

    /// The session as the token path would find it (never due for a write).
    fn held(cache: &SessionCache, id: &str) -> Option<ActiveSession> {
        cache.get(id, 0, i64::MAX).map(|found| found.session)
    }

    #[test]
    fn a_read_that_overlapped_a_removal_is_not_kept() {
        let cache = SessionCache::new(10, true);
        let ticket = cache.ticket();
        // The read saw the session; meanwhile it ended.
        cache.remove("a");
        cache.store_read(ticket, session("a", 1), 0);
        assert_eq!(held(&cache, "a"), None);
    }

    #[test]
    fn reads_fill_it_and_removals_empty_it() {
        let cache = SessionCache::new(10, true);
        for (id, user) in [("a", 1), ("b", 2)] {
            let ticket = cache.ticket();
            cache.store_read(ticket, session(id, user), 0);
        }
        assert!(held(&cache, "a").is_some() && held(&cache, "b").is_some());
        cache.remove("a");
        assert!(held(&cache, "a").is_none() && held(&cache, "b").is_some());
        cache.clear();
        assert!(held(&cache, "b").is_none());
    }

    #[test]
    fn a_hot_set_survives_a_pass_of_cold_sessions() {
        let cache = SessionCache::new(100, true);
        let store = |id: &str| cache.store_read(cache.ticket(), session(id, 1), 0);
        let hot: Vec<String> = (0..50).map(|n| format!("hot{n}")).collect();
        for _ in 0..10 {
            for id in &hot {
                if held(&cache, id).is_none() {
                    store(id);
                }
            }
        }
        for n in 0..1_000 {
            let id = format!("cold{n}");
            if held(&cache, &id).is_none() {
                store(&id);
            }
        }
        cache.entries.run_pending_tasks();
        assert!(cache.entries.entry_count() <= 100);
        let kept = hot.iter().filter(|id| held(&cache, id).is_some()).count();
        assert!(kept >= 45, "{kept} of 50 hot sessions kept");
    }

    /// A hot set well below half the capacity, used only a few times: moka's own sketch has
    /// counted none of it when the pass of one-off sessions comes.
    #[test]
    fn a_small_hot_set_used_a_few_times_survives_a_pass_larger_than_the_cache() {
        let cache = SessionCache::new(1_000, true);
        // One use: from memory, or read (and offered to the cache); whether it was read.
        let use_once = |id: &str| {
            let read = held(&cache, id).is_none();
            if read {
                cache.store_read(cache.ticket(), session(id, 1), 0);
            }
            usize::from(read)
        };
        let hot: Vec<String> = (0..200).map(|n| format!("hot{n}")).collect();
        for _ in 0..3 {
            for id in &hot {
                use_once(id);
            }
        }
        for n in 0..2_000 {
            use_once(&format!("cold{n}"));
            if n % 100 == 0 {
                cache.entries.run_pending_tasks();
            }
        }
        let reads: usize = (0..3).flat_map(|_| hot.iter()).map(|id| use_once(id)).sum();
        assert!(reads <= 5, "{reads} of 600 uses read the database");
    }

    #[test]
    fn nothing_is_trusted_or_kept_while_untrusted() {
        let cache = SessionCache::new(10, true);
        let before = cache.ticket();
        cache.store_read(before, session("a", 1), 0);
        cache.set_trusted(false);
        assert_eq!(held(&cache, "a"), None);
        let during = cache.ticket();
        cache.store_read(during, session("b", 1), 0);
        cache.store_read(before, session("c", 1), 0);
        cache.set_trusted(true);
        assert_eq!(held(&cache, "a"), None, "forgotten when trust came back");
        assert_eq!(held(&cache, "b"), None);
        assert_eq!(held(&cache, "c"), None);
    }

    #[test]
    fn one_caller_is_told_to_touch_per_interval() {
        let cache = SessionCache::new(10, true);
        let ticket = cache.ticket();
        cache.store_read(ticket, session("a", 1), 100);
        let touch_due = |now| cache.get("a", now, 60).unwrap().touch_due;
        assert!(!touch_due(130));
        assert!(touch_due(160));
        assert!(!touch_due(161));
        assert!(touch_due(220));
    }
}
