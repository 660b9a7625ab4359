//! The JSON API under `/api`, wire-compatible with the Flask original. One module per
//! resource. Nothing else in the server registers paths under `/api`; unknown paths and
//! methods here get JSON errors, not the HTML 404 page.

mod auth_user;
mod client_addr;
mod json;

pub mod openapi;
mod resource;
mod responses;
mod sessions;
mod token;
mod users;

use crate::{error::ApiError, state::AppState};
use axum::{
    routing::{delete, get, post, put},
    Router,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users", post(users::register))
        .route("/users/{id}", get(users::get_user))
        .route("/users/me", delete(users::delete_me))
        .route("/users/me/password", put(users::change_password))
        .route("/token", get(token::issue_token))
        .route("/logout", post(sessions::end_all))
        .route("/sessions", get(sessions::list))
        .route("/sessions/current", delete(sessions::end_current))
        .route("/sessions/others", delete(sessions::end_others))
        .route("/sessions/{id}", delete(sessions::end_one))
        .route("/resource", get(resource::get_resource))
        .route("/openapi.json", get(openapi::openapi_json))
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
}
