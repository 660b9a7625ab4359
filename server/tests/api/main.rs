//! HTTP tests of the whole server. One test binary (modules below) so the server links once.

mod auth;
mod common;
mod pages;
mod registration;
mod transcript;
