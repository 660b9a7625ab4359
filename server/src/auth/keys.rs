//! The keys the server uses, taken apart from `SECRET_KEY`: one per purpose (signing tokens,
//! sealing two-step secrets), each derived with HKDF-SHA-256 under its purpose's label, so that
//! no key does two jobs (RFC 8725 3.9's spirit; NIST SP 800-108) and a leak of one is not a leak
//! of the other.
//!
//! Rotation: a key retired from `SECRET_KEY` moves to `PREVIOUS_SECRET_KEYS`. What it signed or
//! sealed still checks out, and nothing new is made with it: each token names the key that
//! signed it (`kid`), each sealed secret the key that sealed it, and both are checked with that
//! key alone. A key's id is derived from it too (its own label): it names the key without
//! revealing anything of it.

use hkdf::Hkdf;
use sha2::Sha256;

/// What each derived key is for: the label HKDF derives it under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// HS256 access tokens.
    TokenSigning,
    /// AES-256-GCM sealing of authenticator-app secrets at rest. (Its label is the one the
    /// first release derived its sealing key under: secrets sealed then still open.)
    TwoStepSealing,
    /// AES-256-GCM sealing of the OpenID Connect provider's private signing keys at rest.
    ProviderKeySealing,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::TokenSigning => b"rest-auth token signing v1",
            Purpose::TwoStepSealing => b"rest-auth two-step secret v1",
            Purpose::ProviderKeySealing => b"rest-auth provider signing key v1",
        }
    }
}

const KEY_ID_LABEL: &[u8] = b"rest-auth key id v1";

/// One derived key and the id of the secret it came from.
#[derive(Clone)]
pub struct DerivedKey {
    /// 16 hex characters; the same for every purpose of one secret.
    pub id: String,
    pub bytes: [u8; 32],
}

/// The current secret and the retired ones still accepted, newest first.
#[derive(Clone)]
pub struct KeyRing {
    secrets: Vec<Vec<u8>>,
}

impl KeyRing {
    /// `current`: `SECRET_KEY`; `previous`: `PREVIOUS_SECRET_KEYS`, newest first.
    pub fn new(current: &[u8], previous: &[&[u8]]) -> Self {
        let secrets = std::iter::once(current)
            .chain(previous.iter().copied())
            .map(<[u8]>::to_vec)
            .collect();
        KeyRing { secrets }
    }

    /// The keys for `purpose`: the current one first, then the previous ones.
    pub fn keys(&self, purpose: Purpose) -> Vec<DerivedKey> {
        self.secrets
            .iter()
            .map(|secret| DerivedKey {
                id: hex::encode(derive::<8>(secret, KEY_ID_LABEL)),
                bytes: derive::<32>(secret, purpose.label()),
            })
            .collect()
    }
}

fn derive<const N: usize>(secret: &[u8], label: &[u8]) -> [u8; N] {
    let mut key = [0u8; N];
    Hkdf::<Sha256>::new(None, secret)
        .expand(label, &mut key)
        .expect("at most 255 hash lengths is a valid HKDF-SHA-256 output length");
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_purpose_and_each_secret_gets_a_key_of_its_own() {
        let ring = KeyRing::new(&[1u8; 32], &[&[2u8; 32]]);
        let signing = ring.keys(Purpose::TokenSigning);
        let sealing = ring.keys(Purpose::TwoStepSealing);
        assert_eq!(signing.len(), 2);
        assert_ne!(signing[0].bytes, sealing[0].bytes, "purposes apart");
        assert_ne!(signing[0].bytes, [1u8; 32], "never the secret itself");
        assert_ne!(signing[0].bytes, signing[1].bytes, "secrets apart");
        assert_eq!(signing[0].id, sealing[0].id, "one id per secret");
        assert_ne!(signing[0].id, signing[1].id);
        assert_eq!(signing[0].id.len(), 16);
    }
}
