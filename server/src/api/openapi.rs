//! `GET /api/openapi.json`: the OpenAPI 3.1 description of `/api`, generated from the handlers'
//! annotations and the shared body types as the routes are registered (see [`super::routes`]),
//! so it changes when the code does.

use crate::{accounts::Accounts, auth::second_factor::MAX_ONE_TIME_CODE_CHARS};
use axum::{
    body::Bytes,
    extract::State,
    http::{header::CONTENT_TYPE, HeaderValue},
    response::IntoResponse,
};
use std::sync::Mutex;
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

/// Adds the optional `X-OTP` request header to every operation that takes Basic credentials:
/// an account with two-step verification needs it beside its password.
pub fn describe_one_time_code(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{
        path::{Operation, ParameterBuilder, ParameterIn},
        schema::{ObjectBuilder, Type},
        Required,
    };
    let takes_basic = |operation: &Operation| {
        operation.security.as_ref().is_some_and(|requirements| {
            serde_json::to_value(requirements)
                .is_ok_and(|value| value.to_string().contains("\"basic\""))
        })
    };
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            if !takes_basic(operation) {
                continue;
            }
            let header = ParameterBuilder::new()
                .name("X-OTP")
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(
                    "With a password, for an account with two-step verification: the code \
                     from its authenticator app (six digits), or one of its recovery codes. \
                     Without a valid one such a password gets 401 with `X-OTP: required`. \
                     Tokens never need it. Longer than 64 characters: 400.",
                ))
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .max_length(Some(MAX_ONE_TIME_CODE_CHARS)),
                ))
                .build();
            operation
                .parameters
                .get_or_insert_with(Vec::new)
                .push(header);
        }
    }
}

/// Sets the shortest password the document publishes to the one this server accepts
/// (`MIN_PASSWORD_LENGTH`), on every field that takes a new password.
pub fn describe_password_rules(openapi: &mut utoipa::openapi::OpenApi, min_chars: usize) {
    use utoipa::openapi::{schema::Schema, RefOr};
    let Some(components) = openapi.components.as_mut() else {
        return;
    };
    for (schema, field) in [("NewUser", "password"), ("PasswordChange", "new_password")] {
        let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(schema) else {
            continue;
        };
        if let Some(RefOr::T(Schema::Object(property))) = object.properties.get_mut(field) {
            property.min_length = Some(min_chars);
        }
    }
}

/// This document (written on the first request for it, for each minimum password length a
/// server of this process was configured with: one, outside tests).
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 description of /api",
        content_type = "application/json"))
)]
pub async fn openapi_json(State(accounts): State<Accounts>) -> impl IntoResponse {
    static WRITTEN: Mutex<Vec<(usize, Bytes)>> = Mutex::new(Vec::new());
    let min_chars = accounts.min_password_chars();
    let mut written = WRITTEN
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let json = match written.iter().find(|(min, _)| *min == min_chars) {
        Some((_, json)) => json.clone(),
        None => {
            let mut document = super::document();
            describe_password_rules(&mut document, min_chars);
            let json = Bytes::from(
                serde_json::to_vec(&document).expect("the OpenAPI document serialises"),
            );
            written.push((min_chars, json.clone()));
            json
        }
    };
    (
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        json,
    )
}
