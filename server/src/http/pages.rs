//! How pages leave the server: whole.

use axum::{
    body::Body,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
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
