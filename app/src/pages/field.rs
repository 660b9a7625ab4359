//! A text input checked at the field: its label, its value and rule, and the message under it.

use leptos::{ev::SubmitEvent, html::Input, prelude::*};

/// One input's value, its rule, and whether its message may be shown yet.
///
/// A field's message appears once the user has left the field having typed something, or has
/// submitted, and from then on follows every keystroke, so it disappears the moment the input
/// is fixed.
#[derive(Clone, Copy)]
pub struct Field {
    value: RwSignal<String>,
    check: fn(&str) -> Result<(), String>,
    revealed: RwSignal<bool>,
    /// What the server said about the value sent (a wrong current password), until it changes.
    rejected: RwSignal<Option<String>>,
}

impl Field {
    pub fn new(value: RwSignal<String>, check: fn(&str) -> Result<(), String>) -> Self {
        Field {
            value,
            check,
            revealed: RwSignal::new(false),
            rejected: RwSignal::new(None),
        }
    }

    /// An empty field with the rule `check`.
    pub fn empty(check: fn(&str) -> Result<(), String>) -> Self {
        Field::new(RwSignal::new(String::new()), check)
    }

    pub fn value_untracked(self) -> String {
        self.value.get_untracked()
    }

    /// Empties the field and hides its message (after it was sent and accepted).
    pub fn clear(self) {
        self.value.set(String::new());
        self.revealed.set(false);
        self.rejected.set(None);
    }

    /// Shows the server's answer about this field's value until the value changes.
    pub fn reject(self, message: String) {
        self.rejected.set(Some(message));
    }

    /// The user left the field: judge it, unless it is still empty (tabbing through an empty
    /// form should not fill it with complaints).
    /// (A focused input that leaves the page, say a list row re-rendered after its form was
    /// sent, is blurred after its field is gone: then there is nothing to judge.)
    fn left(self) {
        if self.value.try_with_untracked(String::is_empty) == Some(false) {
            self.revealed.try_set(true);
        }
    }

    pub fn reveal(self) {
        self.revealed.set(true);
    }

    /// The message to show now, if any (re-evaluated on each keystroke once revealed).
    fn shown(self) -> Option<String> {
        if let Some(rejected) = self.rejected.get() {
            return Some(rejected);
        }
        if !self.revealed.get() {
            return None;
        }
        self.value.with(|value| (self.check)(value).err())
    }

    /// The rule's verdict on the current value, shown or not.
    pub fn problem_untracked(self) -> Option<String> {
        self.value.with_untracked(|value| (self.check)(value).err())
    }
}

/// A labelled input whose message is its accessible description (`aria-describedby`,
/// `aria-invalid`), so a screen reader reads it at the field.
#[component]
pub fn CheckedInput(
    /// The input's `id` and `name`; the message's id is `<id>-problem`.
    #[prop(into)]
    id: String,
    #[prop(into)] label: String,
    field: Field,
    #[prop(into)] input_type: Signal<&'static str>,
    autocomplete: &'static str,
    input_ref: NodeRef<Input>,
    /// The on-screen keyboard to offer (`numeric` for codes).
    #[prop(optional)]
    inputmode: Option<&'static str>,
) -> impl IntoView {
    let problem_id = format!("{id}-problem");
    // The value the server renders (`bind:value` sets the property, which HTML cannot show).
    let initial = field.value_untracked();
    view! {
        <label for=id.clone()>{label}</label>
        <input
            id=id.clone()
            name=id
            value=initial
            type=input_type
            autocomplete=autocomplete
            inputmode=inputmode
            autocapitalize="none"
            spellcheck="false"
            aria-describedby=problem_id.clone()
            aria-invalid=move || field.shown().is_some().then_some("true")
            on:blur=move |_| field.left()
            on:input=move |_| field.rejected.set(None)
            node_ref=input_ref
            bind:value=field.value
        />
        <p class="field-problem" id=problem_id>{move || field.shown()}</p>
    }
}

/// Judges every field of a form being submitted: each shows its message, and the focus goes to
/// the first one to fix. Whether all pass.
pub fn all_pass(fields: &[(Field, NodeRef<Input>)]) -> bool {
    for (field, _) in fields {
        field.reveal();
    }
    match fields
        .iter()
        .find(|(field, _)| field.problem_untracked().is_some())
    {
        Some((_, input)) => {
            if let Some(node) = input.get_untracked() {
                let _ = node.focus();
            }
            false
        }
        None => true,
    }
}

/// A form of checked fields. `novalidate`: every problem is reported the same way, as text at
/// its field. `method="post"`: sent before its island has hydrated, the browser posts it, so a
/// password never lands in a URL, and the server completes it (`server/src/http/forms.rs`). `data-ready` appears once
/// the island has hydrated; tests and the page-load benchmark wait for it. A submit calls
/// `on_submit` and never navigates.
#[component]
pub fn CheckedForm<C: IntoView + 'static>(
    on_submit: impl Fn() + 'static,
    // Typed, not `Children`: a boxed `AnyView` per form would compile in its dynamic
    // rendering and async hydration paths (docs/performance.md has what this saves).
    children: TypedChildren<C>,
) -> impl IntoView {
    let children = children.into_inner();
    let ready = RwSignal::new(false);
    Effect::new(move |_| ready.set(true));
    view! {
        <form
            class="credentials"
            method="post"
            novalidate
            data-ready=move || ready.get().then_some("")
            on:submit=move |ev: SubmitEvent| {
                ev.prevent_default();
                on_submit();
            }
        >
            {children()}
        </form>
    }
}
