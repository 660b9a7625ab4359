//! Where a page may send the browser next (`/login?next=/account`): only a path on this site.
//! The server (completing a log-in form the browser posted itself) and the log-in page (going
//! there once signed in) both ask this one function.

/// `next`, if it is a path on this site. `None` for anything that could leave it: an absolute
/// URL, a protocol-relative one (`//host`, and `/\host`, which browsers read the same way), and
/// any control character or space (browsers drop tabs and newlines, so `/<tab>/host` would be
/// `//host` too).
pub fn local_path(next: &str) -> Option<&str> {
    let rest = next.strip_prefix('/')?;
    let leaves = rest.starts_with('/')
        || next.contains('\\')
        || next.chars().any(|c| c.is_control() || c.is_whitespace());
    (!leaves).then_some(next)
}

/// `value` for a query string: everything but `A-Z a-z 0-9 / . _ ~ -` percent-encoded.
pub fn query_value(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'.' | b'_' | b'~' | b'-' => {
                encoded.push(char::from(byte))
            }
            other => encoded.push_str(&format!("%{other:02X}")),
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_paths_on_this_site_pass() {
        for local in ["/hello", "/account", "/", "/login?next=/hello", "/a%2F%2Fb"] {
            assert_eq!(local_path(local), Some(local));
        }
        for elsewhere in [
            "",
            "hello",
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example/",
            "\\/evil.example/",
            "/\t/evil.example/",
            "/\n/evil.example/",
            "/ /evil.example/",
            "javascript:alert(1)",
        ] {
            assert_eq!(local_path(elsewhere), None, "{elsewhere:?}");
        }
    }
}
