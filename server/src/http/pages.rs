//! How pages leave the server: whole, and with an answer for forms posted before the WASM
//! has loaded.

use app::{api::validate_username, redirect::local_path};
use axum::{
    body::Body,
    extract::{rejection::FormRejection, OriginalUri},
    http::{header, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Form,
};

/// Far above any page of ours (they are about 2 KB).
const MAX_PAGE_BYTES: usize = 1 << 20;

/// Leptos streams a page as several chunks (chunked encoding, a write per chunk). Our pages
/// wait for no data, so the stream is complete at once: sending it as one body with a
/// Content-Length costs a copy of a few KB and saves system calls.
pub async fn whole_page(response: Response) -> Response {
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"text/html"));
    if !is_html {
        return response;
    }
    let (parts, body) = response.into_parts();
    match axum::body::to_bytes(body, MAX_PAGE_BYTES).await {
        Ok(bytes) => Response::from_parts(parts, Body::from(bytes)),
        Err(error) => {
            tracing::error!(%error, "rendering a page failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// What a log-in or registration form posts when it is sent before the page is interactive
/// (the browser submits it itself). Only the username is read; the password is dropped
/// unread, never logged, never echoed.
#[derive(serde::Deserialize)]
pub struct EarlyForm {
    username: Option<String>,
}

/// A form sent before the page was interactive comes here: the browser is sent back to the
/// page (303) with the username kept and a word that the form must be sent again
/// (`?username=...&resubmit`); a `next` of the log-in page is kept too.
pub async fn back_to_form(
    OriginalUri(uri): OriginalUri,
    form: Result<Form<EarlyForm>, FormRejection>,
) -> Redirect {
    let mut query = vec![];
    let next = uri.query().and_then(|query| {
        form_urlencoded::parse(query.as_bytes())
            .find_map(|(name, value)| (name == "next").then_some(value))
    });
    if let Some(next) = next.as_deref().and_then(local_path) {
        query.push(format!("next={}", encode(next)));
    }
    // Only a name that could be registered goes back into the URL (no encoding needed).
    if let Some(username) = form
        .ok()
        .and_then(|Form(form)| form.username)
        .filter(|name| validate_username(name).is_ok())
    {
        query.push(format!("username={username}"));
    }
    query.push("resubmit".into());
    Redirect::to(&format!("{}?{}", uri.path(), query.join("&")))
}

/// `value` for a query string: everything but `A-Z a-z 0-9 / . _ ~ -` percent-encoded.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'.' | b'_' | b'~' | b'-' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}
