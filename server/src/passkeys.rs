//! Passkeys (WebAuthn): adding one to an account, signing in with one, naming and removing
//! them. webauthn-rs checks the cryptography; this module does what it leaves to its caller:
//! each ceremony is finished at most once, by any instance (`store/ceremonies.rs`); resident
//! keys and user verification are required; a credential id belongs to one account only; the
//! signature counter is kept (compare and set: it never moves backwards), and one that goes
//! backwards is refused; every outcome is audited. A passkey also re-authenticates a signed-in
//! user before a sensitive change (step-up), as the password and code do.

use crate::{
    audit,
    auth::{user_agent, AuthError, Authenticator, Caller, Fresh},
    clock::{seconds, unix_now},
    store::{
        ActiveSession, CeremonyKind, PasskeyRecord, SignInMethod, Store, StoreError, StoredPasskey,
    },
    tasks::Tasks,
};
use app::api::{validate_passkey_name, BrowserAnswer};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use std::{net::IpAddr, sync::Arc, time::Duration};
use url::Url;
use webauthn_rs::prelude::{
    AuthenticationResult, CreationChallengeResponse, DiscoverableAuthentication, Passkey,
    PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse, Uuid, Webauthn, WebauthnBuilder, WebauthnError,
};
use webauthn_rs_proto::{ResidentKeyRequirement, UserVerificationPolicy};

/// How long a ceremony may take, from its begin to its finish; also the time the browser gives
/// the person to use their authenticator.
const CEREMONY_LIFETIME: Duration = Duration::from_secs(300);

#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    /// Input that breaks a rule (a passkey's name); the message says which.
    #[error("{0}")]
    Invalid(String),
    /// Adding a passkey: no such ceremony of the caller's (unknown, expired or finished).
    #[error("no such passkey ceremony")]
    CeremonyOver,
    /// Adding a passkey failed: the browser's answer does not check out. The cause is logged.
    #[error("the passkey could not be added")]
    NotAdded,
    /// This credential is registered already (to this account or another).
    #[error("passkey registered already")]
    Taken,
    /// A passkey sign-in failed. One variant for every cause (logged in the audit line), so the
    /// answer tells nothing of which check failed.
    #[error("passkey sign-in refused")]
    SignInRefused,
    /// No such passkey of the caller's.
    #[error("no such passkey")]
    NotFound,
    /// A re-authentication with a passkey: the caller has none.
    #[error("no passkeys to re-authenticate with")]
    NoPasskeys,
    /// A re-authentication with a passkey failed (the cause is logged).
    #[error("passkey re-authentication refused")]
    ReauthenticationRefused,
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// State this server wrote cannot be read back, or webauthn-rs failed on its own input.
    #[error("passkey state: {0}")]
    Internal(String),
}

impl From<StoreError> for PasskeyError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::PasskeyTaken => PasskeyError::Taken,
            other => PasskeyError::Auth(other.into()),
        }
    }
}

/// A ceremony's id and the options to hand to the browser's `navigator.credentials`.
pub struct Begun<T> {
    pub ceremony: String,
    pub options: T,
}

#[derive(Clone)]
pub struct Passkeys {
    webauthn: Arc<Webauthn>,
    store: Store,
    auth: Authenticator,
}

impl Passkeys {
    /// Passkeys for the site at `public_url`, whose host name is the relying party id.
    pub fn new(public_url: &Url, store: Store, auth: Authenticator) -> Result<Self, WebauthnError> {
        let rp_id = public_url.host_str().unwrap_or_default();
        let webauthn = WebauthnBuilder::new(rp_id, public_url)?
            .rp_name("rest-auth")
            .timeout(CEREMONY_LIFETIME)
            .build()?;
        Ok(Passkeys {
            webauthn: Arc::new(webauthn),
            store,
            auth,
        })
    }

    /// Begins adding a passkey to the caller's account. The options ask for a discoverable
    /// (resident) key, so that signing in needs no username, and for user verification (a PIN
    /// or biometric on the device), so that the passkey alone is two factors; the caller's
    /// passkeys are excluded, so one authenticator is not registered twice. A change to how the
    /// account signs in: it takes a recent full authentication (the finish is bound to this
    /// ceremony, hence to it).
    pub async fn begin_registration(
        &self,
        caller: &Caller,
        _fresh: &Fresh,
    ) -> Result<Begun<CreationChallengeResponse>, PasskeyError> {
        let handle = self
            .store
            .user_handle(caller.id)
            .await?
            .and_then(|handle| Uuid::try_parse(&handle).ok())
            .ok_or_else(|| PasskeyError::Internal("user without a passkey handle".into()))?;
        let exclude = self
            .store
            .stored_passkeys(caller.id)
            .await?
            .iter()
            .map(|stored| read_passkey(&stored.passkey).map(|passkey| passkey.cred_id().clone()))
            .collect::<Result<Vec<_>, _>>()?;
        let (mut options, state) = self
            .webauthn
            .start_passkey_registration(handle, &caller.username, &caller.username, Some(exclude))
            .map_err(|e| PasskeyError::Internal(e.to_string()))?;
        // webauthn-rs asks for a non-resident key, with which Chromium cannot sign in without a
        // username.
        if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
            selection.resident_key = Some(ResidentKeyRequirement::Required);
            selection.require_resident_key = true;
            selection.user_verification = UserVerificationPolicy::Required;
        }
        let ceremony = self
            .begin_ceremony(CeremonyKind::Registration, Some(caller.id), &state)
            .await?;
        Ok(Begun { ceremony, options })
    }

    /// Finishes adding a passkey: checks the browser's answer against the ceremony, and stores
    /// the passkey under `name` (by default the browser's label, "Chrome on Linux").
    pub async fn finish_registration(
        &self,
        caller: &Caller,
        ceremony: &str,
        credential: &BrowserAnswer<RegisterPublicKeyCredential>,
        name: Option<&str>,
        user_agent: &str,
    ) -> Result<PasskeyRecord, PasskeyError> {
        let name = match name {
            Some(name) => validate_passkey_name(name).map_err(PasskeyError::Invalid)?,
            None => user_agent::label(user_agent),
        };
        let now = unix_now();
        let state: PasskeyRegistration = self
            .take_ceremony(ceremony, CeremonyKind::Registration, Some(caller.id), now)
            .await?
            .ok_or(PasskeyError::CeremonyOver)?;
        let BrowserAnswer::Parsed(credential) = credential else {
            tracing::info!(
                user_id = caller.id,
                "passkey registration refused: unreadable answer"
            );
            return Err(PasskeyError::NotAdded);
        };
        let passkey = self
            .webauthn
            .finish_passkey_registration(credential, &state)
            .map_err(|error| {
                tracing::info!(%error, user_id = caller.id, "passkey registration refused");
                PasskeyError::NotAdded
            })?;
        let credential_id = URL_SAFE_NO_PAD.encode(passkey.cred_id());
        let id = self
            .store
            .add_passkey(caller.id, &credential_id, &name, &write(&passkey)?, now)
            .await?;
        audit::passkey_added(caller.id, &caller.username, id, &name, caller.address);
        Ok(PasskeyRecord {
            id,
            name,
            created_at: now,
            last_used_at: None,
        })
    }

    /// Begins a sign-in with any passkey of this site (the browser lets the person choose one,
    /// or offers them in the username field's autofill).
    pub async fn begin_sign_in(&self) -> Result<Begun<RequestChallengeResponse>, PasskeyError> {
        let (options, state) = self
            .webauthn
            .start_discoverable_authentication()
            .map_err(|e| PasskeyError::Internal(e.to_string()))?;
        let ceremony = self
            .begin_ceremony(CeremonyKind::SignIn, None, &state)
            .await?;
        Ok(Begun { ceremony, options })
    }

    /// Finishes a passkey sign-in: a new session, as a password sign-in begins one.
    pub async fn finish_sign_in(
        &self,
        ceremony: &str,
        credential: &BrowserAnswer<PublicKeyCredential>,
        address: IpAddr,
        user_agent: &str,
    ) -> Result<ActiveSession, PasskeyError> {
        match self.check_sign_in(ceremony, credential).await {
            Ok(signed_in) => {
                audit::passkey_signed_in(signed_in.user_id, &signed_in.username, address);
                let who = (
                    signed_in.user_id,
                    signed_in.username.as_str(),
                    signed_in.generation,
                );
                Ok(self
                    .auth
                    .begin_session(who, SignInMethod::Passkey, address, user_agent)
                    .await?)
            }
            Err(SignInFailure::Refused { reason, user }) => {
                let user = user.as_ref().map(|(id, name)| (*id, name.as_str()));
                audit::passkey_refused(reason, user, address);
                Err(PasskeyError::SignInRefused)
            }
            Err(SignInFailure::Error(error)) => Err(error),
        }
    }

    /// The caller's passkeys, oldest first.
    pub async fn list(&self, caller: &Caller) -> Result<Vec<PasskeyRecord>, PasskeyError> {
        Ok(self.store.list_passkeys(caller.id).await?)
    }

    /// Renames one of the caller's passkeys.
    pub async fn rename(
        &self,
        caller: &Caller,
        id: i64,
        name: &str,
    ) -> Result<PasskeyRecord, PasskeyError> {
        let name = validate_passkey_name(name).map_err(PasskeyError::Invalid)?;
        self.store
            .rename_passkey(caller.id, id, &name)
            .await?
            .ok_or(PasskeyError::NotFound)
    }

    /// Removes one of the caller's passkeys, after a recent full authentication (ASVS 5.0
    /// 7.5.1: a stolen token alone must not change how the account signs in). Sessions it began
    /// go on; the account's devices list ends them.
    pub async fn remove(
        &self,
        caller: &Caller,
        _fresh: &Fresh,
        id: i64,
    ) -> Result<(), PasskeyError> {
        let name = self
            .store
            .remove_passkey(caller.id, id)
            .await?
            .ok_or(PasskeyError::NotFound)?;
        audit::passkey_removed(caller.id, &caller.username, id, &name, caller.address);
        Ok(())
    }

    /// Starts the upkeep of ceremonies: those nobody finished in time are forgotten once a
    /// minute.
    pub fn spawn_tasks(&self, tasks: &mut Tasks) {
        let store = self.store.clone();
        tasks.every(Duration::from_secs(60), move || {
            let store = store.clone();
            async move {
                if let Err(error) = store.end_expired_ceremonies(unix_now()).await {
                    tracing::warn!(%error, "forgetting expired passkey ceremonies failed");
                }
            }
        });
    }

    /// Every check of a passkey sign-in; who signed in, or why not.
    async fn check_sign_in(
        &self,
        ceremony: &str,
        credential: &BrowserAnswer<PublicKeyCredential>,
    ) -> Result<SignedIn, SignInFailure> {
        let refused = |reason| SignInFailure::Refused { reason, user: None };
        let now = unix_now();
        let state: DiscoverableAuthentication = self
            .take_ceremony(ceremony, CeremonyKind::SignIn, None, now)
            .await?
            .ok_or(refused("ceremony unknown, expired or finished"))?;
        let BrowserAnswer::Parsed(credential) = credential else {
            return Err(refused("unreadable answer"));
        };
        let (handle, credential_id) = self
            .webauthn
            .identify_discoverable_authentication(credential)
            .map_err(|_| refused("no user handle"))?;
        let stored = self
            .store
            .find_passkey(&URL_SAFE_NO_PAD.encode(credential_id))
            .await?
            .ok_or(refused("unknown or removed passkey"))?;
        let user = self
            .store
            .find_user_by_handle(&handle.simple().to_string())
            .await?
            .filter(|user| user.id == stored.user_id)
            .ok_or(refused("user handle does not match the passkey"))?;
        let refused = |reason| SignInFailure::Refused {
            reason,
            user: Some((user.id, user.username.clone())),
        };
        let passkey = read_passkey(&stored.passkey)?;
        let result = self
            .webauthn
            .finish_discoverable_authentication_v2(credential, state, &passkey)
            .map_err(|error| match error {
                WebauthnError::CredentialPossibleCompromise => {
                    refused("signature counter went backwards: the passkey may have been cloned")
                }
                _ => refused("signature or client data did not check out"),
            })?;
        if !self.record_use(stored, &result, now).await? {
            return Err(refused(
                "signature counter went backwards: the passkey may have been cloned",
            ));
        }
        Ok(SignedIn {
            user_id: user.id,
            username: user.username,
            generation: user.credential_generation,
        })
    }

    /// Records a use of `stored` that `result` checked: its last use, and its new counter and
    /// backup flags, written only over the state that was checked (compare and set). When
    /// another use wrote first, the state is read again: this use's counter must still be ahead
    /// of the one stored now (else `false`: refused, as a counter gone backwards is), and the
    /// state is updated anew, so the counter only ever moves forward. `false` too when the
    /// passkey was removed meanwhile.
    async fn record_use(
        &self,
        stored: StoredPasskey,
        result: &AuthenticationResult,
        now: i64,
    ) -> Result<bool, PasskeyError> {
        let mut read = stored.passkey;
        loop {
            let mut passkey = read_passkey(&read)?;
            let new = match passkey.update_credential(result) {
                Some(true) => Some(write(&passkey)?),
                _ => None,
            };
            if self
                .store
                .passkey_used(stored.id, (&read, new.as_deref()), now)
                .await?
            {
                return Ok(true);
            }
            let Some(state) = self.store.passkey_state(stored.id).await? else {
                return Ok(false);
            };
            // Synced passkeys count nothing (0): only a counter that counts can go backwards.
            if result.counter() != 0 && result.counter() <= stored_counter(&state) {
                return Ok(false);
            }
            read = state;
        }
    }

    /// Begins a re-authentication of the caller with one of their passkeys (step-up): the
    /// options for `navigator.credentials.get()`, which list the caller's passkeys and require
    /// user verification.
    pub async fn begin_reauthentication(
        &self,
        caller: &Caller,
    ) -> Result<Begun<RequestChallengeResponse>, PasskeyError> {
        let passkeys = self
            .store
            .stored_passkeys(caller.id)
            .await?
            .iter()
            .map(|stored| read_passkey(&stored.passkey))
            .collect::<Result<Vec<_>, _>>()?;
        if passkeys.is_empty() {
            return Err(PasskeyError::NoPasskeys);
        }
        let (options, state) = self
            .webauthn
            .start_passkey_authentication(&passkeys)
            .map_err(|e| PasskeyError::Internal(e.to_string()))?;
        let ceremony = self
            .begin_ceremony(CeremonyKind::Reauthentication, Some(caller.id), &state)
            .await?;
        Ok(Begun { ceremony, options })
    }

    /// Finishes a re-authentication with a passkey: the caller's session is fully
    /// authenticated as of now. Every refusal is the same [`PasskeyError::ReauthenticationRefused`];
    /// the audit line says why.
    pub async fn finish_reauthentication(
        &self,
        caller: &Caller,
        session: &ActiveSession,
        ceremony: &str,
        credential: &BrowserAnswer<PublicKeyCredential>,
    ) -> Result<(), PasskeyError> {
        let now = unix_now();
        let refused = |reason| {
            audit::passkey_refused(reason, Some((caller.id, &caller.username)), caller.address);
            PasskeyError::ReauthenticationRefused
        };
        // The credentials as they are before the check: a passkey removed meanwhile refuses it.
        let generation = self
            .store
            .find_user(caller.id)
            .await?
            .ok_or(PasskeyError::ReauthenticationRefused)?
            .credential_generation;
        let state: PasskeyAuthentication = self
            .take_ceremony(
                ceremony,
                CeremonyKind::Reauthentication,
                Some(caller.id),
                now,
            )
            .await?
            .ok_or_else(|| refused("ceremony unknown, expired or finished"))?;
        let BrowserAnswer::Parsed(credential) = credential else {
            return Err(refused("unreadable answer"));
        };
        let result = self
            .webauthn
            .finish_passkey_authentication(credential, &state)
            .map_err(|_| refused("signature or client data did not check out"))?;
        let stored = self
            .store
            .find_passkey(&URL_SAFE_NO_PAD.encode(result.cred_id()))
            .await?
            .filter(|stored| stored.user_id == caller.id)
            .ok_or_else(|| refused("unknown or removed passkey"))?;
        if !self.record_use(stored, &result, now).await? {
            return Err(refused(
                "signature counter went backwards: the passkey may have been cloned",
            ));
        }
        self.auth
            .record_reauthentication(caller, session, (SignInMethod::Passkey, generation))
            .await?;
        Ok(())
    }

    async fn begin_ceremony(
        &self,
        kind: CeremonyKind,
        user_id: Option<i64>,
        state: &impl serde::Serialize,
    ) -> Result<String, PasskeyError> {
        let expires_at = unix_now() + seconds(CEREMONY_LIFETIME);
        Ok(self
            .store
            .begin_ceremony(kind, user_id, &write(state)?, expires_at)
            .await?)
    }

    async fn take_ceremony<T: serde::de::DeserializeOwned>(
        &self,
        id: &str,
        kind: CeremonyKind,
        user_id: Option<i64>,
        now: i64,
    ) -> Result<Option<T>, PasskeyError> {
        match self.store.take_ceremony(id, kind, user_id, now).await? {
            Some(state) => serde_json::from_str(&state)
                .map(Some)
                .map_err(|e| PasskeyError::Internal(e.to_string())),
            None => Ok(None),
        }
    }
}

struct SignedIn {
    user_id: i64,
    username: String,
    /// The account's credential generation when the passkey was checked.
    generation: i64,
}

enum SignInFailure {
    /// The caller's fault: audited with the reason, answered with the one 401.
    Refused {
        reason: &'static str,
        user: Option<(i64, String)>,
    },
    /// The server's (a database that cannot be reached, state it cannot read).
    Error(PasskeyError),
}

impl<E: Into<PasskeyError>> From<E> for SignInFailure {
    fn from(error: E) -> Self {
        SignInFailure::Error(error.into())
    }
}

/// The signature counter of a passkey as stored (webauthn-rs's JSON keeps it in `cred.counter`;
/// the library exposes no getter).
fn stored_counter(json: &str) -> u32 {
    serde_json::from_str::<serde_json::Value>(json)
        .ok()
        .and_then(|passkey| passkey["cred"]["counter"].as_u64())
        .and_then(|counter| u32::try_from(counter).ok())
        .unwrap_or(0)
}

fn read_passkey(json: &str) -> Result<Passkey, PasskeyError> {
    serde_json::from_str(json).map_err(|e| PasskeyError::Internal(e.to_string()))
}

fn write(value: &impl serde::Serialize) -> Result<String, PasskeyError> {
    serde_json::to_string(value).map_err(|e| PasskeyError::Internal(e.to_string()))
}
