//! Step-up (ASVS 5.0 6.4.3, 7.5.1, 7.5.2; RFC 9470): a change to how an account signs in, or to
//! who is signed in, needs a *recent full* authentication, so a stolen token alone cannot make
//! one. Full: every factor the account has (the password and a code where two-step is on, or a
//! passkey). Recent: at most `REAUTH_MAX_AGE_SECONDS` ago. A request that authenticates with the
//! password (and its code) is both; a session is while its last full authentication is, and a
//! session re-authenticates to become so again. Kanidm's privilege elevation and GitHub's sudo
//! mode work the same way.

use super::{AuthError, AuthMethod, Authenticator, Caller};
use crate::{
    audit,
    clock::{seconds, unix_now},
    store::{ActiveSession, Authentication, SignInMethod},
};
use std::time::Duration;

/// Proof that the caller authenticated fully and recently: what every sensitive change takes,
/// so none can be made without [`Authenticator::require_recent_authentication`].
#[derive(Clone, Copy, Debug)]
pub struct Fresh(Authentication);

impl Fresh {
    /// The authentication that makes it so.
    pub fn authentication(&self) -> &Authentication {
        &self.0
    }
}

impl Authenticator {
    /// The caller's last full authentication, when recent enough for a sensitive change;
    /// otherwise [`AuthError::StaleAuthentication`]. Read from the database (one query, only on
    /// these rare requests: the token path never pays for it), so a re-authentication on any
    /// instance counts at once on every other.
    pub async fn require_recent_authentication(&self, caller: &Caller) -> Result<Fresh, AuthError> {
        let session = match &caller.method {
            // Every factor was presented with this very request.
            AuthMethod::Password { method, .. } => {
                return Ok(Fresh(Authentication {
                    at: unix_now(),
                    with: *method,
                    signed_in_with: *method,
                    two_step_on: *method != SignInMethod::Password,
                }))
            }
            AuthMethod::Session(session) => session,
        };
        let stale = AuthError::StaleAuthentication {
            max_age: self.reauth_max_age().as_secs(),
        };
        let authentication = self
            .store
            .authentication(caller.id, &session.id)
            .await?
            .ok_or(AuthError::Unauthorized)?;
        let age = unix_now() - authentication.at;
        let recent = (0..=seconds(self.reauth_max_age())).contains(&age);
        if recent && authentication.with.is_full(authentication.two_step_on) {
            Ok(Fresh(authentication))
        } else {
            Err(stale)
        }
    }

    /// Records that `session` was fully authenticated just now, with `method`, by credentials of
    /// the account's `generation` (checked by [`Authenticator::check_reauthentication`], or a
    /// passkey): it may make sensitive changes for the next `REAUTH_MAX_AGE_SECONDS`. Refused
    /// when the credentials changed since they were checked.
    pub async fn record_reauthentication(
        &self,
        caller: &Caller,
        session: &ActiveSession,
        (method, generation): (SignInMethod, i64),
    ) -> Result<(), AuthError> {
        let now = unix_now();
        let recorded = self
            .store
            .reauthenticated((caller.id, generation), &session.id, method, now)
            .await?;
        if !recorded {
            audit::sign_in_outlived((caller.id, &caller.username), caller.address);
            return Err(AuthError::Unauthorized);
        }
        audit::reauthenticated(
            caller.id,
            &caller.username,
            &session.id,
            method.as_str(),
            caller.address,
        );
        Ok(())
    }

    /// `REAUTH_MAX_AGE_SECONDS`.
    pub fn reauth_max_age(&self) -> Duration {
        self.settings.reauth_max_age
    }
}
