//! Early downloads for a page's lazily loaded island. With a split build (`--split`) each
//! island's WebAssembly comes in chunks fetched only when the island is found on the page,
//! that is after the main module has loaded: a second round trip. Naming them in the page's
//! `<head>` lets the browser fetch them alongside the main module instead.

use leptos::prelude::*;
use leptos_meta::Link;
use std::collections::HashMap;

/// For each lazily loaded island (its function's name in snake case, `login_form`), the URLs
/// its hydration fetches. The server provides it: it knows the build (server/src/http/assets.rs).
#[derive(Clone, Debug, Default)]
pub struct IslandChunks(pub HashMap<String, Vec<String>>);

/// `<link rel="preload">` for every file `island` will fetch; nothing without a split build.
#[component]
pub fn PreloadIsland(island: &'static str) -> impl IntoView {
    let urls = use_context::<IslandChunks>()
        .and_then(|chunks| chunks.0.get(island).cloned())
        .unwrap_or_default();
    urls.into_iter()
        .map(|href| {
            if href.ends_with(".js") {
                view! { <Link rel="modulepreload" href/> }.into_any()
            } else {
                view! { <Link rel="preload" href as_="fetch" type_="application/wasm" crossorigin="anonymous"/> }
                    .into_any()
            }
        })
        .collect_view()
}
