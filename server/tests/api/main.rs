//! HTTP tests of the whole server. One test binary (modules below) so the server links once.

#[path = "../support/mod.rs"]
mod support;

mod abuse;
mod account;
mod auth;
mod common;
mod database;
mod forms;
mod headers;
mod limits;
mod mixed_load;
mod openid;
mod pages;
mod passkeys;
mod registration;
mod revocation;
mod session_cache;
mod sessions;
mod sign_in;
mod step_up;
mod transactions;
mod transcript;
mod two_step;
