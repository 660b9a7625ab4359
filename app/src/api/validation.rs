//! Input rules for accounts, shared by the API (which enforces them) and the pages (which
//! check them before a round trip).

/// The Flask original's `String(32)` username column.
pub const MAX_USERNAME_CHARS: usize = 32;
/// The Flask original's README registers with the password "python"; the server can raise this.
pub const MIN_PASSWORD_CHARS_DEFAULT: usize = 6;
/// Far above any real passphrase, and at most 1 KiB of UTF-8 for argon2 to hash. The OpenAPI
/// document states the same number (`schema(max_length = 256)` in `types.rs`; a test compares).
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Usernames are 1 to 32 of `A-Z a-z 0-9 . _ -`. The set keeps names unambiguous (no look-alike
/// Unicode, no spaces) and free of `:`, which HTTP Basic auth uses as its separator.
pub fn validate_username(username: &str) -> Result<(), String> {
    if username.is_empty() {
        return Err("Username is required.".into());
    }
    if username.chars().count() > MAX_USERNAME_CHARS {
        return Err(format!(
            "Username must be at most {MAX_USERNAME_CHARS} characters."
        ));
    }
    if !username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(
            "Username may only contain letters, digits, dots, dashes and underscores.".into(),
        );
    }
    Ok(())
}

/// A passkey's name, as the person sees it in their list.
pub const MAX_PASSKEY_NAME_CHARS: usize = 64;

/// A passkey's name, trimmed: 1 to 64 characters, no control characters. The name to store.
pub fn validate_passkey_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("Give the passkey a name.".into());
    }
    if name.chars().count() > MAX_PASSKEY_NAME_CHARS {
        return Err(format!(
            "A passkey's name must be at most {MAX_PASSKEY_NAME_CHARS} characters."
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("A passkey's name may not contain control characters.".into());
    }
    Ok(name.to_owned())
}

/// Passwords are `min_chars` to 256 characters (Unicode scalar values, as JSON Schema's
/// `minLength`/`maxLength` count them).
pub fn validate_password(password: &str, min_chars: usize) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < min_chars {
        return Err(format!("Password must be at least {min_chars} characters."));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(format!(
            "Password must be at most {MAX_PASSWORD_CHARS} characters."
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!(validate_username("miguel").is_ok());
        assert!(validate_username("a.b_c-9").is_ok());
        assert!(validate_username(&"x".repeat(32)).is_ok());
        assert!(validate_username("").is_err());
        assert!(validate_username(&"x".repeat(33)).is_err());
        assert!(validate_username("has space").is_err());
        assert!(validate_username("co:lon").is_err());
        assert!(validate_username("mïguel").is_err());
    }

    #[test]
    fn passwords() {
        assert!(validate_password("python", 6).is_ok());
        assert!(validate_password("ruby", 6).is_err());
        // Counted in characters, not bytes: six two-byte characters pass.
        assert!(validate_password("éééééé", 6).is_ok());
        assert!(validate_password(&"p".repeat(256), 6).is_ok());
        assert!(validate_password(&"p".repeat(257), 6).is_err());
        // Four-byte characters: 256 of them (1 KiB) pass, 257 do not.
        assert!(validate_password(&"\u{1F511}".repeat(256), 6).is_ok());
        assert!(validate_password(&"\u{1F511}".repeat(257), 6).is_err());
    }
}
