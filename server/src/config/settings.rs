//! The command line: every setting is a flag, an environment variable, or a line of `./.env`,
//! in that order of precedence (clap reads the first two; `.env` is loaded into the environment
//! beforehand without overriding it). `--help` lists them all, with their defaults, and never a
//! value (so never the key).

use super::{leptos_options, secret_key, Config, ConfigError, SecretKey};
use crate::{
    accounts::PasswordRules,
    auth::{
        throttle::{Limit, LoginLimits},
        SignInPause,
    },
    logging::{LogSettings, DEFAULT_BUFFER_LINES},
    store::StoreSettings,
};
use axum::http::HeaderName;
use clap::{CommandFactory, FromArgMatches, Parser};
use leptos::config::Env;
use std::{net::SocketAddr, path::PathBuf, time::Duration};
use url::{Host, Url};

/// The command line, read: text to print, or settings to act on.
pub enum Parsed {
    /// `--help` or `--version`: the text to print.
    Help(String),
    Arguments(Arguments),
}

/// Settings that are each valid, not yet acted on: the log is set up from them
/// ([`Arguments::log`]) before the config is built, which may create the data directory and a
/// key, and log that.
pub struct Arguments(Box<Settings>);

/// What the command line asked for.
pub enum Invocation {
    Run(Box<Config>),
    /// `rest-auth account reset-two-step <username>`, with the settings to reach the database.
    ResetTwoStep {
        config: Box<Config>,
        username: String,
    },
    /// `rest-auth client add|list|remove` or `rest-auth keys rotate`: an operator task on the
    /// OpenID provider, with the settings to reach the database.
    Provider {
        config: Box<Config>,
        task: ProviderTask,
    },
}

/// An operator task on the OpenID provider.
pub enum ProviderTask {
    AddClient {
        name: String,
        redirect_uris: Vec<String>,
        post_logout_redirect_uris: Vec<String>,
        public: bool,
    },
    ListClients,
    RemoveClient {
        client_id: String,
    },
    RotateKeys,
}

impl Arguments {
    /// `RUST_LOG`, `LOG_FORMAT` and `LOG_BUFFER_LINES`.
    pub fn log(&self) -> LogSettings {
        LogSettings {
            filter: self.0.log_filter.clone(),
            json: self.0.log_format == "json",
            buffer_lines: usize::try_from(self.0.log_buffer_lines).unwrap_or(usize::MAX),
            // An operator task (`client add`, ...) answers on standard output.
            to_stderr: self.0.command.is_some(),
        }
    }

    /// Builds the config (creating the data directory and the generated key if needed).
    pub fn into_invocation(self) -> Result<Invocation, ConfigError> {
        let mut settings = *self.0;
        let command = settings.command.take();
        let config = Box::new(settings.into_config()?);
        Ok(match command {
            None => Invocation::Run(config),
            Some(Command::Account {
                task: AccountTask::ResetTwoStep { username },
            }) => Invocation::ResetTwoStep { config, username },
            Some(Command::Client { task }) => Invocation::Provider {
                config,
                task: match task {
                    ClientTask::Add {
                        name,
                        redirect_uris,
                        post_logout_redirect_uris,
                        public,
                    } => ProviderTask::AddClient {
                        name,
                        redirect_uris,
                        post_logout_redirect_uris,
                        public,
                    },
                    ClientTask::List => ProviderTask::ListClients,
                    ClientTask::Remove { client_id } => ProviderTask::RemoveClient { client_id },
                },
            },
            Some(Command::Keys {
                task: KeysTask::Rotate,
            }) => Invocation::Provider {
                config,
                task: ProviderTask::RotateKeys,
            },
        })
    }
}

const AFTER_HELP: &str = "Each setting comes from its flag, else its environment variable, else \
    a .env file in the working directory.";

/// A whole number from 1 to u32::MAX.
fn positive() -> clap::builder::RangedU64ValueParser<u64> {
    clap::value_parser!(u64).range(1..=u64::from(u32::MAX))
}

#[derive(Parser)]
#[command(name = "rest-auth", version, after_help = AFTER_HELP)]
/// Register users, issue tokens, guard a resource: a JSON API and web pages.
struct Settings {
    /// postgres://user:password@host/db for PostgreSQL, otherwise SQLite
    /// [default: sqlite:<DATA_DIR>/rest-auth.db]
    #[arg(long, env = "DATABASE_URL", value_name = "URL")]
    database_url: Option<String>,
    /// Connection pool size
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", value_name = "N", default_value_t = 8, value_parser = positive())]
    database_max_connections: u64,
    /// How long a request waits for a connection before it gets 503
    #[arg(long, env = "DATABASE_ACQUIRE_TIMEOUT_SECONDS", value_name = "SECONDS", default_value_t = 5, value_parser = positive())]
    database_acquire_timeout_seconds: u64,
    /// PostgreSQL statement_timeout; SQLite busy timeout
    #[arg(long, env = "DATABASE_STATEMENT_TIMEOUT_SECONDS", value_name = "SECONDS", default_value_t = 5, value_parser = positive())]
    database_statement_timeout_seconds: u64,
    /// How long start-up retries a database it cannot reach
    #[arg(
        long,
        env = "DATABASE_START_TIMEOUT_SECONDS",
        value_name = "SECONDS",
        default_value_t = 60
    )]
    database_start_timeout_seconds: u64,
    /// Where the default SQLite file and the generated key live (created 0700)
    #[arg(long, env = "DATA_DIR", value_name = "DIR", default_value = "data")]
    data_dir: PathBuf,
    /// Token signing key, at least 32 bytes; the same on every instance. Prefer the
    /// environment or .env: flags are visible to other users in `ps`
    /// [default: generated into <DATA_DIR>/secret_key]
    #[arg(long, env = "SECRET_KEY", value_name = "KEY")]
    secret_key: Option<String>,
    /// Keys retired from SECRET_KEY, newest first, comma-separated: tokens they signed and
    /// two-step secrets they sealed are still accepted (see docs/configuration.md, "Rotating
    /// the key") [default: none, or <DATA_DIR>/secret_key.previous]
    #[arg(
        long,
        env = "PREVIOUS_SECRET_KEYS",
        value_name = "KEYS",
        value_delimiter = ','
    )]
    previous_secret_keys: Vec<String>,
    /// Token lifetime (`duration`)
    #[arg(long, env = "TOKEN_TTL_SECONDS", value_name = "SECONDS", default_value_t = 600, value_parser = positive())]
    token_ttl_seconds: u64,
    /// No refreshed token outlives its password login by more
    #[arg(long, env = "SESSION_MAX_SECONDS", value_name = "SECONDS", default_value_t = 86_400, value_parser = positive())]
    session_max_seconds: u64,
    /// How long after a full authentication (every factor) a session may change how the account
    /// signs in or who is signed in (step-up); later it confirms it is the owner again
    #[arg(long, env = "REAUTH_MAX_AGE_SECONDS", value_name = "SECONDS", default_value_t = 300, value_parser = positive())]
    reauth_max_age_seconds: u64,
    /// Sessions each instance keeps in memory for the token path (the most asked for); beyond
    /// them a token costs a database read. About 460 bytes each
    #[arg(long, env = "SESSION_CACHE_CAPACITY", value_name = "SESSIONS", default_value_t = crate::store::DEFAULT_CACHED_SESSIONS, value_parser = clap::value_parser!(u64).range(1..))]
    session_cache_capacity: u64,
    /// Minimum password length
    #[arg(long, env = "MIN_PASSWORD_LENGTH", value_name = "CHARS", default_value_t = app::api::MIN_PASSWORD_CHARS_DEFAULT)]
    min_password_length: usize,
    /// Refuse new passwords on the list of the ~100,000 most common (recommended in
    /// production; off by default so the original's `python` example still works)
    #[arg(long, env = "REFUSE_COMMON_PASSWORDS", value_name = "BOOL", default_value_t = false,
        action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new())]
    refuse_common_passwords: bool,
    /// Failed password checks allowed per username...
    #[arg(long, env = "LOGIN_FAILURES_PER_USERNAME", value_name = "N", default_value_t = 10, value_parser = positive())]
    login_failures_per_username: u64,
    /// ...per this many seconds
    #[arg(long, env = "LOGIN_FAILURE_WINDOW_USERNAME_SECONDS", value_name = "SECONDS", default_value_t = 900, value_parser = positive())]
    login_failure_window_username_seconds: u64,
    /// Failed password checks allowed per client address...
    #[arg(long, env = "LOGIN_FAILURES_PER_ADDRESS", value_name = "N", default_value_t = 100, value_parser = positive())]
    login_failures_per_address: u64,
    /// ...per this many seconds
    #[arg(long, env = "LOGIN_FAILURE_WINDOW_ADDRESS_SECONDS", value_name = "SECONDS", default_value_t = 60, value_parser = positive())]
    login_failure_window_address_seconds: u64,
    /// argon2 hashes that may run at once [default: number of cores]
    #[arg(long, env = "HASH_CONCURRENCY", value_name = "N", value_parser = positive())]
    hash_concurrency: Option<u64>,
    /// Header where a trusted proxy puts the client address (X-Real-IP, X-Forwarded-For)
    /// [default: unset: the TCP peer]
    #[arg(long, env = "CLIENT_IP_HEADER", value_name = "HEADER", value_parser = header_name)]
    client_ip_header: Option<HeaderName>,
    /// Address and port to listen on
    #[arg(
        long,
        env = "LEPTOS_SITE_ADDR",
        value_name = "ADDR",
        default_value = "127.0.0.1:3000"
    )]
    site_addr: SocketAddr,
    /// The origin people open, e.g. https://auth.example.com: passkeys are bound to its host
    /// name (an IP address cannot have passkeys), and `Location` headers use it
    /// [default: http://localhost:<port of LEPTOS_SITE_ADDR>]
    #[arg(long, env = "PUBLIC_URL", value_name = "URL", value_parser = public_url)]
    public_url: Option<Url>,
    /// Directory of the built front end
    #[arg(
        long,
        env = "LEPTOS_SITE_ROOT",
        value_name = "DIR",
        default_value = "target/site"
    )]
    site_root: String,
    /// DEV only for `cargo leptos watch`
    #[arg(long, env = "LEPTOS_ENV", value_name = "PROD|DEV", default_value = "PROD", value_parser = leptos_env)]
    leptos_env: Env,
    /// Which log lines are written, in tracing's filter syntax (e.g. info,request=warn); audit
    /// lines are written whatever it says
    #[arg(long = "log-filter", env = "RUST_LOG", value_name = "FILTER", default_value = "info", value_parser = log_filter)]
    log_filter: String,
    /// text, or json for one JSON object per line
    #[arg(long, env = "LOG_FORMAT", value_name = "text|json", default_value = "text", value_parser = ["text", "json"])]
    log_format: String,
    /// Log lines queued for a slow reader of standard output; beyond them a line is dropped
    /// and counted, never waited for (audit lines are never dropped)
    #[arg(long, env = "LOG_BUFFER_LINES", value_name = "LINES", default_value_t = DEFAULT_BUFFER_LINES as u64, value_parser = positive())]
    log_buffer_lines: u64,
    /// Without one, the server runs.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Operator tasks on one account (with the same settings as the server, to reach its
    /// database)
    Account {
        #[command(subcommand)]
        task: AccountTask,
    },
    /// Applications that sign their users in here (OpenID Connect clients)
    Client {
        #[command(subcommand)]
        task: ClientTask,
    },
    /// The OpenID provider's signing keys
    Keys {
        #[command(subcommand)]
        task: KeysTask,
    },
}

#[derive(clap::Subcommand)]
enum ClientTask {
    /// Register an application that signs its users in here; prints {"client_id",
    /// "client_secret"} (the secret this once; none for --public) (audited)
    Add {
        /// The application's name, shown on the consent page
        name: String,
        /// Where the application receives the answer (exactly; repeat for several)
        #[arg(long = "redirect-uri", value_name = "URI", required = true)]
        redirect_uris: Vec<String>,
        /// Where it may send the browser after signing out (repeat for several)
        #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
        post_logout_redirect_uris: Vec<String>,
        /// A client that cannot keep a secret (a single-page or native app): no secret, PKCE
        /// required
        #[arg(long)]
        public: bool,
    },
    /// Print the registered applications as a JSON array (never their secrets)
    List,
    /// Remove an application; every session it holds ends (audited)
    Remove {
        /// The client_id `client add` printed
        client_id: String,
    },
}

#[derive(clap::Subcommand)]
enum KeysTask {
    /// Make a new signing key for ID tokens and access tokens; the others are retired, and
    /// published until their tokens have expired (audited)
    Rotate,
}

#[derive(clap::Subcommand)]
enum AccountTask {
    /// Turn two-step verification off for a user who lost both the authenticator app and the
    /// recovery codes (audited)
    ResetTwoStep {
        /// The account's username
        username: String,
    },
}

fn header_name(name: &str) -> Result<HeaderName, String> {
    HeaderName::try_from(name).map_err(|_| format!("{name:?} is not a header name"))
}

/// An origin with a host name: `http(s)://name[:port]`, nothing after it.
fn public_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|e| format!("{text:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{text:?} must start with https:// or http://"));
    }
    match url.host() {
        Some(Host::Domain(_)) => {}
        _ => {
            return Err(format!(
                "{text:?} must name a host, not an IP address: passkeys need a host name"
            ))
        }
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{text:?} must be an origin only, with no path"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("{text:?} must not carry a user name or password"));
    }
    Ok(url)
}

fn log_filter(text: &str) -> Result<String, String> {
    tracing_subscriber::EnvFilter::try_new(text)
        .map(|_| text.to_owned())
        .map_err(|e| format!("{text:?} is not a log filter: {e}"))
}

fn leptos_env(name: &str) -> Result<Env, String> {
    match name {
        "PROD" | "prod" | "production" => Ok(Env::PROD),
        "DEV" | "dev" | "development" => Ok(Env::DEV),
        other => Err(format!("must be PROD or DEV, not {other:?}")),
    }
}

pub(super) fn parse(
    args: impl IntoIterator<Item = std::ffi::OsString>,
) -> Result<Parsed, ConfigError> {
    load_dot_env()?;
    let command = Settings::command().mut_args(|arg| {
        // An empty variable counts as unset, as it would in a shell script's `${X:-default}`.
        let empty = arg
            .get_env()
            .and_then(std::env::var_os)
            .is_some_and(|value| value.is_empty());
        let arg = arg.hide_env_values(true);
        if empty {
            arg.env(None::<&str>)
        } else {
            arg
        }
    });
    let parsed = command
        .try_get_matches_from(args)
        .and_then(|matches| Settings::from_arg_matches(&matches));
    match parsed {
        Ok(settings) => Ok(Parsed::Arguments(Arguments(Box::new(settings)))),
        Err(e) => match e.kind() {
            clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                Ok(Parsed::Help(e.to_string()))
            }
            // clap's first line names the flag and the problem; the usage lines after it are
            // left out so a failed start is one line in the log.
            _ => {
                let message = e.to_string();
                let first = message.lines().next().unwrap_or("invalid arguments");
                Err(ConfigError(
                    first.trim_start_matches("error: ").to_owned() + " (see --help)",
                ))
            }
        },
    }
}

/// Every setting at its default, with no flag, environment variable or `.env` read, for the
/// given database, key and address: what tests and embedders start from.
pub(super) fn defaults(
    database_url: String,
    secret_key: SecretKey,
    site_addr: SocketAddr,
) -> Config {
    let command = Settings::command().mut_args(|arg| arg.env(None::<&str>));
    let matches = command
        .try_get_matches_from(["rest-auth"])
        .expect("the defaults parse");
    let mut settings = Settings::from_arg_matches(&matches).expect("the defaults are settings");
    settings.database_url = Some(database_url);
    settings.site_addr = site_addr;
    settings
        .build(|_| Ok((secret_key, Vec::new())))
        .expect("the defaults are valid")
}

impl Settings {
    fn into_config(self) -> Result<Config, ConfigError> {
        self.build(|settings| {
            let previous = settings
                .previous_secret_keys
                .iter()
                .filter(|key| !key.is_empty())
                .map(|key| SecretKey::new(key.clone().into_bytes()));
            match &settings.secret_key {
                Some(key) => Ok((
                    SecretKey::new(key.clone().into_bytes())?,
                    previous.collect::<Result<_, _>>()?,
                )),
                None => {
                    let current = SecretKey::load_or_create(&settings.data_dir)?;
                    let mut previous = previous.collect::<Result<Vec<_>, _>>()?;
                    previous.extend(SecretKey::load_previous(&settings.data_dir)?);
                    Ok((current, previous))
                }
            }
        })
    }

    /// The config, with the keys (current, previous) that `secret_keys` makes once every other
    /// setting is known to be valid.
    fn build(
        self,
        secret_keys: impl FnOnce(&Settings) -> Result<(SecretKey, Vec<SecretKey>), ConfigError>,
    ) -> Result<Config, ConfigError> {
        let limit = |failures: u64, window: u64| {
            // Both are at least 1 (the parsers see to it) and failures fit a u32.
            Limit::new(failures as u32, Duration::from_secs(window))
                .ok_or_else(|| ConfigError("login limits must be at least 1".into()))
        };
        let login_limits = LoginLimits {
            per_username: limit(
                self.login_failures_per_username,
                self.login_failure_window_username_seconds,
            )?,
            per_address: limit(
                self.login_failures_per_address,
                self.login_failure_window_address_seconds,
            )?,
        };
        let hash_concurrency = match self.hash_concurrency {
            Some(n) => n as usize,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        // Side effects (the data directory, a generated key) only once every setting is
        // known to be valid, so a mistyped flag leaves nothing behind.
        let (secret_key, previous_secret_keys) = secret_keys(&self)?;
        let database_url = match self.database_url {
            Some(url) => url,
            None => {
                secret_key::create_private_dir(&self.data_dir)?;
                format!("sqlite:{}", self.data_dir.join("rest-auth.db").display())
            }
        };
        Ok(Config {
            database_url,
            store: StoreSettings {
                max_connections: self.database_max_connections as u32,
                acquire_timeout: Duration::from_secs(self.database_acquire_timeout_seconds),
                statement_timeout: Duration::from_secs(self.database_statement_timeout_seconds),
                cached_sessions: self.session_cache_capacity,
            },
            database_start_timeout: Duration::from_secs(self.database_start_timeout_seconds),
            secret_key,
            previous_secret_keys,
            token_ttl: Duration::from_secs(self.token_ttl_seconds),
            max_session: Duration::from_secs(self.session_max_seconds),
            session_touch_interval: Duration::from_secs(60),
            signing_keys_reload: crate::provider::keys::RELOAD_AFTER,
            reauth_max_age: Duration::from_secs(self.reauth_max_age_seconds),
            sign_in_pause: SignInPause::default(),
            password_rules: PasswordRules {
                min_chars: self.min_password_length,
                refuse_common: self.refuse_common_passwords,
            },
            login_limits,
            hash_concurrency,
            client_ip_header: self.client_ip_header,
            public_url: self.public_url.unwrap_or_else(|| {
                let local = format!("http://localhost:{}", self.site_addr.port());
                Url::parse(&local).expect("a localhost URL parses")
            }),
            leptos: leptos_options(self.site_addr, &self.site_root, self.leptos_env),
        })
    }
}

/// Loads `./.env` into the environment; variables already set win.
fn load_dot_env() -> Result<(), ConfigError> {
    // Only ./.env (dotenvy::dotenv would also search parent directories). A missing file is
    // normal; a malformed one is worth stopping for.
    match dotenvy::from_path(".env") {
        Ok(()) => Ok(()),
        Err(e) if e.not_found() => Ok(()),
        // The parse error quotes the offending line, which may hold a secret: not shown.
        Err(dotenvy::Error::LineParse(..)) => Err(ConfigError(
            ".env has a line that is not NAME=value (quote values that contain spaces)".into(),
        )),
        Err(e) => Err(ConfigError(format!(".env could not be read: {e}"))),
    }
}
