//! The non-API surface: health check and server-rendered pages.

use crate::common::TestApp;
use leptos::config::Env;
use serde_json::Value;
use server::config::leptos_options;

#[tokio::test]
async fn healthz_is_tiny_json() {
    let app = TestApp::spawn().await;
    let response = app.get("/healthz").await;
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
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["database"], app.state.store.engine());
}

async fn page(app: &TestApp, path: &str) -> (u16, String) {
    let response = app.get(path).await;
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

/// Pages link the front end's files under a path named by their content, served with a year's
/// cache lifetime; a new build gets new URLs, and an old build's URL is gone.
#[tokio::test]
async fn front_end_files_are_versioned_and_cached_for_a_year() {
    let site = tempfile::tempdir().unwrap();
    let pkg = site.path().join("pkg");
    std::fs::create_dir(&pkg).unwrap();
    std::fs::write(pkg.join("rest-auth.css"), "body { color: black }").unwrap();
    std::fs::write(pkg.join("rest-auth.js"), "export default function () {}").unwrap();
    std::fs::write(pkg.join("rest-auth.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let site_root = site.path().to_str().unwrap().to_owned();
    let spawn = || {
        TestApp::spawn_with(|config| {
            config.leptos = leptos_options(config.leptos.site_addr, &site_root, Env::PROD)
        })
    };

    let app = spawn().await;
    let (_, html) = page(&app, "/login").await;
    let version = linked_version(&html);
    for file in ["rest-auth.css", "rest-auth.js", "rest-auth.wasm"] {
        let url = format!("/pkg/{version}/{file}");
        assert!(html.contains(&url), "{url} not linked: {html}");
        let response = app.get(&url).await;
        assert_eq!(response.status(), 200, "{url}");
        assert_eq!(
            response.headers()["cache-control"],
            "public, max-age=31536000, immutable",
            "{url}"
        );
        assert_eq!(
            response.bytes().await.unwrap(),
            std::fs::read(pkg.join(file)).unwrap(),
            "{url}"
        );
    }
    // A file the build does not have is a 404 that is not cached.
    let missing = app
        .client
        .get(app.url(&format!("/pkg/{version}/nothing.js")))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.headers().get("cache-control").is_none());
    // The plain path still answers, without the long lifetime.
    let plain = app
        .client
        .get(app.url("/pkg/rest-auth.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 200);
    assert!(plain.headers().get("cache-control").is_none());

    // A new build: new URLs, and the old version is no longer served.
    std::fs::write(pkg.join("rest-auth.css"), "body { color: navy }").unwrap();
    let rebuilt = spawn().await;
    let (_, html) = page(&rebuilt, "/login").await;
    let new_version = linked_version(&html);
    assert_ne!(new_version, version);
    let old = rebuilt
        .client
        .get(rebuilt.url(&format!("/pkg/{version}/rest-auth.css")))
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 404);
}

/// The version in the page's stylesheet link `/pkg/<version>/rest-auth.css`.
fn linked_version(html: &str) -> String {
    let end = html.find("/rest-auth.css").expect("stylesheet linked");
    let start = html[..end].rfind("/pkg/").expect("under /pkg") + "/pkg/".len();
    let version = &html[start..end];
    assert_eq!(version.len(), 16, "a content version: {version}");
    version.to_owned()
}
