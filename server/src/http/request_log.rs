//! What is recorded of each request: one log line (method, route, status, latency and a request
//! id, which is also returned in `X-Request-Id`; an incoming one, set by a proxy, is kept, so a
//! client's report can be matched to the log) and the `/metrics` counters. No header values,
//! query strings or bodies are logged: they may hold credentials.

use crate::{logging, metrics::Metrics};
use axum::{
    extract::{MatchedPath, Request, State},
    http::{HeaderName, HeaderValue},
    middleware::Next,
    response::Response,
};
use std::{sync::Arc, time::Instant};
use uuid::Uuid;

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Middleware: gives the request an id (a proxy's incoming one is kept), returns it in
/// `X-Request-Id`, and writes the request's line once the response's head is ready. Every line
/// written while the request is served carries the id (logging.rs).
pub async fn record(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request
        .headers()
        .get(&X_REQUEST_ID)
        .cloned()
        .unwrap_or_else(new_request_id);
    let method = request.method().clone();
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let mut response = logging::with_request_id(id.clone(), async move {
        let response = next.run(request).await;
        tracing::info!(
            target: "request",
            method = %method,
            route = matched.as_ref().map_or(UNMATCHED, MatchedPath::as_str),
            status = response.status().as_u16(),
            latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        );
        response
    })
    .await;
    response.headers_mut().insert(X_REQUEST_ID.clone(), id);
    response
}

/// A random UUID (version 4), from a thread-local generator seeded by the OS.
fn new_request_id() -> HeaderValue {
    let mut text = [0; uuid::fmt::Hyphenated::LENGTH];
    let text = Uuid::new_v4().hyphenated().encode_lower(&mut text);
    HeaderValue::from_str(text).expect("a UUID is a valid header value")
}

/// The route of a request no route matched: a front-end file, or a 404. Logs and metrics name
/// the route template (`/api/users/{id}`), not the path: bounded, and free of ids.
const UNMATCHED: &str = "(files or not found)";

/// Middleware: counts and times every request for `/metrics`.
pub async fn count(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let method = request.method().clone();
    let started = Instant::now();
    let response = next.run(request).await;
    let route = matched.as_ref().map_or(UNMATCHED, MatchedPath::as_str);
    metrics.request(
        route,
        &method,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}
