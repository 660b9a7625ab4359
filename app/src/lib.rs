//! The web UI and the API contract shared with the server.
//!
//! Pages are rendered by the server; only their interactive parts are islands (`#[island]`:
//! the navigation bar, the forms, the greeting, the account panel), which the WASM hydrates.
//! Everything else (the router, the page layouts and texts) never reaches the browser, and
//! moving between pages is an ordinary page load.

pub mod api;
mod nav;
mod pages;
mod passkey;
mod preload;
pub mod redirect;
mod session;
mod step_up;
mod time;

pub use pages::{login_failure_message, PostedForm, SIGN_IN_EXPIRED, WRONG_CODE};
pub use preload::IslandChunks;
pub use session::{signed_in_script, CompletedSignIn};

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

/// The HTML document around the app, rendered only on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <session::CompletedSignInScript/>
                <Stylesheet options=options.clone()/>
                <AutoReload options=options.clone()/>
                <IslandScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The built stylesheet's text, where the server has it (a release build): written into each
/// page rather than linked, so the first paint waits for no second request (it is 1.2 KB
/// compressed; docs/performance.md).
#[derive(Clone, Debug)]
pub struct InlineStyle(pub std::sync::Arc<str>);

/// The stylesheet: inline where the server provides its text ([`InlineStyle`]), with the
/// response's nonce; else linked, `/{site_pkg_dir}/rest-auth.css` (`cargo leptos watch`
/// reloads it there). `hash_files` stays off, so the link reads no file.
#[component]
fn Stylesheet(options: LeptosOptions) -> impl IntoView {
    match use_context::<InlineStyle>() {
        Some(InlineStyle(css)) => {
            let css = css.to_string();
            view! { <style nonce=leptos::nonce::use_nonce()>{css}</style> }.into_any()
        }
        None => view! { <HashedStylesheet options id="leptos"/> }.into_any(),
    }
}

/// Loads the WebAssembly and hydrates the page's islands, at once. (Leptos's own
/// `HydrationScripts` in islands mode waits for the browser to be idle first, which on a slow
/// phone is a visible delay before the forms respond.) The module and the WebAssembly are named
/// as early downloads; the islands are hydrated in page order, each `<leptos-island>` by the
/// function its `data-component` names.
#[component]
fn IslandScripts(options: LeptosOptions) -> impl IntoView {
    // What Leptos's script does first: the page is rendered, not hydrated, on the server.
    if let Some(context) = Owner::current_shared_context() {
        context.set_is_hydrating(false);
    }
    let pkg = format!("/{}/{}", options.site_pkg_dir, options.output_name);
    let nonce = leptos::nonce::use_nonce();
    let script = format!(
        "import init, * as islands from '{pkg}.js';\
         await init({{ module_or_path: '{pkg}.wasm' }});\
         islands.hydrate();\
         const walk = async (node) => {{ for (const el of node.children) {{\
           if (el.tagName === 'LEPTOS-ISLAND' && islands[el.dataset.component]) {{\
             await islands[el.dataset.component](el); }}\
           await walk(el); }} }};\
         await walk(document.body);"
    );
    view! {
        <link rel="modulepreload" href=format!("{pkg}.js")/>
        <link rel="preload" href=format!("{pkg}.wasm") r#as="fetch" r#type="application/wasm" crossorigin="anonymous"/>
        <script type="module" nonce=nonce>{script}</script>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title text="rest-auth"/>
        <Router>
            <nav::NavBar/>
            <main>
                <Routes fallback=pages::NotFoundPage>
                    <Route path=path!("/") view=pages::HomePage/>
                    <Route path=path!("/register") view=pages::RegisterPage/>
                    <Route path=path!("/login") view=pages::LoginPage/>
                    <Route path=path!("/hello") view=pages::HelloPage/>
                    <Route path=path!("/account") view=pages::AccountPage/>
                    <Route path=path!("/authorize") view=pages::AuthorizePage/>
                    <Route path=path!("/signed-out") view=pages::SignedOutPage/>
                </Routes>
            </main>
        </Router>
    }
}
