//! What the API and binary test crates share: one HTTP client for the API as curl would call
//! it, a passkey in software, a throwaway PostgreSQL database, a PostgreSQL server of a test's
//! own, and a TCP link that can be cut.

// Each test crate uses its own part of these.
#![allow(dead_code)]

pub mod client;
pub mod passkey;
pub mod postgres;
pub mod postgres_server;
pub mod tcp_link;
pub mod two_step;
