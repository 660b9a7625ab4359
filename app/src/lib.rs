//! The web UI (server-rendered, then hydrated) and the API contract shared with the server.

pub mod api;
mod nav;
mod pages;
mod session;
mod time;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{ProtectedRoute, Route, Router, Routes},
    path,
};

pub use session::Session;

/// The HTML document around the app, rendered only on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                // `/{site_pkg_dir}/rest-auth.css`; on a production server `site_pkg_dir` names
                // the build's version, so the file may be cached for a year
                // (server/src/assets.rs). `hash_files` stays off, so this reads no file.
                <HashedStylesheet options=options.clone() id="leptos"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title text="rest-auth"/>
        <Router>
            <Site/>
        </Router>
    }
}

/// Everything inside the router: the session (its renewal may navigate), the navigation bar
/// and the pages.
#[component]
fn Site() -> impl IntoView {
    let session = Session::provide();
    // A memo, so a renewed token (same answer) does not render the guarded page anew.
    let may_see_private_pages = Memo::new(move |_| session.may_see_private_pages());
    view! {
        <nav::NavBar/>
        <main>
            <Routes fallback=pages::NotFoundPage>
                <Route path=path!("/") view=pages::HomePage/>
                <Route path=path!("/register") view=pages::RegisterPage/>
                <Route path=path!("/login") view=pages::LoginPage/>
                // Signed-out visitors are sent to log in, and back here after.
                <ProtectedRoute
                    path=path!("/hello")
                    view=pages::HelloPage
                    condition=move || may_see_private_pages.get()
                    redirect_path=move || session.log_in_path("/hello")
                    fallback=pages::checking_session
                />
                <ProtectedRoute
                    path=path!("/account")
                    view=pages::AccountPage
                    condition=move || may_see_private_pages.get()
                    redirect_path=move || session.log_in_path("/account")
                    fallback=pages::checking_account
                />
            </Routes>
        </main>
    }
}
