//! The JSON API under `/api`, wire-compatible with the Flask original, and the OpenID Connect
//! provider's endpoints (`/.well-known/openid-configuration`, `/oauth/...`). One module per
//! resource. Nothing else in the server registers paths under `/api`; unknown paths and
//! methods here get JSON errors, not the HTML 404 page.
//!
//! Routes are registered only through [`routes`], whose `routes!` takes each handler's path and
//! methods from its `#[utoipa::path]`: a route cannot be added without its documentation. The
//! paths are written whole (`/api/users`) and merged into the app's router rather than nested
//! under `/api`: axum serves a nested route by rewriting each request's URI, a cost every API
//! request paid for nothing.

mod applications;
mod auth_user;
mod client_addr;
mod json;

pub mod openapi;
mod passkeys;
mod provider;
mod reauthentication;
mod resource;
mod responses;
mod sessions;
mod sign_in;
mod token;
mod two_step;
mod users;

pub(crate) use client_addr::client_ip;
pub(crate) use sign_in::signed_in_body;

use crate::{error::ApiError, state::AppState};
use axum::{
    http::{header::USER_AGENT, HeaderMap},
    routing::any,
    Router,
};
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Every route of `/api`, each with its OpenAPI operation.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(users::register))
        .routes(routes!(users::get_user))
        .routes(routes!(users::delete_me))
        .routes(routes!(users::change_password))
        .routes(routes!(token::issue_token))
        .routes(routes!(sign_in::with_password))
        .routes(routes!(sign_in::with_code))
        .routes(routes!(sign_in::refresh))
        .routes(routes!(sessions::end_all))
        .routes(routes!(sessions::list))
        .routes(routes!(sessions::end_current))
        .routes(routes!(
            reauthentication::options,
            reauthentication::with_password
        ))
        .routes(routes!(reauthentication::begin_with_passkey))
        .routes(routes!(reauthentication::finish_with_passkey))
        .routes(routes!(sessions::end_others))
        .routes(routes!(sessions::end_one))
        .routes(routes!(passkeys::begin_registration))
        .routes(routes!(passkeys::finish_registration))
        .routes(routes!(passkeys::list))
        .routes(routes!(passkeys::rename, passkeys::remove))
        .routes(routes!(passkeys::begin_sign_in))
        .routes(routes!(passkeys::finish_sign_in))
        .routes(routes!(
            two_step::status,
            two_step::begin,
            two_step::confirm,
            two_step::turn_off
        ))
        .routes(routes!(two_step::renew_recovery_codes))
        .routes(routes!(resource::get_resource))
        .routes(routes!(applications::answer))
        .routes(routes!(applications::consent))
        .routes(routes!(applications::list))
        .routes(routes!(applications::remove))
        .routes(routes!(applications::finish_logout))
        .routes(routes!(provider::discovery))
        .routes(routes!(provider::jwks))
        .routes(routes!(provider::authorize))
        .routes(routes!(provider::token))
        .routes(routes!(provider::userinfo, provider::userinfo_post))
        .routes(routes!(provider::introspect))
        .routes(routes!(provider::revoke))
        .routes(routes!(provider::end_session))
        .routes(routes!(provider::check))
        .routes(routes!(openapi::openapi_json))
}

/// The OpenAPI document of `/api`: what [`routes`] registered, with the title and security
/// schemes.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, paths) = routes().split_for_parts();
    let mut document = openapi::ApiDoc::openapi().merge_from(paths);
    openapi::describe_one_time_code(&mut document);
    document
}

/// The router to merge into the app's: [`routes`], and JSON errors for unknown methods on
/// them and for any other path under `/api`.
pub fn router() -> Router<AppState> {
    let (router, _) = routes().split_for_parts();
    let not_found = || any(|| async { ApiError::NotFound });
    router
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .route("/api", not_found())
        .route("/api/", not_found())
        .route(UNKNOWN_PATH, not_found())
}

/// The route, as logs and metrics name it, of every path under `/api` that no route matches.
pub const UNKNOWN_PATH: &str = "/api/{*unknown}";

/// The client's `User-Agent`, as sent (empty when missing or not text).
pub(crate) fn user_agent(headers: &HeaderMap) -> &str {
    headers
        .get(USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
}
