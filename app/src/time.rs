//! Times as a person reads them: "5 minutes ago", and the date and time in their own time zone.

/// How long ago Unix time `then` was, at `now` (both in seconds), in words.
pub fn ago(then: i64, now: i64) -> String {
    let seconds = (now - then).max(0);
    let (count, unit) = match seconds {
        0..=59 => return "just now".into(),
        60..=3_599 => (seconds / 60, "minute"),
        3_600..=86_399 => (seconds / 3_600, "hour"),
        _ => (seconds / 86_400, "day"),
    };
    let plural = if count == 1 { "" } else { "s" };
    format!("{count} {unit}{plural} ago")
}

/// Unix time `then` as the browser's locale writes a date and time, in its time zone.
pub fn local(then: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(then as f64 * 1000.0));
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"dateStyle".into(), &"medium".into());
    let _ = js_sys::Reflect::set(&options, &"timeStyle".into(), &"short".into());
    let format = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &options).format();
    format
        .call1(&wasm_bindgen::JsValue::NULL, &date)
        .ok()
        .and_then(|text| text.as_string())
        .unwrap_or_default()
}

/// Unix time `then` in ISO 8601 (for `<time datetime>`).
pub fn iso(then: i64) -> String {
    js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(then as f64 * 1000.0))
        .to_iso_string()
        .into()
}

/// Now, in Unix seconds, by the browser's clock.
pub fn now() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

#[cfg(test)]
mod tests {
    use super::ago;

    #[test]
    fn in_words() {
        assert_eq!(ago(100, 100), "just now");
        assert_eq!(ago(100, 159), "just now");
        assert_eq!(ago(100, 160), "1 minute ago");
        assert_eq!(ago(0, 125), "2 minutes ago");
        assert_eq!(ago(0, 3_600), "1 hour ago");
        assert_eq!(ago(0, 7_300), "2 hours ago");
        assert_eq!(ago(0, 86_400 * 3), "3 days ago");
        assert_eq!(ago(200, 100), "just now", "a clock a little behind");
    }
}
