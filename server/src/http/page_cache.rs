//! Pages rendered once. Our pages depend on nothing of the request but its path (the token is
//! read by the browser after hydration, and no page waits for data), so a page is rendered on
//! its first request and later ones get the same bytes with their own CSP nonce in place of
//! the one it was rendered with: a fresh nonce per response, as before, without rendering
//! again. Only a `GET` without a query string whose answer is a 200 page is kept (a query
//! such as `?next=…` may shape the page, so it is rendered each time; a form's answer is a
//! `POST`, never kept), and at most
//! [`MAX_PAGES`] of them: what is kept is bounded by the routes, not by what clients ask for.

use super::security_headers::page_policy;
use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use leptos::nonce::Nonce;
use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

/// More than the app has pages; a guard against a route with a parameter.
const MAX_PAGES: usize = 32;

pub struct PageCache {
    pages: RwLock<HashMap<String, Arc<Rendered>>>,
    /// `cargo leptos watch`: the policy allows its reload socket.
    dev_reload: bool,
}

/// A rendered page: its headers but the policy, and its body cut where the nonce was.
struct Rendered {
    headers: HeaderMap,
    pieces: Vec<Bytes>,
}

impl PageCache {
    pub fn new(dev_reload: bool) -> Arc<PageCache> {
        Arc::new(PageCache {
            pages: RwLock::new(HashMap::new()),
            dev_reload,
        })
    }

    fn get(&self, path: &str) -> Option<Arc<Rendered>> {
        let pages = self
            .pages
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        pages.get(path).cloned()
    }

    fn keep(&self, path: &str, rendered: Rendered) {
        let mut pages = self
            .pages
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if pages.len() < MAX_PAGES {
            pages.insert(path.to_owned(), Arc::new(rendered));
        }
    }
}

impl Rendered {
    /// `None` when the page cannot be reused: no nonce in its policy.
    fn from(response: &Response, body: &Bytes) -> Option<Rendered> {
        let policy = response
            .headers()
            .get(header::CONTENT_SECURITY_POLICY)?
            .to_str()
            .ok()?;
        let nonce = policy.split("'nonce-").nth(1)?.split('\'').next()?;
        if nonce.is_empty() {
            return None;
        }
        let mut headers = response.headers().clone();
        headers.remove(header::CONTENT_SECURITY_POLICY);
        headers.remove(header::CONTENT_LENGTH);
        let mut pieces = vec![];
        let mut rest = body.clone();
        while let Some(at) = find(&rest, nonce.as_bytes()) {
            pieces.push(rest.slice(..at));
            rest = rest.slice(at + nonce.len()..);
        }
        pieces.push(rest);
        Some(Rendered { headers, pieces })
    }

    fn response(&self, dev_reload: bool) -> Response {
        let nonce = Nonce::new();
        let length = self.pieces.iter().map(Bytes::len).sum::<usize>()
            + nonce.len() * (self.pieces.len() - 1);
        let mut body = Vec::with_capacity(length);
        for (i, piece) in self.pieces.iter().enumerate() {
            if i > 0 {
                body.extend_from_slice(nonce.as_bytes());
            }
            body.extend_from_slice(piece);
        }
        let mut response = Response::new(Body::from(body));
        *response.headers_mut() = self.headers.clone();
        if let Ok(policy) = HeaderValue::from_str(&page_policy(&nonce, dev_reload)) {
            response
                .headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, policy);
        }
        response
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Middleware around the pages (inside it, each page leaves whole: `pages::whole_page`).
pub async fn serve(State(cache): State<Arc<PageCache>>, request: Request, next: Next) -> Response {
    let reusable = request.method() == Method::GET && request.uri().query().is_none();
    if !reusable {
        return next.run(request).await;
    }
    let path = request.uri().path().to_owned();
    if let Some(rendered) = cache.get(&path) {
        return rendered.response(cache.dev_reload);
    }
    let response = next.run(request).await;
    let is_page = response.status() == StatusCode::OK
        && response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|value| value.as_bytes().starts_with(b"text/html"));
    if !is_page {
        return response;
    }
    let (parts, body) = response.into_parts();
    // Already whole (pages::whole_page): collecting it takes its one chunk.
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::error!(%error, "rendering a page failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let response = Response::from_parts(parts, Body::from(bytes.clone()));
    if let Some(rendered) = Rendered::from(&response, &bytes) {
        cache.keep(&path, rendered);
    }
    response
}
