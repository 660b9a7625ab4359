use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <Title text="Not found · rest-auth"/>
        <h1>"Page not found"</h1>
        <p>"There is nothing at this address. " <a href="/">"Go to the home page"</a> "."</p>
    }
}
