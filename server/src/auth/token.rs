//! Access tokens: HS256 JWTs carrying the user id (`sub`), issue time (`iat`) and expiry
//! (`exp`). Verification pins the algorithm, so a token signed any other way (including
//! `alg: none` or another HMAC size) is refused.

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    /// The user id, as a string (RFC 7519 says `sub` is a string).
    sub: String,
    iat: u64,
    exp: u64,
}

/// Signs and checks tokens with the server's secret key.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

/// Why a token was refused. All end as the same 401 for the caller.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("invalid token: {0}")]
    Invalid(#[from] jsonwebtoken::errors::Error),
    #[error("token subject is not a user id")]
    BadSubject,
}

impl TokenKeys {
    pub fn new(secret: &[u8], ttl: Duration) -> Result<Self, jsonwebtoken::errors::Error> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "iat", "sub"]);
        // Expiry is exact: a token is refused from its `exp` second on, as the API promises
        // in `duration`. (The default leeway would add a minute.)
        validation.leeway = 0;
        Ok(TokenKeys {
            encoding: EncodingKey::from_secret(secret)?,
            decoding: DecodingKey::from_secret(secret)?,
            validation,
            ttl,
        })
    }

    /// Lifetime of the tokens this issues.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn issue(&self, user_id: i64) -> Result<String, jsonwebtoken::errors::Error> {
        let now = unix_now();
        self.sign(&Claims {
            sub: user_id.to_string(),
            iat: now,
            exp: now + self.ttl.as_secs(),
        })
    }

    fn sign(&self, claims: &Claims) -> Result<String, jsonwebtoken::errors::Error> {
        encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
    }

    /// Returns the user id of a valid, unexpired token signed with our key.
    pub fn verify(&self, token: &str) -> Result<i64, TokenError> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation)?;
        data.claims.sub.parse().map_err(|_| TokenError::BadSubject)
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("system clock is after 1970")
        .as_secs()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn keys() -> TokenKeys {
        TokenKeys::new(KEY, Duration::from_secs(600)).unwrap()
    }

    #[test]
    fn issued_token_verifies_to_its_user() {
        let keys = keys();
        let token = keys.issue(42).unwrap();
        assert_eq!(keys.verify(&token).unwrap(), 42);
        let header: serde_json::Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(token.split('.').next().unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(header["alg"], "HS256");
    }

    #[test]
    fn expired_token_is_refused() {
        let keys = keys();
        let now = unix_now();
        let token = keys
            .sign(&Claims {
                sub: "1".into(),
                iat: now - 700,
                exp: now - 100,
            })
            .unwrap();
        assert!(keys.verify(&token).is_err());
        // One second past `exp` is already too late: no leeway.
        let token = keys
            .sign(&Claims {
                sub: "1".into(),
                iat: now - 601,
                exp: now - 1,
            })
            .unwrap();
        assert!(keys.verify(&token).is_err());
    }

    #[test]
    fn tampered_token_is_refused() {
        let keys = keys();
        let token = keys.issue(1).unwrap();
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        // Swap the payload for one that claims user 2, keeping the old signature.
        let now = unix_now();
        parts[1] =
            URL_SAFE_NO_PAD.encode(format!(r#"{{"sub":"2","iat":{now},"exp":{}}}"#, now + 600));
        assert!(keys.verify(&parts.join(".")).is_err());
        // Flip one character of the signature.
        let mut sig = token.clone().into_bytes();
        let last = sig.len() - 2;
        sig[last] = if sig[last] == b'A' { b'B' } else { b'A' };
        assert!(keys.verify(std::str::from_utf8(&sig).unwrap()).is_err());
        assert!(keys.verify("not-a-token").is_err());
        assert!(keys.verify("").is_err());
    }

    #[test]
    fn wrong_algorithm_is_refused() {
        let keys = keys();
        let now = unix_now();
        let claims = Claims {
            sub: "1".into(),
            iat: now,
            exp: now + 600,
        };
        // Same key, other HMAC size.
        let hs512 = encode(
            &Header::new(Algorithm::HS512),
            &claims,
            &EncodingKey::from_secret(KEY).unwrap(),
        )
        .unwrap();
        assert!(keys.verify(&hs512).is_err());
        // Unsigned token (`alg: none`).
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
        assert!(keys.verify(&format!("{header}.{payload}.")).is_err());
    }

    #[test]
    fn wrong_key_is_refused() {
        let other = TokenKeys::new(
            b"another-key-another-key-another!",
            Duration::from_secs(600),
        )
        .unwrap();
        assert!(keys().verify(&other.issue(1).unwrap()).is_err());
    }

    #[test]
    fn missing_claims_are_refused() {
        let keys = keys();
        #[derive(Serialize)]
        struct NoExp {
            sub: String,
            iat: u64,
        }
        let token = encode(
            &Header::new(Algorithm::HS256),
            &NoExp {
                sub: "1".into(),
                iat: unix_now(),
            },
            &EncodingKey::from_secret(KEY).unwrap(),
        )
        .unwrap();
        assert!(keys.verify(&token).is_err());
    }
}
