//! The rest-auth server: the JSON API under `/api`, the server-rendered pages, and the static
//! files of the hydrated front end, in one axum router.

pub mod api;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod client_addr;
pub mod config;
pub mod error;
pub mod health;
pub mod metrics;
pub mod request_log;
pub mod security_headers;
pub mod state;
pub mod store;
pub mod user_cache;

use crate::{
    auth::{password::HashingPool, throttle::LoginThrottle, token::TokenKeys},
    config::Config,
    security_headers::shell_with_policy,
    state::AppState,
    store::UserStore,
};
use app::App;
use axum::{
    body::Body,
    extract::{DefaultBodyLimit, OriginalUri},
    http::{header, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Router,
};
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};
use tokio::net::TcpListener;
use tower_http::{compression::CompressionLayer, CompressionLevel};

/// Requests larger than this are refused with 413 before they are read.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database {url}: {source}")]
    Database {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("secret key: {0}")]
    SecretKey(#[from] jsonwebtoken::errors::Error),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
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

/// Connects and migrates the database and assembles the whole router.
pub async fn build(config: &Config) -> Result<Router, StartError> {
    Ok(router(build_state(config).await?))
}

/// Everything the handlers share, ready to serve: the database connected and migrated.
pub async fn build_state(config: &Config) -> Result<AppState, StartError> {
    let users = connect_with_retries(config).await?;
    tracing::info!(engine = users.engine(), "database ready");
    let tokens = TokenKeys::new(
        config.secret_key.as_bytes(),
        config.token_ttl,
        config.max_session,
    )?;
    let mut leptos = config.leptos.clone();
    let assets = assets::version_site(&mut leptos).map_err(|source| StartError::Assets {
        dir: format!("{}/{}", leptos.site_root, leptos.site_pkg_dir),
        source,
    })?;
    match &assets {
        Some(files) => tracing::info!(version = %files.version, "front-end files versioned"),
        None => tracing::info!("front-end files served unversioned"),
    }
    Ok(AppState {
        users,
        tokens: Arc::new(tokens),
        hashing: HashingPool::new(config.hash_concurrency),
        throttle: LoginThrottle::new(config.login_limits),
        metrics: metrics::Metrics::new(),
        min_password_chars: config.min_password_chars,
        client_ip_header: config.client_ip_header.clone(),
        leptos,
        assets: assets.map(Arc::new),
    })
}

/// Connects to the database, retrying with backoff (and saying so in the log) while it cannot
/// be reached, for up to `DATABASE_START_TIMEOUT_SECONDS`: a server started together with its
/// database, or before it, waits for it instead of failing.
async fn connect_with_retries(config: &Config) -> Result<UserStore, StartError> {
    let started = std::time::Instant::now();
    let mut delay = Duration::from_millis(250);
    loop {
        match UserStore::connect(&config.database_url, config.pool).await {
            Ok(users) => return Ok(users),
            Err(error)
                if store::is_unavailable(&error)
                    && started.elapsed() + delay < config.database_start_timeout =>
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

/// The whole application: `/api`, `/healthz`, the pages and the site's files.
pub fn router(state: AppState) -> Router {
    let [csp, nosniff, referrer, frame_options, opener] = security_headers::layers();
    let routes = generate_route_list(App);
    let leptos = state.leptos.clone();
    let versioned_files = match &state.assets {
        Some(files) => assets::router(files),
        None => Router::new(),
    };
    Router::new()
        .nest("/api", api::router())
        .merge(versioned_files)
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::render))
        .leptos_routes(&state, routes, move || shell_with_policy(leptos.clone()))
        // A form submitted before the WASM has loaded posts here; send the browser back to
        // the page (the fields in the body are dropped unread).
        .route("/login", post(back_to_form))
        .route("/register", post(back_to_form))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            shell_with_policy,
        ))
        .layer(axum::middleware::map_response(whole_page))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::record,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(csp)
        .layer(nosniff)
        .layer(referrer)
        .layer(frame_options)
        .layer(opener)
        // Pages, JSON and the WASM bundle, for clients that ask (Accept-Encoding).
        // Quality 4: a few milliseconds for the WASM bundle; the best levels take a second.
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(4)))
        .layer(request_log::trace())
        .layer(request_log::propagate_request_id())
        .layer(request_log::set_request_id())
        .with_state(state)
}

/// Leptos streams a page as several chunks (chunked encoding, a write per chunk). Our pages
/// wait for no data, so the stream is complete at once: sending it as one body with a
/// Content-Length costs a copy of a few KB and saves system calls (SSR throughput, see
/// BENCHMARKS.md).
async fn whole_page(response: Response) -> Response {
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"text/html"));
    if !is_html {
        return response;
    }
    let (parts, body) = response.into_parts();
    match axum::body::to_bytes(body, MAX_PAGE_BYTES).await {
        Ok(bytes) => Response::from_parts(parts, Body::from(bytes)),
        Err(error) => {
            tracing::error!(%error, "rendering a page failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Far above any page of ours (they are about 2 KB).
const MAX_PAGE_BYTES: usize = 1 << 20;

async fn back_to_form(OriginalUri(uri): OriginalUri) -> Redirect {
    Redirect::to(uri.path())
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

/// Builds the app and serves it on `LEPTOS_SITE_ADDR`.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let router = build(&config).await?;
    let addr = config.leptos.site_addr;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Listen { addr, source })?;
    tracing::info!("listening on http://{addr}");
    serve(listener, router, shutdown)
        .await
        .map_err(StartError::Serve)
}

/// A database URL for logs: the password of a `scheme://user:password@host` URL is hidden.
fn redact_url(url: &str) -> String {
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
