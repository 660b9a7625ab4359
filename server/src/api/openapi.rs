//! `GET /api/openapi.json`: the OpenAPI 3.1 description of `/api`, generated from the handlers'
//! annotations and the shared body types, so it changes when the code does.

use super::{resource, sessions, token, users};
use axum::Json;
use utoipa::{
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "rest-auth",
        description = "Register a user, get a token, reach a protected resource. \
            Wire-compatible with the Flask REST-auth example.",
    ),
    paths(
        users::register,
        users::get_user,
        users::change_password,
        users::delete_me,
        token::issue_token,
        sessions::list,
        sessions::end_current,
        sessions::end_one,
        sessions::end_others,
        sessions::end_all,
        resource::get_resource,
    ),
    modifiers(&SecuritySchemes),
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some(
                        "username:password, or token:anything (curl's -u token:x)",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
