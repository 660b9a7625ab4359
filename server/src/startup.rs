//! From a [`Config`] to a serving process: connect (and wait for) the database, build the
//! shared state, start the background tasks, version the front end's files, listen; and, on
//! shutdown, stop the tasks and close the database.

use crate::{
    accounts::Accounts,
    auth::{
        jwt::TokenKeys,
        keys::{KeyRing, Purpose},
        password::HashingPool,
        second_factor::{sealing::Sealer, SecondFactor},
        throttle::LoginThrottle,
        AuthSettings, Authenticator,
    },
    config::Config,
    http::{self, assets},
    metrics::Metrics,
    passkeys::Passkeys,
    provider::{keys::SigningKeys, Provider},
    sign_in::SignIn,
    state::{AppState, ClientIpHeader, PublicUrl, Shared},
    store::{Store, StoreError, StoreTasks},
    tasks::Tasks,
    two_step::{self, TwoStep},
};
use axum::Router;
use std::{future::Future, net::SocketAddr, time::Duration};
use tokio::net::TcpListener;

/// How long shutdown waits for the database's connections to close.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database {url}: {source}")]
    Database {
        url: String,
        #[source]
        source: StoreError,
    },
    #[error("passkeys for PUBLIC_URL {url}: {source}")]
    Passkeys {
        url: String,
        #[source]
        source: webauthn_rs::prelude::WebauthnError,
    },
    #[error("the OpenID provider's signing keys: {0}")]
    SigningKeys(#[from] crate::provider::keys::KeyError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("front-end files in {dir}: {source}")]
    Assets {
        dir: String,
        #[source]
        source: std::io::Error,
    },
    #[error("server stopped: {0}")]
    Serve(#[source] std::io::Error),
}

/// The whole application, ready to serve (the database connected and migrated, the background
/// tasks running), the state its handlers share, and the tasks, to stop on shutdown
/// ([`App::shut_down`]).
pub struct App {
    pub router: Router,
    pub state: AppState,
    pub tasks: Tasks,
}

impl App {
    /// After the last request: stops the background tasks, then closes the database. Bounded:
    /// a database that does not answer (a statement stuck on a dead link) must not keep the
    /// process from exiting.
    pub async fn shut_down(self) {
        self.tasks.stop().await;
        let closed = tokio::time::timeout(CLOSE_GRACE, self.state.store.close()).await;
        if closed.is_err() {
            tracing::warn!("database connections still busy at shutdown; exiting without them");
        }
    }
}

pub async fn build(config: &Config) -> Result<App, StartError> {
    let mut leptos = config.leptos.clone();
    let files = assets::version_site(&mut leptos).map_err(|source| StartError::Assets {
        dir: format!("{}/{}", leptos.site_root, leptos.site_pkg_dir),
        source,
    })?;
    match &files {
        Some(files) => tracing::info!(version = %files.version, "front-end files versioned"),
        None => tracing::info!("front-end files served unversioned"),
    }
    let (state, store_work) = build_state(config, leptos).await?;
    let mut tasks = Tasks::default();
    state.store.spawn_tasks(store_work, &mut tasks);
    state.auth.spawn_tasks(&mut tasks);
    state.passkeys.spawn_tasks(&mut tasks);
    state.provider.spawn_tasks(&mut tasks);
    Ok(App {
        router: http::router(state.clone(), files.as_ref()),
        state,
        tasks,
    })
}

/// Everything the handlers share, and the store's work to start. `leptos`: the options pages
/// are rendered with.
async fn build_state(
    config: &Config,
    leptos: leptos::config::LeptosOptions,
) -> Result<(AppState, StoreTasks), StartError> {
    let (store, store_work) = connect_with_retries(config).await?;
    tracing::info!(engine = store.engine(), "database ready");
    let previous: Vec<&[u8]> = config
        .previous_secret_keys
        .iter()
        .map(|key| key.as_bytes())
        .collect();
    let keys = KeyRing::new(config.secret_key.as_bytes(), &previous);
    let tokens = TokenKeys::new(
        &keys.keys(Purpose::TokenSigning),
        config.token_ttl,
        config.max_session,
    );
    let sealer = Sealer::new(&keys.keys(Purpose::TwoStepSealing));
    reseal_after_rotation(&store, &sealer, config).await?;
    let hashing = HashingPool::new(config.hash_concurrency);
    let metrics = Metrics::new();
    let auth = Authenticator::new(
        store.clone(),
        tokens,
        hashing.clone(),
        LoginThrottle::new(config.login_limits, store.failure_counter()),
        SecondFactor::new(store.clone(), sealer),
        metrics.clone(),
        AuthSettings {
            touch_interval: config.session_touch_interval,
            reauth_max_age: config.reauth_max_age,
            sign_in_pause: config.sign_in_pause.clone(),
        },
    );
    let accounts = Accounts::new(
        store.clone(),
        auth.clone(),
        hashing.clone(),
        config.password_rules,
    );
    let passkeys =
        Passkeys::new(&config.public_url, store.clone(), auth.clone()).map_err(|source| {
            StartError::Passkeys {
                url: config.public_url.to_string(),
                source,
            }
        })?;
    let two_step = TwoStep::new(store.clone(), auth.clone());
    let sign_in = SignIn::new(store.clone(), auth.clone());
    let provider_sealer = Sealer::new(&keys.keys(Purpose::ProviderKeySealing));
    if !config.previous_secret_keys.is_empty() {
        let resealed = crate::provider::keys::reseal(&store, &provider_sealer).await?;
        tracing::info!(resealed, "signing keys sealed again with the current key");
    }
    let signing_keys =
        SigningKeys::load(store.clone(), provider_sealer, config.signing_keys_reload).await?;
    let provider = Provider::new(
        store.clone(),
        auth.clone(),
        signing_keys,
        &config.public_url,
        config.token_ttl,
    );
    let state = AppState::new(Shared {
        store,
        auth,
        accounts,
        passkeys,
        two_step,
        sign_in,
        provider,
        hashing,
        metrics,
        client_ip_header: ClientIpHeader(config.client_ip_header.clone()),
        public_url: PublicUrl(config.public_url.clone()),
        leptos,
    });
    Ok((state, store_work))
}

/// After a key rotation (`PREVIOUS_SECRET_KEYS` set), seals again with the current key every
/// two-step secret a previous key sealed, so the previous key is needed only until the tokens
/// it signed have expired.
async fn reseal_after_rotation(
    store: &Store,
    sealer: &Sealer,
    config: &Config,
) -> Result<(), StartError> {
    if config.previous_secret_keys.is_empty() {
        return Ok(());
    }
    let resealed =
        two_step::reseal(store, sealer)
            .await
            .map_err(|source| StartError::Database {
                url: redact_url(&config.database_url),
                source,
            })?;
    tracing::info!(
        resealed,
        "two-step secrets sealed again with the current key"
    );
    Ok(())
}

/// Connects to the database, retrying with backoff (and saying so in the log) while it cannot
/// be reached, for up to `DATABASE_START_TIMEOUT_SECONDS`: a server started together with its
/// database, or before it, waits for it instead of failing.
async fn connect_with_retries(config: &Config) -> Result<(Store, StoreTasks), StartError> {
    let started = std::time::Instant::now();
    let mut delay = Duration::from_millis(250);
    loop {
        match Store::connect(&config.database_url, config.store).await {
            Ok(connected) => return Ok(connected),
            Err(StoreError::Unavailable(error))
                if started.elapsed() + delay < config.database_start_timeout =>
            {
                tracing::warn!(
                    url = %redact_url(&config.database_url),
                    %error,
                    "database unreachable; retrying in {:.1} s",
                    delay.as_secs_f32()
                );
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(8));
            }
            Err(source) => {
                return Err(StartError::Database {
                    url: redact_url(&config.database_url),
                    source,
                })
            }
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets in-flight requests finish.
/// Handlers see the peer address (`ConnectInfo`) for rate limits and the audit log.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// A database URL for logs: the password of a `scheme://user:password@host` URL is hidden.
pub(crate) fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_passwords_are_not_logged() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/auth"),
            "postgres://app:***@db:5432/auth"
        );
        assert_eq!(
            redact_url("sqlite:data/rest-auth.db"),
            "sqlite:data/rest-auth.db"
        );
        assert_eq!(
            redact_url("postgres://app@db/auth"),
            "postgres://app@db/auth"
        );
    }

    /// `/api` belongs to the JSON API. Leptos server functions default to that prefix and
    /// `leptos_routes` registers every one it finds; none may land there.
    #[test]
    fn no_server_function_claims_api_paths() {
        let claimed: Vec<_> = leptos::server_fn::axum::server_fn_paths()
            .map(|(path, _)| path)
            .filter(|path| path.starts_with("/api"))
            .collect();
        assert!(
            claimed.is_empty(),
            "server functions under /api: {claimed:?}"
        );
    }
}
