//! The caller's sessions: list them, end this one, end one by id, end all others, or end
//! every one (`POST /api/logout`, "log out everywhere"). Ending a session other than one's own
//! takes a recent full authentication (step-up, ASVS 5.0 7.5.2): a stolen token alone cannot
//! sign the owner out. Logging out never does.

use super::{
    auth_user::{AuthUser, FreshUser},
    responses::{AuthFailures, StepUpFailures},
};
use crate::{
    audit::{self, SessionEnd},
    auth::{Authenticator, Caller},
    error::ApiError,
    store::Store,
};
use app::api::{ErrorBody, SessionBody, SessionsBody};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};

/// `GET /api/sessions`: the caller's live sessions, newest first; `current` marks the
/// caller's own.
#[utoipa::path(
    get,
    path = "/api/sessions",
    tag = "sessions",
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, description = "The live sessions", body = SessionsBody), AuthFailures)
)]
pub async fn list(
    State(store): State<Store>,
    AuthUser(caller): AuthUser,
) -> Result<Json<SessionsBody>, ApiError> {
    let current = caller.session().map(|session| session.id.as_str());
    let sessions = store
        .list_sessions(caller.id)
        .await?
        .into_iter()
        .map(|record| SessionBody {
            current: Some(record.id.as_str()) == current,
            id: record.id,
            started_at: record.started_at,
            last_used_at: record.last_used_at,
            address: record.address,
            user_agent: record.user_agent,
            signed_in_with: record.signed_in_with,
        })
        .collect();
    Ok(Json(SessionsBody { sessions }))
}

/// `DELETE /api/sessions/current`: ends the session of the token presented (log out). Every
/// token of that session is refused from now on, on every instance.
#[utoipa::path(
    delete,
    path = "/api/sessions/current",
    tag = "sessions",
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 204, description = "The session has ended"),
        (status = 404, description = "The request came with a password, not a session's token", body = ErrorBody),
        AuthFailures,
    )
)]
pub async fn end_current(
    State(store): State<Store>,
    AuthUser(caller): AuthUser,
) -> Result<StatusCode, ApiError> {
    let session = caller.session().ok_or(ApiError::NoSession)?;
    store.end_session(caller.id, &session.id).await?;
    ended(SessionEnd::Logout, &caller, vec![session.id.clone()]);
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/sessions/{id}`: ends one of the caller's sessions (signs a device out). Another
/// session than the caller's own takes a recent full authentication (step-up).
#[utoipa::path(
    delete,
    path = "/api/sessions/{id}",
    tag = "sessions",
    security(("bearer" = []), ("basic" = [])),
    params(("id" = String, Path, description = "The session's id, from `GET /api/sessions`")),
    responses(
        (status = 204, description = "The session has ended"),
        (status = 404, description = "The caller has no live session with this id", body = ErrorBody),
        StepUpFailures,
    )
)]
pub async fn end_one(
    State(store): State<Store>,
    State(auth): State<Authenticator>,
    AuthUser(caller): AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let own = caller.session().is_some_and(|session| session.id == id);
    if !own {
        auth.require_recent_authentication(&caller).await?;
    }
    if !store.end_session(caller.id, &id).await? {
        return Err(ApiError::NotFound);
    }
    let reason = if own {
        SessionEnd::Logout
    } else {
        SessionEnd::Revoked
    };
    ended(reason, &caller, vec![id]);
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/sessions/others`: ends every session of the caller but its own (with a
/// password, every session), after a recent full authentication (step-up).
#[utoipa::path(
    delete,
    path = "/api/sessions/others",
    tag = "sessions",
    security(("bearer" = []), ("basic" = [])),
    responses((status = 204, description = "Every other session has ended"), StepUpFailures)
)]
pub async fn end_others(
    State(store): State<Store>,
    FreshUser(caller, _): FreshUser,
) -> Result<StatusCode, ApiError> {
    let keep = caller.session().map(|session| session.id.as_str());
    let ids = store.end_sessions(caller.id, keep).await?;
    ended(SessionEnd::Revoked, &caller, ids);
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/logout`: ends every session of the caller, this one included ("log out
/// everywhere"), after a recent full authentication (step-up); every token issued so far is
/// refused from now on.
#[utoipa::path(
    post,
    path = "/api/logout",
    tag = "sessions",
    security(("bearer" = []), ("basic" = [])),
    responses((status = 204, description = "Every session has ended"), StepUpFailures)
)]
pub async fn end_all(
    State(store): State<Store>,
    FreshUser(caller, _): FreshUser,
) -> Result<StatusCode, ApiError> {
    let ids = store.end_sessions(caller.id, None).await?;
    ended(SessionEnd::Revoked, &caller, ids);
    Ok(StatusCode::NO_CONTENT)
}

fn ended(reason: SessionEnd, caller: &Caller, ids: Vec<String>) {
    audit::sessions_ended(reason, caller.id, &caller.username, &ids, caller.address);
}
