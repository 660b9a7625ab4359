//! What the server made of a form the browser posted itself, before the WebAssembly arrived or
//! without it: the server completes the form through the API's own code and, unless that
//! signed someone in, renders the page again with the outcome (the name kept, the message, the
//! code step's ticket). Its island starts from the same outcome once hydrated.

use leptos::prelude::*;

/// The outcome of a posted form, provided by the server to the page it renders in answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PostedForm {
    /// The username as sent (never the password).
    pub username: String,
    /// What the island would have shown for the same answer.
    pub message: Option<String>,
    /// The log-in's code step: the sign-in ticket that stands for the right password.
    pub ticket: Option<String>,
}

/// The element that carries the outcome in the page, where the island reads it in the browser.
/// (An island's props would be parsed with serde_json there; see `query_param`.)
const CARRIER_ID: &str = "posted-form";

impl PostedForm {
    /// The outcome this page answers with, if it answers a posted form: from the server's
    /// context while rendering, from the page in the browser.
    pub fn current() -> Option<PostedForm> {
        #[cfg(feature = "ssr")]
        {
            use_context::<PostedForm>()
        }
        #[cfg(not(feature = "ssr"))]
        {
            let carrier = document().get_element_by_id(CARRIER_ID)?;
            Some(PostedForm {
                username: carrier.get_attribute("data-username").unwrap_or_default(),
                message: carrier.get_attribute("data-message"),
                ticket: carrier.get_attribute("data-ticket"),
            })
        }
    }
}

/// The outcome, written into the page outside the island; and a script that turns the
/// browser's history entry of the post into a plain one, so going back or reloading never sends
/// the password again.
#[component]
pub fn PostedFormCarrier() -> impl IntoView {
    PostedForm::current().map(|posted| {
        let nonce = leptos::nonce::use_nonce();
        view! {
            <template
                id=CARRIER_ID
                data-username=posted.username
                data-message=posted.message
                data-ticket=posted.ticket
            ></template>
            <script nonce=nonce>"history.replaceState(null, '', location.href)"</script>
        }
    })
}
