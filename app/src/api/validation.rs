//! Input rules for accounts, shared by the API (which enforces them) and the pages (which
//! check them before a round trip).

/// The original Flask model's `String(32)` column.
pub const MAX_USERNAME_CHARS: usize = 32;
/// The original README registers with the password "python"; the server can raise this.
pub const MIN_PASSWORD_CHARS_DEFAULT: usize = 6;
/// Bounds the argon2 input and the request size; far above any real passphrase.
pub const MAX_PASSWORD_BYTES: usize = 1024;

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

/// Passwords are at least `min_chars` characters and at most 1024 bytes of UTF-8.
pub fn validate_password(password: &str, min_chars: usize) -> Result<(), String> {
    if password.chars().count() < min_chars {
        return Err(format!("Password must be at least {min_chars} characters."));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(format!(
            "Password must be at most {MAX_PASSWORD_BYTES} bytes."
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
        assert!(validate_password(&"p".repeat(1024), 6).is_ok());
        assert!(validate_password(&"p".repeat(1025), 6).is_err());
    }
}
