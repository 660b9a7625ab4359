//! The figures behind `GET /metrics` (Prometheus text format): requests and their latency per
//! route, method and status; login outcomes; active database connections. Kept per server
//! instance (one registry in the app state), so each instance reports its own figures.

use crate::audit::LoginOutcome;
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
use std::{sync::Arc, time::Duration};

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

    /// One answered request.
    pub fn request(&self, route: String, method: String, status: u16, took: Duration) {
        let labels = RequestLabels {
            route,
            method,
            status,
        };
        self.requests.get_or_create(&labels).inc();
        self.latency
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
    }

    pub fn login(&self, outcome: LoginOutcome) {
        let labels = LoginLabels {
            outcome: outcome.label(),
        };
        self.logins.get_or_create(&labels).inc();
    }

    /// Everything, in the text format, with the pool's connections in use as of now.
    pub fn encode(&self, db_connections: u32) -> String {
        self.db_connections.set(i64::from(db_connections));
        let mut text = String::new();
        if let Err(error) = encode(&mut text, &self.registry) {
            tracing::error!(%error, "encoding metrics failed");
        }
        text
    }
}
