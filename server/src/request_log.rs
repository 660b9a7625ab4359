//! One log line per request: method, route, status, latency and a request id, which is also
//! returned in `X-Request-Id` (an incoming one, set by a proxy, is kept) so a client's report
//! can be matched to the log. No header values, query strings or bodies are logged: they may
//! hold credentials.

use axum::{extract::MatchedPath, http::Request};
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

type MakeSpan = fn(&Request<axum::body::Body>) -> Span;

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

/// The route template (`/api/users/{id}`), not the path, for logs and metrics: bounded, and
/// free of ids.
pub fn route_label(request: &Request<axum::body::Body>) -> &str {
    request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(files or not found)", MatchedPath::as_str)
}

fn request_span(request: &Request<axum::body::Body>) -> Span {
    let route = route_label(request);
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", method = %request.method(), route, request_id)
}
