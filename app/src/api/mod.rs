//! The JSON API's contract: the bodies `/api` sends and receives and the input rules it
//! enforces. The server and the browser client both compile this module, so the two cannot
//! drift apart.

pub mod client;
mod types;
mod validation;

pub use types::{
    ApplicationBody, ApplicationsBody, AuthorizationAnswer, BrowserAnswer, CodeStepBody,
    CodeStepRequest, ConsentRequest, ErrorBody, LogoutBody, NewUser, PasskeyBody,
    PasskeyRegistration, PasskeyRegistrationOptions, PasskeyRename, PasskeySignIn,
    PasskeySignInOptions, PasskeysBody, PasswordChange, Reauthentication, ReauthenticationOptions,
    RecoveryCodesBody, RefreshRequest, ResourceBody, Secret, SessionBody, SessionsBody,
    SignInRequest, SignedInBody, TokenBody, TotpConfirmation, TotpSetup, TwoStepStatus, UserBody,
};
pub use validation::{
    validate_passkey_name, validate_password, validate_username, MAX_PASSKEY_NAME_CHARS,
    MAX_PASSWORD_CHARS, MAX_USERNAME_CHARS, MIN_PASSWORD_CHARS_DEFAULT,
};
