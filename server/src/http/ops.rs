//! Endpoints for operators, orchestrators and load balancers: `/healthz`, `/readyz`,
//! `/metrics`.

use crate::{error::ApiError, metrics::Metrics, store::Store};
use axum::{extract::State, http::header, response::IntoResponse, Json};
use serde_json::{json, Value};
use std::sync::Arc;

/// `GET /healthz`: the process is alive and serving. Touches nothing else, so a database
/// outage does not get the process restarted.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: the database answers and every migration of this build is applied; 503
/// otherwise, so a load balancer sends no traffic to an instance that cannot serve it.
pub async fn readyz(State(store): State<Store>) -> Result<Json<Value>, ApiError> {
    match store.ready().await {
        Ok(true) => Ok(Json(
            json!({ "status": "ready", "database": store.engine() }),
        )),
        Ok(false) => {
            tracing::warn!("not ready: migrations are missing");
            Err(ApiError::ServiceUnavailable)
        }
        Err(error) => {
            tracing::warn!(%error, "not ready");
            Err(ApiError::ServiceUnavailable)
        }
    }
}

/// `GET /metrics`, in the OpenMetrics text format.
pub async fn metrics(
    State(metrics): State<Arc<Metrics>>,
    State(store): State<Store>,
) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        metrics.encode(store.connections_in_use(), store.cache_figures()),
    )
}
