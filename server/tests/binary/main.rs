//! The `rest-auth` executable as an operator runs it. One test binary, modules below.

mod audit_log;
mod config;
mod harness;
mod multi_instance;
mod resilience;

#[path = "../support/postgres.rs"]
mod postgres;
#[path = "../support/tcp_link.rs"]
mod tcp_link;
