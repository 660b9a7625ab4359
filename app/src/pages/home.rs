use crate::preload::PreloadIsland;
use crate::session::take_notice;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="rest-auth"/>
        <PreloadIsland island="notice"/>
        <h1>"rest-auth"</h1>
        <Notice/>
        <p>
            "A small authentication service: register a user, exchange a password for a token, "
            "and use either to reach a protected resource. These pages use the same JSON API "
            "as curl:"
        </p>
        <pre><code>"curl -u miguel:python http://127.0.0.1:3000/api/resource"</code></pre>
        <p>
            <a class="button" href="/register">"Create account"</a>
            " "
            <a class="button secondary" href="/login">"Log in"</a>
        </p>
    }
}

/// A word the last sign-out left for this page ("Your account has been deleted."), an island:
/// it lives in the browser's session storage.
#[island(lazy)]
fn Notice() -> impl IntoView {
    let notice = RwSignal::new(None::<String>);
    Effect::new(move |_| notice.set(take_notice()));
    view! { <p class="done" role="status">{move || notice.get()}</p> }
}
