//! The HTTP surface: one axum router for `/api`, the operator endpoints, the server-rendered
//! pages and the front end's files, and the layers every response passes through.

pub mod assets;
mod forms;
mod ops;
mod page_cache;
mod pages;
mod request_log;
mod security_headers;

use crate::{api, state::AppState};
use app::App;
use assets::VersionedFiles;
use axum::http::request::Parts;
use axum::{
    extract::{DefaultBodyLimit, OriginalUri},
    routing::{get, post},
    Router,
};
use leptos::prelude::{provide_context, use_context};
use leptos_axum::{generate_route_list, LeptosRoutes};
use page_cache::PageNonce;
use security_headers::shell_with_policy;
use tower::ServiceBuilder;
use tower_http::{compression::CompressionLayer, CompressionLevel};

/// Requests larger than this are refused with 413 before they are read.
const MAX_BODY_BYTES: usize = 16 * 1024;

/// The layers every response passes through, innermost first. The benchmark adds them one at
/// a time around `/healthz` (`examples/layer_cost.rs`, BENCHMARKS.md).
pub const LAYERS: [&str; 5] = [
    "metrics (count and time per route)",
    "body size limit",
    "security headers",
    "compression",
    "request id and log line",
];

/// The pages the page cache may keep: each depends on nothing of the request but its path
/// (no cookie, no header, no data; a query string is rendered each time).
const CACHED_PAGES: &[&str] = &["/", "/register", "/login", "/hello", "/account"];

/// The whole application. `assets`: the front end's files under their content version, when
/// there are any (see assets.rs).
pub fn router(state: AppState, assets: Option<&VersionedFiles>) -> Router {
    with_layers(routes(&state, assets), state, LAYERS.len())
}

/// Every route, without the layers around them: the JSON API, the operator endpoints, the
/// front end's files and the pages. Only pages pass through the page-shaping response map and
/// the cache of rendered pages.
pub fn routes(state: &AppState, assets: Option<&VersionedFiles>) -> Router<AppState> {
    let routes = generate_route_list(App);
    let leptos = state.leptos.clone();
    let rendered = page_cache::PageCache::new(
        CACHED_PAGES,
        leptos.env == leptos::config::Env::DEV,
        state.metrics.clone(),
    );
    let island_chunks = assets
        .map(|files| files.island_chunks.clone())
        .unwrap_or_default();
    let style = assets.and_then(|files| files.style.clone());
    let form_pages = forms::FormPages::new(leptos.clone(), island_chunks.clone(), style.clone());
    let log_in = {
        let (pages, state) = (form_pages.clone(), state.clone());
        move |OriginalUri(uri): OriginalUri, posted: forms::Posted<forms::LoginForm>| {
            forms::log_in(pages.clone(), state.clone(), uri, posted)
        }
    };
    let register = {
        let (pages, state) = (form_pages, state.clone());
        move |OriginalUri(uri): OriginalUri, posted: forms::Posted<forms::RegisterForm>| {
            forms::register(pages.clone(), state.clone(), uri, posted)
        }
    };
    let pages = Router::new()
        .leptos_routes_with_context(
            state,
            routes,
            move || {
                // A page the cache keeps is rendered with the cache's nonce (page_cache.rs).
                let nonce = use_context::<Parts>()
                    .and_then(|parts| parts.extensions.get::<PageNonce>().cloned());
                if let Some(PageNonce(nonce)) = nonce {
                    provide_context(nonce);
                }
                provide_context(island_chunks.clone());
                if let Some(style) = &style {
                    provide_context(style.clone());
                }
            },
            move || shell_with_policy(leptos.clone()),
        )
        .route("/login", post(log_in))
        .route("/register", post(register))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            shell_with_policy,
        ))
        .layer(axum::middleware::map_response(pages::whole_page))
        .layer(axum::middleware::from_fn_with_state(
            rendered,
            page_cache::serve,
        ));
    Router::new()
        .merge(api::router())
        .merge(assets.map(assets::router).unwrap_or_default())
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .merge(pages)
}

/// `routes` inside the first `count` of [`LAYERS`] (all of them in production), composed into
/// one service so a request pays for one boxed future, not one per layer.
pub fn with_layers(routes: Router<AppState>, state: AppState, count: usize) -> Router {
    let metrics =
        || axum::middleware::from_fn_with_state(state.metrics.clone(), request_log::count);
    let body_limit = || DefaultBodyLimit::max(MAX_BODY_BYTES);
    let headers = security_headers::layer;
    // Pages, JSON and the WASM bundle, for clients that ask (Accept-Encoding). Quality 4: a few
    // milliseconds for the WASM bundle; the best levels take a second.
    let compression = || CompressionLayer::new().quality(CompressionLevel::Precise(4));
    let record = || axum::middleware::from_fn(request_log::record);
    // Outermost first, as ServiceBuilder lists them.
    let routes = match count {
        0 => routes,
        1 => routes.layer(ServiceBuilder::new().layer(metrics())),
        2 => routes.layer(ServiceBuilder::new().layer(body_limit()).layer(metrics())),
        3 => routes.layer(
            ServiceBuilder::new()
                .layer(headers())
                .layer(body_limit())
                .layer(metrics()),
        ),
        4 => routes.layer(
            ServiceBuilder::new()
                .layer(compression())
                .layer(headers())
                .layer(body_limit())
                .layer(metrics()),
        ),
        _ => routes.layer(
            ServiceBuilder::new()
                .layer(record())
                .layer(compression())
                .layer(headers())
                .layer(body_limit())
                .layer(metrics()),
        ),
    };
    routes.with_state(state)
}
