//! The rest-auth server: the JSON API under `/api`, the server-rendered pages, and the static
//! files of the hydrated front end, in one axum router.
//!
//! Imports point one way: `startup` → `http` → `api` → `passkeys`, `two_step`, `sign_in` →
//! `accounts` → `auth` → `store`, with `state`, `config`, `error`, `metrics`, `logging`,
//! `audit`, `clock`, `random` and `tasks` used by the layers above them.

// The account page's view is one type, sections included (their `Either`s instead of boxed
// `AnyView`s make the browser's code smaller: docs/performance.md); laying out its rendering
// future takes more than the default 128 levels.
#![recursion_limit = "256"]

pub mod accounts;
pub mod api;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod config;
pub mod error;
pub mod http;
pub mod logging;
pub mod metrics;
pub mod passkeys;
pub mod random;
pub mod sign_in;
pub mod startup;
pub mod state;
pub mod store;
pub mod tasks;
pub mod two_step;

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

/// `rest-auth account reset-two-step <username>`: turns two-step verification off for a user
/// who lost both the authenticator app and the recovery codes (audited). What happened, in a
/// sentence for the operator.
pub async fn reset_two_step(config: &Config, username: &str) -> Result<String, StartError> {
    let database = |source| StartError::Database {
        url: startup::redact_url(&config.database_url),
        source,
    };
    let (store, _) = store::Store::connect(&config.database_url, config.store)
        .await
        .map_err(database)?;
    let outcome = two_step::reset(&store, username).await.map_err(database);
    store.close().await;
    Ok(match outcome? {
        Some(true) => format!(
            "Two-step verification is now off for {username:?}: they can sign in with their \
             password alone, and set it up again from their account page."
        ),
        Some(false) => format!("{username:?} does not use two-step verification; nothing changed."),
        None => format!("There is no account called {username:?}; nothing changed."),
    })
}
