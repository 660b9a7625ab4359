//! What is recorded of each request: one log line (method, route, status, latency and a request
//! id, which is also returned in `X-Request-Id`; an incoming one, set by a proxy, is kept, so a
//! client's report can be matched to the log) and the `/metrics` counters. No header values,
//! query strings or bodies are logged: they may hold credentials.

use crate::metrics::Metrics;
use axum::{
    extract::{MatchedPath, Request, State},
    middleware::Next,
    response::Response,
};
use std::{sync::Arc, time::Instant};
use tower_http::{
    classify::{ServerErrorsAsFailures, SharedClassifier},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::{DefaultOnResponse, TraceLayer},
    LatencyUnit,
};
use tracing::{Level, Span};

pub fn set_request_id() -> SetRequestIdLayer<MakeRequestUuid> {
    SetRequestIdLayer::x_request_id(MakeRequestUuid)
}

pub fn propagate_request_id() -> PropagateRequestIdLayer {
    PropagateRequestIdLayer::x_request_id()
}

type MakeSpan = fn(&Request) -> Span;

pub fn trace(
) -> TraceLayer<SharedClassifier<ServerErrorsAsFailures>, MakeSpan, (), DefaultOnResponse> {
    TraceLayer::new_for_http()
        .make_span_with(request_span as MakeSpan)
        .on_request(())
        .on_response(
            DefaultOnResponse::new()
                .level(Level::INFO)
                .latency_unit(LatencyUnit::Micros),
        )
}

/// The route of a request no route matched: a front-end file, or a 404.
const UNMATCHED: &str = "(files or not found)";

/// The route template (`/api/users/{id}`), not the path, for logs and metrics: bounded, and
/// free of ids.
fn route_label(request: &Request) -> &str {
    request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, MatchedPath::as_str)
}

fn request_span(request: &Request) -> Span {
    let route = route_label(request);
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", method = %request.method(), route, request_id)
}

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
