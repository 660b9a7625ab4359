//! Pages rendered once. A route opts in (`CACHED_PAGES` in http/mod.rs) when its page depends on
//! nothing of the request but its path: the token is read by the browser after hydration, and
//! the page waits for no data. Such a page is rendered on its first request with a nonce made
//! here (`PageNonce`, handed to the rendering as a value), and later requests get the same
//! bytes with a fresh nonce of their own in its place, without rendering again.
//!
//! Only a `GET` without a query string (a query such as `?next=…` shapes the page) is looked
//! up, and only a 200 HTML answer with neither `Set-Cookie` nor `Vary` is kept. A form's answer
//! (a `POST`, with its messages) never passes here. What is kept is bounded by the routes.

use super::security_headers::page_policy;
use crate::metrics::Metrics;
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

pub struct PageCache {
    /// The paths that opted in.
    paths: &'static [&'static str],
    pages: RwLock<HashMap<&'static str, Arc<Rendered>>>,
    /// `cargo leptos watch`: the policy allows its reload socket.
    dev_reload: bool,
    metrics: Arc<Metrics>,
}

/// The nonce a cacheable page is rendered with, in the request's extensions: the rendering
/// uses it (http/mod.rs provides it in place of Leptos's own), so the cache knows it.
#[derive(Clone)]
pub struct PageNonce(pub Nonce);

/// A rendered page: its headers but the policy, and its body cut where the nonce was.
struct Rendered {
    headers: HeaderMap,
    pieces: Vec<Bytes>,
}

impl PageCache {
    pub fn new(
        paths: &'static [&'static str],
        dev_reload: bool,
        metrics: Arc<Metrics>,
    ) -> Arc<PageCache> {
        Arc::new(PageCache {
            paths,
            pages: RwLock::new(HashMap::new()),
            dev_reload,
            metrics,
        })
    }

    fn get(&self, path: &str) -> Option<Arc<Rendered>> {
        let pages = self
            .pages
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        pages.get(path).cloned()
    }

    fn keep(&self, path: &'static str, rendered: Rendered) {
        let mut pages = self
            .pages
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        pages.insert(path, Arc::new(rendered));
    }
}

/// Whether this answer may be given to everyone who asks for its path.
fn keepable(response: &Response) -> bool {
    let headers = response.headers();
    response.status() == StatusCode::OK
        && headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|value| value.as_bytes().starts_with(b"text/html"))
        && !headers.contains_key(header::SET_COOKIE)
        && !headers.contains_key(header::VARY)
}

impl Rendered {
    /// `None` when the body does not carry `nonce` (nothing to put a fresh one in place of).
    fn from(response: &Response, body: &Bytes, nonce: &Nonce) -> Option<Rendered> {
        let nonce = nonce.as_bytes();
        let mut headers = response.headers().clone();
        headers.remove(header::CONTENT_SECURITY_POLICY);
        headers.remove(header::CONTENT_LENGTH);
        let mut pieces = vec![];
        let mut rest = body.clone();
        while let Some(at) = find(&rest, nonce) {
            pieces.push(rest.slice(..at));
            rest = rest.slice(at + nonce.len()..);
        }
        pieces.push(rest);
        (pieces.len() > 1).then_some(Rendered { headers, pieces })
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
pub async fn serve(
    State(cache): State<Arc<PageCache>>,
    mut request: Request,
    next: Next,
) -> Response {
    let opted_in = match (request.method(), request.uri().query()) {
        (&Method::GET, None) => {
            let path = request.uri().path();
            cache.paths.iter().find(|opted| **opted == path).copied()
        }
        _ => None,
    };
    let Some(path) = opted_in else {
        return next.run(request).await;
    };
    if let Some(rendered) = cache.get(path) {
        cache.metrics.page(true);
        return rendered.response(cache.dev_reload);
    }
    cache.metrics.page(false);
    let nonce = Nonce::new();
    request.extensions_mut().insert(PageNonce(nonce.clone()));
    let response = next.run(request).await;
    if !keepable(&response) {
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
    if let Some(rendered) = Rendered::from(&response, &bytes, &nonce) {
        cache.keep(path, rendered);
    }
    response
}
