//! The `rest-auth` executable as an operator runs it. One test binary, modules below.

#[path = "../support/mod.rs"]
mod support;

mod audit_log;
mod behind_proxy;
mod config;
mod database_faults;
mod harness;
mod keys;
mod log_queue;
mod multi_instance;
mod openid;
mod resilience;
