//! The state of "Confirm it's you": when the server answers a change with "confirm it is you
//! first" (step-up: the session's last full authentication is too old), the island's dialog
//! (`pages::confirm_its_you`) asks for the password, and the code where two-step verification is
//! on, or a passkey, re-authenticates the session, and the change is sent again
//! ([`crate::session::Session::authorized`]): the person does not make it twice. Islands that
//! can make such changes (the account panel, the greeting's "Log out everywhere") show the
//! dialog; elsewhere the change fails with the server's word.

use futures::channel::oneshot;
use leptos::prelude::*;

/// One island's "Confirm it's you": whether it shows the dialog, whether the dialog is open,
/// and where the confirmed session's token goes.
#[derive(Clone, Copy)]
pub struct StepUp {
    shown_here: RwSignal<bool>,
    open: RwSignal<bool>,
    answer: StoredValue<Option<oneshot::Sender<Option<String>>>>,
}

impl StepUp {
    pub(crate) fn new() -> Self {
        StepUp {
            shown_here: RwSignal::new(false),
            open: RwSignal::new(false),
            answer: StoredValue::new(None),
        }
    }

    /// Opens the dialog and waits for the person: the token of the session, re-authenticated,
    /// or `None` (cancelled, or no dialog in this island).
    pub(crate) async fn confirm(self) -> Option<String> {
        if !self.shown_here.get_untracked() {
            return None;
        }
        let (answer, answered) = oneshot::channel();
        // A change still waiting (another button) is answered "not confirmed".
        if let Some(Some(waiting)) = self.answer.try_update_value(|slot| slot.replace(answer)) {
            let _ = waiting.send(None);
        }
        self.open.set(true);
        answered.await.ok().flatten()
    }

    /// This island shows the dialog: changes may wait for it.
    pub(crate) fn shown_here(self) {
        self.shown_here.set(true);
    }

    /// Whether a change waits for the person (the dialog is open).
    pub(crate) fn is_open(self) -> bool {
        self.open.get()
    }

    /// The person's answer: the re-authenticated session's token, or `None` (cancelled).
    pub(crate) fn finish(self, token: Option<String>) {
        self.open.set(false);
        if let Some(Some(waiting)) = self.answer.try_update_value(Option::take) {
            let _ = waiting.send(token);
        }
    }
}
