//! Settings, all from the environment (a `.env` file in the working directory is read first,
//! as the original does; real environment variables win over it).

use leptos::config::{Env, LeptosOptions};
use std::{
    env, fmt, fs,
    io::{self, Write},
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use crate::{
    auth::throttle::{Limit, LoginLimits},
    store::PoolSettings,
};
use app::api::MIN_PASSWORD_CHARS_DEFAULT;
use axum::http::HeaderName;

/// Everything the server needs to run.
#[derive(Clone, Debug)]
pub struct Config {
    /// `DATABASE_URL`: `postgres://...` for PostgreSQL; otherwise (and by default, a file in
    /// the data directory) SQLite.
    pub database_url: String,
    /// `DATABASE_MAX_CONNECTIONS` (8), `DATABASE_ACQUIRE_TIMEOUT_SECONDS` (5),
    /// `DATABASE_STATEMENT_TIMEOUT_SECONDS` (5).
    pub pool: PoolSettings,
    /// `DATABASE_START_TIMEOUT_SECONDS` (60): how long start-up keeps retrying a database that
    /// cannot be reached before giving up.
    pub database_start_timeout: Duration,
    /// `SECRET_KEY`, or a generated key kept in the data directory.
    pub secret_key: SecretKey,
    /// `TOKEN_TTL_SECONDS`, default 600 (the original's `duration`).
    pub token_ttl: Duration,
    /// `SESSION_MAX_SECONDS`, default 86400: no token, however often refreshed, outlives the
    /// password login that began its chain by more than this.
    pub max_session: Duration,
    /// `MIN_PASSWORD_LENGTH`, default 6 (the original README registers with "python").
    pub min_password_chars: usize,
    /// `LOGIN_FAILURES_PER_USERNAME` per `LOGIN_FAILURE_WINDOW_USERNAME_SECONDS` (10 per 900)
    /// and `LOGIN_FAILURES_PER_ADDRESS` per `LOGIN_FAILURE_WINDOW_ADDRESS_SECONDS` (100 per 60).
    pub login_limits: LoginLimits,
    /// `HASH_CONCURRENCY`: argon2 hashes that may run at once; default one per core.
    pub hash_concurrency: usize,
    /// `CLIENT_IP_HEADER`: a header set by a trusted reverse proxy with the client's address
    /// (`X-Real-IP`, `X-Forwarded-For`); unset, the TCP peer address is used.
    pub client_ip_header: Option<HeaderName>,
    /// `LEPTOS_SITE_ADDR`, `LEPTOS_SITE_ROOT`, `LEPTOS_ENV` and the fixed output name.
    pub leptos: LeptosOptions,
}

/// The HMAC key that signs tokens. Its `Debug` never shows the bytes.
#[derive(Clone)]
pub struct SecretKey(Vec<u8>);

impl SecretKey {
    /// HS256 keys shorter than the hash output weaken the MAC (RFC 7518 §3.2).
    pub const MIN_BYTES: usize = 32;

    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Self, ConfigError> {
        let bytes = bytes.into();
        if bytes.len() < Self::MIN_BYTES {
            return Err(ConfigError(format!(
                "SECRET_KEY must be at least {} bytes long (it is {}); \
                 generate one with `openssl rand -hex 32`",
                Self::MIN_BYTES,
                bytes.len()
            )));
        }
        Ok(SecretKey(bytes))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// What the command line asked for.
pub enum Invocation {
    Run(Box<Config>),
    /// `--help` or `--version`: the text to print.
    Help(String),
}

/// One setting: its environment variable, its flag, what `--help` says its default is.
struct Setting {
    env: &'static str,
    flag: &'static str,
    value_name: &'static str,
    default: &'static str,
    help: &'static str,
}

/// Every setting the server reads (besides `RUST_LOG` and `LOG_FORMAT`, read before these to
/// set up logging). The defaults themselves live in `from_source`; these are for `--help`.
const SETTINGS: &[Setting] = &[
    Setting { env: "DATABASE_URL", flag: "database-url", value_name: "URL", default: "sqlite:<DATA_DIR>/rest-auth.db", help: "postgres://user:password@host/db for PostgreSQL, otherwise SQLite" },
    Setting { env: "DATABASE_MAX_CONNECTIONS", flag: "database-max-connections", value_name: "N", default: "8", help: "Connection pool size" },
    Setting { env: "DATABASE_ACQUIRE_TIMEOUT_SECONDS", flag: "database-acquire-timeout-seconds", value_name: "SECONDS", default: "5", help: "How long a request waits for a connection before it gets 503" },
    Setting { env: "DATABASE_STATEMENT_TIMEOUT_SECONDS", flag: "database-statement-timeout-seconds", value_name: "SECONDS", default: "5", help: "PostgreSQL statement_timeout; SQLite busy timeout" },
    Setting { env: "DATABASE_START_TIMEOUT_SECONDS", flag: "database-start-timeout-seconds", value_name: "SECONDS", default: "60", help: "How long start-up retries a database it cannot reach" },
    Setting { env: "DATA_DIR", flag: "data-dir", value_name: "DIR", default: "data", help: "Where the default SQLite file and the generated key live (created 0700)" },
    Setting { env: "SECRET_KEY", flag: "secret-key", value_name: "KEY", default: "generated into <DATA_DIR>/secret_key", help: "Token signing key, at least 32 bytes; the same on every instance. Prefer the environment or .env: flags are visible to other users in `ps`" },
    Setting { env: "TOKEN_TTL_SECONDS", flag: "token-ttl-seconds", value_name: "SECONDS", default: "600", help: "Token lifetime (`duration`)" },
    Setting { env: "SESSION_MAX_SECONDS", flag: "session-max-seconds", value_name: "SECONDS", default: "86400", help: "No refreshed token outlives its password login by more" },
    Setting { env: "MIN_PASSWORD_LENGTH", flag: "min-password-length", value_name: "CHARS", default: "6", help: "Minimum password length" },
    Setting { env: "LOGIN_FAILURES_PER_USERNAME", flag: "login-failures-per-username", value_name: "N", default: "10", help: "Failed password checks allowed per username..." },
    Setting { env: "LOGIN_FAILURE_WINDOW_USERNAME_SECONDS", flag: "login-failure-window-username-seconds", value_name: "SECONDS", default: "900", help: "...per this many seconds" },
    Setting { env: "LOGIN_FAILURES_PER_ADDRESS", flag: "login-failures-per-address", value_name: "N", default: "100", help: "Failed password checks allowed per client address..." },
    Setting { env: "LOGIN_FAILURE_WINDOW_ADDRESS_SECONDS", flag: "login-failure-window-address-seconds", value_name: "SECONDS", default: "60", help: "...per this many seconds" },
    Setting { env: "HASH_CONCURRENCY", flag: "hash-concurrency", value_name: "N", default: "number of cores", help: "argon2 hashes that may run at once" },
    Setting { env: "CLIENT_IP_HEADER", flag: "client-ip-header", value_name: "HEADER", default: "unset: the TCP peer", help: "Header where a trusted proxy puts the client address (X-Real-IP, X-Forwarded-For)" },
    Setting { env: "LEPTOS_SITE_ADDR", flag: "site-addr", value_name: "ADDR", default: "127.0.0.1:3000", help: "Address and port to listen on" },
    Setting { env: "LEPTOS_SITE_ROOT", flag: "site-root", value_name: "DIR", default: "target/site", help: "Directory of the built front end" },
    Setting { env: "LEPTOS_ENV", flag: "leptos-env", value_name: "PROD|DEV", default: "PROD", help: "DEV only for `cargo leptos watch`" },
];

fn command() -> clap::Command {
    let mut command = clap::Command::new("rest-auth")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Register users, issue tokens, guard a resource: a JSON API and web pages.")
        .after_help(
            "Each setting comes from its flag, else its environment variable, else a .env file \
             in the working directory.\nLogging: RUST_LOG (default info), LOG_FORMAT=text|json \
             (default text), environment only.",
        );
    for setting in SETTINGS {
        command = command.arg(
            clap::Arg::new(setting.env)
                .long(setting.flag)
                .env(setting.env)
                // Never print a value (the secret key among them) in --help.
                .hide_env_values(true)
                .value_name(setting.value_name)
                .help(format!("{} [default: {}]", setting.help, setting.default)),
        );
    }
    command
}

/// A setting that cannot be used; the message names the variable and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);

pub const DEFAULT_DATA_DIR: &str = "data";
const SECRET_KEY_FILE: &str = "secret_key";

impl Config {
    /// The command line: flags, then the environment, then `.env`; `--help` lists them all.
    /// Creates the data directory and, when `SECRET_KEY` is unset, the persistent generated
    /// key, once every setting is valid.
    pub fn from_args(
        args: impl IntoIterator<Item = std::ffi::OsString>,
    ) -> Result<Invocation, ConfigError> {
        load_dot_env()?;
        let matches = match command().try_get_matches_from(args) {
            Ok(matches) => matches,
            Err(e) => match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    return Ok(Invocation::Help(e.to_string()))
                }
                // clap's message (first line) names the flag and the problem; the usage lines
                // after it are left out so a failed start is one line in the log.
                _ => {
                    let message = e.to_string();
                    let first = message.lines().next().unwrap_or("invalid arguments");
                    return Err(ConfigError(
                        first.trim_start_matches("error: ").to_owned() + " (see --help)",
                    ));
                }
            },
        };
        let mut given = std::collections::HashMap::new();
        for setting in SETTINGS {
            if let Some(value) = matches.get_one::<String>(setting.env) {
                given.insert(setting.env, value.clone());
            }
        }
        Ok(Invocation::Run(Box::new(Self::from_source(&Source {
            given,
        })?)))
    }

    fn from_source(src: &Source) -> Result<Self, ConfigError> {
        let data_dir = PathBuf::from(
            src.var("DATA_DIR")?
                .unwrap_or_else(|| DEFAULT_DATA_DIR.into()),
        );
        let pool_defaults = PoolSettings::default();
        let pool = PoolSettings {
            max_connections: src.positive(
                "DATABASE_MAX_CONNECTIONS",
                pool_defaults.max_connections.into(),
            )? as u32,
            acquire_timeout: Duration::from_secs(src.positive(
                "DATABASE_ACQUIRE_TIMEOUT_SECONDS",
                pool_defaults.acquire_timeout.as_secs(),
            )?),
            statement_timeout: Duration::from_secs(src.positive(
                "DATABASE_STATEMENT_TIMEOUT_SECONDS",
                pool_defaults.statement_timeout.as_secs(),
            )?),
        };
        let database_start_timeout =
            Duration::from_secs(src.parse("DATABASE_START_TIMEOUT_SECONDS", 60u64)?);
        let token_ttl = Duration::from_secs(src.parse("TOKEN_TTL_SECONDS", 600u64)?);
        if token_ttl.is_zero() {
            return Err(ConfigError("TOKEN_TTL_SECONDS must be at least 1".into()));
        }
        let max_session = Duration::from_secs(src.parse("SESSION_MAX_SECONDS", 86_400u64)?);
        if max_session.is_zero() {
            return Err(ConfigError("SESSION_MAX_SECONDS must be at least 1".into()));
        }
        let min_password_chars = src.parse("MIN_PASSWORD_LENGTH", MIN_PASSWORD_CHARS_DEFAULT)?;
        let defaults = LoginLimits::default();
        let login_limits = LoginLimits {
            per_username: src.limit("USERNAME", defaults.per_username)?,
            per_address: src.limit("ADDRESS", defaults.per_address)?,
        };
        let hash_concurrency = src.parse(
            "HASH_CONCURRENCY",
            std::thread::available_parallelism().map_or(1, |n| n.get()),
        )?;
        if hash_concurrency == 0 {
            return Err(ConfigError("HASH_CONCURRENCY must be at least 1".into()));
        }
        let client_ip_header = match src.var("CLIENT_IP_HEADER")? {
            None => None,
            Some(name) => Some(HeaderName::try_from(name.as_str()).map_err(|_| {
                ConfigError(format!("CLIENT_IP_HEADER={name:?} is not a header name"))
            })?),
        };
        let site_addr: SocketAddr = src.parse("LEPTOS_SITE_ADDR", ([127, 0, 0, 1], 3000).into())?;
        let site_root = src
            .var("LEPTOS_SITE_ROOT")?
            .unwrap_or_else(|| "target/site".into());
        let leptos_env = match src.var("LEPTOS_ENV")?.as_deref() {
            None | Some("PROD") | Some("prod") | Some("production") => Env::PROD,
            Some("DEV") | Some("dev") | Some("development") => Env::DEV,
            Some(other) => {
                return Err(ConfigError(format!(
                    "LEPTOS_ENV must be PROD or DEV, not {other:?}"
                )))
            }
        };

        // Side effects (the data directory, a generated key) only once every setting is
        // known to be valid, so a mistyped flag leaves nothing behind.
        let database_url = match src.var("DATABASE_URL")? {
            Some(url) => url,
            None => {
                create_dir(&data_dir)?;
                format!("sqlite:{}", data_dir.join("rest-auth.db").display())
            }
        };
        let secret_key = match src.var("SECRET_KEY")? {
            Some(key) => SecretKey::new(key.into_bytes())?,
            None => load_or_create_secret(&data_dir)?,
        };
        Ok(Config {
            database_url,
            pool,
            database_start_timeout,
            secret_key,
            token_ttl,
            max_session,
            min_password_chars,
            login_limits,
            hash_concurrency,
            client_ip_header,
            leptos: leptos_options(site_addr, &site_root, leptos_env),
        })
    }
}

/// Loads `./.env` into the environment; variables already set win.
fn load_dot_env() -> Result<(), ConfigError> {
    // Only ./.env (dotenvy::dotenv would also search parent directories). A missing file is
    // normal; a malformed one is worth stopping for.
    match dotenvy::from_path(".env") {
        Ok(_) => {}
        Err(e) if e.not_found() => {}
        // The parse error quotes the offending line, which may hold a secret: not shown.
        Err(dotenvy::Error::LineParse(..)) => {
            return Err(ConfigError(
                ".env has a line that is not NAME=value (quote values that contain spaces)".into(),
            ))
        }
        Err(e) => return Err(ConfigError(format!(".env could not be read: {e}"))),
    }

    Ok(())
}

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

/// The settings given, by environment variable name: from the parsed command line, which
/// already fell back to the environment for each one.
struct Source {
    given: std::collections::HashMap<&'static str, String>,
}

impl Source {
    fn var(&self, name: &str) -> Result<Option<String>, ConfigError> {
        debug_assert!(
            SETTINGS.iter().any(|setting| setting.env == name),
            "{name} is read but not in SETTINGS (so neither a flag nor in --help)"
        );
        Ok(self.given.get(name).filter(|v| !v.is_empty()).cloned())
    }

    /// A whole number of at least 1 (and at most u32::MAX).
    fn positive(&self, name: &str, default: u64) -> Result<u64, ConfigError> {
        let value = self.parse(name, default)?;
        if value == 0 || value > u64::from(u32::MAX) {
            return Err(ConfigError(format!(
                "{name} must be between 1 and {}",
                u32::MAX
            )));
        }
        Ok(value)
    }

    /// `LOGIN_FAILURES_PER_<which>` within `LOGIN_FAILURE_WINDOW_<which>_SECONDS`.
    fn limit(&self, which: &str, default: Limit) -> Result<Limit, ConfigError> {
        let failures_var = format!("LOGIN_FAILURES_PER_{which}");
        let window_var = format!("LOGIN_FAILURE_WINDOW_{which}_SECONDS");
        let failures = self.parse(&failures_var, default.failures.get())?;
        let window = self.parse(&window_var, default.window.as_secs())?;
        Limit::new(failures, Duration::from_secs(window)).ok_or_else(|| {
            ConfigError(format!(
                "{failures_var} and {window_var} must both be at least 1"
            ))
        })
    }

    fn parse<T>(&self, name: &str, default: T) -> Result<T, ConfigError>
    where
        T: std::str::FromStr,
        T::Err: fmt::Display,
    {
        match self.var(name)? {
            None => Ok(default),
            Some(raw) => raw
                .parse()
                .map_err(|e| ConfigError(format!("{name}={raw:?} is not valid: {e}"))),
        }
    }
}

/// Creates the data directory readable by its owner only: it holds the password hashes and
/// the generated key. An existing directory keeps the permissions it has.
fn create_dir(dir: &Path) -> Result<(), ConfigError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| {
        ConfigError(format!(
            "cannot create data directory {}: {e}",
            dir.display()
        ))
    })
}

/// The key generated on first start, so tokens survive restarts without anyone having to
/// invent a secret. Created with mode 0600 and never overwritten.
fn load_or_create_secret(data_dir: &Path) -> Result<SecretKey, ConfigError> {
    let path = data_dir.join(SECRET_KEY_FILE);
    let failed = |e: io::Error| ConfigError(format!("secret key file {}: {e}", path.display()));
    match fs::read_to_string(&path) {
        Ok(text) => {
            let bytes = hex::decode(text.trim()).map_err(|_| {
                ConfigError(format!("secret key file {} is not hex", path.display()))
            })?;
            return SecretKey::new(bytes);
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(failed(e)),
    }

    create_dir(data_dir)?;
    let mut bytes = [0u8; 32];
    argon2::password_hash::rand_core::RngCore::fill_bytes(
        &mut argon2::password_hash::rand_core::OsRng,
        &mut bytes,
    );
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path) {
        Ok(mut file) => {
            file.write_all(hex::encode(bytes).as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(failed)?;
            tracing::info!(path = %path.display(), "generated a new secret key");
            SecretKey::new(bytes.to_vec())
        }
        // Another instance created it between our read and our create: use theirs.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => load_or_create_secret(data_dir),
        Err(e) => Err(failed(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secret_is_private_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create_secret(dir.path()).unwrap();
        let second = load_or_create_secret(dir.path()).unwrap();
        assert_eq!(first.as_bytes(), second.as_bytes());
        assert_eq!(first.as_bytes().len(), 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join(SECRET_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let fresh = dir.path().join("fresh");
            load_or_create_secret(&fresh).unwrap();
            let mode = fs::metadata(&fresh).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        let other = tempfile::tempdir().unwrap();
        assert_ne!(
            load_or_create_secret(other.path()).unwrap().as_bytes(),
            first.as_bytes()
        );
    }

    #[test]
    fn short_secret_is_refused() {
        assert!(SecretKey::new(b"top secret!".to_vec()).is_err());
        assert!(SecretKey::new(vec![7u8; 32]).is_ok());
        assert_eq!(
            format!("{:?}", SecretKey::new(vec![7u8; 32]).unwrap()),
            "SecretKey(<redacted>)"
        );
    }
}
