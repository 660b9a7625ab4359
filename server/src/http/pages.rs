//! How pages leave the server: whole, and with an answer for forms posted before the WASM
//! has loaded.

use axum::{
    body::Body,
    extract::OriginalUri,
    http::{header, StatusCode},
    response::{IntoResponse, Redirect, Response},
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

/// A form submitted before the WASM has loaded posts here: the browser is sent back to the
/// page (the fields in the body are dropped unread).
pub async fn back_to_form(OriginalUri(uri): OriginalUri) -> Redirect {
    Redirect::to(uri.path())
}
