//! Recovery codes: ten per set, each 120 random bits written as 24 characters of lower-case
//! base32 in six groups of four (`abcd-efgh-...`), so they can be read aloud and typed. That
//! is above ASVS 5.0 6.5.2's 112 bits, so a plain SHA-256 digest stores them: nobody can guess
//! their way back from it.

use sha2::{Digest, Sha256};

/// How many codes a new set has.
pub const CODES_PER_SET: usize = 10;
const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
const CHARS: usize = 24;

/// A new set: the codes to show (once), and their digests to store.
pub fn new_set() -> (Vec<String>, Vec<String>) {
    let codes: Vec<String> = (0..CODES_PER_SET).map(|_| new_code()).collect();
    let digests = codes
        .iter()
        .map(|code| digest(&normalise(code).expect("a generated code is well formed")))
        .collect();
    (codes, digests)
}

fn new_code() -> String {
    // 15 bytes = 120 bits = 24 base32 characters exactly.
    let bytes = crate::random::bytes::<15>();
    let mut bits = 0u32;
    let mut held = 0;
    let mut code = String::with_capacity(CHARS + CHARS / 4);
    for byte in bytes {
        bits = (bits << 8) | u32::from(byte);
        held += 8;
        while held >= 5 {
            held -= 5;
            if code.len() % 5 == 4 {
                code.push('-');
            }
            code.push(ALPHABET[((bits >> held) & 31) as usize] as char);
        }
    }
    code
}

/// A code as typed, with the grouping dashes, spaces and case dropped; `None` when it cannot be
/// a recovery code at all.
pub fn normalise(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (code.len() == CHARS && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

/// What is stored of a normalised code: SHA-256, hex.
pub fn digest(normalised: &str) -> String {
    hex::encode(Sha256::digest(normalised.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_grouped_distinct_and_read_back_however_typed() {
        let (codes, digests) = new_set();
        assert_eq!(codes.len(), CODES_PER_SET);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), CODES_PER_SET);
        for (code, digest_) in codes.iter().zip(&digests) {
            assert_eq!(code.len(), 29, "{code}");
            assert_eq!(code.matches('-').count(), 5, "{code}");
            let typed = code.to_uppercase().replace('-', " ");
            assert_eq!(&digest(&normalise(&typed).unwrap()), digest_);
        }
        assert_eq!(normalise("123456"), None);
        assert_eq!(normalise(&"1".repeat(24)), None, "not in the alphabet");
    }
}
