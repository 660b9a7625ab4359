//! `GET /api/openapi.json`: the OpenAPI 3.1 description of `/api`, generated from the handlers'
//! annotations and the shared body types as the routes are registered (see [`super::routes`]),
//! so it changes when the code does.

use axum::{
    body::Bytes,
    http::{header::CONTENT_TYPE, HeaderValue},
    response::IntoResponse,
};
use std::sync::OnceLock;
use utoipa::{
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi,
};

/// What the document says besides its paths: the title and the security schemes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "rest-auth",
        description = "Register a user, get a token, reach a protected resource. \
            Wire-compatible with the Flask REST-auth example.",
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

/// This document (written once, on the first request for it).
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 description of /api",
        content_type = "application/json"))
)]
pub async fn openapi_json() -> impl IntoResponse {
    static JSON: OnceLock<Bytes> = OnceLock::new();
    let json = JSON.get_or_init(|| {
        let document = super::document();
        serde_json::to_vec(&document)
            .expect("the OpenAPI document serialises")
            .into()
    });
    (
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        json.clone(),
    )
}
