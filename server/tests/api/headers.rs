//! Security headers, and the published OpenAPI document.

use crate::common::TestApp;
use serde_json::Value;
use std::collections::BTreeSet;

#[tokio::test]
async fn pages_get_a_nonce_policy_that_matches_their_scripts() {
    let app = TestApp::spawn().await;
    // Twice each: whether rendered or kept (pages.rs tests which), each answer has a nonce of
    // its own that every script carries.
    let paths = [
        "/",
        "/login",
        "/register",
        "/hello",
        "/account",
        "/no-such-page",
    ];
    let mut seen: std::collections::HashMap<&str, (String, String)> = Default::default();
    for path in paths.into_iter().chain(paths) {
        let response = app.get(path).await;
        let headers = response.headers().clone();
        let html = response.text().await.unwrap();
        let policy = headers["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();

        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap_or_else(|| panic!("{path}: no nonce in {policy}"));
        assert!(nonce.len() >= 16, "{path}: nonce {nonce:?} is too short");
        assert!(policy.contains("'wasm-unsafe-eval'"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        // Every inline script of the page carries the nonce.
        let scripts = html.matches("<script").count();
        assert!(scripts > 0, "{path}: no script");
        assert_eq!(
            html.matches(&format!("nonce=\"{nonce}\"")).count(),
            scripts,
            "{path}: every script carries the response's nonce"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["referrer-policy"], "no-referrer");
        assert_eq!(headers["x-frame-options"], "DENY");
        // The same page each time, but for a nonce of its own.
        let without_nonce = html.replace(nonce, "");
        match seen.get(path) {
            Some((earlier_nonce, earlier)) => {
                assert_ne!(earlier_nonce, nonce, "{path}: a nonce used twice");
                assert_eq!(earlier, &without_nonce, "{path}: the page changed");
            }
            None => {
                seen.insert(path, (nonce.to_owned(), without_nonce));
            }
        }
    }
    // A fresh nonce each response.
    let a = app.get("/").await;
    let b = app.get("/").await;
    assert_ne!(
        a.headers()["content-security-policy"],
        b.headers()["content-security-policy"]
    );
}

#[tokio::test]
async fn api_responses_get_a_policy_that_allows_nothing() {
    let app = TestApp::spawn().await;
    let response = app.register("miguel", "python").await;
    assert_eq!(
        response.headers()["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'"
    );
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
}

/// Every route of `/api` is in the OpenAPI document and the document names no route the router
/// lacks: the router's paths (from its own listing) are the document's, and on each of them
/// exactly the documented methods are served (any other is 405).
#[tokio::test]
async fn the_openapi_document_covers_every_route() {
    let app = TestApp::spawn().await;
    // So that `/api/users/1` exists.
    assert_eq!(app.register("miguel", "python").await.status(), 201);
    let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let paths = doc["paths"].as_object().unwrap();

    // axum lists its routes' paths, quoted, in its Debug output (the routes' part of it comes
    // before the fallback's).
    let listing = format!("{:?}", server::api::router());
    let (routes, _) = listing
        .split_once("fallback_router")
        .expect("axum's listing has its routes, then its fallback");
    let routed: BTreeSet<String> = routes
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|quoted| {
            ["/api/", "/oauth/", "/.well-known/"]
                .iter()
                .any(|p| quoted.starts_with(p))
        })
        .filter(|path| *path != "/api/" && *path != server::api::UNKNOWN_PATH)
        .map(str::to_owned)
        .collect();
    let documented: BTreeSet<String> = paths.keys().cloned().collect();
    assert!(
        routed.len() >= 10,
        "the router's listing changed: {listing}"
    );
    assert_eq!(routed, documented, "routed (left) and documented (right)");

    for (path, operations) in paths {
        let url = app.url(&path.replace("{id}", "1"));
        for method in ["get", "post", "put", "patch", "delete"] {
            let request_method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes());
            let status = app
                .client
                .request(request_method.unwrap(), &url)
                .send()
                .await
                .unwrap()
                .status();
            if operations.get(method).is_some() {
                assert_ne!(status, 405, "{method} {path} is documented but not routed");
            } else {
                assert_eq!(status, 405, "{method} {path} is routed but not documented");
            }
        }
    }
}

/// utoipa names a body's schema after its type, and a second type of the same name silently
/// takes the first one's place: each answer must still be described by its own fields.
#[tokio::test]
async fn no_schema_of_the_openapi_document_stands_for_another() {
    let app = TestApp::spawn().await;
    let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let fields = |path: &str, method: &str| {
        let reference = doc["paths"][path][method]["responses"]["200"]["content"]
            ["application/json"]["schema"]["$ref"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path}: no 200 schema"))
            .rsplit('/')
            .next()
            .unwrap()
            .to_owned();
        let properties = doc["components"]["schemas"][&reference]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{reference}: no properties"))
            .keys()
            .cloned()
            .collect::<BTreeSet<String>>();
        properties
    };
    let has = |path: &str, method: &str, field: &str| {
        let found = fields(path, method);
        assert!(found.contains(field), "{method} {path}: {found:?}");
    };
    has("/api/token", "get", "duration");
    has("/api/sign-in/code", "post", "refresh_token");
    has("/oauth/token", "post", "access_token");
    has("/oauth/userinfo", "get", "sub");
    has("/oauth/introspect", "post", "active");
    has("/api/applications", "get", "applications");
}

#[tokio::test]
async fn openapi_document_describes_the_schemes_and_limits() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["basic"]["scheme"], "basic");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(
        doc["components"]["schemas"]["NewUser"]["properties"]["username"]["pattern"],
        "^[A-Za-z0-9._-]{1,32}$"
    );
    // The published limits are the ones the server enforces (a fuzzer found them apart once).
    let schemas = &doc["components"]["schemas"];
    for (schema, field) in [
        ("NewUser", "password"),
        ("PasswordChange", "new_password"),
        ("PasswordChange", "current_password"),
    ] {
        assert_eq!(
            schemas[schema]["properties"][field]["maxLength"],
            app::api::MAX_PASSWORD_CHARS,
            "{schema}.{field}"
        );
    }
}

#[tokio::test]
async fn openapi_document_publishes_the_configured_minimum_password_length() {
    for min_chars in [6, 12] {
        let app = TestApp::spawn_with(|config| config.password_rules.min_chars = min_chars).await;
        let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
        let schemas = &doc["components"]["schemas"];
        for (schema, field) in [("NewUser", "password"), ("PasswordChange", "new_password")] {
            assert_eq!(
                schemas[schema]["properties"][field]["minLength"], min_chars,
                "{schema}.{field}"
            );
        }
        // What it publishes is what it enforces.
        let short = "x".repeat(min_chars - 1);
        assert_eq!(app.register("miguel", &short).await.status(), 400);
        assert_eq!(
            app.register("miguel", &"x".repeat(min_chars))
                .await
                .status(),
            201
        );
    }
}

/// The `X-OTP` header is documented on every operation that takes a password (Basic), and on
/// no other; the 401 names its `X-OTP: required` answer.
#[tokio::test]
async fn openapi_document_describes_the_one_time_code_header() {
    let app = TestApp::spawn().await;
    let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let mut with_basic = 0;
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let takes_basic = operation["security"].to_string().contains("\"basic\"");
            let header = operation["parameters"].as_array().and_then(|parameters| {
                parameters
                    .iter()
                    .find(|p| p["name"] == "X-OTP" && p["in"] == "header")
            });
            assert_eq!(header.is_some(), takes_basic, "{method} {path}");
            if let Some(header) = header {
                with_basic += 1;
                assert_eq!(header["required"], false);
                assert!(operation["responses"]["401"]["headers"]["X-OTP"].is_object());
            }
        }
    }
    assert!(with_basic >= 10, "{with_basic}");
    for operation in ["post", "put", "delete", "get"] {
        assert!(
            doc["paths"]["/api/users/me/totp"][operation].is_object(),
            "{operation}"
        );
    }
    assert!(doc["paths"]["/api/users/me/recovery-codes"]["post"].is_object());
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_keeps_a_proxys() {
    let app = TestApp::spawn().await;
    let response = app.get("/healthz").await;
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let again = app.get("/healthz").await;
    assert_ne!(again.headers()["x-request-id"], id.as_str());
    let from_proxy = app
        .client
        .get(app.url("/api/users/1"))
        .header("x-request-id", "proxy-7f3a")
        .send()
        .await
        .unwrap();
    assert_eq!(from_proxy.headers()["x-request-id"], "proxy-7f3a");
}

#[tokio::test]
async fn pages_and_json_are_compressed_for_clients_that_ask() {
    let app = TestApp::spawn().await;
    for (encoding, path) in [
        ("br", "/login"),
        ("gzip", "/login"),
        ("gzip", "/api/openapi.json"),
    ] {
        let response = app
            .client
            .get(app.url(path))
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-encoding"], encoding, "{path}");
    }
    let plain = app.get("/login").await;
    assert!(plain.headers().get("content-encoding").is_none());
}

#[tokio::test]
async fn metrics_count_requests_logins_and_locks() {
    let app = TestApp::spawn_with(|config| {
        config.login_limits.per_username =
            server::auth::throttle::Limit::new(1, std::time::Duration::from_secs(900)).unwrap();
    })
    .await;
    let token = app.token_for("miguel", "python").await;
    assert_eq!(app.get_bearer("/api/resource", &token).await.status(), 200);
    assert_eq!(
        app.get_basic("/api/token", "miguel", "wrong!")
            .await
            .status(),
        401
    );
    assert_eq!(
        app.get_basic("/api/token", "miguel", "python")
            .await
            .status(),
        429
    );

    // A method of the client's own making is counted as `other`: clients cannot add series.
    let odd = app
        .client
        .request(
            reqwest::Method::from_bytes(b"BREW").unwrap(),
            app.url("/healthz"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(odd.status(), 405);

    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    let text = response.text().await.unwrap();
    for expected in [
        r#"http_requests_total{route="/api/resource",method="GET",status="200"} 1"#,
        r#"http_requests_total{route="/api/users",method="POST",status="201"} 1"#,
        r#"http_requests_total{route="/api/token",method="GET",status="429"} 1"#,
        r#"http_request_duration_seconds_count{route="/api/resource",method="GET",status="200"} 1"#,
        r#"logins_total{outcome="success"} 1"#,
        r#"logins_total{outcome="failure"} 1"#,
        r#"logins_total{outcome="locked"} 1"#,
        r#"logins_total{outcome="refused_locked"} 1"#,
        r#"http_requests_total{route="/healthz",method="other",status="405"} 1"#,
        "log_lines_dropped_total 0",
        "audit_lines_waiting 0",
    ] {
        // Whole lines: "... 1" must not be met by a count of 10 or 11.
        assert!(
            text.lines().any(|line| line == expected),
            "missing {expected:?} in\n{text}"
        );
    }
    for gauge in ["db_connections_active ", "session_cache_entries "] {
        assert!(
            text.lines().any(|line| line.starts_with(gauge)),
            "missing {gauge:?} in\n{text}"
        );
    }
    // The one token request looked its session up: from the database, the first time.
    let lookups = |from: &str| -> u64 {
        let prefix = format!("session_lookups_total{{answered_from=\"{from}\"}} ");
        text.lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} in\n{text}"))
            .parse()
            .unwrap()
    };
    assert_eq!((lookups("memory"), lookups("database")), (0, 1));
    assert!(!text.contains("python"), "no secrets in metrics");
}
