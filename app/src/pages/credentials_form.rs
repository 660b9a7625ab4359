use leptos::{ev::SubmitEvent, prelude::*};

/// The username + password form shared by the log-in and register pages.
///
/// `method="post"` matters: if the form is submitted before the WASM has hydrated the page,
/// the browser posts the fields in the body (the server answers with a redirect back to the
/// page) rather than putting a password into the URL, as a `GET` form would. Once hydrated,
/// the submit handler takes over and the form never navigates. `novalidate` turns off the
/// browser's own bubbles so every problem is reported the same way: text on the page.
///
/// Each field is checked with the rules the API enforces (`check_username`,
/// `check_password`), so the user hears about a problem without a round trip. A field's
/// message appears once the user has left the field having typed something, or has submitted,
/// and from then on follows every keystroke, so it disappears the moment the input is fixed.
/// A submit with a problem sends nothing and puts the focus on the first field to fix; the
/// message is tied to its field (`aria-describedby`, `aria-invalid`) so a screen reader reads
/// it there. The server's answers (a taken name, wrong credentials) go to the `error` line.
#[component]
pub fn CredentialsForm(
    /// Text of the submit button.
    submit_label: &'static str,
    /// `current-password` for logging in, `new-password` for registering (password managers
    /// use this to decide between filling and generating).
    password_autocomplete: &'static str,
    /// True while a request runs: the button is disabled so a double click sends one request.
    pending: ReadSignal<bool>,
    /// The page's message about the last attempt (a taken name, wrong credentials), if any.
    /// Cleared when a field's rule stops a submit: it would describe an earlier attempt.
    error: RwSignal<Option<String>>,
    /// The page's rule for the username field: `Err(message)` when it cannot be sent.
    check_username: fn(&str) -> Result<(), String>,
    /// The page's rule for the password field.
    check_password: fn(&str) -> Result<(), String>,
    /// Called with `(username, password)` when the form is submitted and both fields pass.
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
    let username_field = Field::new(username, check_username);
    let password_field = Field::new(password, check_password);
    let username_input = NodeRef::<leptos::html::Input>::new();
    let password_input = NodeRef::<leptos::html::Input>::new();
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
        if pending.get_untracked() {
            return;
        }
        username_field.reveal();
        password_field.reveal();
        let first_problem = if username_field.problem_untracked().is_some() {
            Some(username_input)
        } else if password_field.problem_untracked().is_some() {
            Some(password_input)
        } else {
            None
        };
        match first_problem {
            Some(input) => {
                error.set(None);
                if let Some(node) = input.get_untracked() {
                    let _ = node.focus();
                }
            }
            None => on_submit(username.get_untracked(), password.get_untracked()),
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
                aria-describedby="username-problem"
                aria-invalid=move || username_field.shown().is_some().then_some("true")
                on:blur=move |_| username_field.left()
                node_ref=username_input
                bind:value=username
            />
            <p class="field-problem" id="username-problem">{move || username_field.shown()}</p>
            <label for="password">"Password"</label>
            <input
                id="password"
                name="password"
                type=move || if show_password.get() { "text" } else { "password" }
                autocomplete=password_autocomplete
                aria-describedby="password-problem"
                aria-invalid=move || password_field.shown().is_some().then_some("true")
                on:blur=move |_| password_field.left()
                node_ref=password_input
                bind:value=password
            />
            <p class="field-problem" id="password-problem">{move || password_field.shown()}</p>
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

/// One input's value, its rule, and whether its message may be shown yet.
#[derive(Clone, Copy)]
struct Field {
    value: RwSignal<String>,
    check: fn(&str) -> Result<(), String>,
    revealed: RwSignal<bool>,
}

impl Field {
    fn new(value: RwSignal<String>, check: fn(&str) -> Result<(), String>) -> Self {
        Field {
            value,
            check,
            revealed: RwSignal::new(false),
        }
    }

    /// The user left the field: judge it, unless it is still empty (tabbing through an empty
    /// form should not fill it with complaints).
    fn left(self) {
        if !self.value.with_untracked(String::is_empty) {
            self.revealed.set(true);
        }
    }

    fn reveal(self) {
        self.revealed.set(true);
    }

    /// The message to show now, if any (re-evaluated on each keystroke once revealed).
    fn shown(self) -> Option<String> {
        if !self.revealed.get() {
            return None;
        }
        self.value.with(|value| (self.check)(value).err())
    }

    fn problem_untracked(self) -> Option<String> {
        self.value.with_untracked(|value| (self.check)(value).err())
    }
}
