//! Authenticator-app codes (TOTP, RFC 6238, by `totp-rs`): six digits, 30-second steps,
//! HMAC-SHA-1, which is what every authenticator app understands.

use totp_rs::{Algorithm, Builder, Secret, Totp};

/// Seconds per step.
pub const STEP_SECONDS: u64 = 30;
/// The issuer shown in the authenticator app, and the label's prefix.
pub const ISSUER: &str = "rest-auth";
/// 160 bits, RFC 4226's recommendation.
const SECRET_BYTES: usize = 20;

/// A fresh random secret.
pub fn new_secret() -> Vec<u8> {
    crate::random::bytes::<SECRET_BYTES>().to_vec()
}

/// The secret as the setup key a person types: base32, no padding.
pub fn setup_key(secret: &[u8]) -> String {
    Secret::from(secret.to_vec())
        .to_base32()
        .trim_end_matches('=')
        .to_owned()
}

/// The `otpauth://totp/rest-auth:<username>?secret=...&issuer=rest-auth` URL that the QR code
/// carries. Usernames never contain a colon (see `validate_username`), as the label requires.
pub fn otpauth_url(secret: &[u8], username: &str) -> String {
    totp(secret, Some(username))
        .and_then(|totp| totp.to_url())
        .expect("a 160-bit secret and a valid username make a valid otpauth URL")
}

/// The step whose code `code` is, at Unix time `now`: the current step, or the one before it
/// (a code typed just as it changed, or a phone's clock a little behind). Never a future step.
pub fn matching_step(secret: &[u8], code: &str, now: u64) -> Option<u64> {
    let totp = totp(secret, None).ok()?;
    let current = now / STEP_SECONDS;
    [current, current.saturating_sub(1)]
        .into_iter()
        .find(|&step| totp.check(code, step * STEP_SECONDS) == Some(step))
}

/// The code of the step containing `at` (for tests and the benchmark; the server only checks).
pub fn code_at(secret: &[u8], at: u64) -> String {
    totp(secret, None)
        .expect("a 160-bit secret is valid")
        .generate(at)
        .to_string()
}

fn totp(secret: &[u8], username: Option<&str>) -> Result<Totp, totp_rs::TotpError> {
    let builder = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(0)
        .with_step_duration(STEP_SECONDS)
        .with_secret(secret.to_vec())
        .with_issuer(Some(ISSUER));
    match username {
        Some(username) => builder.with_account_name(username).build(),
        None => builder.build(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1, truncated to six digits.
    #[test]
    fn codes_match_the_rfc_test_vectors() {
        let secret = b"12345678901234567890";
        assert_eq!(code_at(secret, 59), "287082");
        assert_eq!(code_at(secret, 1111111109), "081804");
        assert_eq!(code_at(secret, 1234567890), "005924");
    }

    #[test]
    fn the_current_and_previous_steps_match_and_no_other() {
        let secret = new_secret();
        let now = 1_000_000_000;
        let step = now / STEP_SECONDS;
        assert_eq!(
            matching_step(&secret, &code_at(&secret, now), now),
            Some(step)
        );
        let previous = code_at(&secret, now - STEP_SECONDS);
        assert_eq!(matching_step(&secret, &previous, now), Some(step - 1));
        let older = code_at(&secret, now - 2 * STEP_SECONDS);
        let next = code_at(&secret, now + STEP_SECONDS);
        for code in [older, next] {
            // (A different step's code may coincide with an accepted one by chance, 1 in 10^6.)
            if code != code_at(&secret, now) && code != code_at(&secret, now - STEP_SECONDS) {
                assert_eq!(matching_step(&secret, &code, now), None);
            }
        }
        assert_eq!(matching_step(&secret, "12345", now), None);
        assert_eq!(matching_step(&secret, "abcdef", now), None);
    }

    #[test]
    fn the_url_names_the_issuer_and_the_user() {
        let url = otpauth_url(b"12345678901234567890", "miguel");
        assert_eq!(
            url,
            "otpauth://totp/rest-auth:miguel?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=rest-auth"
        );
        assert_eq!(
            setup_key(b"12345678901234567890"),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
    }
}
