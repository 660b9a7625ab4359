//! The `rest-auth` executable as an operator runs it. One test binary, modules below.

mod audit_log;
mod config;
mod harness;
mod resilience;
