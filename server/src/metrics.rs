//! The figures behind `GET /metrics` (Prometheus text format): requests and their latency per
//! route, method and status; login outcomes; active database connections; the session cache's
//! size and lookups; cached pages answered; log lines dropped and audit lines waiting.
//! Kept per server instance (one registry in the app state), so each instance reports its own
//! figures. Recording a request allocates nothing: its labels are `&'static str`.

use crate::{audit::LoginOutcome, store::CacheFigures};
use axum::http::Method;
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
use std::{
    collections::HashSet,
    sync::{atomic::Ordering, Arc, RwLock},
    time::Duration,
};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    /// The route template (`/api/users/{id}`), so the number of series stays bounded.
    route: &'static str,
    method: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LoginLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LookupLabels {
    answered_from: &'static str,
}

type HistogramFamily = Family<RequestLabels, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily,
    logins: Family<LoginLabels, Counter>,
    db_connections: Gauge,
    sessions_cached: Gauge,
    session_lookups: Family<LookupLabels, Counter>,
    log_lines_dropped: Counter,
    audit_lines_waiting: Gauge,
    pages: Family<LookupLabels, Counter>,
    /// Each route template once, for the life of the process: the router's routes are a fixed,
    /// small set, so labels can borrow from here instead of allocating per request.
    routes: RwLock<HashSet<&'static str>>,
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
        let log_lines_dropped = Counter::default();
        let audit_lines_waiting = Gauge::default();
        let pages = Family::<LookupLabels, Counter>::default();
        let sessions_cached = Gauge::default();
        let session_lookups = Family::<LookupLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request",
            latency.clone(),
        );
        registry.register(
            "logins",
            "Sign-ins (and password requests) by outcome, once every factor was checked: success, failure; locked = a lock began, refused_locked",
            logins.clone(),
        );
        registry.register(
            "db_connections_active",
            "Database connections in use",
            db_connections.clone(),
        );
        registry.register(
            "session_cache_entries",
            "Sessions held in memory for the token path (SESSION_CACHE_CAPACITY at most)",
            sessions_cached.clone(),
        );
        registry.register(
            "session_lookups",
            "Sessions the token path looked up, answered from memory or from the database",
            session_lookups.clone(),
        );
        registry.register(
            "log_lines_dropped",
            "Log lines dropped because the log's queue was full (LOG_BUFFER_LINES)",
            log_lines_dropped.clone(),
        );
        registry.register(
            "audit_lines_waiting",
            "Audit lines not yet written (never dropped: they wait while the log's reader is slow)",
            audit_lines_waiting.clone(),
        );
        registry.register(
            "pages",
            "Pages that opt into the page cache, answered from memory or by rendering",
            pages.clone(),
        );
        Arc::new(Metrics {
            registry,
            requests,
            latency,
            logins,
            db_connections,
            sessions_cached,
            session_lookups,
            log_lines_dropped,
            audit_lines_waiting,
            pages,
            routes: RwLock::default(),
        })
    }

    /// One answered request. `route`: the route template the router matched.
    pub fn request(&self, route: &str, method: &Method, status: u16, took: Duration) {
        let labels = RequestLabels {
            route: self.route(route),
            method: method_label(method),
            status,
        };
        self.requests.get_or_create(&labels).inc();
        self.latency
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
    }

    /// A cacheable page answered: from the page cache, or rendered.
    pub fn page(&self, from_memory: bool) {
        let answered_from = if from_memory { "memory" } else { "rendering" };
        self.pages
            .get_or_create(&LookupLabels { answered_from })
            .inc();
    }

    pub fn login(&self, outcome: LoginOutcome) {
        let labels = LoginLabels {
            outcome: outcome.label(),
        };
        self.logins.get_or_create(&labels).inc();
    }

    /// `route`, from the process's set of route templates (added on first sight).
    fn route(&self, route: &str) -> &'static str {
        let known = self
            .routes
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(route)
            .copied();
        known.unwrap_or_else(|| {
            let mut routes = self.routes.write().unwrap_or_else(|e| e.into_inner());
            match routes.get(route) {
                Some(known) => known,
                None => {
                    let leaked: &'static str = Box::leak(route.into());
                    routes.insert(leaked);
                    leaked
                }
            }
        })
    }

    /// Everything, in the text format, with the pool's connections in use, the session cache's
    /// figures and the log lines dropped as of now.
    pub fn encode(&self, db_connections: u32, cache: CacheFigures) -> String {
        self.db_connections.set(i64::from(db_connections));
        self.sessions_cached
            .set(i64::try_from(cache.sessions_held).unwrap_or(i64::MAX));
        for (answered_from, count) in [("memory", cache.hits), ("database", cache.misses)] {
            self.session_lookups
                .get_or_create(&LookupLabels { answered_from })
                .inner()
                .fetch_max(count, Ordering::Relaxed);
        }
        self.log_lines_dropped
            .inner()
            .fetch_max(crate::logging::dropped_lines(), Ordering::Relaxed);
        self.audit_lines_waiting
            .set(i64::try_from(crate::logging::audit_lines_waiting()).unwrap_or(i64::MAX));
        let mut text = String::new();
        if let Err(error) = encode(&mut text, &self.registry) {
            tracing::error!(%error, "encoding metrics failed");
        }
        text
    }
}

/// The standard methods by name; anything else is `other`, so a client cannot add series.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}
