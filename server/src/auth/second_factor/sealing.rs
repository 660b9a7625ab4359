//! Sealing of authenticator-app secrets at rest: AES-256-GCM under the sealing key derived
//! from `SECRET_KEY` (auth/keys.rs), so a copy of the database alone cannot make codes. Each
//! sealed secret is bound to its account (the user id is the associated data): moved to another
//! row, it no longer opens. It names the key that sealed it (`<key id>:<base64>`), so a key
//! rotation breaks no authenticator: what a previous key sealed opens with that key, and is
//! sealed again with the current one (`reseal`, at start-up).

use crate::{auth::keys::DerivedKey, random};
use aes_gcm::{aead::Aead, Aes256Gcm, KeyInit};
use base64::{engine::general_purpose::STANDARD_NO_PAD, Engine};

const NONCE_BYTES: usize = 12;

/// Seals with the current key, and opens with the key a sealed secret names.
#[derive(Clone)]
pub struct Sealer {
    /// Current first, then those of `PREVIOUS_SECRET_KEYS`.
    ciphers: Vec<(String, Aes256Gcm)>,
}

/// A sealed secret that does not open: another `SECRET_KEY`, another account's row, or a
/// damaged value.
#[derive(Debug, thiserror::Error)]
#[error("a sealed two-step secret did not open (was SECRET_KEY changed?)")]
pub struct Unopenable;

impl Sealer {
    /// `keys`: the sealing keys, current first.
    pub fn new(keys: &[DerivedKey]) -> Self {
        let ciphers = keys
            .iter()
            .map(|key| (key.id.clone(), Aes256Gcm::new(&key.bytes.into())))
            .collect();
        Sealer { ciphers }
    }

    /// `secret`, sealed for account `user_id`, as text: the current key's id, then base64 of a
    /// random nonce and the ciphertext with its tag.
    pub fn seal(&self, user_id: i64, secret: &[u8]) -> String {
        let nonce = random::bytes::<NONCE_BYTES>();
        let aad = user_id.to_be_bytes();
        let (id, cipher) = &self.ciphers[0];
        let sealed = cipher
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
        format!("{id}:{}", STANDARD_NO_PAD.encode(text))
    }

    /// The secret sealed for `user_id` in `sealed`, with the key it names. (One without a key
    /// id was sealed before keys had ids, by the key that is still current or one listed as
    /// previous: each is tried.)
    pub fn open(&self, user_id: i64, sealed: &str) -> Result<Vec<u8>, Unopenable> {
        let (named, body) = match sealed.split_once(':') {
            Some((id, body)) => (Some(id), body),
            None => (None, sealed),
        };
        let bytes = STANDARD_NO_PAD.decode(body).map_err(|_| Unopenable)?;
        if bytes.len() < NONCE_BYTES {
            return Err(Unopenable);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| Unopenable)?;
        let aad = user_id.to_be_bytes();
        self.ciphers
            .iter()
            .filter(|(id, _)| named.is_none_or(|named| named == id))
            .find_map(|(_, cipher)| {
                let payload = aes_gcm::aead::Payload {
                    msg: ciphertext,
                    aad: &aad,
                };
                cipher.decrypt(&nonce.into(), payload).ok()
            })
            .ok_or(Unopenable)
    }

    /// Whether `sealed` was sealed with the current key (nothing to do at a rotation).
    pub fn is_current(&self, sealed: &str) -> bool {
        sealed
            .split_once(':')
            .is_some_and(|(id, _)| id == self.ciphers[0].0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::keys::{KeyRing, Purpose};

    fn sealer(secret: &[u8], previous: &[&[u8]]) -> Sealer {
        Sealer::new(&KeyRing::new(secret, previous).keys(Purpose::TwoStepSealing))
    }

    #[test]
    fn a_sealed_secret_opens_only_for_its_account_and_key() {
        let sealer = sealer(&[7u8; 32], &[]);
        let sealed = sealer.seal(1, b"twenty bytes secret!");
        assert!(!sealed.contains("twenty"));
        assert!(sealer.is_current(&sealed));
        assert_eq!(sealer.open(1, &sealed).unwrap(), b"twenty bytes secret!");
        assert!(sealer.open(2, &sealed).is_err(), "another account's row");
        assert!(
            self::sealer(&[8u8; 32], &[]).open(1, &sealed).is_err(),
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

    #[test]
    fn a_rotation_keeps_what_the_previous_key_sealed_open() {
        let before = sealer(&[7u8; 32], &[]).seal(1, b"twenty bytes secret!");
        let rotated = sealer(&[9u8; 32], &[&[7u8; 32]]);
        assert!(!rotated.is_current(&before));
        assert_eq!(rotated.open(1, &before).unwrap(), b"twenty bytes secret!");
        assert!(
            sealer(&[9u8; 32], &[]).open(1, &before).is_err(),
            "key dropped"
        );
        // Sealed before secrets named their key: base64 alone, under the same derived key.
        let (_, unnamed) = before.split_once(':').unwrap();
        assert_eq!(rotated.open(1, unnamed).unwrap(), b"twenty bytes secret!");
    }
}
