//! Response headers that tell browsers to keep our pages to themselves: no framing, no MIME
//! sniffing, no referrer leaks, and a Content-Security-Policy under which only our own script
//! runs.
//!
//! Pages need inline scripts (the hydration bootstrap, the completion of a posted sign-in) and
//! an inline stylesheet, so their policy allows exactly the scripts and styles that carry this
//! response's nonce, which Leptos generates per request and writes into each of them; `'wasm-unsafe-eval'` lets the WASM compile. Every
//! other response (JSON, files) gets a policy that allows nothing.

use app::shell;
use axum::http::{header, HeaderName, HeaderValue};
use axum::response::Response;
use leptos::{config::LeptosOptions, prelude::*};
use leptos_axum::ResponseOptions;
use tower::util::MapResponseLayer;

/// The CSP of a server-rendered page whose inline scripts carry `nonce`.
pub fn page_policy(nonce: &str, dev_reload: bool) -> String {
    // `cargo leptos watch` reloads the page over a websocket on another port.
    let connect = if dev_reload { "'self' ws:" } else { "'self'" };
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'nonce-{nonce}'; img-src 'self' data:; connect-src {connect}; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// For everything that is not a page: nothing may run, nothing may frame it.
const NON_PAGE_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// The document shell, with this response's page policy set on the response.
pub fn shell_with_policy(options: LeptosOptions) -> impl IntoView {
    if let (Some(nonce), Some(response)) =
        (leptos::nonce::use_nonce(), use_context::<ResponseOptions>())
    {
        let dev = options.env == leptos::config::Env::DEV;
        if let Ok(value) = HeaderValue::from_str(&page_policy(&nonce, dev)) {
            response.insert_header(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    shell(options)
}

/// Headers for every response, set in one pass; a policy already set (by a page) is kept.
const HEADERS: [(HeaderName, &str); 5] = [
    (header::CONTENT_SECURITY_POLICY, NON_PAGE_POLICY),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
    // For browsers that predate `frame-ancestors`.
    (header::X_FRAME_OPTIONS, "DENY"),
    (
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    ),
];

fn set_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in HEADERS {
        headers
            .entry(name)
            .or_insert_with(|| HeaderValue::from_static(value));
    }
    // Every JSON answer (all of /api's, errors included) is `no-store`: they carry tokens,
    // refresh tokens, tickets, two-step secrets, recovery codes, or what only the caller may
    // see, and none is worth a cache's risk (OWASP REST Security Cheat Sheet; RFC 9700 for the
    // tokens). Set here, in the one pass over every response, rather than by a layer of /api's
    // own, which the token path would pay for.
    let json = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    if json {
        headers
            .entry(header::CACHE_CONTROL)
            .or_insert_with(|| HeaderValue::from_static("no-store"));
    }
    response
}

/// The layer that sets [`HEADERS`]: a plain function over the response, no allocation and no
/// boxed future.
pub fn layer() -> MapResponseLayer<fn(Response) -> Response> {
    MapResponseLayer::new(set_headers)
}
