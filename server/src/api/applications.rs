//! What the pages ask about applications that sign their users in here (provider/): the
//! answer to an authorization request (`/authorize` asks it, then sends the browser back to the
//! application), the person's consent, and the applications they allowed, which they can
//! remove (ending the sessions each holds).

use super::{
    auth_user::{AuthUser, FreshUser},
    json::ApiJson,
    responses::{AuthFailures, BodyFailures, StepUpFailures},
};
use crate::{
    audit,
    error::ApiError,
    provider::{authorization::Answer, Provider},
    store::Store,
};
use app::api::{
    ApplicationBody, ApplicationsBody, AuthorizationAnswer, ConsentRequest, ErrorBody, LogoutBody,
};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};

fn answered(answer: Answer) -> Json<AuthorizationAnswer> {
    Json(match answer {
        Answer::Redirect(redirect_to) => AuthorizationAnswer::Redirect { redirect_to },
        Answer::Consent {
            client_name,
            scopes,
        } => AuthorizationAnswer::Consent {
            application: client_name,
            scopes,
        },
    })
}

/// `POST /api/authorizations/{id}`: what comes next for an application's authorization request
/// (`id` from the `/authorize?request=` page). Signed in, with the authentication it asks for
/// and the application allowed before: back to it with a code. Otherwise the person is asked
/// (consent), or must sign in (401), or confirm it is them (401 with the step-up challenge:
/// `prompt=login`, `max_age`). With `prompt=none`, back to the application with
/// `login_required` or `consent_required` instead of asking.
#[utoipa::path(
    post,
    path = "/api/authorizations/{id}",
    tag = "applications",
    security((), ("bearer" = []), ("basic" = [])),
    params(("id" = String, Path, description = "The request, from `/authorize?request=`")),
    responses(
        (status = 200, description = "Where to send the browser, or what to ask", body = AuthorizationAnswer),
        (status = 404, description = "The request is unknown, expired (10 minutes) or answered", body = ErrorBody),
        StepUpFailures,
    )
)]
pub async fn answer(
    State(provider): State<Provider>,
    caller: Option<AuthUser>,
    Path(id): Path<String>,
) -> Result<Json<AuthorizationAnswer>, ApiError> {
    let caller = caller.map(|AuthUser(caller)| caller);
    Ok(answered(provider.answer(&id, caller.as_ref()).await?))
}

/// `POST /api/authorizations/{id}/consent` with `{"allow"}`: the person's answer. Allowed, it
/// is remembered, and the browser goes back with a code; denied, with `access_denied`.
#[utoipa::path(
    post,
    path = "/api/authorizations/{id}/consent",
    tag = "applications",
    security(("bearer" = []), ("basic" = [])),
    params(("id" = String, Path, description = "The request, from `/authorize?request=`")),
    request_body = ConsentRequest,
    responses(
        (status = 200, description = "Where to send the browser", body = AuthorizationAnswer),
        (status = 404, description = "The request is unknown, expired (10 minutes) or answered", body = ErrorBody),
        StepUpFailures,
        BodyFailures,
    )
)]
pub async fn consent(
    State(provider): State<Provider>,
    AuthUser(caller): AuthUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<ConsentRequest>,
) -> Result<Json<AuthorizationAnswer>, ApiError> {
    Ok(answered(
        provider.consent(&id, &caller, request.allow).await?,
    ))
}

/// `GET /api/applications`: the applications the caller allowed to sign them in.
#[utoipa::path(
    get,
    path = "/api/applications",
    tag = "applications",
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, description = "The applications allowed, latest first", body = ApplicationsBody),
        AuthFailures,
    )
)]
pub async fn list(
    State(store): State<Store>,
    AuthUser(caller): AuthUser,
) -> Result<Json<ApplicationsBody>, ApiError> {
    let applications = store
        .consents(caller.id)
        .await?
        .into_iter()
        .map(|consent| ApplicationBody {
            client_id: consent.client_id,
            name: consent.name,
            scopes: consent.scope.split(' ').map(str::to_owned).collect(),
            allowed_at: consent.granted_at,
        })
        .collect();
    Ok(Json(ApplicationsBody { applications }))
}

/// `DELETE /api/applications/{client_id}`: the application may no longer sign the caller in
/// without asking, and every session it holds for them ends (its refresh and access tokens
/// with them). Ends sessions: a recent full authentication is needed (step-up).
#[utoipa::path(
    delete,
    path = "/api/applications/{client_id}",
    tag = "applications",
    security(("bearer" = []), ("basic" = [])),
    params(("client_id" = String, Path, description = "The application")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "Not an application the caller allowed", body = ErrorBody),
        StepUpFailures,
    )
)]
pub async fn remove(
    State(store): State<Store>,
    FreshUser(caller, _): FreshUser,
    Path(client_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if !crate::provider::is_id(&client_id) {
        return Err(ApiError::NotFound);
    }
    let (removed, ended) = store.remove_consent(caller.id, &client_id).await?;
    if !removed && ended.is_empty() {
        return Err(ApiError::NotFound);
    }
    audit::consent_removed(caller.id, &caller.username, &client_id, ended.len());
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/logouts/{id}`: for the `/signed-out` page, the application's sign-out `id` (from
/// `/oauth/end-session`): where to send the browser once it has signed out (the application's
/// post-logout redirect URI, or nowhere), and whether to ask the person first (it came without
/// an ID token: anyone can link to the logout endpoint). Once.
#[utoipa::path(
    post,
    path = "/api/logouts/{id}",
    tag = "applications",
    params(("id" = String, Path, description = "The sign-out, from `/signed-out?logout=`")),
    responses(
        (status = 200, description = "Where to go next, if anywhere", body = LogoutBody),
        (status = 404, description = "Unknown, expired (10 minutes) or done already", body = ErrorBody),
    )
)]
pub async fn finish_logout(
    State(provider): State<Provider>,
    Path(id): Path<String>,
) -> Result<Json<LogoutBody>, ApiError> {
    let (redirect_to, hinted) = provider
        .finish_logout(&id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(LogoutBody {
        redirect_to,
        ask: !hinted,
    }))
}
