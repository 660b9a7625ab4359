//! The "Cancel" button of a form or a question the page opened: it closes it, changing nothing.

use leptos::prelude::*;

#[component]
pub fn CancelButton(on_cancel: impl Fn() + Send + Sync + 'static) -> impl IntoView {
    view! {
        <button type="button" class="secondary" on:click=move |_| on_cancel()>
            "Cancel"
        </button>
    }
}
