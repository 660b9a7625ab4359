//! Random values from the operating system's CSPRNG: every id, ticket and token the server
//! makes comes from here.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use sha2::{Digest, Sha256};

/// `N` random bytes.
pub fn bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    OsRng.fill_bytes(&mut bytes);
    bytes
}

/// 128 random bits, hex: the ids of sessions and ceremonies, and users' passkey handles.
pub fn hex_id() -> String {
    hex::encode(bytes::<16>())
}

/// A bearer secret of `N` random bytes, base64url, and what the database keeps of it (its
/// SHA-256, hex): a copy of the table holds nothing that can be presented.
pub fn secret<const N: usize>() -> (String, String) {
    let secret = URL_SAFE_NO_PAD.encode(bytes::<N>());
    let digest = digest(&secret);
    (secret, digest)
}

/// What the database keeps of a presented secret (see [`secret`]).
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}
