//! The signed-out forms as the browser posts them itself (before the WebAssembly, or without
//! it): the server completes them through the API's code and answers with a page.

use crate::common::TestApp;
use reqwest::Response;

/// Posts `fields` to the page at `path` as a browser of this site would (same origin).
async fn post_form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Response {
    app.client
        .post(app.url(path))
        .header("Origin", app.origin())
        .header("Sec-Fetch-Site", "same-origin")
        .form(fields)
        .send()
        .await
        .unwrap()
}

/// The answer to a sign-in: the page at `next` itself, `no-store`, whose first script (with
/// the policy's nonce, as every script of the page) keeps the tokens where the islands read
/// them and puts `next` in the address bar in place of the post. The access token, checked by
/// the API.
async fn signed_in_page(app: &TestApp, response: Response, next: &str) -> String {
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let html = response.text().await.unwrap();
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    for tag in html.split("<script").skip(1) {
        let tag = tag.split('>').next().unwrap();
        assert!(
            tag.contains(&format!("nonce=\"{nonce}\"")),
            "every script carries the nonce: {tag}"
        );
    }
    let script = html
        .split(&format!("<script nonce=\"{nonce}\">try{{"))
        .nth(1)
        .expect("the completion's script")
        .split("</script>")
        .next()
        .unwrap();
    assert!(
        script.ends_with(&format!("history.replaceState(null,\"\",\"{next}\")")),
        "{script}"
    );
    for key in ["token", "refresh", "username", "expires"] {
        assert!(
            script.contains(&format!("\"rest-auth.{key}\"")),
            "{key}: {script}"
        );
    }
    let token = script
        .split("s.setItem(\"rest-auth.token\",JSON.stringify(\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(app.resource_status(&token).await, 200);
    html
}

/// A page rendered again: its status, `no-store`, and its HTML.
async fn form_page(response: Response, status: u16) -> String {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    response.text().await.unwrap()
}

#[tokio::test]
async fn a_password_posted_by_the_browser_signs_in() {
    let app = TestApp::spawn().await;
    assert_eq!(app.register("miguel", "python").await.status(), 201);
    let posted = post_form(
        &app,
        "/login",
        &[("username", "miguel"), ("password", "python")],
    )
    .await;
    let html = signed_in_page(&app, posted, "/hello").await;
    assert!(!html.contains("python"), "the password is nowhere: {html}");
    // `next` is followed when it stays on this site, and only then.
    for (next, to) in [
        ("%2Faccount", "/account"),
        ("/hello%3Fx%3D1", "/hello?x=1"),
        ("//evil.example/", "/hello"),
        ("/%09/evil.example/", "/hello"),
        ("https://evil.example/", "/hello"),
    ] {
        let path = format!("/login?next={next}");
        let posted = post_form(
            &app,
            &path,
            &[("username", "miguel"), ("password", "python")],
        )
        .await;
        signed_in_page(&app, posted, to).await;
    }
}

#[tokio::test]
async fn a_refused_form_comes_back_with_the_name_and_the_islands_message() {
    let app = TestApp::spawn().await;
    assert_eq!(app.register("miguel", "python").await.status(), 201);
    let refused = post_form(
        &app,
        "/login",
        &[("username", "miguel"), ("password", "ruby")],
    )
    .await;
    let html = form_page(refused, 401).await;
    assert!(html.contains("<h1>Log in</h1>"), "{html}");
    assert!(html.contains("Wrong username or password."), "{html}");
    assert!(
        html.contains(r#"id="username""#) && html.contains(r#"value="miguel""#),
        "{html}"
    );
    assert!(
        !html.contains("ruby"),
        "the password is not sent back: {html}"
    );
    assert!(html.contains("history.replaceState"), "{html}");

    // Registration: a taken name, a rule broken.
    let taken = post_form(
        &app,
        "/register",
        &[("username", "miguel"), ("password", "long enough")],
    )
    .await;
    let html = form_page(taken, 409).await;
    assert!(html.contains("<h1>Create account</h1>"), "{html}");
    assert!(html.contains("That username is already taken."), "{html}");
    assert!(html.contains(r#"value="miguel""#), "{html}");
    assert!(!html.contains("long enough"), "{html}");
    let short = post_form(
        &app,
        "/register",
        &[("username", "newcomer"), ("password", "x")],
    )
    .await;
    let html = form_page(short, 400).await;
    assert!(html.contains("at least"), "{html}");
    assert!(html.contains(r#"value="newcomer""#), "{html}");
    // A name that could never be registered is said so, and escaped where it is kept.
    let odd = post_form(
        &app,
        "/register",
        &[("username", "<b>x"), ("password", "long enough")],
    )
    .await;
    let html = form_page(odd, 400).await;
    assert!(!html.contains("<b>x"), "{html}");
    // Nothing was registered by any of it.
    assert_eq!(app.register("newcomer", "long enough").await.status(), 201);
}

#[tokio::test]
async fn a_registration_posted_by_the_browser_signs_in_to_the_new_account() {
    let app = TestApp::spawn().await;
    let posted = post_form(
        &app,
        "/register",
        &[("username", "susan"), ("password", "long enough")],
    )
    .await;
    signed_in_page(&app, posted, "/hello").await;
    assert_eq!(
        app.get_basic("/api/resource", "susan", "long enough")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn the_code_step_is_rendered_with_the_ticket_never_the_password() {
    let app = TestApp::spawn().await;
    let token = app.token_for("miguel", "python").await;
    let (_, recovery) = app.turn_on_two_step(&token).await;
    let step = post_form(
        &app,
        "/login?next=/account",
        &[("username", "miguel"), ("password", "python")],
    )
    .await;
    let html = form_page(step, 200).await;
    assert!(html.contains("Two-step verification is on for"), "{html}");
    assert!(!html.contains("python"), "{html}");
    let ticket = html
        .split(r#"name="ticket" value=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert!(ticket.len() > 16, "{html}");

    // A wrong code keeps the step, with the same ticket.
    let wrong = post_form(
        &app,
        "/login?next=/account",
        &[
            ("ticket", &ticket),
            ("username", "miguel"),
            ("code", "000000"),
        ],
    )
    .await;
    let html = form_page(wrong, 401).await;
    assert!(html.contains("<strong>miguel</strong>"), "{html}");
    assert!(html.contains("That code is not correct"), "{html}");
    assert!(
        html.contains(&format!(r#"name="ticket" value="{ticket}""#)),
        "{html}"
    );
    // The right one signs in, once.
    let right = post_form(
        &app,
        "/login?next=/account",
        &[("ticket", &ticket), ("code", &recovery[0])],
    )
    .await;
    signed_in_page(&app, right, "/account").await;
    let again = post_form(
        &app,
        "/login",
        &[("ticket", &ticket), ("code", &recovery[1])],
    )
    .await;
    let html = form_page(again, 401).await;
    assert!(html.contains("Your sign-in expired"), "{html}");
    assert!(
        html.contains(r#"id="password""#),
        "the password form again: {html}"
    );
}

#[tokio::test]
async fn too_many_guesses_get_the_form_back_with_429() {
    let app = TestApp::spawn().await;
    assert_eq!(app.register("miguel", "python").await.status(), 201);
    let mut last = None;
    for _ in 0..11 {
        last = Some(
            post_form(
                &app,
                "/login",
                &[("username", "miguel"), ("password", "ruby")],
            )
            .await,
        );
    }
    let last = last.unwrap();
    assert!(
        last.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
    let html = form_page(last, 429).await;
    assert!(html.contains("Too many"), "{html}");
}

/// Login CSRF: a form posted from another site signs nobody in.
#[tokio::test]
async fn a_form_from_another_site_is_refused() {
    let app = TestApp::spawn().await;
    assert_eq!(app.register("miguel", "python").await.status(), 201);
    let fields = [("username", "miguel"), ("password", "python")];
    for (origin, site) in [
        (Some("https://evil.example"), Some("cross-site")),
        (Some("null"), Some("cross-site")),
        (Some("null"), None),
        (Some("http://localhost.evil.example"), None),
        (None, Some("cross-site")),
        (None, Some("same-site")),
    ] {
        for path in ["/login", "/register"] {
            let mut request = app.client.post(app.url(path)).form(&fields);
            if let Some(origin) = origin {
                request = request.header("Origin", origin);
            }
            if let Some(site) = site {
                request = request.header("Sec-Fetch-Site", site);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 403, "{path} {origin:?} {site:?}");
            let html = response.text().await.unwrap();
            assert!(!html.contains("rest-auth.token"), "{html}");
        }
    }
    // The same site is heard: by Origin, by Sec-Fetch-Site alone, and by Sec-Fetch-Site where
    // Origin is `null` (every post from a page whose referrer policy is `no-referrer`).
    let null_origin = app
        .client
        .post(app.url("/login"))
        .header("Origin", "null")
        .header("Sec-Fetch-Site", "same-origin")
        .form(&fields)
        .send()
        .await
        .unwrap();
    signed_in_page(&app, null_origin, "/hello").await;
    let by_site = app
        .client
        .post(app.url("/login"))
        .header("Sec-Fetch-Site", "same-origin")
        .form(&fields)
        .send()
        .await
        .unwrap();
    signed_in_page(&app, by_site, "/hello").await;
}
