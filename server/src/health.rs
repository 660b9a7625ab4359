//! Probes for orchestrators and load balancers.

use crate::{error::ApiError, state::AppState};
use axum::{extract::State, Json};
use serde_json::{json, Value};

/// `GET /healthz`: the process is alive and serving. Touches nothing else, so a database
/// outage does not get the process restarted.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: the database answers and every migration of this build is applied; 503
/// otherwise, so a load balancer sends no traffic to an instance that cannot serve it.
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    match state.users.ready().await {
        Ok(true) => Ok(Json(
            json!({ "status": "ready", "database": state.users.engine() }),
        )),
        Ok(false) => {
            tracing::warn!("not ready: migrations are missing");
            Err(ApiError::ServiceUnavailable)
        }
        Err(ApiError::Internal(error)) => {
            tracing::warn!(%error, "not ready");
            Err(ApiError::ServiceUnavailable)
        }
        Err(other) => Err(other),
    }
}
