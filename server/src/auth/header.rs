//! Parsing of the `Authorization` request header.

use base64::{engine::general_purpose::STANDARD, Engine};
use std::fmt;

/// What a caller presented.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// `Authorization: Basic base64(username:password)`. As in the Flask original, `username` may
    /// instead be a token, with any password (curl's `-u <token>:x`).
    Basic { username: String, password: String },
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Bearer(_) => f.write_str("Bearer(<redacted>)"),
            Credentials::Basic { .. } => f.write_str("Basic(<redacted>)"),
        }
    }
}

/// Why a header could not be read. All of them end as the same 401 for the caller; the
/// variants exist for tests and debugging.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("unsupported authorization scheme")]
    UnsupportedScheme,
    #[error("credentials are not valid base64")]
    Base64,
    #[error("credentials are not UTF-8")]
    NotUtf8,
    #[error("Basic credentials have no ':' separator")]
    NoColon,
    #[error("the Basic user-id is empty")]
    Empty,
}

/// Parses an `Authorization` header value (raw bytes: header values need not be UTF-8).
///
/// The scheme name is case-insensitive (RFC 9110 §11.1). The Basic user-id ends at the first
/// colon, so passwords may contain colons (RFC 7617 §2) and usernames may not. An empty
/// password is accepted here (`token:` is a valid way to present a token); it simply never
/// matches a stored password.
pub fn parse_authorization(value: &[u8]) -> Result<Credentials, HeaderError> {
    let value = std::str::from_utf8(value).map_err(|_| HeaderError::NotUtf8)?;
    let (scheme, rest) = value
        .trim()
        .split_once(' ')
        .ok_or(HeaderError::UnsupportedScheme)?;
    let rest = rest.trim();
    // `rest` is never empty: the value was trimmed, so something follows the space.
    if scheme.eq_ignore_ascii_case("bearer") {
        return Ok(Credentials::Bearer(rest.to_owned()));
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(HeaderError::UnsupportedScheme);
    }
    let decoded = STANDARD.decode(rest).map_err(|_| HeaderError::Base64)?;
    let decoded = String::from_utf8(decoded).map_err(|_| HeaderError::NotUtf8)?;
    let (username, password) = decoded.split_once(':').ok_or(HeaderError::NoColon)?;
    if username.is_empty() {
        return Err(HeaderError::Empty);
    }
    Ok(Credentials::Basic {
        username: username.to_owned(),
        password: password.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(raw: &[u8]) -> Vec<u8> {
        format!("Basic {}", STANDARD.encode(raw)).into_bytes()
    }

    #[test]
    fn basic_user_and_password() {
        assert_eq!(
            parse_authorization(&basic(b"miguel:python")),
            Ok(Credentials::Basic {
                username: "miguel".into(),
                password: "python".into()
            })
        );
    }

    #[test]
    fn scheme_is_case_insensitive() {
        let value = format!("bAsIc {}", STANDARD.encode("miguel:python"));
        assert!(parse_authorization(value.as_bytes()).is_ok());
        assert_eq!(
            parse_authorization(b"bearer abc.def.ghi"),
            Ok(Credentials::Bearer("abc.def.ghi".into()))
        );
    }

    #[test]
    fn colon_in_password_is_kept() {
        assert_eq!(
            parse_authorization(&basic(b"miguel:py:th:on")),
            Ok(Credentials::Basic {
                username: "miguel".into(),
                password: "py:th:on".into()
            })
        );
    }

    #[test]
    fn token_with_empty_password_parses() {
        assert_eq!(
            parse_authorization(&basic(b"abc.def.ghi:")),
            Ok(Credentials::Basic {
                username: "abc.def.ghi".into(),
                password: String::new()
            })
        );
    }

    #[test]
    fn malformed_base64() {
        assert_eq!(
            parse_authorization(b"Basic %%%not-base64"),
            Err(HeaderError::Base64)
        );
        assert_eq!(
            parse_authorization(b"Basic bWlndWVs="),
            Err(HeaderError::Base64)
        );
    }

    #[test]
    fn no_colon() {
        assert_eq!(
            parse_authorization(&basic(b"miguelpython")),
            Err(HeaderError::NoColon)
        );
    }

    #[test]
    fn non_utf8() {
        assert_eq!(
            parse_authorization(&basic(b"mig\xffuel:python")),
            Err(HeaderError::NotUtf8)
        );
        assert_eq!(
            parse_authorization(b"Basic \xff\xfe"),
            Err(HeaderError::NotUtf8)
        );
    }

    #[test]
    fn empty_parts() {
        assert_eq!(
            parse_authorization(&basic(b":python")),
            Err(HeaderError::Empty)
        );
        assert_eq!(
            parse_authorization(b"Bearer "),
            Err(HeaderError::UnsupportedScheme)
        );
        assert_eq!(
            parse_authorization(b"Bearer    "),
            Err(HeaderError::UnsupportedScheme)
        );
        assert_eq!(
            parse_authorization(b"Basic "),
            Err(HeaderError::UnsupportedScheme)
        );
        assert_eq!(
            parse_authorization(b""),
            Err(HeaderError::UnsupportedScheme)
        );
    }

    #[test]
    fn other_schemes_are_refused() {
        assert_eq!(
            parse_authorization(b"Digest abc"),
            Err(HeaderError::UnsupportedScheme)
        );
        assert_eq!(
            parse_authorization(b"Basic"),
            Err(HeaderError::UnsupportedScheme)
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            /// Any bytes at all: an answer, never a panic.
            #[test]
            fn arbitrary_bytes_never_panic(value in proptest::collection::vec(any::<u8>(), 0..512)) {
                let _ = parse_authorization(&value);
            }

            /// Whatever is accepted came from a Basic or Bearer header, a Basic one with a
            /// non-empty user-id; every other scheme is refused.
            #[test]
            fn only_basic_and_bearer_are_accepted(value in proptest::collection::vec(any::<u8>(), 0..256)) {
                if let Ok(credentials) = parse_authorization(&value) {
                    let text = std::str::from_utf8(&value).unwrap().trim_start().to_ascii_lowercase();
                    match credentials {
                        Credentials::Bearer(_) => {
                            prop_assert!(text.starts_with("bearer "));
                        }
                        Credentials::Basic { username, .. } => {
                            prop_assert!(text.starts_with("basic "));
                            prop_assert!(!username.is_empty() && !username.contains(':'));
                        }
                    }
                }
            }

            /// Basic credentials round-trip exactly: the user-id up to the first colon, the
            /// password (colons and all) after it.
            #[test]
            fn basic_round_trips(username in "[^:\\x00]{1,40}", password in ".{0,80}") {
                let header = basic(format!("{username}:{password}").as_bytes());
                prop_assert_eq!(
                    parse_authorization(&header),
                    Ok(Credentials::Basic { username, password })
                );
            }

            /// A bearer token comes back as sent (surrounding blanks trimmed).
            #[test]
            fn bearer_round_trips(token in "[A-Za-z0-9._~+/=-]{1,200}") {
                let header = format!("Bearer {token}");
                prop_assert_eq!(
                    parse_authorization(header.as_bytes()),
                    Ok(Credentials::Bearer(token))
                );
            }
        }
    }
}
