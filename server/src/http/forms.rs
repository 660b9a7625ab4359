//! The signed-out forms as the browser posts them itself: sent before the WebAssembly has
//! arrived (or when it never does), `/login`, its code step and `/register` are completed here
//! through the code the API uses (`SignIn`, `Accounts`), so a person can sign in at first paint.
//!
//! Signed in: the page at `next`, `no-store`, whose first script (carrying the page's CSP
//! nonce) keeps the tokens where the islands read them and puts `next` in the address bar in
//! place of the post, so the browser's history holds no entry that would send it again. Refused: the page rendered again with the island's own
//! message, the name kept, the password empty, the API's status code. A post from another
//! origin is refused before anything is read (login CSRF).

use crate::{
    accounts::Accounts,
    api::{client_ip, signed_in_body, user_agent},
    auth::second_factor::presented_code,
    error::ApiError,
    sign_in::{PasswordStep, SignIn},
    state::{AppState, ClientIpHeader, PublicUrl},
};
use app::{
    api::{client::ApiFailure, Secret, SignedInBody},
    login_failure_message,
    redirect::local_path,
    signed_in_script, CompletedSignIn, InlineStyle, IslandChunks, PostedForm, SIGN_IN_EXPIRED,
    WRONG_CODE,
};
use axum::{
    body::Body,
    extract::{rejection::FormRejection, FromRef, FromRequest, Request},
    http::{header, HeaderMap, HeaderValue, StatusCode, Uri},
    response::{Html, IntoResponse, Response},
    Form,
};
use leptos::{config::LeptosOptions, prelude::provide_context};
use serde::de::DeserializeOwned;
use std::net::IpAddr;

/// What the log-in page's forms post: the password form (`username`, `password`) or the code
/// step (`ticket`, `code`).
#[derive(serde::Deserialize, Default)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    password: Option<String>,
    ticket: Option<String>,
    code: Option<String>,
}

/// What the registration form posts.
#[derive(serde::Deserialize, Default)]
pub struct RegisterForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// Renders the pages the forms answer with, as the page routes render them.
#[derive(Clone)]
pub struct FormPages {
    options: LeptosOptions,
    island_chunks: IslandChunks,
    style: Option<InlineStyle>,
}

impl FormPages {
    pub fn new(
        options: LeptosOptions,
        island_chunks: IslandChunks,
        style: Option<InlineStyle>,
    ) -> FormPages {
        FormPages {
            options,
            island_chunks,
            style,
        }
    }

    /// The page at `uri` rendered with the form's outcome, with `status`; `no-store`, as it
    /// names the person and may carry a sign-in ticket.
    async fn render(&self, uri: &Uri, posted: PostedForm, status: StatusCode) -> Response {
        let mut response = self.render_with(uri, posted).await;
        *response.status_mut() = status;
        response
    }

    /// The form again for `error`, with the API's status and, for a 429, its `Retry-After`.
    /// An internal error is logged here, as the API's answer logs it.
    async fn refused(&self, uri: &Uri, posted: PostedForm, error: &ApiError) -> Response {
        let mut response = self.render(uri, posted, error.status()).await;
        match error {
            ApiError::TooManyAttempts { retry_after } => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
            }
            ApiError::Internal(cause) => tracing::error!(error = %cause, "a posted form failed"),
            _ => {}
        }
        response
    }

    /// The page at `next` as the answer to a sign-in the browser posted: with the script that
    /// keeps the tokens and puts `next` in the address bar in place of the post, run before
    /// any island. One page load instead of two (a page that stores the tokens, then `next`).
    async fn signed_in(&self, body: &SignedInBody, next: &str) -> Response {
        let script = CompletedSignIn(signed_in_script(body, next));
        let uri = next
            .parse::<Uri>()
            .unwrap_or_else(|_| Uri::from_static("/hello"));
        self.render_with(&uri, script).await
    }

    /// The page at `uri`, rendered as the page routes render it, with `extra` in its context.
    async fn render_with<T: Clone + Send + Sync + 'static>(&self, uri: &Uri, extra: T) -> Response {
        let (options, chunks) = (self.options.clone(), self.island_chunks.clone());
        let style = self.style.clone();
        let handler = leptos_axum::render_app_to_stream_with_context(
            move || {
                provide_context(chunks.clone());
                if let Some(style) = &style {
                    provide_context(style.clone());
                }
                provide_context(extra.clone());
            },
            move || super::security_headers::shell_with_policy(options.clone()),
        );
        let mut request = Request::new(Body::empty());
        *request.uri_mut() = uri.clone();
        let mut response = handler(request).await;
        no_store(&mut response);
        response
    }
}

/// `POST /login`: the password, or the code step's ticket and code.
pub async fn log_in(
    pages: FormPages,
    state: AppState,
    uri: Uri,
    Posted {
        form,
        address,
        agent,
    }: Posted<LoginForm>,
) -> Response {
    let sign_in = SignIn::from_ref(&state);
    let next = next_of(&uri);
    let username = form.username.clone();

    if let Some(ticket) = form.ticket.filter(|ticket| !ticket.is_empty()) {
        let code = form.code.unwrap_or_default();
        let outcome = match presented_code(&code) {
            None => Err(ApiError::BadRequest(
                "Enter the code from your authenticator app, or a recovery code.".into(),
            )),
            Some(code) => sign_in
                .with_code(&ticket, code, address, &agent)
                .await
                .map_err(ApiError::from),
        };
        return match outcome.and_then(|begun| signed_in_body(&sign_in, begun)) {
            Ok(body) => pages.signed_in(&body.0, &next).await,
            Err(ApiError::SignInExpired) => {
                let posted = PostedForm {
                    username,
                    message: Some(SIGN_IN_EXPIRED.to_owned()),
                    ticket: None,
                };
                pages.render(&uri, posted, StatusCode::UNAUTHORIZED).await
            }
            Err(error) => {
                let message = match &error {
                    ApiError::WrongSignInCode => WRONG_CODE.to_owned(),
                    other => other.to_string(),
                };
                let posted = PostedForm {
                    username,
                    message: Some(message),
                    ticket: Some(ticket),
                };
                pages.refused(&uri, posted, &error).await
            }
        };
    }

    let password = form.password.unwrap_or_default();
    let outcome = if username.is_empty() || password.is_empty() {
        Err(ApiError::BadRequest(
            "Enter your username and your password.".into(),
        ))
    } else {
        sign_in
            .with_password(&username, password, address, &agent)
            .await
            .map_err(ApiError::from)
    };
    match outcome {
        Ok(PasswordStep::SignedIn(begun)) => match signed_in_body(&sign_in, begun) {
            Ok(body) => pages.signed_in(&body.0, &next).await,
            Err(error) => refused_log_in(&pages, &uri, username, error).await,
        },
        Ok(PasswordStep::CodeRequired { ticket, .. }) => {
            let posted = PostedForm {
                username,
                message: None,
                ticket: Some(ticket),
            };
            pages.render(&uri, posted, StatusCode::OK).await
        }
        Err(error) => refused_log_in(&pages, &uri, username, error).await,
    }
}

/// The log-in form again, saying what the island would say.
async fn refused_log_in(
    pages: &FormPages,
    uri: &Uri,
    username: String,
    error: ApiError,
) -> Response {
    let failure = ApiFailure::Status {
        status: error.status().as_u16(),
        message: error.to_string(),
    };
    let posted = PostedForm {
        username,
        message: Some(login_failure_message(&failure)),
        ticket: None,
    };
    pages.refused(uri, posted, &error).await
}

/// `POST /register`: creates the account and signs in to it, as the island does with two API
/// calls.
pub async fn register(
    pages: FormPages,
    state: AppState,
    uri: Uri,
    Posted {
        form,
        address,
        agent,
    }: Posted<RegisterForm>,
) -> Response {
    let (accounts, sign_in) = (Accounts::from_ref(&state), SignIn::from_ref(&state));
    let username = form.username.clone();
    let created = accounts
        .register(&username, Secret::new(form.password.clone()))
        .await;
    let outcome = match created {
        Ok(_) => sign_in
            .with_password(&username, form.password, address, &agent)
            .await
            .map_err(ApiError::from),
        Err(error) => Err(error.into()),
    };
    let error = match outcome {
        Ok(PasswordStep::SignedIn(begun)) => match signed_in_body(&sign_in, begun) {
            Ok(body) => return pages.signed_in(&body.0, "/hello").await,
            Err(error) => error,
        },
        // A new account has no second factor; should one appear meanwhile, the log-in page
        // asks for it.
        Ok(PasswordStep::CodeRequired { .. }) => {
            return axum::response::Redirect::to("/login").into_response()
        }
        Err(error) => error,
    };
    let posted = PostedForm {
        message: Some(error.to_string()),
        username,
        ticket: None,
    };
    pages.refused(&uri, posted, &error).await
}

/// A form posted by the browser: its fields, the client's address and user agent. A post from
/// another site is refused by extracting it (403, its form not read); a body that is not a form
/// reads as an empty one (and is refused as such).
pub struct Posted<T> {
    form: T,
    address: IpAddr,
    agent: String,
}

impl<T: DeserializeOwned + Default + Send> FromRequest<AppState> for Posted<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (parts, body) = request.into_parts();
        if !same_origin(&parts.headers, &state.public_url) {
            return Err(refused_cross_origin());
        }
        let address = client_ip(&parts, &ClientIpHeader::from_ref(state));
        let agent = user_agent(&parts.headers).to_owned();
        let request = Request::from_parts(parts, body);
        let form: Result<Form<T>, FormRejection> = Form::from_request(request, state).await;
        Ok(Posted {
            form: form.map(|Form(form)| form).unwrap_or_default(),
            address,
            agent,
        })
    }
}

/// Where the log-in page sends the browser once signed in: its `next`, if on this site.
fn next_of(uri: &Uri) -> String {
    uri.query()
        .and_then(|query| {
            form_urlencoded::parse(query.as_bytes())
                .find_map(|(name, value)| (name == "next").then_some(value))
        })
        .as_deref()
        .and_then(local_path)
        .unwrap_or("/hello")
        .to_owned()
}

/// Login CSRF (OWASP CSRF Prevention Cheat Sheet: login forms): a browser says where a post
/// comes from in `Origin`, or in `Sec-Fetch-Site`. `Origin` decides when it names an origin: it
/// must be `PUBLIC_URL`'s or the `Host` the post was sent to. It is `null` on every post from a
/// page whose referrer policy is `no-referrer` (ours), so then, as when it is absent,
/// `Sec-Fetch-Site` decides: `same-origin` or `none` (typed by the person). `null` with nothing
/// else is refused; neither header is not a browser (curl), which a forged form cannot be.
fn same_origin(headers: &HeaderMap, public_url: &PublicUrl) -> bool {
    let origin = headers
        .get(header::ORIGIN)
        .map(|origin| origin.to_str().unwrap_or("null"));
    match (origin, headers.get("sec-fetch-site")) {
        (Some(origin), _) if origin != "null" => {
            origin == public_url.0.origin().ascii_serialization()
                || headers
                    .get(header::HOST)
                    .and_then(|host| host.to_str().ok())
                    .is_some_and(|host| {
                        origin.strip_prefix("http://") == Some(host)
                            || origin.strip_prefix("https://") == Some(host)
                    })
        }
        (_, Some(site)) => site == "same-origin" || site == "none",
        (Some(_null), None) => false,
        (None, None) => true,
    }
}

/// The answer to a form from another site: 403, nothing read, nobody signed in.
fn refused_cross_origin() -> Response {
    let mut response = (
        StatusCode::FORBIDDEN,
        Html(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>Refused · rest-auth</title></head><body><main><h1>Refused</h1>\
             <p>This form was sent from another site. Nobody was signed in. \
             <a href=\"/login\">Log in here</a>.</p></main></body></html>",
        ),
    )
        .into_response();
    no_store(&mut response);
    response
}

fn no_store(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}
