use crate::session::Session;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HomePage() -> impl IntoView {
    let session = Session::get();
    view! {
        <Title text="rest-auth"/>
        <h1>"rest-auth"</h1>
        // A word from the last sign-out ("Your account has been deleted.").
        <p class="done" role="status">{move || session.notice()}</p>
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
