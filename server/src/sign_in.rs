//! Signing in as a flow the server owns, for clients that keep a session (the pages): a
//! password step that either signs in or, on an account with two-step verification, hands
//! out a sign-in ticket; a code step that exchanges the ticket and a code; and the refresh
//! token every session begun here carries, which renews its access token after it expired.
//!
//! The client never keeps the password: after the password step it holds the ticket (single
//! use, five minutes, bound to the account and to the credentials the password was checked
//! against, holding nothing of the password). The password is hashed once per sign-in.
//! curl's `Basic` + `X-OTP` on any route is the same checks in one request (auth/mod.rs).

use crate::{
    audit,
    auth::{AuthError, Authenticator, PasswordCheck, Verified},
    clock::unix_now,
    random,
    store::{ActiveSession, Rotation, Store, Ticket},
};
use std::{net::IpAddr, time::Duration};

/// How long a ticket may wait for its code.
pub const TICKET_LIFETIME: Duration = Duration::from_secs(300);

/// How long after its first use a refresh token is accepted again (an answer lost on its way,
/// several tabs of one browser renewing at once), each time with a successor of its own, as
/// Auth0's "reuse interval"; used again later, it is a copy in other hands and ends the session.
pub const REFRESH_REUSE_GRACE: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The ticket is unknown, expired, or already signed in.
    #[error("the sign-in ticket is over")]
    TicketOver,
}

impl From<crate::store::StoreError> for SignInError {
    fn from(error: crate::store::StoreError) -> Self {
        SignInError::Auth(error.into())
    }
}

/// A session begun (or renewed) here: the session, its refresh token, and whose it is.
pub struct Begun {
    pub session: ActiveSession,
    pub refresh_token: String,
}

/// What the password step gives.
pub enum PasswordStep {
    SignedIn(Begun),
    /// The account needs a code: the ticket the code step exchanges, and its lifetime.
    CodeRequired {
        ticket: String,
        expires_in: Duration,
    },
}

#[derive(Clone)]
pub struct SignIn {
    store: Store,
    auth: Authenticator,
}

impl SignIn {
    pub fn new(store: Store, auth: Authenticator) -> Self {
        SignIn { store, auth }
    }

    /// The password step: `password` for `username` within the limits, hashed once.
    pub async fn with_password(
        &self,
        username: &str,
        password: String,
        address: IpAddr,
        user_agent: &str,
    ) -> Result<PasswordStep, SignInError> {
        match self
            .auth
            .check_sign_in(username, password, None, address)
            .await?
        {
            PasswordCheck::SignedIn(verified) => Ok(PasswordStep::SignedIn(
                self.begin(&verified, address, user_agent).await?,
            )),
            PasswordCheck::CodeRequired(user) => {
                let (ticket, digest) = random::secret::<16>();
                let held = Ticket {
                    user_id: user.id,
                    generation: user.credential_generation,
                };
                let expires_at = unix_now() + TICKET_LIFETIME.as_secs() as i64;
                self.store.issue_ticket(&digest, held, expires_at).await?;
                Ok(PasswordStep::CodeRequired {
                    ticket,
                    expires_in: TICKET_LIFETIME,
                })
            }
        }
    }

    /// The code step: the code for the account `ticket` holds. A wrong code keeps the ticket
    /// (the person types the next one); an accepted one takes it, once.
    pub async fn with_code(
        &self,
        ticket: &str,
        code: &str,
        address: IpAddr,
        user_agent: &str,
    ) -> Result<Begun, SignInError> {
        let digest = random::digest(ticket);
        let held = self
            .store
            .ticket(&digest, unix_now())
            .await?
            .ok_or(SignInError::TicketOver)?;
        let user = self
            .store
            .find_user(held.user_id)
            .await?
            .ok_or(SignInError::TicketOver)?;
        let verified = self.auth.check_code_step(user, code, address).await?;
        if !self.store.take_ticket(&digest, unix_now()).await? {
            return Err(SignInError::TicketOver);
        }
        // The credentials the password was checked against, not those read just now: a
        // password changed meanwhile refuses the sign-in.
        let verified = Verified {
            user: crate::store::User {
                credential_generation: held.generation,
                ..verified.user
            },
            ..verified
        };
        Ok(self.begin(&verified, address, user_agent).await?)
    }

    /// Uses a refresh token: a new access token's session, and the refresh token that replaces
    /// the one used.
    pub async fn refresh(
        &self,
        refresh_token: &str,
        address: IpAddr,
    ) -> Result<Begun, SignInError> {
        let (new, new_digest) = random::secret::<32>();
        let grace = REFRESH_REUSE_GRACE.as_secs() as i64;
        let rotation = self
            .store
            .rotate_refresh_token(
                (&random::digest(refresh_token), None),
                &new_digest,
                unix_now(),
                grace,
            )
            .await?;
        match rotation {
            Rotation::Rotated(session) => Ok(Begun {
                session,
                refresh_token: new,
            }),
            Rotation::Reused {
                session_id,
                user_id,
            } => {
                audit::refresh_token_reused(user_id, &session_id, address);
                Err(AuthError::Unauthorized.into())
            }
            Rotation::Unknown => Err(AuthError::Unauthorized.into()),
        }
    }

    /// The authenticator, which signs the access tokens of what begins here.
    pub fn auth(&self) -> &Authenticator {
        &self.auth
    }

    /// Begins a session for credentials that checked out, with its first refresh token.
    async fn begin(
        &self,
        verified: &Verified,
        address: IpAddr,
        user_agent: &str,
    ) -> Result<Begun, AuthError> {
        let user = &verified.user;
        let who = (user.id, user.username.as_str(), user.credential_generation);
        let session = self
            .auth
            .begin_session(who, verified.method, address, user_agent)
            .await?;
        self.with_refresh_token(session).await
    }

    /// `session` (just begun, by any way of signing in) with its first refresh token.
    pub async fn with_refresh_token(&self, session: ActiveSession) -> Result<Begun, AuthError> {
        let (refresh_token, digest) = random::secret::<32>();
        if !self.store.add_refresh_token(&session.id, &digest).await? {
            // Ended in the moment since it began (a logout everywhere).
            return Err(AuthError::Unauthorized);
        }
        Ok(Begun {
            session,
            refresh_token,
        })
    }
}
