//! The rest-auth server: the JSON API under `/api`, the server-rendered pages, and the static
//! files of the hydrated front end, in one axum router.
//!
//! Imports point one way: `startup` → `http` → `api` → `passkeys`, `two_step`, `sign_in`,
//! `provider` →
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
pub mod provider;
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

/// `rest-auth client ...` and `rest-auth keys rotate`: what to print on standard output (one
/// JSON value, or a sentence).
pub async fn provider_task(config: &Config, task: config::ProviderTask) -> Result<String, String> {
    use config::ProviderTask;
    let (store, _) = store::Store::connect(&config.database_url, config.store)
        .await
        .map_err(|e| {
            format!(
                "database {}: {e}",
                startup::redact_url(&config.database_url)
            )
        })?;
    let outcome = match task {
        ProviderTask::AddClient {
            name,
            redirect_uris,
            post_logout_redirect_uris,
            public,
        } => {
            let new = provider::clients::NewClient {
                name,
                redirect_uris,
                post_logout_redirect_uris,
                public,
            };
            provider::clients::add(&store, new)
                .await
                .map_err(|e| e.to_string())
                .map(|registered| json(&registered))
        }
        ProviderTask::ListClients => provider::clients::list(&store)
            .await
            .map_err(|e| e.to_string())
            .map(|clients| json(&clients)),
        ProviderTask::RemoveClient { client_id } => {
            match provider::clients::remove(&store, &client_id).await {
                Ok(true) => Ok(format!("Removed client {client_id:?}.")),
                Ok(false) => Err(format!("There is no client {client_id:?}.")),
                Err(e) => Err(e.to_string()),
            }
        }
        ProviderTask::RotateKeys => {
            let sealer = auth::second_factor::sealing::Sealer::new(
                &auth::keys::KeyRing::new(config.secret_key.as_bytes(), &[])
                    .keys(auth::keys::Purpose::ProviderKeySealing),
            );
            provider::keys::rotate(&store, &sealer, config.signing_keys_reload)
                .await
                .map(|kid| {
                    audit::signing_keys_rotated(&kid);
                    format!(
                        "Signing key {kid} is published now and signs from two minutes on; the \
                         current key stays published until its tokens have expired."
                    )
                })
                .map_err(|e| e.to_string())
        }
    };
    store.close().await;
    outcome
}

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).expect("plain data serialises")
}
