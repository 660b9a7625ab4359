//! The non-API surface: health check and server-rendered pages.

use crate::common::TestApp;
use serde_json::Value;

#[tokio::test]
async fn healthz_is_tiny_json() {
    let app = TestApp::spawn().await;
    let response = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        serde_json::json!({ "status": "ok" })
    );
}

#[tokio::test]
async fn readyz_checks_the_database_and_migrations() {
    let app = TestApp::spawn().await;
    let response = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["database"], app.state.users.engine());
}

async fn page(app: &TestApp, path: &str) -> (u16, String) {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn pages_are_server_rendered_with_real_content() {
    let app = TestApp::spawn().await;

    let (status, html) = page(&app, "/").await;
    assert_eq!(status, 200);
    assert!(html.contains("<h1>rest-auth</h1>"), "{html}");
    assert!(
        html.contains("/pkg/rest-auth.js"),
        "hydration script is linked"
    );
    // The WASM the hydration script loads is the file the build writes (however this binary
    // was built; see .cargo/config.toml).
    assert!(
        html.contains(r#"href="/pkg/rest-auth.wasm""#) && !html.contains("rest-auth_bg"),
        "{html}"
    );

    for (path, heading, button) in [
        ("/login", "Log in", "Log in"),
        ("/register", "Create account", "Create account"),
    ] {
        let (status, html) = page(&app, path).await;
        assert_eq!(status, 200);
        assert!(html.contains(&format!("<h1>{heading}</h1>")), "{html}");
        assert!(html.contains(r#"method="post""#), "{path}: forms post");
        assert!(
            html.contains(r#"<label for="username">Username</label>"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<label for="password">Password</label>"#),
            "{html}"
        );
        assert!(html.contains(&format!(">{button}</button>")), "{html}");
    }

    let (status, html) = page(&app, "/hello").await;
    assert_eq!(status, 200);
    assert!(html.contains("<h1>Hello!</h1>"), "{html}");
}

#[tokio::test]
async fn unknown_page_is_an_html_404() {
    let app = TestApp::spawn().await;
    let (status, html) = page(&app, "/no-such-page").await;
    assert_eq!(status, 404);
    assert!(html.contains("Page not found"), "{html}");
}

#[tokio::test]
async fn a_form_posted_before_hydration_is_sent_back_to_its_page() {
    let app = TestApp::spawn().await;
    for path in ["/login", "/register"] {
        let response = app
            .client
            .post(app.url(path))
            .form(&[("username", "miguel"), ("password", "python")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "{path}");
        assert_eq!(response.headers()["location"], path);
    }
    // And nothing was registered by it.
    assert_eq!(app.register("miguel", "python").await.status(), 201);
}
