//! Turning two-step verification on and off, and renewing recovery codes. The code checks at
//! sign-in are `auth::second_factor`'s; this is the account's side of it.
//!
//! Setting up takes two requests: begin (a fresh secret, kept sealed as pending; the account
//! is unchanged) and confirm with a first code, which proves the app holds the secret and
//! turns it on with a new set of recovery codes, shown once. Every change takes a recent full
//! authentication ([`Fresh`]), so a stolen token alone cannot make one; confirming with a code
//! is itself an authentication with both factors.

use crate::{
    audit,
    auth::{
        second_factor::{recovery_codes, sealing::Sealer, totp},
        AuthError, Authenticator, Caller, Fresh,
    },
    clock::unix_now,
    store::{Store, StoreError},
};
use app::api::Secret;
use qrcode::{render::svg, QrCode};

#[derive(Debug, thiserror::Error)]
pub enum TwoStepError {
    #[error("two-step verification is already on")]
    AlreadyOn,
    #[error("two-step verification is not on")]
    NotOn,
    #[error("no setup to confirm")]
    NothingToConfirm,
    #[error("wrong code")]
    WrongCode,
    #[error(transparent)]
    Auth(#[from] AuthError),
}

impl From<StoreError> for TwoStepError {
    fn from(error: StoreError) -> Self {
        TwoStepError::Auth(error.into())
    }
}

/// A setup begun: what the authenticator app needs.
pub struct Setup {
    /// The setup key, base32.
    pub secret: Secret,
    pub otpauth_url: String,
    /// The QR code of `otpauth_url`, as an SVG document.
    pub qr_svg: String,
}

/// Whether the account uses two-step verification.
pub struct Status {
    pub enabled: bool,
    pub recovery_codes_left: i64,
}

#[derive(Clone)]
pub struct TwoStep {
    store: Store,
    auth: Authenticator,
}

impl TwoStep {
    pub fn new(store: Store, auth: Authenticator) -> Self {
        TwoStep { store, auth }
    }

    pub async fn status(&self, caller: &Caller) -> Result<Status, TwoStepError> {
        let on = self.is_on(caller.id).await?;
        let recovery_codes_left = match on {
            true => self.store.recovery_codes_left(caller.id).await?,
            false => 0,
        };
        Ok(Status {
            enabled: on,
            recovery_codes_left,
        })
    }

    /// A fresh secret for the caller's authenticator app, kept (sealed) as the pending one in
    /// place of any earlier pending one. Refused while two-step is on: replacing the app goes
    /// through turning it off, which needs the password.
    pub async fn begin(&self, caller: &Caller, _fresh: &Fresh) -> Result<Setup, TwoStepError> {
        if self.is_on(caller.id).await? {
            return Err(TwoStepError::AlreadyOn);
        }
        let secret = totp::new_secret();
        let sealed = self.auth.second_factor().sealer().seal(caller.id, &secret);
        if !self.store.begin_two_step(caller.id, &sealed).await? {
            return Err(TwoStepError::AlreadyOn);
        }
        let otpauth_url = totp::otpauth_url(&secret, &caller.username);
        Ok(Setup {
            secret: Secret::new(totp::setup_key(&secret)),
            qr_svg: qr_svg(&otpauth_url),
            otpauth_url,
        })
    }

    /// Turns two-step verification on, given a current code of the pending secret; the new
    /// recovery codes, to show once. A wrong code counts against the brute-force limits. The
    /// caller's session has now authenticated with both factors: it is fresh, and full.
    pub async fn confirm(
        &self,
        caller: &Caller,
        _fresh: &Fresh,
        code: &str,
    ) -> Result<Vec<String>, TwoStepError> {
        let record = self.store.two_step(caller.id).await?;
        if record
            .as_ref()
            .is_some_and(|record| record.secret.is_some())
        {
            return Err(TwoStepError::AlreadyOn);
        }
        let sealed = record
            .and_then(|record| record.pending_secret)
            .ok_or(TwoStepError::NothingToConfirm)?;
        let secret = self
            .auth
            .second_factor()
            .sealer()
            .open(caller.id, &sealed)
            .map_err(AuthError::from)?;
        let step = match self.auth.check_setup_code(caller, &secret, code).await {
            Ok(step) => step,
            Err(AuthError::WrongCode) => return Err(TwoStepError::WrongCode),
            Err(other) => return Err(other.into()),
        };
        let (codes, digests) = recovery_codes::new_set();
        let step = i64::try_from(step).unwrap_or(i64::MAX);
        let session = caller.session().map(|session| session.id.as_str());
        if !self
            .store
            .confirm_two_step(caller.id, (&sealed, step), unix_now(), &digests, session)
            .await?
        {
            return Err(TwoStepError::NothingToConfirm);
        }
        audit::two_step_on(caller.id, &caller.username, caller.address);
        Ok(codes)
    }

    /// Turns two-step verification off.
    pub async fn turn_off(&self, caller: &Caller, _fresh: &Fresh) -> Result<(), TwoStepError> {
        if !self.store.end_two_step(caller.id).await? {
            return Err(TwoStepError::NotOn);
        }
        audit::two_step_off(caller.id, &caller.username, Some(caller.address));
        Ok(())
    }

    /// A new set of recovery codes in place of the old.
    pub async fn renew_recovery_codes(
        &self,
        caller: &Caller,
        _fresh: &Fresh,
    ) -> Result<Vec<String>, TwoStepError> {
        let (codes, digests) = recovery_codes::new_set();
        if !self.store.set_recovery_codes(caller.id, &digests).await? {
            return Err(TwoStepError::NotOn);
        }
        audit::recovery_codes_renewed(caller.id, &caller.username, codes.len(), caller.address);
        Ok(codes)
    }

    async fn is_on(&self, user_id: i64) -> Result<bool, StoreError> {
        Ok(self
            .store
            .two_step(user_id)
            .await?
            .is_some_and(|record| record.secret.is_some()))
    }
}

/// For an operator (`rest-auth account reset-two-step <username>`), when the user lost both
/// the app and the recovery codes: turns two-step off for `username`. Whether it was on;
/// `None` when there is no such account.
pub async fn reset(store: &Store, username: &str) -> Result<Option<bool>, StoreError> {
    let Some(user) = store.find_user_by_name(username).await? else {
        return Ok(None);
    };
    let was_on = store.end_two_step(user.id).await?;
    if was_on {
        audit::two_step_off(user.id, &user.username, None);
    }
    Ok(Some(was_on))
}

/// Seals again, with the current key, every two-step secret (in use or being set up) that a
/// previous key sealed, so that the previous key can be dropped once its tokens have expired
/// (docs/configuration.md, "Rotating the key"). Run at start-up; how many were sealed again.
pub async fn reseal(store: &Store, sealer: &Sealer) -> Result<usize, StoreError> {
    let mut resealed = 0;
    for (user_id, sealed) in store.sealed_two_step_secrets().await? {
        if sealer.is_current(&sealed) {
            continue;
        }
        let Ok(secret) = sealer.open(user_id, &sealed) else {
            // Its codes fail until an operator resets it (`account reset-two-step`); the others
            // are sealed again all the same.
            tracing::error!(
                user_id,
                "a two-step secret no key opens (was a key dropped?)"
            );
            continue;
        };
        let again = sealer.seal(user_id, &secret);
        if store
            .replace_sealed_secret(user_id, &sealed, &again)
            .await?
        {
            resealed += 1;
        }
    }
    Ok(resealed)
}

/// The QR code of `url`, as an SVG document scaled by the page (no fixed size).
fn qr_svg(url: &str) -> String {
    QrCode::new(url.as_bytes())
        .expect("an otpauth URL fits in a QR code")
        .render::<svg::Color>()
        .min_dimensions(200, 200)
        .build()
}
