//! Request and response bodies of `/api`. On the server they also describe themselves for the
//! OpenAPI document (`/api/openapi.json`), so the published schema is the code's.

use serde::{Deserialize, Serialize};
use std::fmt;
use webauthn_rs_proto::{
    CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse,
};

/// A password or token: sent and received as a plain JSON string, but its `Debug` never shows
/// it, so it cannot reach a log line through `{:?}`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// `POST /api/users` request body.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewUser {
    /// 1 to 32 of `A-Z a-z 0-9 . _ -`, unique without regard to case.
    #[cfg_attr(
        feature = "ssr",
        schema(pattern = r"^[A-Za-z0-9._-]{1,32}$", example = "miguel")
    )]
    pub username: String,
    /// The server's `MIN_PASSWORD_LENGTH` (6 by default; the published `minLength` is the
    /// server's own) to 256 characters.
    #[cfg_attr(
        feature = "ssr",
        schema(value_type = String, max_length = 256, example = "python")
    )]
    pub password: Secret,
}

/// `PUT /api/users/me/password` request body.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasswordChange {
    #[cfg_attr(feature = "ssr", schema(value_type = String, max_length = 256))]
    pub current_password: Secret,
    /// The same rules as a new account's password.
    #[cfg_attr(feature = "ssr", schema(value_type = String, max_length = 256))]
    pub new_password: Secret,
}

/// `POST /api/users` (201) and `GET /api/users/{id}` response body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserBody {
    pub username: String,
}

/// `GET /api/token` response body. Field order follows the Flask original (`duration`, then
/// `token`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TokenBody {
    /// Seconds until the token expires (less than the usual lifetime when the session's
    /// absolute limit comes first).
    #[cfg_attr(feature = "ssr", schema(minimum = 0))]
    pub duration: u64,
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub token: Secret,
}

/// `POST /api/sign-in` request body: the first step of a sign-in.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SignInRequest {
    #[cfg_attr(feature = "ssr", schema(max_length = 32, example = "miguel"))]
    pub username: String,
    #[cfg_attr(feature = "ssr", schema(value_type = String, max_length = 256, example = "python"))]
    pub password: Secret,
}

/// The answer of every way of signing in that keeps a session (`POST /api/sign-in`,
/// `POST /api/sign-in/code`, a passkey), and of `POST /api/token/refresh`: the access token,
/// as `GET /api/token` gives it, the refresh token that renews it once it has expired, and whose
/// they are.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SignedInBody {
    /// Seconds until `token` expires.
    #[cfg_attr(feature = "ssr", schema(minimum = 0))]
    pub duration: u64,
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub token: Secret,
    /// Single use: `POST /api/token/refresh` exchanges it for a new access token and a new
    /// refresh token, within the session's lifetime. Presented again after its use, it ends the
    /// session.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub refresh_token: Secret,
    /// The account's name, as registered.
    pub username: String,
}

/// `POST /api/sign-in` 202 body: the password was right, and the account uses two-step
/// verification. Send the code with this ticket to `POST /api/sign-in/code`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CodeStepBody {
    /// Stands for the right password: single use, bound to the account, holding nothing of the
    /// password.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub ticket: Secret,
    /// Seconds the ticket waits for its code.
    pub expires_in: u64,
}

/// `POST /api/sign-in/code` request body.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CodeStepRequest {
    #[cfg_attr(feature = "ssr", schema(value_type = String, max_length = 64))]
    pub ticket: Secret,
    /// Six digits from the authenticator app, or a recovery code (spaces and dashes ignored).
    #[cfg_attr(feature = "ssr", schema(value_type = String, min_length = 1, max_length = 64, example = "123456"))]
    pub code: Secret,
}

/// `POST /api/token/refresh` request body.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RefreshRequest {
    #[cfg_attr(feature = "ssr", schema(value_type = String, max_length = 64))]
    pub refresh_token: Secret,
}

/// `GET /api/sessions/current/reauthenticate` response body: how this session can confirm it
/// is its owner's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReauthenticationOptions {
    /// With the password, a code from the authenticator app (or a recovery code) is needed.
    pub code_required: bool,
    /// The account has passkeys: one of them will do instead.
    pub passkeys: bool,
    /// Seconds a re-authentication lasts (`REAUTH_MAX_AGE_SECONDS`).
    pub max_age: u64,
}

/// `POST /api/sessions/current/reauthenticate` request body.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Reauthentication {
    #[cfg_attr(feature = "ssr", schema(value_type = String, max_length = 256))]
    pub password: Secret,
    /// A code from the authenticator app, or a recovery code: only where two-step
    /// verification is on.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, max_length = 64, example = "123456"))]
    pub code: Option<Secret>,
}

/// `GET /api/resource` response body: `{"data": "Hello, <username>!"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ResourceBody {
    pub data: String,
}

/// One of the user's live sessions: a password sign-in and the tokens renewed from it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SessionBody {
    /// Names the session in `DELETE /api/sessions/{id}`. Authenticates nothing by itself.
    #[cfg_attr(feature = "ssr", schema(example = "3f2a9c0e4b1d8a7f6e5d4c3b2a190817"))]
    pub id: String,
    /// Unix seconds of the password sign-in that began it.
    pub started_at: i64,
    /// Unix seconds of its last use, recorded at most about once a minute.
    pub last_used_at: i64,
    /// The client address it began from.
    pub address: String,
    /// The client, from its `User-Agent` ("Firefox on Linux").
    pub user_agent: String,
    /// How it began: "password", "password_and_code" (with a code from the authenticator
    /// app), "recovery_code" (a password and a recovery code) or "passkey".
    #[cfg_attr(feature = "ssr", schema(example = "password"))]
    pub signed_in_with: String,
    /// Whether this is the session of the token making the request.
    pub current: bool,
}

/// `GET /api/sessions` response body: a page of the caller's live sessions, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SessionsBody {
    pub sessions: Vec<SessionBody>,
    /// The `after` of the next page; `null` on the last.
    #[serde(default)]
    pub next: Option<String>,
}

/// The browser's answer in a passkey ceremony, as a client sent it. The server reads it as a
/// `T`; one that does not parse is a failed ceremony (answered like a bad signature), not a
/// malformed request body. Clients always send `Parsed`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub enum BrowserAnswer<T> {
    Parsed(T),
    #[serde(skip_serializing)]
    Unreadable(serde::de::IgnoredAny),
}

/// `POST /api/passkeys/register/begin` response body: the ceremony to finish, and the options
/// for the browser's `navigator.credentials.create()`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasskeyRegistrationOptions {
    /// Names this ceremony in the finish request; good for five minutes, and for one finish.
    pub ceremony: String,
    /// WebAuthn `PublicKeyCredentialCreationOptions` under `publicKey`, binary fields base64url.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub options: CreationChallengeResponse,
}

/// `POST /api/passkeys/register/finish` request body.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasskeyRegistration {
    pub ceremony: String,
    /// The browser's `PublicKeyCredential` from `create()`, binary fields base64url.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub credential: BrowserAnswer<RegisterPublicKeyCredential>,
    /// 1 to 64 characters, no control characters (the pattern says what
    /// `validate_passkey_name` accepts); by default the browser's label ("Chrome on Linux").
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        schema(
            max_length = 64,
            pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$",
            example = "Laptop"
        )
    )]
    pub name: Option<String>,
}

/// `POST /api/passkeys/sign-in/begin` response body.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasskeySignInOptions {
    pub ceremony: String,
    /// WebAuthn `PublicKeyCredentialRequestOptions` under `publicKey` (no credentials listed:
    /// the browser offers every passkey it holds for this site), and `mediation:
    /// "conditional"` for the autofill; a client asking at a button press drops it.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub options: RequestChallengeResponse,
}

/// `POST /api/passkeys/sign-in/finish` request body.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasskeySignIn {
    pub ceremony: String,
    /// The browser's `PublicKeyCredential` from `get()`, binary fields base64url.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub credential: BrowserAnswer<PublicKeyCredential>,
}

/// One of the caller's passkeys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasskeyBody {
    /// Names the passkey in `PATCH` and `DELETE /api/passkeys/{id}`.
    pub id: i64,
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the last sign-in with it; null before the first.
    pub last_used_at: Option<i64>,
}

/// `GET /api/passkeys` response body, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasskeysBody {
    pub passkeys: Vec<PasskeyBody>,
}

/// `PATCH /api/passkeys/{id}` request body.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasskeyRename {
    /// 1 to 64 characters, no control characters; spaces around it are dropped.
    #[cfg_attr(
        feature = "ssr",
        schema(
            min_length = 1,
            max_length = 64,
            pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$",
            example = "Phone"
        )
    )]
    pub name: String,
}

/// `POST /api/users/me/totp` response body: a new secret for the authenticator app, in every
/// form an app takes. Shown this once: the account is unchanged until a code confirms it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TotpSetup {
    /// The setup key, base32 (RFC 4648, no padding), for typing into the app.
    #[cfg_attr(
        feature = "ssr",
        schema(value_type = String, example = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    )]
    pub secret: Secret,
    /// `otpauth://totp/rest-auth:<username>?secret=...&issuer=rest-auth`: what the QR code holds.
    pub otpauth_url: String,
    /// The QR code of `otpauth_url`, an SVG document.
    pub qr_svg: String,
}

/// Redacted as [`Secret`] is: the URL and its QR code carry the secret too.
impl fmt::Debug for TotpSetup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TotpSetup")
            .field("secret", &self.secret)
            .field("otpauth_url", &format_args!("<redacted>"))
            .field("qr_svg", &format_args!("<redacted>"))
            .finish()
    }
}

/// `PUT /api/users/me/totp` request body: a current code from the app, which turns two-step
/// verification on.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TotpConfirmation {
    /// Six digits (spaces are ignored).
    #[cfg_attr(feature = "ssr", schema(value_type = String, max_length = 16, example = "123456"))]
    pub code: Secret,
}

/// `GET /api/users/me/totp` response body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TwoStepStatus {
    /// Whether a password sign-in needs a code too.
    pub enabled: bool,
    /// Unused recovery codes (0 when two-step verification is off).
    pub recovery_codes_left: u32,
}

/// `PUT /api/users/me/totp` and `POST /api/users/me/recovery-codes` response body: the new
/// recovery codes, shown this once. Each signs in once, in place of a code from the app.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RecoveryCodesBody {
    /// Ten codes like `abcd-efgh-ijkl-mnop-qrst-uvwx` (case, dashes and spaces do not matter).
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<String>))]
    pub recovery_codes: Vec<Secret>,
}

/// `POST /api/authorizations/{id}` response body: what comes next for an application's
/// authorization request (the page at `/authorize` asks it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "next", rename_all = "snake_case")]
pub enum AuthorizationAnswer {
    /// Done: send the browser back to the application (with a code, or an error such as
    /// `access_denied` or `login_required`).
    Redirect { redirect_to: String },
    /// Ask the person whether to allow the application (`POST
    /// /api/authorizations/{id}/consent`).
    Consent {
        application: String,
        /// `openid`, `profile`, `offline_access`.
        scopes: Vec<String>,
    },
}

/// `POST /api/authorizations/{id}/consent` request body: the person's answer, "Allow" or
/// "Deny".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ConsentRequest {
    pub allow: bool,
}

/// An application the user allowed to sign them in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApplicationBody {
    /// Names it in `DELETE /api/applications/{client_id}`.
    pub client_id: String,
    pub name: String,
    /// What it was allowed: `openid`, `profile`, `offline_access`.
    pub scopes: Vec<String>,
    /// Unix seconds.
    pub allowed_at: i64,
}

/// `GET /api/applications` response body: the applications the user allowed, latest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApplicationsBody {
    pub applications: Vec<ApplicationBody>,
}

/// `POST /api/logouts/{id}` response body: where the `/signed-out` page sends the browser once
/// it has signed out, if anywhere (the application's post-logout redirect URI), and whether it
/// asks first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LogoutBody {
    pub redirect_to: Option<String>,
    /// Ask the person before signing out: the sign-out did not come with an ID token.
    pub ask: bool,
}

/// Every 4xx/5xx answer of `/api`: `{"error": "<what went wrong, in plain words>"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_two_step_setup_never_shows_its_secret_in_debug_output() {
        let setup = TotpSetup {
            secret: Secret::new("JBSWY3DPEHPK3PXP"),
            otpauth_url: "otpauth://totp/rest-auth:miguel?secret=JBSWY3DPEHPK3PXP".into(),
            qr_svg: "<svg>JBSWY3DPEHPK3PXP</svg>".into(),
        };
        let shown = format!("{setup:?}");
        assert!(!shown.contains("JBSWY3DPEHPK3PXP"), "{shown}");
        assert!(shown.contains("otpauth_url: <redacted>"), "{shown}");
    }
}
