//! Sealing of authenticator-app secrets at rest: AES-256-GCM under a key derived from
//! `SECRET_KEY` with HKDF-SHA-256, so a copy of the database alone cannot make codes. Each
//! sealed secret is bound to its account (the user id is the associated data): moved to another
//! row, it no longer opens.

use aes_gcm::{aead::Aead, Aes256Gcm, KeyInit};
use argon2::password_hash::rand_core::{OsRng, RngCore};
use base64::{engine::general_purpose::STANDARD_NO_PAD, Engine};
use hkdf::Hkdf;
use sha2::Sha256;

/// Names this key's purpose in the derivation: the token key and this one never coincide.
const PURPOSE: &[u8] = b"rest-auth two-step secret v1";
const NONCE_BYTES: usize = 12;

/// Seals and opens secrets with the key derived from `SECRET_KEY`.
#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
}

/// A sealed secret that does not open: another `SECRET_KEY`, another account's row, or a
/// damaged value.
#[derive(Debug, thiserror::Error)]
#[error("a sealed two-step secret did not open (was SECRET_KEY changed?)")]
pub struct Unopenable;

impl Sealer {
    pub fn new(secret_key: &[u8]) -> Self {
        let mut key = [0u8; 32];
        Hkdf::<Sha256>::new(None, secret_key)
            .expand(PURPOSE, &mut key)
            .expect("32 bytes is a valid HKDF-SHA-256 output length");
        Sealer {
            cipher: Aes256Gcm::new(&key.into()),
        }
    }

    /// `secret`, sealed for account `user_id`, as text: base64 of a random nonce and the
    /// ciphertext with its tag.
    pub fn seal(&self, user_id: i64, secret: &[u8]) -> String {
        let mut nonce = [0u8; NONCE_BYTES];
        OsRng.fill_bytes(&mut nonce);
        let aad = user_id.to_be_bytes();
        let sealed = self
            .cipher
            .encrypt(
                &nonce.into(),
                aes_gcm::aead::Payload {
                    msg: secret,
                    aad: &aad,
                },
            )
            .expect("a 20-byte secret is far below AES-GCM's length limits");
        let mut text = nonce.to_vec();
        text.extend_from_slice(&sealed);
        STANDARD_NO_PAD.encode(text)
    }

    /// The secret sealed for `user_id` in `sealed`.
    pub fn open(&self, user_id: i64, sealed: &str) -> Result<Vec<u8>, Unopenable> {
        let bytes = STANDARD_NO_PAD.decode(sealed).map_err(|_| Unopenable)?;
        if bytes.len() < NONCE_BYTES {
            return Err(Unopenable);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| Unopenable)?;
        let aad = user_id.to_be_bytes();
        self.cipher
            .decrypt(
                &nonce.into(),
                aes_gcm::aead::Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| Unopenable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_for_its_account_and_key() {
        let sealer = Sealer::new(&[7u8; 32]);
        let sealed = sealer.seal(1, b"twenty bytes secret!");
        assert!(!sealed.contains("twenty"));
        assert_eq!(sealer.open(1, &sealed).unwrap(), b"twenty bytes secret!");
        assert!(sealer.open(2, &sealed).is_err(), "another account's row");
        assert!(
            Sealer::new(&[8u8; 32]).open(1, &sealed).is_err(),
            "another key"
        );
        assert!(sealer.open(1, "not base64!").is_err());
        assert!(sealer.open(1, "").is_err());
        assert_ne!(
            sealer.seal(1, b"same"),
            sealer.seal(1, b"same"),
            "fresh nonce"
        );
    }
}
