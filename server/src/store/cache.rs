//! An in-memory copy of what the token path needs to know about a user (name and current
//! token version), so a request with a token costs no database round trip.
//!
//! Revocation stays exact: a logout or password change updates the database, then this cache,
//! before it answers. That holds because this process makes every write to its database (one
//! process per SQLite file); an engine shared by several instances must not use it.
//!
//! The subtle case is a request that read a user from the database just before a revocation
//! and stores it just after: it would put the old version back. Versions only ever grow, so an
//! entry is only ever replaced by a higher version; and a read that overlapped a revocation or
//! a clearing of the cache (`epoch` moved) is not stored at all.

use dashmap::{mapref::entry::Entry, DashMap};
use std::sync::atomic::{AtomicU64, Ordering};

/// Values of type `V` by id, each at a version that only grows.
pub struct VersionCache<V> {
    entries: DashMap<i64, (i64, V)>,
    epoch: AtomicU64,
    capacity: usize,
}

/// Taken before a database read whose result may be stored.
#[derive(Clone, Copy)]
pub struct ReadTicket(u64);

impl<V: Clone> VersionCache<V> {
    pub fn new(capacity: usize) -> Self {
        VersionCache {
            entries: DashMap::new(),
            epoch: AtomicU64::new(0),
            capacity,
        }
    }

    pub fn get(&self, id: i64) -> Option<V> {
        self.entries.get(&id).map(|entry| entry.1.clone())
    }

    pub fn ticket(&self) -> ReadTicket {
        ReadTicket(self.epoch.load(Ordering::SeqCst))
    }

    /// Stores what a read begun at `ticket` found, unless a revocation or clear happened since.
    pub fn store_read(&self, ticket: ReadTicket, id: i64, version: i64, value: V) {
        if self.entries.len() >= self.capacity {
            // Crude but bounded: the working set refills from the database.
            self.epoch.fetch_add(1, Ordering::SeqCst);
            self.entries.clear();
            return;
        }
        // The epoch is checked under the entry's lock, which a revocation's update also takes.
        let current = |epoch: &AtomicU64| epoch.load(Ordering::SeqCst) == ticket.0;
        match self.entries.entry(id) {
            Entry::Occupied(mut entry) => {
                if current(&self.epoch) && version > entry.get().0 {
                    entry.insert((version, value));
                }
            }
            Entry::Vacant(entry) => {
                if current(&self.epoch) {
                    entry.insert((version, value));
                }
            }
        }
    }

    /// After the database has recorded `version` for `id`.
    pub fn revoked(&self, id: i64, version: i64, value: V) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        match self.entries.entry(id) {
            Entry::Occupied(mut entry) => {
                if version > entry.get().0 {
                    entry.insert((version, value));
                }
            }
            Entry::Vacant(entry) => {
                entry.insert((version, value));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_that_overlapped_a_revocation_is_not_stored() {
        let cache = VersionCache::new(10);
        let ticket = cache.ticket();
        // The read saw version 0; meanwhile a logout made it 1.
        cache.revoked(1, 1, "v1");
        cache.store_read(ticket, 1, 0, "v0");
        assert_eq!(cache.get(1), Some("v1"));
    }

    #[test]
    fn a_lower_version_never_replaces_a_higher_one() {
        let cache = VersionCache::new(10);
        cache.revoked(1, 2, "v2");
        let ticket = cache.ticket();
        cache.store_read(ticket, 1, 1, "v1");
        assert_eq!(cache.get(1), Some("v2"));
        cache.revoked(1, 1, "v1");
        assert_eq!(cache.get(1), Some("v2"));
    }

    #[test]
    fn reads_fill_it_and_capacity_bounds_it() {
        let cache = VersionCache::new(2);
        for id in 0..2 {
            let ticket = cache.ticket();
            cache.store_read(ticket, id, 0, id);
        }
        assert!(cache.get(0).is_some() && cache.get(1).is_some());
        let ticket = cache.ticket();
        cache.store_read(ticket, 2, 0, 2);
        assert!(cache.get(0).is_none(), "full: cleared");
    }
}
