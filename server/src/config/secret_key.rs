//! The server's secret, from which its keys are derived (auth/keys.rs): given as `SECRET_KEY`,
//! or generated once into the data directory so tokens survive restarts without anyone having
//! to invent a secret.

use super::ConfigError;
use std::{
    fmt, fs,
    io::{self, Write},
    path::Path,
};

const SECRET_KEY_FILE: &str = "secret_key";
/// Where a generated key goes when it is retired (see docs/configuration.md, "Rotating the
/// key"): still accepted for what it signed and sealed.
const PREVIOUS_KEY_FILE: &str = "secret_key.previous";

/// The secret every key is derived from. Its `Debug` never shows the bytes.
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

    /// The retired generated key kept in `data_dir`, if there is one.
    pub fn load_previous(data_dir: &Path) -> Result<Option<Self>, ConfigError> {
        let path = data_dir.join(PREVIOUS_KEY_FILE);
        match fs::read_to_string(&path) {
            Ok(text) => Self::from_hex(&text, &path).map(Some),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(ConfigError(format!(
                "secret key file {}: {e}",
                path.display()
            ))),
        }
    }

    fn from_hex(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let bytes = hex::decode(text.trim())
            .map_err(|_| ConfigError(format!("secret key file {} is not hex", path.display())))?;
        SecretKey::new(bytes)
    }

    /// The key kept in `data_dir`, created (mode 0600, never overwritten) if there is none.
    pub fn load_or_create(data_dir: &Path) -> Result<Self, ConfigError> {
        let path = data_dir.join(SECRET_KEY_FILE);
        let failed = |e: io::Error| ConfigError(format!("secret key file {}: {e}", path.display()));
        match fs::read_to_string(&path) {
            Ok(text) => return Self::from_hex(&text, &path),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(failed(e)),
        }

        create_private_dir(data_dir)?;
        let bytes = crate::random::bytes::<32>();
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
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Self::load_or_create(data_dir),
            Err(e) => Err(failed(e)),
        }
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// Creates the data directory readable by its owner only: it holds the password hashes and
/// the generated key. An existing directory keeps the permissions it has.
pub fn create_private_dir(dir: &Path) -> Result<(), ConfigError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secret_is_private_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let first = SecretKey::load_or_create(dir.path()).unwrap();
        let second = SecretKey::load_or_create(dir.path()).unwrap();
        assert_eq!(first.as_bytes(), second.as_bytes());
        assert_eq!(first.as_bytes().len(), 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&dir.path().join(SECRET_KEY_FILE)), 0o600);
            let fresh = dir.path().join("fresh");
            SecretKey::load_or_create(&fresh).unwrap();
            assert_eq!(mode(&fresh), 0o700);
        }
        let other = tempfile::tempdir().unwrap();
        assert_ne!(
            SecretKey::load_or_create(other.path()).unwrap().as_bytes(),
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
