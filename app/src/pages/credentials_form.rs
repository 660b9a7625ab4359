use super::field::{all_pass, CheckedForm, CheckedInput, Field};
use leptos::prelude::*;

/// The username + password form shared by the log-in and register pages (a `CheckedForm`:
/// sent before hydration, the browser posts it and the server completes it; see `field.rs`).
///
/// Each field is checked with the rules the API enforces (`check_username`,
/// `check_password`), so the user hears about a problem without a round trip (see
/// `field.rs`). A submit with a problem sends nothing and puts the focus on the first field to
/// fix. The server's answers (a taken name, wrong credentials) go to the `message` line.
#[component]
pub fn CredentialsForm(
    /// Text of the submit button.
    submit_label: &'static str,
    /// `current-password` for logging in, `new-password` for registering (password managers
    /// use this to decide between filling and generating).
    password_autocomplete: &'static str,
    /// True while a request runs: the button is disabled so a double click sends one request.
    #[prop(into)]
    pending: Signal<bool>,
    /// The page's message about the last attempt (a taken name, wrong credentials), if any.
    /// Hidden by a submit that a field's rule stops: it would describe an earlier attempt.
    #[prop(into)]
    message: Signal<Option<String>>,
    /// The page's rule for the username field: `Err(message)` when it cannot be sent.
    check_username: fn(&str) -> Result<(), String>,
    /// The page's rule for the password field.
    check_password: fn(&str) -> Result<(), String>,
    /// Called with `(username, password)` when the form is submitted and both fields pass.
    on_submit: impl Fn(String, String) + 'static,
    /// The username field's `autocomplete`: `username` unless given (the log-in page adds
    /// `webauthn`, so the browser offers passkeys in the field's autofill).
    #[prop(optional)]
    username_autocomplete: Option<&'static str>,
    /// The username the field starts with (rendered by the server too).
    #[prop(optional)]
    initial_username: String,
    /// A username to put in the field when it becomes known (after a session ended).
    #[prop(optional, into)]
    prefill_username: Option<Signal<Option<String>>>,
) -> impl IntoView {
    // What was typed before the island hydrated stays (hydration sets each input to its value).
    let username = RwSignal::new(typed_before_hydration("username").unwrap_or(initial_username));
    if let Some(prefill) = prefill_username {
        Effect::new(move |_| {
            if let Some(name) = prefill.get() {
                username.set(name);
            }
        });
    }
    let password = RwSignal::new(typed_before_hydration("password").unwrap_or_default());
    let show_password = RwSignal::new(false);
    let username_field = Field::new(username, check_username);
    let password_field = Field::new(password, check_password);
    let username_input = NodeRef::<leptos::html::Input>::new();
    let password_input = NodeRef::<leptos::html::Input>::new();
    let stale_message = RwSignal::new(false);
    let shown_message = move || message.get().filter(|_| !stale_message.get());
    // Focus follows a new message, so keyboard and screen-reader users land on it.
    let message_node = NodeRef::<leptos::html::P>::new();
    Effect::new(move |_| {
        if shown_message().is_some() {
            if let Some(node) = message_node.get() {
                let _ = node.focus();
            }
        }
    });
    let submit = move || {
        if pending.get_untracked() {
            return;
        }
        let pass = all_pass(&[
            (username_field, username_input),
            (password_field, password_input),
        ]);
        stale_message.set(!pass);
        if pass {
            on_submit(username.get_untracked(), password.get_untracked());
        }
    };

    view! {
        <CheckedForm on_submit=submit>
            <CheckedInput
                id="username"
                label="Username"
                field=username_field
                input_type="text"
                autocomplete=username_autocomplete.unwrap_or("username")
                input_ref=username_input
            />
            <CheckedInput
                id="password"
                label="Password"
                field=password_field
                input_type=Signal::derive(move || {
                    if show_password.get() { "text" } else { "password" }
                })
                autocomplete=password_autocomplete
                input_ref=password_input
            />
            <label class="inline">
                <input type="checkbox" bind:checked=show_password/>
                " Show password"
            </label>
            <p class="error" role="alert" tabindex="-1" node_ref=message_node>
                {shown_message}
            </p>
            <button type="submit" disabled=move || pending.get()>{submit_label}</button>
        </CheckedForm>
    }
}

/// What the page's input `id` already holds when the island hydrates, if anything: the server
/// rendered the form, and a person may have started typing before the WebAssembly arrived.
fn typed_before_hydration(id: &str) -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        let _ = id;
        None
    }
    #[cfg(not(feature = "ssr"))]
    {
        use wasm_bindgen::JsCast;
        let input = document()
            .get_element_by_id(id)?
            .dyn_into::<web_sys::HtmlInputElement>()
            .ok()?;
        Some(input.value()).filter(|value| !value.is_empty())
    }
}
