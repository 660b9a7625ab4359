//! What the server runs with ([`Config`]), read from the command line, the environment and
//! `.env` by [`settings`]; the token key by [`secret_key`].

mod secret_key;
mod settings;

pub use secret_key::SecretKey;
pub use settings::{Arguments, Invocation, Parsed, ProviderTask};

use crate::{
    accounts::PasswordRules,
    auth::{throttle::LoginLimits, SignInPause},
    store::StoreSettings,
};
use axum::http::HeaderName;
use leptos::config::{Env, LeptosOptions};
use std::{net::SocketAddr, time::Duration};
use url::Url;

/// Everything the server needs to run, every value checked.
#[derive(Clone, Debug)]
pub struct Config {
    /// `postgres://...` for PostgreSQL; anything else SQLite.
    pub database_url: String,
    pub store: StoreSettings,
    /// How long start-up keeps retrying a database it cannot reach before giving up.
    pub database_start_timeout: Duration,
    pub secret_key: SecretKey,
    /// `PREVIOUS_SECRET_KEYS` (and `<DATA_DIR>/secret_key.previous`): retired keys, newest
    /// first, whose tokens and sealed secrets are still accepted.
    pub previous_secret_keys: Vec<SecretKey>,
    /// Lifetime of one token (the Flask original's `duration`).
    pub token_ttl: Duration,
    /// A session's absolute lifetime, from its password sign-in: no token outlives it.
    pub max_session: Duration,
    /// How often at most a session's "last used" is written to the database. Not a setting:
    /// a minute, or less in tests.
    pub session_touch_interval: Duration,
    /// How long each instance holds the OpenID provider's signing keys before reading them
    /// again. Not a setting: a minute, or less in tests.
    pub signing_keys_reload: Duration,
    /// `REAUTH_MAX_AGE_SECONDS`: how long a full authentication lets a session make changes to
    /// how the account signs in or who is signed in.
    pub reauth_max_age: Duration,
    /// Not a setting: a pause tests put between a sign-in's checks and its session's store.
    pub sign_in_pause: SignInPause,
    /// `MIN_PASSWORD_LENGTH` and `REFUSE_COMMON_PASSWORDS`.
    pub password_rules: PasswordRules,
    pub login_limits: LoginLimits,
    /// argon2 hashes that may run at once.
    pub hash_concurrency: usize,
    /// A header set by a trusted reverse proxy with the client's address; `None`: the TCP
    /// peer address.
    pub client_ip_header: Option<HeaderName>,
    /// `PUBLIC_URL`: the origin people open (a host name, never an IP address). Passkeys
    /// belong to its host; `Location` headers point into it.
    pub public_url: Url,
    /// Listening address, site root, environment and the fixed output name.
    pub leptos: LeptosOptions,
}

impl Config {
    /// The command line: flags, then the environment, then `.env`; `--help` lists them all.
    /// Nothing is acted on yet: [`Arguments::into_invocation`] builds the config.
    pub fn from_args(
        args: impl IntoIterator<Item = std::ffi::OsString>,
    ) -> Result<Parsed, ConfigError> {
        settings::parse(args)
    }

    /// Every setting at its default (nothing read from flags, the environment or `.env`), with
    /// this database, key and listening address.
    pub fn defaults(database_url: String, secret_key: SecretKey, site_addr: SocketAddr) -> Config {
        settings::defaults(database_url, secret_key, site_addr)
    }
}

/// A setting that cannot be used; the message names it and what is wrong, on one line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);

/// Leptos options built from our settings rather than `get_configuration`, which needs
/// `LEPTOS_OUTPUT_NAME` set at build time by cargo-leptos: this way `cargo test` and a binary
/// copied elsewhere behave like `cargo leptos serve`.
pub fn leptos_options(site_addr: SocketAddr, site_root: &str, env: Env) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("rest-auth")
        .site_root(site_root)
        .site_pkg_dir("pkg")
        .site_addr(site_addr)
        .env(env)
        .build()
}
