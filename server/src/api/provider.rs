//! The OpenID Connect provider's endpoints (provider/): discovery, the keys, the authorization
//! endpoint (which hands the browser to our `/authorize` page), the token endpoint, userinfo,
//! RFC 7662 introspection, RFC 7009 revocation, RP-initiated logout, and the check a reverse
//! proxy's `auth_request` makes. Their errors are OAuth's (`{"error", "error_description"}`,
//! RFC 6749 5.2), not the rest of the API's.

use super::client_addr::ClientAddr;
use crate::{
    auth::header::{parse_authorization, Credentials},
    provider::{
        authorization::{AuthorizationQuery, Started, Unredirectable},
        clients::ClientAuthentication,
        has_scope,
        tokens::{CodeExchange, Holder, LogoutQuery, Tokens},
        OAuthError, Provider, ServerError, SCOPES,
    },
    store::StoreError,
};
use axum::{
    extract::{rejection::FormRejection, Query, State},
    http::{
        header::{self, AUTHORIZATION},
        HeaderMap, HeaderName, HeaderValue, StatusCode, Uri,
    },
    response::{Html, IntoResponse, Redirect, Response},
    Form, Json,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The header `GET /oauth/check` hands the username on in.
pub const USERNAME_HEADER: &str = "x-username";

/// `GET /.well-known/openid-configuration`: OpenID Connect Discovery 1.0.
#[utoipa::path(
    get,
    path = "/.well-known/openid-configuration",
    tag = "openid",
    responses((status = 200, description = "The provider's metadata", body = Object))
)]
pub async fn discovery(State(provider): State<Provider>) -> Response {
    let at = |path: &str| provider.endpoint(path);
    let auth_methods = ["client_secret_basic", "client_secret_post"];
    let metadata = serde_json::json!({
        "issuer": provider.issuer(),
        "authorization_endpoint": at("/oauth/authorize"),
        "token_endpoint": at("/oauth/token"),
        "userinfo_endpoint": at("/oauth/userinfo"),
        "jwks_uri": at("/oauth/jwks"),
        "end_session_endpoint": at("/oauth/end-session"),
        "introspection_endpoint": at("/oauth/introspect"),
        "revocation_endpoint": at("/oauth/revoke"),
        "scopes_supported": SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "code_challenge_methods_supported": ["S256"],
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "amr", "azp", "sid", "preferred_username"],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
        "frontchannel_logout_supported": false,
        "backchannel_logout_supported": false,
    });
    Json(metadata).into_response()
}

/// `GET /oauth/jwks`: the public keys that sign ID tokens and access tokens (RFC 7517), the
/// retired ones too until their tokens have expired.
#[utoipa::path(
    get,
    path = "/oauth/jwks",
    tag = "openid",
    responses(
        (status = 200, description = "A JWK Set", body = Object, content_type = "application/jwk-set+json"),
        (status = 503, description = "The database cannot be reached", body = OAuthErrorBody),
    )
)]
pub async fn jwks(State(provider): State<Provider>) -> Result<Response, OAuthError> {
    let keys = provider.keys().current().await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/jwk-set+json"),
            ),
            // Within the minute an instance holds the keys anyway.
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=60"),
            ),
        ],
        keys.jwks.clone(),
    )
        .into_response())
}

/// `GET /oauth/authorize`: an authorization request (authorization code flow, PKCE). Unknown
/// client, or a redirect URI not registered for it: a 400 page, and no redirect. Otherwise any
/// error goes back to the client's redirect URI, and a good request is handed to the
/// `/authorize` page, where the person signs in (if needed) and answers.
#[utoipa::path(
    get,
    path = "/oauth/authorize",
    tag = "openid",
    params(AuthorizationQuery),
    responses(
        (status = 303, description = "To `/authorize?request=<id>`, or back to the client's \
            redirect URI with `error`, `state` and `iss`", headers(("Location" = String))),
        (status = 400, description = "Unknown client, or a redirect URI it did not register \
            (an HTML page; never redirected)", content_type = "text/html", body = String),
    )
)]
pub async fn authorize(State(provider): State<Provider>, uri: Uri) -> Response {
    let query = match Query::<AuthorizationQuery>::try_from_uri(&uri) {
        Ok(Query(query)) => query,
        Err(_) => {
            return refused_page("The request's parameters cannot be read (each may be sent once).")
        }
    };
    match provider.start(query).await {
        Ok(Started::Stored(id)) => {
            Redirect::to(&format!("/authorize?request={id}")).into_response()
        }
        Ok(Started::Redirect(to)) => Redirect::to(&to).into_response(),
        Err(Unredirectable::Refused(message)) => refused_page(&message),
        Err(Unredirectable::Server(error)) => OAuthError::from(error).into_response(),
    }
}

/// `POST /oauth/token` form body (RFC 6749 4.1.3, 6; RFC 7636 4.5).
#[derive(Deserialize, ToSchema)]
pub struct TokenForm {
    /// `authorization_code` or `refresh_token`.
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    /// `client_secret_post`, or a public client's id.
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// The token endpoint's answer (RFC 6749 5.1).
#[derive(Serialize, ToSchema)]
pub struct OAuthTokenBody {
    /// A JWT (RFC 9068), `aud` the issuer.
    access_token: String,
    /// `Bearer`.
    token_type: &'static str,
    /// Seconds.
    expires_in: u64,
    /// With the `openid` scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    /// With the `offline_access` scope; replaced at every use.
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    scope: String,
}

/// `{"error", "error_description"}` (RFC 6749 5.2).
#[derive(Serialize, ToSchema)]
pub struct OAuthErrorBody {
    error: String,
    error_description: String,
}

/// `POST /oauth/token`: exchanges an authorization code, or a refresh token, for tokens. The
/// client authenticates with `client_secret_basic` or `client_secret_post`; a public client
/// sends its `client_id` and relies on PKCE.
#[utoipa::path(
    post,
    path = "/oauth/token",
    tag = "openid",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Tokens", body = OAuthTokenBody),
        (status = 400, description = "`invalid_request`, `invalid_grant` (the code or refresh \
            token is unknown, expired, used, another client's, or the verifier or redirect URI \
            does not match), `unsupported_grant_type`", body = OAuthErrorBody),
        (status = 401, description = "`invalid_client`", body = OAuthErrorBody,
            headers(("WWW-Authenticate" = String))),
    )
)]
pub async fn token(
    State(provider): State<Provider>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Result<Response, OAuthError> {
    let Form(form) = form.map_err(form_error)?;
    let presented = client_authentication(
        &headers,
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    )?;
    let client = provider.client(&presented).await?;
    let missing = |name: &str| OAuthError::InvalidRequest(format!("{name} is missing"));
    let tokens = match form.grant_type.as_deref() {
        Some("authorization_code") => {
            let exchange = CodeExchange {
                code: form.code.as_deref().ok_or_else(|| missing("code"))?,
                redirect_uri: form.redirect_uri.as_deref(),
                code_verifier: form.code_verifier.as_deref(),
            };
            provider.exchange_code(&client, exchange, address).await?
        }
        Some("refresh_token") => {
            let refresh_token = form
                .refresh_token
                .as_deref()
                .ok_or_else(|| missing("refresh_token"))?;
            provider.refresh(&client, refresh_token, address).await?
        }
        Some(_) => return Err(OAuthError::UnsupportedGrantType),
        None => return Err(missing("grant_type")),
    };
    Ok(no_store(Json(token_body(tokens))))
}

fn token_body(tokens: Tokens) -> OAuthTokenBody {
    OAuthTokenBody {
        access_token: tokens.access_token,
        token_type: "Bearer",
        expires_in: tokens.expires_in,
        id_token: tokens.id_token,
        refresh_token: tokens.refresh_token,
        scope: tokens.scope,
    }
}

/// The userinfo endpoint's answer (OpenID Connect Core 5.3.2).
#[derive(Serialize, ToSchema)]
pub struct UserinfoBody {
    /// The account's user handle: stable, never reused.
    sub: String,
    /// With the `profile` scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    preferred_username: Option<String>,
}

/// `GET /oauth/userinfo` with an application's access token (`Authorization: Bearer`, scope
/// `openid`): who the person is.
#[utoipa::path(
    get,
    path = "/oauth/userinfo",
    tag = "openid",
    responses(
        (status = 200, description = "The claims the token's scopes allow", body = UserinfoBody),
        (status = 401, description = "No token, or not a good one (`WWW-Authenticate: Bearer \
            error=\"invalid_token\"`)", headers(("WWW-Authenticate" = String))),
        (status = 403, description = "The token lacks the `openid` scope",
            headers(("WWW-Authenticate" = String))),
    ),
    security(("bearer" = []))
)]
pub async fn userinfo(
    State(provider): State<Provider>,
    headers: HeaderMap,
) -> Result<Response, OAuthError> {
    let holder = match bearer(&headers) {
        Some(token) => provider.holder(token, false).await?,
        None => None,
    };
    let Some(holder) = holder.filter(|holder| holder.client_id.is_some()) else {
        return Ok(bearer_challenge(StatusCode::UNAUTHORIZED, "invalid_token"));
    };
    let scope = holder.scope.unwrap_or_default();
    if !has_scope(&scope, "openid") {
        return Ok(bearer_challenge(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
        ));
    }
    let body = UserinfoBody {
        sub: holder.sub,
        preferred_username: has_scope(&scope, "profile").then_some(holder.session.username),
    };
    Ok(no_store(Json(body)))
}

/// `POST /oauth/userinfo`: the same (OpenID Connect Core 5.3.1 asks for both methods).
#[utoipa::path(
    post,
    path = "/oauth/userinfo",
    tag = "openid",
    responses(
        (status = 200, description = "The claims the token's scopes allow", body = UserinfoBody),
        (status = 401, description = "No token, or not a good one", headers(("WWW-Authenticate" = String))),
        (status = 403, description = "The token lacks the `openid` scope",
            headers(("WWW-Authenticate" = String))),
    ),
    security(("bearer" = []))
)]
pub async fn userinfo_post(
    provider: State<Provider>,
    headers: HeaderMap,
) -> Result<Response, OAuthError> {
    userinfo(provider, headers).await
}

/// `POST /oauth/introspect` and `POST /oauth/revoke` form body.
#[derive(Deserialize, ToSchema)]
pub struct TokenQuestion {
    token: Option<String>,
    /// `access_token` or `refresh_token`; every kind is looked for either way.
    #[allow(dead_code)]
    token_type_hint: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// RFC 7662 2.2.
#[derive(Serialize, ToSchema, Default)]
pub struct IntrospectionBody {
    active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<String>,
    /// `Bearer` or `refresh_token`.
    #[serde(skip_serializing_if = "Option::is_none")]
    token_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<String>,
    /// The session the token belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<String>,
}

/// `POST /oauth/introspect` (RFC 7662), for a registered confidential client (a resource
/// server): whether `token` is good now, as the token path would answer, and whose it is. An
/// application's access or refresh token, or one of the seed's own tokens.
#[utoipa::path(
    post,
    path = "/oauth/introspect",
    tag = "openid",
    request_body(content = TokenQuestion, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "`{\"active\": false}`, or the token's facts", body = IntrospectionBody),
        (status = 400, description = "`invalid_request`", body = OAuthErrorBody),
        (status = 401, description = "`invalid_client`", body = OAuthErrorBody,
            headers(("WWW-Authenticate" = String))),
    )
)]
pub async fn introspect(
    State(provider): State<Provider>,
    headers: HeaderMap,
    form: Result<Form<TokenQuestion>, FormRejection>,
) -> Result<Response, OAuthError> {
    let Form(form) = form.map_err(form_error)?;
    let token = confidential_question(&provider, &headers, &form).await?;
    let body = match provider.holder(&token, true).await? {
        Some(holder) => introspection(&provider, holder),
        None => IntrospectionBody::default(),
    };
    Ok(no_store(Json(body)))
}

fn introspection(provider: &Provider, holder: Holder) -> IntrospectionBody {
    IntrospectionBody {
        active: true,
        scope: holder.scope,
        client_id: holder.client_id,
        username: Some(holder.session.username),
        sub: Some(holder.sub),
        token_type: Some(holder.token_type),
        exp: holder.exp,
        iat: holder.iat,
        iss: Some(provider.issuer().to_owned()),
        sid: Some(holder.session.id),
    }
}

/// `POST /oauth/revoke` (RFC 7009): the client's refresh or access token, and the session
/// it belongs to, end. 200 whatever the token was.
#[utoipa::path(
    post,
    path = "/oauth/revoke",
    tag = "openid",
    request_body(content = TokenQuestion, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Revoked (or nothing to revoke)"),
        (status = 400, description = "`invalid_request`", body = OAuthErrorBody),
        (status = 401, description = "`invalid_client`", body = OAuthErrorBody,
            headers(("WWW-Authenticate" = String))),
    )
)]
pub async fn revoke(
    State(provider): State<Provider>,
    headers: HeaderMap,
    form: Result<Form<TokenQuestion>, FormRejection>,
) -> Result<Response, OAuthError> {
    let Form(form) = form.map_err(form_error)?;
    let presented = client_authentication(
        &headers,
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    )?;
    let client = provider.client(&presented).await?;
    let token = form
        .token
        .ok_or_else(|| OAuthError::InvalidRequest("token is missing".into()))?;
    provider.revoke(&client, &token).await?;
    Ok(StatusCode::OK.into_response())
}

/// `GET /oauth/end-session`: RP-initiated logout. The application's session the ID token
/// names ends, and the browser goes to the `/signed-out` page, which ends this browser's own
/// session, then on to `post_logout_redirect_uri` (one the client registered) with `state`.
#[utoipa::path(
    get,
    path = "/oauth/end-session",
    tag = "openid",
    params(LogoutQuery),
    responses(
        (status = 303, description = "To the `/signed-out?logout=<id>` page", headers(("Location" = String))),
        (status = 400, description = "An ID token we did not issue, or a post-logout redirect \
            URI the client did not register (an HTML page; never redirected)",
            content_type = "text/html", body = String),
    )
)]
pub async fn end_session(State(provider): State<Provider>, uri: Uri) -> Response {
    let query = match Query::<LogoutQuery>::try_from_uri(&uri) {
        Ok(Query(query)) => query,
        Err(_) => {
            return refused_page(
                "The sign-out request's parameters cannot be read (each may be sent once).",
            )
        }
    };
    match provider.end_session(&query).await {
        Ok(id) => Redirect::to(&format!("/signed-out?logout={id}")).into_response(),
        Err(Unredirectable::Refused(message)) => refused_page(&message),
        Err(Unredirectable::Server(error)) => OAuthError::from(error).into_response(),
    }
}

/// `GET /oauth/check`: for a reverse proxy's `auth_request` (docs/configuration.md). 204 with
/// the username in `X-Username` for a good token (an application's access token or one of the
/// seed's), 401 otherwise.
#[utoipa::path(
    get,
    path = "/oauth/check",
    tag = "openid",
    responses(
        (status = 204, description = "A good token", headers(("X-Username" = String))),
        (status = 401, description = "No good token", headers(("WWW-Authenticate" = String))),
    ),
    security(("bearer" = []))
)]
pub async fn check(
    State(provider): State<Provider>,
    headers: HeaderMap,
) -> Result<Response, OAuthError> {
    let holder = match bearer(&headers) {
        Some(token) => provider.holder(token, false).await?,
        None => None,
    };
    let Some(holder) = holder else {
        return Ok(bearer_challenge(StatusCode::UNAUTHORIZED, "invalid_token"));
    };
    let Ok(username) = HeaderValue::from_str(&holder.session.username) else {
        return Ok(bearer_challenge(StatusCode::UNAUTHORIZED, "invalid_token"));
    };
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(HeaderName::from_static(USERNAME_HEADER), username);
    Ok(response)
}

/// The token of a resource server's question, once the client checked out (a confidential
/// client only: a public one cannot prove who it is).
async fn confidential_question(
    provider: &Provider,
    headers: &HeaderMap,
    form: &TokenQuestion,
) -> Result<String, OAuthError> {
    let presented = client_authentication(
        headers,
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    )?;
    if matches!(presented, ClientAuthentication::Public { .. }) {
        return Err(OAuthError::InvalidClient);
    }
    provider.client(&presented).await?;
    form.token
        .clone()
        .ok_or_else(|| OAuthError::InvalidRequest("token is missing".into()))
}

/// How the client presented itself: HTTP Basic (its id and secret form-urlencoded, RFC 6749
/// 2.3.1), or in the body; never both (RFC 6749 2.3).
fn client_authentication(
    headers: &HeaderMap,
    client_id: Option<&str>,
    client_secret: Option<&str>,
) -> Result<ClientAuthentication, OAuthError> {
    if let Some(value) = headers.get(AUTHORIZATION) {
        if client_secret.is_some() {
            return Err(OAuthError::InvalidRequest(
                "the client authenticated in two ways at once".into(),
            ));
        }
        let Ok(Credentials::Basic { username, password }) = parse_authorization(value.as_bytes())
        else {
            return Err(OAuthError::InvalidClient);
        };
        let decode = |text: &str| {
            form_urlencoded::parse(format!("x={text}").as_bytes())
                .next()
                .map(|(_, value)| value.into_owned())
                .unwrap_or_default()
        };
        let client_id_in_header = decode(&username);
        if client_id.is_some_and(|id| id != client_id_in_header) {
            return Err(OAuthError::InvalidRequest(
                "client_id differs from the client that authenticated".into(),
            ));
        }
        return Ok(ClientAuthentication::Secret {
            client_id: client_id_in_header,
            secret: decode(&password),
        });
    }
    match (client_id, client_secret) {
        (Some(client_id), Some(secret)) => Ok(ClientAuthentication::Secret {
            client_id: client_id.to_owned(),
            secret: secret.to_owned(),
        }),
        (Some(client_id), None) => Ok(ClientAuthentication::Public {
            client_id: client_id.to_owned(),
        }),
        (None, _) => Err(OAuthError::InvalidClient),
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|token| !token.is_empty())
}

/// RFC 6750 3: a refused bearer token.
fn bearer_challenge(status: StatusCode, error: &'static str) -> Response {
    let challenge = format!("Bearer error=\"{error}\"");
    let mut response = status.into_response();
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

fn form_error(rejection: FormRejection) -> OAuthError {
    OAuthError::InvalidRequest(format!(
        "the body must be a form (application/x-www-form-urlencoded): {}",
        rejection.body_text()
    ))
}

/// RFC 6749 5.1: responses with tokens are never cached.
fn no_store(body: impl IntoResponse) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The page of a request that cannot be sent back to its application: what went wrong, and
/// no link anywhere but home.
fn refused_page(message: &str) -> Response {
    let escaped = message
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    let page = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Sign-in request refused - rest-auth</title></head><body><main>\
         <h1>This sign-in request cannot be completed</h1><p>{escaped}</p>\
         <p>Go back to the application you came from and try again, or contact its \
         administrator.</p><p><a href=\"/\">rest-auth home</a></p></main></body></html>"
    );
    (StatusCode::BAD_REQUEST, Html(page)).into_response()
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let (status, error) = match &self {
            OAuthError::InvalidRequest(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
            OAuthError::InvalidClient => (StatusCode::UNAUTHORIZED, "invalid_client"),
            OAuthError::InvalidGrant(_) => (StatusCode::BAD_REQUEST, "invalid_grant"),
            OAuthError::UnsupportedGrantType => (StatusCode::BAD_REQUEST, "unsupported_grant_type"),
            OAuthError::Server(ServerError::Store(StoreError::Unavailable(cause))) => {
                tracing::warn!(error = %cause, "database unavailable");
                (StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable")
            }
            OAuthError::Server(cause) => {
                tracing::error!(error = %cause, "request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "server_error")
            }
        };
        let description = match &self {
            OAuthError::Server(_) => "The server could not answer; try again shortly.".to_owned(),
            other => other.to_string(),
        };
        let body = OAuthErrorBody {
            error: error.to_owned(),
            error_description: description,
        };
        let mut response = no_store((status, Json(body)));
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"rest-auth\""),
            );
        }
        response
    }
}
