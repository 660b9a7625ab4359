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

/// `pages_total{answered_from="memory"}` and `{answered_from="rendering"}` from /metrics.
async fn pages_answered(app: &TestApp) -> (u64, u64) {
    let text = app.get("/metrics").await.text().await.unwrap();
    let count = |from: &str| -> u64 {
        let prefix = format!("pages_total{{answered_from=\"{from}\"}} ");
        text.lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .map_or(0, |count| count.parse().unwrap())
    };
    (count("memory"), count("rendering"))
}

#[tokio::test]
async fn a_page_that_opted_in_is_rendered_once_and_nothing_else_is_kept() {
    let app = TestApp::spawn().await;
    assert_eq!(pages_answered(&app).await, (0, 0));
    let (_, first) = page(&app, "/login").await;
    let (_, second) = page(&app, "/login").await;
    assert_eq!(
        pages_answered(&app).await,
        (1, 1),
        "rendered once, then from memory"
    );
    // The same page, each with a nonce of its own.
    let nonce = |html: &str| {
        let after = html.split("nonce=\"").nth(1).unwrap();
        after[..after.find('"').unwrap()].to_owned()
    };
    assert_ne!(nonce(&first), nonce(&second));
    assert_eq!(
        first.replace(&nonce(&first), ""),
        second.replace(&nonce(&second), "")
    );

    // Rendered each time, never looked up: a query string, a path that did not opt in.
    for _ in 0..2 {
        page(&app, "/login?next=/account").await;
        page(&app, "/no-such-page").await;
    }
    // A form's answer (a refusal, with its message) is not even looked up.
    let refused = app
        .client
        .post(app.url("/login"))
        .header("origin", app.origin())
        .form(&[("username", "nobody"), ("password", "wrong-password")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert!(refused.text().await.unwrap().contains("nobody"));
    let (_, after) = page(&app, "/login").await;
    assert!(!after.contains("nobody"), "the refusal was not kept");
    assert_eq!(pages_answered(&app).await, (2, 1));
}

#[tokio::test]
async fn unknown_page_is_an_html_404() {
    let app = TestApp::spawn().await;
    let (status, html) = page(&app, "/no-such-page").await;
    assert_eq!(status, 404);
    assert!(html.contains("Page not found"), "{html}");
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
        // The script is linked; the stylesheet is inside the page (still served, for
        // `cargo leptos watch` and anything that links it).
        if file == "rest-auth.js" {
            assert!(html.contains(&url), "{url} not linked: {html}");
        }
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

/// The front end's files go out compressed once, at the highest quality: brotli 11 for clients
/// that accept it, gzip 9 for those that only take gzip, the file itself for the rest.
#[tokio::test]
async fn front_end_files_are_sent_compressed_at_the_highest_quality() {
    let (site, pkg, script) = site_with_pkg();
    std::fs::write(pkg.join("rest-auth.js"), &script).unwrap();
    std::fs::write(pkg.join("rest-auth.css"), "body { color: black }").unwrap();
    let site_root = site.path().to_str().unwrap().to_owned();
    let app = TestApp::spawn_with(|config| {
        config.leptos = leptos_options(config.leptos.site_addr, &site_root, Env::PROD)
    })
    .await;
    let (_, html) = page(&app, "/login").await;
    // The stylesheet comes inside the page, with the response's nonce, not as a request of its
    // own that the first paint would wait for.
    assert!(
        html.contains(">body { color: black }</style>") && html.contains("<style nonce=\""),
        "{html}"
    );
    assert!(!html.contains("rest-auth.css"), "{html}");
    let url = app.url(&format!("/pkg/{}/rest-auth.js", linked_version(&html)));
    let fetch = |encoding: &'static str| {
        app.client
            .get(&url)
            .header("accept-encoding", encoding)
            .send()
    };

    // Compression runs in the background after start-up: wait for it.
    let mut brotli = None;
    for _ in 0..100 {
        let response = fetch("gzip, deflate, br").await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/javascript");
        if response.headers()["content-encoding"] == "br"
            && response.headers().get("content-length").is_some()
        {
            brotli = Some(response.bytes().await.unwrap());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let brotli = brotli.expect("sent with brotli");
    let mut decoded = Vec::new();
    brotli_decompressor::BrotliDecompress(&mut brotli.as_ref(), &mut decoded).unwrap();
    assert_eq!(decoded, script.as_bytes());
    // Quality 11: smaller than the on-the-fly quality 4 would make it.
    let mut quick = Vec::new();
    brotli::BrotliCompress(
        &mut script.as_bytes(),
        &mut quick,
        &brotli::enc::BrotliEncoderParams {
            quality: 4,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(
        brotli.len() < quick.len(),
        "{} vs {}",
        brotli.len(),
        quick.len()
    );

    let gzip = fetch("gzip").await.unwrap();
    assert_eq!(gzip.headers()["content-encoding"], "gzip");
    let plain = fetch("identity").await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.bytes().await.unwrap(), script.as_bytes());
}

/// The release build writes the compressed copies (`<file>.br`, `<file>.gz`): the very first
/// request after start-up gets them, byte for byte, with nothing compressed at run time; a copy
/// that does not match its file (left from another build) is never served.
#[tokio::test]
async fn compressed_copies_from_the_build_are_served_from_the_first_request() {
    let (site, pkg, script) = site_with_pkg();
    let style = "body { color: black }";
    let brotli_of = |bytes: &[u8], quality: i32| {
        let mut out = Vec::new();
        let params = brotli::enc::BrotliEncoderParams {
            quality,
            ..Default::default()
        };
        brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).unwrap();
        out
    };
    let gzip_of = |bytes: &[u8]| {
        use std::io::Write;
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzip.write_all(bytes).unwrap();
        gzip.finish().unwrap()
    };
    // Quality 5: not what the server would make itself (11), so the bytes tell whose they are.
    let build_copy = brotli_of(script.as_bytes(), 5);
    for (name, content) in [
        ("rest-auth.js", script.as_bytes()),
        ("rest-auth.css", style.as_bytes()),
    ] {
        std::fs::write(pkg.join(name), content).unwrap();
        std::fs::write(pkg.join(format!("{name}.br")), brotli_of(content, 5)).unwrap();
        std::fs::write(pkg.join(format!("{name}.gz")), gzip_of(content)).unwrap();
    }
    let site_root = site.path().to_str().unwrap().to_owned();
    let spawn = || {
        let site_root = site_root.clone();
        TestApp::spawn_with(move |config| {
            config.leptos = leptos_options(config.leptos.site_addr, &site_root, Env::PROD)
        })
    };
    let first_brotli = |app: &TestApp, html: &str| {
        let url = app.url(&format!("/pkg/{}/rest-auth.js", linked_version(html)));
        app.client.get(url).header("accept-encoding", "br").send()
    };

    let app = spawn().await;
    let (_, html) = page(&app, "/login").await;
    let response = first_brotli(&app, &html).await.unwrap();
    assert_eq!(response.headers()["content-encoding"], "br");
    assert_eq!(response.bytes().await.unwrap(), build_copy);
    // The copies are not files of the site's version: the version is that of the files alone.
    let without_copies = tempfile::tempdir().unwrap();
    for name in ["rest-auth.js", "rest-auth.css"] {
        std::fs::copy(pkg.join(name), without_copies.path().join(name)).unwrap();
    }
    assert_eq!(
        server::http::assets::version_of(&pkg).unwrap(),
        server::http::assets::version_of(without_copies.path()).unwrap()
    );

    // The script changes but its copies are stale: they are ignored, and the file goes out as
    // the server compresses it (never the stale bytes).
    let changed = format!("{script}export const more = 1;\n");
    std::fs::write(pkg.join("rest-auth.js"), &changed).unwrap();
    let rebuilt = spawn().await;
    let (_, html) = page(&rebuilt, "/login").await;
    let response = first_brotli(&rebuilt, &html).await.unwrap();
    let body = response.bytes().await.unwrap();
    assert_ne!(body, build_copy);
    let mut decoded = Vec::new();
    brotli_decompressor::BrotliDecompress(&mut body.as_ref(), &mut decoded).unwrap();
    assert_eq!(decoded, changed.as_bytes());
}

/// One answer per coding, each with a tag of its own; a client that holds one gets `304`; the
/// q-values pick the coding (`br;q=0.9` is brotli, `br;q=0` is not).
#[tokio::test]
async fn front_end_files_answer_conditional_requests_for_each_coding() {
    let (site, pkg, script) = site_with_pkg();
    std::fs::write(pkg.join("rest-auth.js"), &script).unwrap();
    let site_root = site.path().to_str().unwrap().to_owned();
    let app = TestApp::spawn_with(|config| {
        config.leptos = leptos_options(config.leptos.site_addr, &site_root, Env::PROD)
    })
    .await;
    let (_, html) = page(&app, "/login").await;
    let url = app.url(&format!("/pkg/{}/rest-auth.js", linked_version(&html)));
    let fetch = |encoding: &str, if_none_match: Option<&str>| {
        let mut request = app.client.get(&url).header("accept-encoding", encoding);
        if let Some(tag) = if_none_match {
            request = request.header("if-none-match", tag);
        }
        request.send()
    };
    // Compression runs in the background after start-up: wait for it.
    for _ in 0..100 {
        // On the fly (not yet ready) there is no tag: the layer's bytes are not the handler's.
        let response = fetch("br;q=0.9, gzip;q=0.8", None).await.unwrap();
        if response.headers().get("etag").is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let tag_of =
        |response: &reqwest::Response| response.headers()["etag"].to_str().unwrap().to_owned();
    let brotli = fetch("br;q=0.9, gzip;q=0.8", None).await.unwrap();
    assert_eq!(brotli.headers()["content-encoding"], "br");
    assert_eq!(brotli.headers()["vary"], "accept-encoding");
    let gzip = fetch("br;q=0, gzip", None).await.unwrap();
    assert_eq!(gzip.headers()["content-encoding"], "gzip");
    let plain = fetch("identity", None).await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let tags = [tag_of(&brotli), tag_of(&gzip), tag_of(&plain)];
    assert!(
        tags.iter()
            .all(|tag| tag.starts_with('"') && tag.ends_with('"')),
        "{tags:?}"
    );
    assert!(
        tags[0] != tags[1] && tags[1] != tags[2] && tags[0] != tags[2],
        "{tags:?}"
    );

    // The brotli copy held: 304, no body, still cacheable for a year; weakly compared too.
    for held in [
        tags[0].clone(),
        format!("W/{}", tags[0]),
        format!("\"x\", {}", tags[0]),
    ] {
        let again = fetch("br", Some(&held)).await.unwrap();
        assert_eq!(again.status(), 304, "{held}");
        assert_eq!(tag_of(&again), tags[0]);
        assert_eq!(
            again.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert!(again.bytes().await.unwrap().is_empty());
    }
    // A client that now takes only gzip does not hold that representation.
    let other = fetch("gzip", Some(&tags[0])).await.unwrap();
    assert_eq!(other.status(), 200);
    assert_eq!(other.headers()["content-encoding"], "gzip");
    assert_eq!(
        fetch("identity", Some(&tags[2])).await.unwrap().status(),
        304
    );
}

/// A site root with an empty `pkg/` directory, and a script that compresses well.
fn site_with_pkg() -> (tempfile::TempDir, std::path::PathBuf, String) {
    let site = tempfile::tempdir().unwrap();
    let pkg = site.path().join("pkg");
    std::fs::create_dir(&pkg).unwrap();
    let script = (0..2000)
        .map(|i| format!("export const value{i} = {};\n", i % 7))
        .collect();
    (site, pkg, script)
}

/// The version in the page's link to its script, `/pkg/<version>/rest-auth.js`.
fn linked_version(html: &str) -> String {
    let end = html.find("/rest-auth.js").expect("script linked");
    let start = html[..end].rfind("/pkg/").expect("under /pkg") + "/pkg/".len();
    let version = &html[start..end];
    assert_eq!(version.len(), 16, "a content version: {version}");
    version.to_owned()
}
