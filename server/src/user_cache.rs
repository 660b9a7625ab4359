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

/// The fields of a user the token path needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenHolder {
    pub id: i64,
    pub username: String,
    pub token_version: i64,
}

pub struct UserCache {
    entries: DashMap<i64, TokenHolder>,
    epoch: AtomicU64,
    capacity: usize,
}

/// Taken before a database read whose result may be stored.
#[derive(Clone, Copy)]
pub struct ReadTicket(u64);

impl UserCache {
    pub fn new(capacity: usize) -> Self {
        UserCache {
            entries: DashMap::new(),
            epoch: AtomicU64::new(0),
            capacity,
        }
    }

    pub fn get(&self, id: i64) -> Option<TokenHolder> {
        self.entries.get(&id).map(|entry| entry.clone())
    }

    pub fn ticket(&self) -> ReadTicket {
        ReadTicket(self.epoch.load(Ordering::SeqCst))
    }

    /// Stores what a read begun at `ticket` found, unless a revocation or clear happened since.
    pub fn store_read(&self, ticket: ReadTicket, holder: TokenHolder) {
        if self.entries.len() >= self.capacity {
            // Crude but bounded: the working set refills from the database.
            self.epoch.fetch_add(1, Ordering::SeqCst);
            self.entries.clear();
            return;
        }
        // The epoch is checked under the entry's lock, which a revocation's update also takes.
        match self.entries.entry(holder.id) {
            Entry::Occupied(mut entry) => {
                if self.epoch.load(Ordering::SeqCst) == ticket.0
                    && holder.token_version > entry.get().token_version
                {
                    entry.insert(holder);
                }
            }
            Entry::Vacant(entry) => {
                if self.epoch.load(Ordering::SeqCst) == ticket.0 {
                    entry.insert(holder);
                }
            }
        }
    }

    /// After the database has recorded a new token version for `holder.id`.
    pub fn revoked(&self, holder: TokenHolder) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        match self.entries.entry(holder.id) {
            Entry::Occupied(mut entry) => {
                if holder.token_version > entry.get().token_version {
                    entry.insert(holder);
                }
            }
            Entry::Vacant(entry) => {
                entry.insert(holder);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holder(version: i64) -> TokenHolder {
        TokenHolder {
            id: 1,
            username: "miguel".into(),
            token_version: version,
        }
    }

    #[test]
    fn a_read_that_overlapped_a_revocation_is_not_stored() {
        let cache = UserCache::new(10);
        let ticket = cache.ticket();
        // The read saw version 0; meanwhile a logout made it 1.
        cache.revoked(holder(1));
        cache.store_read(ticket, holder(0));
        assert_eq!(cache.get(1), Some(holder(1)));
    }

    #[test]
    fn a_lower_version_never_replaces_a_higher_one() {
        let cache = UserCache::new(10);
        cache.revoked(holder(2));
        let ticket = cache.ticket();
        cache.store_read(ticket, holder(1));
        assert_eq!(cache.get(1), Some(holder(2)));
        cache.revoked(holder(1));
        assert_eq!(cache.get(1), Some(holder(2)));
    }

    #[test]
    fn reads_fill_it_and_capacity_bounds_it() {
        let cache = UserCache::new(2);
        for id in 0..2 {
            let ticket = cache.ticket();
            cache.store_read(
                ticket,
                TokenHolder {
                    id,
                    username: format!("u{id}"),
                    token_version: 0,
                },
            );
        }
        assert!(cache.get(0).is_some() && cache.get(1).is_some());
        let ticket = cache.ticket();
        cache.store_read(ticket, holder(0));
        assert!(cache.get(0).is_none(), "full: cleared");
    }
}
