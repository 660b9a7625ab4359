use leptos::{ev::SubmitEvent, prelude::*};

/// The username + password form shared by the log-in and register pages.
///
/// `method="post"` matters: if the form is submitted before the WASM has hydrated the page,
/// the browser posts the fields in the body (the server answers with a redirect back to the
/// page) rather than putting a password into the URL, as a `GET` form would. Once hydrated,
/// the submit handler takes over and the form never navigates. `novalidate` turns off the
/// browser's own bubbles so every problem is reported the same way: text on the page.
#[component]
pub fn CredentialsForm(
    /// Text of the submit button.
    submit_label: &'static str,
    /// `current-password` for logging in, `new-password` for registering (password managers
    /// use this to decide between filling and generating).
    password_autocomplete: &'static str,
    /// True while a request runs: the button is disabled so a double click sends one request.
    pending: ReadSignal<bool>,
    /// The message to show under the fields, if any.
    error: ReadSignal<Option<String>>,
    /// Called with `(username, password)` when the form is submitted.
    on_submit: impl Fn(String, String) + 'static,
    /// A username to put in the field when it becomes known (after a session ended).
    #[prop(optional, into)]
    prefill_username: Option<Signal<Option<String>>>,
) -> impl IntoView {
    let username = RwSignal::new(String::new());
    if let Some(prefill) = prefill_username {
        Effect::new(move |_| {
            if let Some(name) = prefill.get() {
                username.set(name);
            }
        });
    }
    let password = RwSignal::new(String::new());
    let show_password = RwSignal::new(false);
    // Focus follows a new message, so keyboard and screen-reader users land on it.
    let message = NodeRef::<leptos::html::P>::new();
    Effect::new(move |_| {
        if error.with(Option::is_some) {
            if let Some(node) = message.get() {
                let _ = node.focus();
            }
        }
    });
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if !pending.get_untracked() {
            on_submit(username.get_untracked(), password.get_untracked());
        }
    };

    view! {
        <form class="credentials" method="post" novalidate on:submit=submit>
            <label for="username">"Username"</label>
            <input
                id="username"
                name="username"
                type="text"
                autocomplete="username"
                autocapitalize="none"
                spellcheck="false"
                bind:value=username
            />
            <label for="password">"Password"</label>
            <input
                id="password"
                name="password"
                type=move || if show_password.get() { "text" } else { "password" }
                autocomplete=password_autocomplete
                bind:value=password
            />
            <label class="inline">
                <input type="checkbox" bind:checked=show_password/>
                " Show password"
            </label>
            <p class="error" role="alert" tabindex="-1" node_ref=message>
                {move || error.get()}
            </p>
            <button type="submit" disabled=move || pending.get()>{submit_label}</button>
        </form>
    }
}
