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
    store::{SessionRecord, Store},
};
use app::api::{ErrorBody, SessionBody, SessionsBody};
use axum::{
    extract::{rejection::QueryRejection, Path, Query, State},
    http::StatusCode,
    Json,
};
use serde::Deserialize;
use utoipa::IntoParams;

/// Sessions in a page when `limit` is not given, and the most a page may hold.
const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 200;

/// `GET /api/sessions`'s query: how many, and from where.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SessionsPage {
    /// Sessions in this page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// The previous page's `next`: this page starts after it.
    #[param(pattern = r"^[0-9]{1,18}\.[0-9a-f]{32}$")]
    after: Option<String>,
}

/// A page's `after`: the start time and id of the last session it showed.
fn cursor(record: &SessionRecord) -> String {
    format!("{}.{}", record.started_at, record.id)
}

/// A page's `after`, as the published pattern describes it (a start of at most 18 digits
/// always fits an i64).
fn parse_cursor(text: &str) -> Option<(i64, &str)> {
    let (started_at, id) = text.split_once('.')?;
    let start_is_ours =
        (1..=18).contains(&started_at.len()) && started_at.bytes().all(|b| b.is_ascii_digit());
    let id_is_ours = id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    Some((started_at.parse().ok()?, id)).filter(|_| start_is_ours && id_is_ours)
}

/// `GET /api/sessions`: the caller's live sessions, newest first, a page at a time (`limit`,
/// then `after` = the previous page's `next`); `current` marks the caller's own.
#[utoipa::path(
    get,
    path = "/api/sessions",
    tag = "sessions",
    security(("bearer" = []), ("basic" = [])),
    params(SessionsPage),
    responses(
        (status = 200, description = "A page of the live sessions", body = SessionsBody),
        (status = 400, description = "A `limit` out of range, or an `after` that is not a \
            page's `next`", body = ErrorBody),
        AuthFailures,
    )
)]
pub async fn list(
    State(store): State<Store>,
    AuthUser(caller): AuthUser,
    page: Result<Query<SessionsPage>, QueryRejection>,
) -> Result<Json<SessionsBody>, ApiError> {
    let refused = || {
        ApiError::BadRequest(format!(
            "limit is a whole number from 1 to {MAX_PAGE}; after is the next of a page."
        ))
    };
    let Query(page) = page.map_err(|_| refused())?;
    let limit = page.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(refused());
    }
    let after = match &page.after {
        Some(text) => Some(parse_cursor(text).ok_or_else(refused)?),
        None => None,
    };
    // One more than asked for: whether there is a next page, without a count.
    let mut records = store.list_sessions(caller.id, after, limit + 1).await?;
    let next = (records.len() > limit as usize).then(|| {
        records.truncate(limit as usize);
        records.last().map(cursor)
    });
    let current = caller.session().map(|session| session.id.as_str());
    let sessions = records
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
    Ok(Json(SessionsBody {
        sessions,
        next: next.flatten(),
    }))
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
