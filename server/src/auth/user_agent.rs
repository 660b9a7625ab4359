//! A short, readable label for a `User-Agent` header ("Firefox on Linux"), which is all a
//! session keeps of it: enough for a person to recognise a device, no fingerprint.

/// The label for `user_agent`, at most 64 characters; "Unknown client" when empty.
pub fn label(user_agent: &str) -> String {
    let client = browser(user_agent).map(str::to_owned).unwrap_or_else(|| {
        // curl/8.5.0, python-requests/2.31: the product name.
        let product = user_agent.split(['/', ' ']).next().unwrap_or_default();
        product
            .chars()
            .filter(|c| !c.is_control())
            .take(32)
            .collect()
    });
    let label = match (client.is_empty(), system(user_agent)) {
        (true, _) => "Unknown client".to_owned(),
        (false, Some(system)) => format!("{client} on {system}"),
        (false, None) => client,
    };
    label.chars().take(64).collect()
}

/// The browser, checked in an order that copes with browsers naming others in their header
/// (Edge and Opera say Chrome; Chrome says Safari).
fn browser(user_agent: &str) -> Option<&'static str> {
    const BROWSERS: [(&str, &str); 8] = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("HeadlessChrome/", "Chrome"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("CriOS/", "Chrome"),
        ("Safari/", "Safari"),
    ];
    BROWSERS
        .iter()
        .find(|(marker, _)| user_agent.contains(marker))
        .map(|(_, name)| *name)
}

fn system(user_agent: &str) -> Option<&'static str> {
    const SYSTEMS: [(&str, &str); 7] = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("CrOS", "ChromeOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ];
    SYSTEMS
        .iter()
        .find(|(marker, _)| user_agent.contains(marker))
        .map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::label;

    #[test]
    fn browsers_and_systems_people_recognise() {
        let cases = [
            ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36", "Chrome on Linux"),
            ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36", "Chrome on Linux"),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on Windows"),
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15", "Safari on macOS"),
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", "Safari on iOS"),
            ("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", "Chrome on Android"),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge on Windows"),
            ("curl/8.5.0", "curl"),
            ("python-requests/2.31.0", "python-requests"),
            ("", "Unknown client"),
        ];
        for (user_agent, expected) in cases {
            assert_eq!(label(user_agent), expected, "{user_agent}");
        }
    }

    #[test]
    fn odd_headers_give_short_clean_labels() {
        assert_eq!(label(&"x".repeat(500)).chars().count(), 32);
        assert!(!label("evil\u{1b}[31m/1.0").contains('\u{1b}'));
    }
}
