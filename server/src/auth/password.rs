//! Password hashing with argon2id at the OWASP Password Storage Cheat Sheet's parameters
//! (m = 19 MiB, t = 2, p = 1), stored as PHC strings so parameters can be raised later without
//! breaking existing hashes (verification reads them from the string).

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into a PHC string. CPU-bound for tens of milliseconds: call it through
/// [`hash_off_runtime`] from async code.
pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(hasher()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Checks a password against a stored PHC string in constant time. A malformed stored hash
/// counts as a mismatch (and is logged), never as a panic.
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(error) => {
            tracing::error!(%error, "stored password hash is not a valid PHC string");
            false
        }
    }
}

/// [`hash`] on the blocking pool, so the async workers keep serving other requests.
pub async fn hash_off_runtime(password: String) -> Result<String, crate::error::ApiError> {
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(crate::error::ApiError::internal)?
        .map_err(|e| crate::error::ApiError::internal(e.to_string()))
}

/// [`verify`] on the blocking pool.
pub async fn verify_off_runtime(
    password: String,
    phc: String,
) -> Result<bool, crate::error::ApiError> {
    tokio::task::spawn_blocking(move || verify(&password, &phc))
        .await
        .map_err(crate::error::ApiError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_argon2id_phc_with_owasp_parameters() {
        let phc = hash("python").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(!phc.contains("python"));
    }

    #[test]
    fn verify_accepts_only_the_right_password() {
        let phc = hash("python").unwrap();
        assert!(verify("python", &phc));
        assert!(!verify("ruby", &phc));
        assert!(!verify("", &phc));
        assert!(!verify("python ", &phc));
    }

    #[test]
    fn same_password_gets_a_fresh_salt() {
        assert_ne!(hash("python").unwrap(), hash("python").unwrap());
    }

    #[test]
    fn malformed_stored_hash_is_a_mismatch() {
        assert!(!verify("python", "not a phc string"));
        assert!(!verify("python", ""));
    }
}
