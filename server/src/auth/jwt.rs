//! Access tokens: HS256 JWTs (RFC 8725 practice). The header names the type (`typ: at+jwt`,
//! RFC 9068) and the key that signed it (`kid`, see keys.rs), and the claims carry the user id (`sub`), the session the token belongs to
//! (`sid`; ending the session refuses every token it issued), issue and expiry times (`iat`,
//! `exp`), a unique id (`jti`), and when the password sign-in that began the session happened
//! (`auth_time`), which caps every refresh.
//!
//! jsonwebtoken signs them. Checking one is done here, because it is the token path's largest
//! cost and ours is a narrower question than the library's general one (docs/performance.md):
//! the header must be, byte for byte, one we issue (one per key: the current one, and those of
//! `PREVIOUS_SECRET_KEYS`), so the algorithm, type and key are pinned (RFC 8725 3.1, 3.11) and
//! no other header field is ever read; the token is checked with the key its header names; the HMAC is compared in
//! constant time; every claim is required; the token is refused from its `exp` second on, with
//! no leeway (RFC 7519 4.1.4). A test checks that jsonwebtoken's own strict validation accepts
//! every token this accepts.

use super::keys::DerivedKey;
use crate::{
    clock::{seconds, unix_now, UnixSeconds},
    random,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::time::Duration;

/// The JWT header `typ` of our access tokens.
const TOKEN_TYPE: &str = "at+jwt";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    /// The user id, as a string (RFC 7519 says `sub` is a string).
    sub: String,
    iat: UnixSeconds,
    exp: UnixSeconds,
    jti: String,
    sid: String,
    auth_time: UnixSeconds,
}

/// What a valid token says about its bearer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedToken {
    pub user_id: i64,
    /// The token is good only while this session lasts.
    pub session_id: String,
    /// When the sign-in that started the session happened.
    pub auth_time: UnixSeconds,
}

/// A freshly signed token and the seconds it has to live.
pub struct IssuedToken {
    pub token: String,
    pub expires_in: u64,
}

/// Signs tokens with the current key, and checks them with the key they name.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    /// The header of the tokens the current key signs.
    signing_header: Header,
    /// Per key, current first: the first segment of every token it signs (our header, as
    /// jsonwebtoken encodes it), and HMAC-SHA256 with the key already keyed in (its padded key
    /// blocks hashed once), cloned for each check.
    verifying: Vec<(String, Hmac<Sha256>)>,
    ttl: Duration,
    max_session: Duration,
}

/// Why a token was refused, or could not be issued. All end as the same 401 for the caller.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("could not sign a token: {0}")]
    Signing(#[from] jsonwebtoken::errors::Error),
    #[error("not a token: three base64url segments expected")]
    Malformed,
    #[error("token is not one of our access tokens (another algorithm or type)")]
    WrongType,
    #[error("token signature does not match")]
    BadSignature,
    #[error("token claims are missing or malformed")]
    BadClaims,
    #[error("token has expired")]
    Expired,
    #[error("token subject is not a user id")]
    BadSubject,
    #[error("the session has reached its absolute lifetime")]
    SessionOver,
}

/// The header of the tokens the key `kid` signs.
fn token_header(kid: &str) -> Header {
    let mut header = Header::new(Algorithm::HS256);
    header.typ = Some(TOKEN_TYPE.into());
    header.kid = Some(kid.to_owned());
    header
}

impl TokenKeys {
    /// `keys`: the current signing key, then the previous ones (still accepted). `ttl`: lifetime
    /// of one token. `max_session`: no token outlives its session's sign-in by more than this,
    /// however often it is refreshed.
    pub fn new(keys: &[DerivedKey], ttl: Duration, max_session: Duration) -> Self {
        let current = keys.first().expect("a current signing key");
        let verifying = keys
            .iter()
            .map(|key| {
                // jsonwebtoken writes the header as serde_json gives it, base64url without
                // padding.
                let header =
                    serde_json::to_vec(&token_header(&key.id)).expect("a JWT header serialises");
                let mac = Hmac::new_from_slice(&key.bytes).expect("HMAC takes a key of any length");
                (URL_SAFE_NO_PAD.encode(header), mac)
            })
            .collect();
        TokenKeys {
            encoding: EncodingKey::from_secret(&current.bytes),
            signing_header: token_header(&current.id),
            verifying,
            ttl,
            max_session,
        }
    }

    /// Signs a token for `user_id` in session `session_id`, begun by the password sign-in at
    /// `auth_time`.
    pub fn issue(
        &self,
        user_id: i64,
        session_id: &str,
        auth_time: UnixSeconds,
    ) -> Result<IssuedToken, TokenError> {
        let now = unix_now();
        let exp = (now + seconds(self.ttl)).min(auth_time + seconds(self.max_session));
        if exp <= now {
            return Err(TokenError::SessionOver);
        }
        let token = self.sign(&Claims {
            sub: user_id.to_string(),
            iat: now,
            exp,
            jti: random::hex_id(),
            sid: session_id.to_owned(),
            auth_time,
        })?;
        Ok(IssuedToken {
            token,
            expires_in: exp.abs_diff(now),
        })
    }

    /// The absolute lifetime of a session.
    pub fn max_session(&self) -> Duration {
        self.max_session
    }

    fn sign(&self, claims: &Claims) -> Result<String, jsonwebtoken::errors::Error> {
        encode(&self.signing_header, claims, &self.encoding)
    }

    /// Checks header, signature, claims and expiry, and returns what the token says.
    pub fn verify(&self, token: &str) -> Result<VerifiedToken, TokenError> {
        let (signed, signature) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
        let (header, payload) = signed.split_once('.').ok_or(TokenError::Malformed)?;
        let (_, verifying) = self
            .verifying
            .iter()
            .find(|(ours, _)| ours == header)
            .ok_or(TokenError::WrongType)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed)?;
        let mut mac = verifying.clone();
        mac.update(signed.as_bytes());
        mac.verify_slice(&signature)
            .map_err(|_| TokenError::BadSignature)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| TokenError::Malformed)?;
        let claims: Claims = serde_json::from_slice(&payload).map_err(|_| TokenError::BadClaims)?;
        if unix_now() >= claims.exp {
            return Err(TokenError::Expired);
        }
        Ok(VerifiedToken {
            user_id: claims.sub.parse().map_err(|_| TokenError::BadSubject)?,
            session_id: claims.sid,
            auth_time: claims.auth_time,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    use proptest::prelude::*;

    use crate::auth::keys::{KeyRing, Purpose};

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
    const DAY: Duration = Duration::from_secs(24 * 3600);

    /// The signing keys of `secret` (current) and `previous`.
    fn signing_keys(secret: &[u8], previous: &[&[u8]]) -> Vec<DerivedKey> {
        KeyRing::new(secret, previous).keys(Purpose::TokenSigning)
    }

    fn key() -> DerivedKey {
        signing_keys(SECRET, &[]).remove(0)
    }

    fn keys() -> TokenKeys {
        TokenKeys::new(&signing_keys(SECRET, &[]), Duration::from_secs(600), DAY)
    }

    /// Our header, with the key's id.
    fn our_header(alg: Algorithm) -> Header {
        let mut header = Header::new(alg);
        header.typ = Some(TOKEN_TYPE.into());
        header.kid = Some(key().id);
        header
    }

    fn claims(now: UnixSeconds) -> Claims {
        Claims {
            sub: "1".into(),
            iat: now,
            exp: now + 600,
            jti: "00".into(),
            sid: "5e55".into(),
            auth_time: now,
        }
    }

    fn b64json(value: &serde_json::Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
    }

    #[test]
    fn issued_token_verifies_to_its_user() {
        let keys = keys();
        let now = unix_now();
        let issued = keys.issue(42, "5e55", now).unwrap();
        assert_eq!(issued.expires_in, 600);
        let verified = keys.verify(&issued.token).unwrap();
        assert_eq!(
            verified,
            VerifiedToken {
                user_id: 42,
                session_id: "5e55".into(),
                auth_time: now
            }
        );
        let segments: Vec<_> = issued.token.split('.').collect();
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segments[0]).unwrap()).unwrap();
        assert_eq!(header["alg"], "HS256");
        assert_eq!(header["typ"], "at+jwt");
        assert_eq!(header["kid"], key().id);
        let payload: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segments[1]).unwrap()).unwrap();
        for claim in ["sub", "iat", "exp", "jti", "sid", "auth_time"] {
            assert!(payload.get(claim).is_some(), "{claim} in {payload}");
        }
        let other = keys.issue(42, "5e55", now).unwrap();
        assert_ne!(
            verify_jti(&issued.token),
            verify_jti(&other.token),
            "unique jti"
        );
    }

    fn verify_jti(token: &str) -> String {
        let payload = token.split('.').nth(1).unwrap();
        let payload: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        payload["jti"].as_str().unwrap().to_owned()
    }

    #[test]
    fn refreshes_never_pass_the_absolute_lifetime() {
        let keys = keys();
        let now = unix_now();
        // A chain begun 23 h 55 min ago: 5 minutes left, not the usual 10.
        let late = keys.issue(1, "5e55", now - seconds(DAY) + 300).unwrap();
        assert_eq!(late.expires_in, 300);
        assert!(matches!(
            keys.issue(1, "5e55", now - seconds(DAY)),
            Err(TokenError::SessionOver)
        ));
    }

    #[test]
    fn expired_token_is_refused() {
        let keys = keys();
        let now = unix_now();
        let mut old = claims(now - 700);
        old.exp = now - 100;
        assert!(keys.verify(&keys.sign(&old).unwrap()).is_err());
        // One second past `exp` is already too late: no leeway.
        let mut just = claims(now - 601);
        just.exp = now - 1;
        assert!(keys.verify(&keys.sign(&just).unwrap()).is_err());
        // Refused from its `exp` second on (RFC 7519: the time must be before `exp`).
        let mut ending = claims(now - 600);
        ending.exp = now;
        assert!(matches!(
            keys.verify(&keys.sign(&ending).unwrap()),
            Err(TokenError::Expired)
        ));
    }

    /// jsonwebtoken's own strict check of the same token: algorithm pinned, `exp`, `iat` and
    /// `sub` required, no leeway, and our type.
    fn library_accepts(token: &str) -> bool {
        let mut validation = jsonwebtoken::Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "iat", "sub"]);
        validation.leeway = 0;
        let key = jsonwebtoken::DecodingKey::from_secret(&key().bytes);
        jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .is_ok_and(|data| data.header.typ.as_deref() == Some(TOKEN_TYPE))
    }

    #[test]
    fn the_library_accepts_what_we_issue() {
        let token = keys().issue(7, "5e55", unix_now()).unwrap().token;
        assert!(library_accepts(&token));
        assert!(keys().verify(&token).is_ok());
    }

    #[test]
    fn tampered_token_is_refused() {
        let keys = keys();
        let token = keys.issue(1, "5e55", unix_now()).unwrap().token;
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        // Swap the payload for one that claims user 2, keeping the old signature.
        let mut forged = claims(unix_now());
        forged.sub = "2".into();
        parts[1] = b64json(&serde_json::to_value(&forged).unwrap());
        assert!(keys.verify(&parts.join(".")).is_err());
        assert!(keys.verify("not-a-token").is_err());
        assert!(keys.verify("").is_err());
    }

    #[test]
    fn wrong_algorithm_is_refused() {
        let keys = keys();
        let claims = claims(unix_now());
        let header = our_header(Algorithm::HS512);
        let hs512 = encode(&header, &claims, &EncodingKey::from_secret(&key().bytes)).unwrap();
        assert!(keys.verify(&hs512).is_err());
        // Unsigned token (`alg: none`).
        let header = b64json(&serde_json::json!({"alg": "none", "typ": TOKEN_TYPE}));
        let payload = b64json(&serde_json::to_value(&claims).unwrap());
        assert!(keys.verify(&format!("{header}.{payload}.")).is_err());
    }

    #[test]
    fn other_token_types_are_refused() {
        let keys = keys();
        let claims = claims(unix_now());
        for typ in [None, Some("JWT"), Some("refresh+jwt"), Some("AT+JWT ")] {
            let mut header = our_header(Algorithm::HS256);
            header.typ = typ.map(str::to_owned);
            let token = encode(&header, &claims, &EncodingKey::from_secret(&key().bytes)).unwrap();
            assert!(
                matches!(keys.verify(&token), Err(TokenError::WrongType)),
                "{typ:?}"
            );
        }
    }

    #[test]
    fn wrong_key_is_refused() {
        let other = signing_keys(b"another-key-another-key-another!", &[]);
        let other = TokenKeys::new(&other, Duration::from_secs(600), DAY);
        let token = other.issue(1, "5e55", unix_now()).unwrap().token;
        assert!(keys().verify(&token).is_err());
        // The raw secret is not the signing key: a token signed with it, under our header, fails.
        let raw = encode(
            &our_header(Algorithm::HS256),
            &claims(unix_now()),
            &EncodingKey::from_secret(SECRET),
        );
        assert!(matches!(
            keys().verify(&raw.unwrap()),
            Err(TokenError::BadSignature)
        ));
    }

    /// A rotation signs nobody out: tokens of the previous key still verify (with that key
    /// alone), and new ones are signed with the current key.
    #[test]
    fn tokens_of_a_previous_key_verify_after_a_rotation() {
        const NEW: &[u8] = b"the-next-secret-key-the-next-one";
        let before = keys().issue(1, "5e55", unix_now()).unwrap().token;
        let rotated = TokenKeys::new(&signing_keys(NEW, &[SECRET]), Duration::from_secs(600), DAY);
        assert_eq!(rotated.verify(&before).unwrap().user_id, 1);
        let after = rotated.issue(2, "5e55", unix_now()).unwrap().token;
        assert!(
            keys().verify(&after).is_err(),
            "the old ring does not know the new key"
        );
        // A token that names the previous key but was signed with the current one is refused.
        let (header, _) = before.split_once('.').unwrap();
        let (_, rest) = after.split_once('.').unwrap();
        assert!(matches!(
            rotated.verify(&format!("{header}.{rest}")),
            Err(TokenError::BadSignature)
        ));
        // Once the previous key is dropped, its tokens are refused.
        let dropped = TokenKeys::new(&signing_keys(NEW, &[]), Duration::from_secs(600), DAY);
        assert!(matches!(
            dropped.verify(&before),
            Err(TokenError::WrongType)
        ));
    }

    #[test]
    fn missing_claims_are_refused() {
        let keys = keys();
        let full = serde_json::to_value(claims(unix_now())).unwrap();
        for claim in ["sub", "iat", "exp", "jti", "sid", "auth_time"] {
            let mut partial = full.clone();
            partial.as_object_mut().unwrap().remove(claim);
            let header = our_header(Algorithm::HS256);
            let token = encode(&header, &partial, &EncodingKey::from_secret(&key().bytes)).unwrap();
            assert!(keys.verify(&token).is_err(), "without {claim}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Arbitrary input never panics the verifier and is never accepted.
        #[test]
        fn arbitrary_strings_are_refused(input in ".{0,400}") {
            prop_assert!(keys().verify(&input).is_err());
        }

        /// Three dot-separated base64url segments (the shape of a JWT) with arbitrary bytes.
        #[test]
        fn arbitrary_jwt_shaped_input_is_refused(
            header in proptest::collection::vec(any::<u8>(), 0..80),
            payload in proptest::collection::vec(any::<u8>(), 0..200),
            signature in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let token = format!(
                "{}.{}.{}",
                URL_SAFE_NO_PAD.encode(header),
                URL_SAFE_NO_PAD.encode(payload),
                URL_SAFE_NO_PAD.encode(signature)
            );
            prop_assert!(keys().verify(&token).is_err());
        }

        /// Changing any one character of a valid token makes it invalid.
        #[test]
        fn any_single_change_to_a_valid_token_is_refused(
            position in any::<prop::sample::Index>(),
            replacement in prop::char::range('-', 'z'),
        ) {
            let keys = keys();
            let token = keys.issue(1, "5e55", unix_now()).unwrap().token;
            let mut chars: Vec<char> = token.chars().collect();
            let i = position.index(chars.len());
            prop_assume!(chars[i] != replacement);
            chars[i] = replacement;
            let changed: String = chars.into_iter().collect();
            prop_assert!(keys.verify(&changed).is_err(), "accepted {}", changed);
        }

        /// Whatever this check accepts, jsonwebtoken's strict validation accepts too: tokens
        /// signed with our key, with headers and claims varied around ours.
        #[test]
        fn only_tokens_the_library_accepts_are_accepted(
            alg in prop::sample::select(vec![Algorithm::HS256, Algorithm::HS384, Algorithm::HS512]),
            typ in prop::option::of(prop::sample::select(vec!["at+jwt", "JWT", "at+JWT"])),
            kid in prop::option::of(prop::sample::select(vec![key().id, "ab".to_owned()])),
            dropped in prop::option::of(prop::sample::select(
                vec!["sub", "iat", "exp", "jti", "sid", "auth_time"],
            )),
            exp_offset in -3i64..3,
            sub in prop::sample::select(vec!["1", "-5", "x", "", "9223372036854775808"]),
            extra in prop::option::of("[a-z]{1,6}"),
        ) {
            let now = unix_now();
            let mut header = Header::new(alg);
            header.typ = typ.map(str::to_owned);
            header.kid = kid;
            let mut payload = serde_json::to_value(claims(now)).unwrap();
            let fields = payload.as_object_mut().unwrap();
            fields.insert("sub".into(), sub.into());
            fields.insert("exp".into(), (now + exp_offset).into());
            if let Some(claim) = dropped {
                fields.remove(claim);
            }
            if let Some(name) = extra {
                fields.insert(name, serde_json::json!({"nested": [1, 2]}));
            }
            let token = encode(&header, &payload, &EncodingKey::from_secret(&key().bytes)).unwrap();
            if keys().verify(&token).is_ok() {
                prop_assert!(library_accepts(&token), "only we accepted {}", token);
            }
        }

        /// Well-formed, correctly signed claims from another key never verify.
        #[test]
        fn claims_signed_with_any_other_key_are_refused(
            key in proptest::collection::vec(any::<u8>(), 32..64),
            sub in any::<i64>(),
        ) {
            prop_assume!(key != SECRET);
            let other = TokenKeys::new(&signing_keys(&key, &[]), Duration::from_secs(600), DAY);
            let token = other.issue(sub, "5e55", unix_now()).unwrap().token;
            prop_assert!(keys().verify(&token).is_err());
        }
    }
}
