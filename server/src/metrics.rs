//! `GET /metrics` in the Prometheus text format: requests and their latency per route, method
//! and status; login outcomes; active database connections. Kept per server instance (one
//! registry in the app state), so each instance reports its own figures.

use crate::{audit::LoginOutcome, state::AppState};
use axum::{
    extract::{Request, State},
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
};
use prometheus_client::{
    encoding::{text::encode, EncodeLabelSet},
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{exponential_buckets, Histogram},
    },
    registry::Registry,
};
use std::{sync::Arc, time::Instant};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    /// The route template (`/api/users/{id}`), so the number of series stays bounded.
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LoginLabels {
    outcome: &'static str,
}

type HistogramFamily = Family<RequestLabels, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily,
    logins: Family<LoginLabels, Counter>,
    db_connections: Gauge,
}

fn latency_histogram() -> Histogram {
    // 0.1 ms to about 3 s.
    Histogram::new(exponential_buckets(0.0001, 2.0, 16))
}

impl Metrics {
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = HistogramFamily::new_with_constructor(latency_histogram);
        let logins = Family::<LoginLabels, Counter>::default();
        let db_connections = Gauge::default();
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request",
            latency.clone(),
        );
        registry.register(
            "logins",
            "Password checks by outcome (success, failure, locked = a lock began, refused_locked)",
            logins.clone(),
        );
        registry.register(
            "db_connections_active",
            "Database connections in use",
            db_connections.clone(),
        );
        Arc::new(Metrics {
            registry,
            requests,
            latency,
            logins,
            db_connections,
        })
    }

    pub fn login(&self, outcome: LoginOutcome) {
        let outcome = match outcome {
            LoginOutcome::Success => "success",
            LoginOutcome::Failure => "failure",
            LoginOutcome::LockStarted { .. } => "locked",
            LoginOutcome::RefusedLocked { .. } => "refused_locked",
        };
        self.logins.get_or_create(&LoginLabels { outcome }).inc();
    }
}

/// Middleware: counts and times every request.
pub async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = crate::request_log::route_label(&request).to_owned();
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let labels = RequestLabels {
        route,
        method,
        status: response.status().as_u16(),
    };
    state.metrics.requests.get_or_create(&labels).inc();
    state
        .metrics
        .latency
        .get_or_create(&labels)
        .observe(started.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`.
pub async fn render(State(state): State<AppState>) -> impl IntoResponse {
    state
        .metrics
        .db_connections
        .set(state.users.connections_in_use() as i64);
    let mut text = String::new();
    if let Err(error) = encode(&mut text, &state.metrics.registry) {
        tracing::error!(%error, "encoding metrics failed");
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
}
