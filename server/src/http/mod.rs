//! The HTTP surface: one axum router for `/api`, the operator endpoints, the server-rendered
//! pages and the front end's files, and the layers every response passes through.

pub mod assets;
mod ops;
mod pages;
mod request_log;
mod security_headers;

use crate::{api, state::AppState};
use app::App;
use assets::VersionedFiles;
use axum::{
    extract::DefaultBodyLimit,
    routing::{get, post},
    Router,
};
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use security_headers::shell_with_policy;
use tower_http::{compression::CompressionLayer, CompressionLevel};

/// Requests larger than this are refused with 413 before they are read.
const MAX_BODY_BYTES: usize = 16 * 1024;

/// The whole application. `assets`: the front end's files under their content version, when
/// there are any (see assets.rs).
pub fn router(state: AppState, assets: Option<&VersionedFiles>) -> Router {
    let [csp, nosniff, referrer, frame_options, opener] = security_headers::layers();
    let routes = generate_route_list(App);
    let leptos = state.leptos.clone();
    let island_chunks = assets
        .map(|files| files.island_chunks.clone())
        .unwrap_or_default();
    Router::new()
        .nest("/api", api::router())
        .merge(assets.map(assets::router).unwrap_or_default())
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(island_chunks.clone()),
            move || shell_with_policy(leptos.clone()),
        )
        .route("/login", post(pages::back_to_form))
        .route("/register", post(pages::back_to_form))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            shell_with_policy,
        ))
        .layer(axum::middleware::map_response(pages::whole_page))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            request_log::count,
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
