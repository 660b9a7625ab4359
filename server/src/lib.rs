//! The rest-auth server: the JSON API under `/api`, the server-rendered pages, and the static
//! files of the hydrated front end, in one axum router.
//!
//! Imports point one way: `startup` → `http` → `api` → `passkeys` → `accounts` → `auth` →
//! `store`, with
//! `state`, `config`, `error`, `metrics`, `audit`, `clock` and `tasks` used by the layers
//! above them.

pub mod accounts;
pub mod api;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod config;
pub mod error;
pub mod http;
pub mod metrics;
pub mod passkeys;
pub mod startup;
pub mod state;
pub mod store;
pub mod tasks;

use config::Config;
use startup::StartError;
use std::future::Future;
use tokio::net::TcpListener;

/// Builds the app and serves it on `LEPTOS_SITE_ADDR` until `shutdown` resolves; then, once
/// the requests in flight are answered, stops the background work and closes the database.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let app = startup::build(&config).await?;
    let addr = config.leptos.site_addr;
    let listener = match TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(source) => {
            app.shut_down().await;
            return Err(StartError::Listen { addr, source });
        }
    };
    tracing::info!(public_url = %config.public_url, "listening on http://{addr}");
    let served = startup::serve(listener, app.router.clone(), shutdown).await;
    app.shut_down().await;
    served.map_err(StartError::Serve)
}
