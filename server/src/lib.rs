//! The rest-auth server: the JSON API under `/api`, the server-rendered pages, and the static
//! files of the hydrated front end, in one axum router.
//!
//! Imports point one way: `startup` → `http` → `api` → `accounts` → `auth` → `store`, with
//! `state`, `config`, `error`, `metrics` and `audit` used by the layers above them.

pub mod accounts;
pub mod api;
pub mod audit;
pub mod auth;
pub mod config;
pub mod error;
pub mod http;
pub mod metrics;
pub mod startup;
pub mod state;
pub mod store;

use config::Config;
use startup::StartError;
use std::future::Future;
use tokio::net::TcpListener;

/// Builds the app and serves it on `LEPTOS_SITE_ADDR` until `shutdown` resolves.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let (router, _) = startup::build(&config).await?;
    let addr = config.leptos.site_addr;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Listen { addr, source })?;
    tracing::info!("listening on http://{addr}");
    startup::serve(listener, router, shutdown)
        .await
        .map_err(StartError::Serve)
}
