//! A text input checked at the field: its label, its value and rule, and the message under it.

use leptos::{html::Input, prelude::*};

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
}

impl Field {
    pub fn new(value: RwSignal<String>, check: fn(&str) -> Result<(), String>) -> Self {
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

    pub fn reveal(self) {
        self.revealed.set(true);
    }

    /// The message to show now, if any (re-evaluated on each keystroke once revealed).
    fn shown(self) -> Option<String> {
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
    id: &'static str,
    label: &'static str,
    field: Field,
    #[prop(into)] input_type: Signal<&'static str>,
    autocomplete: &'static str,
    input_ref: NodeRef<Input>,
) -> impl IntoView {
    let problem_id = format!("{id}-problem");
    view! {
        <label for=id>{label}</label>
        <input
            id=id
            name=id
            type=input_type
            autocomplete=autocomplete
            autocapitalize="none"
            spellcheck="false"
            aria-describedby=problem_id.clone()
            aria-invalid=move || field.shown().is_some().then_some("true")
            on:blur=move |_| field.left()
            node_ref=input_ref
            bind:value=field.value
        />
        <p class="field-problem" id=problem_id>{move || field.shown()}</p>
    }
}
