//! Logging out everywhere, changing the password, and the absolute session lifetime.
//! (Ending single sessions: sessions.rs.)

use crate::common::{assert_json_error, assert_unauthorized, TestApp};
use serde_json::{json, Value};
use std::time::Duration;

async fn logout(app: &TestApp, token: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/logout"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn change_password(
    app: &TestApp,
    token: &str,
    current: &str,
    new: &str,
) -> reqwest::Response {
    app.client
        .put(app.url("/api/users/me/password"))
        .bearer_auth(token)
        .json(&json!({ "current_password": current, "new_password": new }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn logout_revokes_every_token_of_the_user_and_only_those() {
    let app = TestApp::spawn().await;
    let first = app.token_for("miguel", "python").await;
    let second = app.token("miguel", "python").await;
    let other_user = app.token_for("susan", "python").await;

    let response = logout(&app, &second).await;
    assert_eq!(response.status(), 204);
    assert!(response.bytes().await.unwrap().is_empty());

    for token in [&first, &second] {
        assert_unauthorized(app.get_bearer("/api/resource", token).await).await;
        assert_unauthorized(app.get_basic("/api/resource", token, "x").await).await;
        assert_unauthorized(app.get_bearer("/api/token", token).await).await;
        assert_unauthorized(logout(&app, token).await).await;
    }
    assert_eq!(
        app.get_bearer("/api/resource", &other_user).await.status(),
        200
    );
    // Logging in again gives a token that works.
    let after = app.token("miguel", "python").await;
    assert_eq!(app.get_bearer("/api/resource", &after).await.status(), 200);
}

#[tokio::test]
async fn logout_needs_credentials() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(app.url("/api/logout"))
        .send()
        .await
        .unwrap();
    assert_unauthorized(response).await;
    let response = app.get("/api/logout").await;
    assert_eq!(response.status(), 405);
}

/// ASVS 5.0 7.4.3 and 7.2.4: a password change ends every session; the caller, who just
/// re-authenticated with the current password, gets a new session, and only its token works.
#[tokio::test]
async fn changing_the_password_ends_every_session_and_gives_the_caller_a_new_one() {
    let app = TestApp::spawn().await;
    let token = app.token_for("miguel", "python").await;
    let renewed = app.get_bearer("/api/token", &token).await;
    let renewed: Value = renewed.json().await.unwrap();
    let renewed = renewed["token"].as_str().unwrap().to_owned();
    let elsewhere = app.token("miguel", "python").await;
    let response = change_password(&app, &token, "python", "rust-is-fun").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["duration"], 600);
    let new_token = body["token"].as_str().unwrap().to_owned();

    // Every token of every old session is refused, the caller's too; the new one works.
    for old in [&token, &renewed, &elsewhere] {
        assert_unauthorized(app.get_bearer("/api/resource", old).await).await;
        assert_unauthorized(app.get_bearer("/api/token", old).await).await;
    }
    assert_eq!(
        app.get_bearer("/api/resource", &new_token).await.status(),
        200
    );
    let sessions = app.sessions(&new_token).await;
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert_eq!(sessions[0]["current"], true);
    assert_unauthorized(app.get_basic("/api/token", "miguel", "python").await).await;
    let signed_in = app.token("miguel", "rust-is-fun").await;
    assert_eq!(
        app.get_bearer("/api/resource", &signed_in).await.status(),
        200
    );
}

/// With the password itself (curl's `-u`), there is no session to replace: 204, and every
/// session has ended.
#[tokio::test]
async fn changing_the_password_with_the_password_ends_every_session() {
    let app = TestApp::spawn().await;
    let token = app.token_for("miguel", "python").await;
    let response = app
        .client
        .put(app.url("/api/users/me/password"))
        .basic_auth("miguel", Some("python"))
        .json(&json!({ "current_password": "python", "new_password": "rust-is-fun" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert!(response.bytes().await.unwrap().is_empty());
    assert_unauthorized(app.get_bearer("/api/resource", &token).await).await;
    let response = app
        .client
        .get(app.url("/api/sessions"))
        .basic_auth("miguel", Some("rust-is-fun"))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["sessions"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_password_change_needs_the_current_password_and_a_valid_new_one() {
    let app = TestApp::spawn().await;
    let token = app.token_for("miguel", "python").await;

    let response = change_password(&app, &token, "not-it", "rust-is-fun").await;
    assert_eq!(response.status(), 403);
    assert_json_error(response).await;
    let response = change_password(&app, &token, "python", "short").await;
    assert_eq!(response.status(), 400);
    assert!(assert_json_error(response).await.contains("at least 6"));
    let response = app
        .client
        .put(app.url("/api/users/me/password"))
        .bearer_auth(&token)
        .json(&json!({ "new_password": "rust-is-fun" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let response = app
        .client
        .put(app.url("/api/users/me/password"))
        .json(&json!({ "current_password": "python", "new_password": "rust-is-fun" }))
        .send()
        .await
        .unwrap();
    assert_unauthorized(response).await;
    // Nothing changed: the old token and password still work.
    assert_eq!(app.get_bearer("/api/resource", &token).await.status(), 200);
    app.token("miguel", "python").await;
}

#[tokio::test]
async fn wrong_current_passwords_count_towards_the_lock() {
    let app = TestApp::spawn_with(|config| {
        config.login_limits.per_username =
            server::auth::throttle::Limit::new(2, Duration::from_secs(900)).unwrap();
    })
    .await;
    let token = app.token_for("miguel", "python").await;
    for _ in 0..2 {
        let response = change_password(&app, &token, "guess!", "rust-is-fun").await;
        assert_eq!(response.status(), 403);
    }
    let response = change_password(&app, &token, "python", "rust-is-fun").await;
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn refreshing_never_passes_the_absolute_session_lifetime() {
    let app = TestApp::spawn_with(|config| {
        config.token_ttl = Duration::from_secs(600);
        config.max_session = Duration::from_secs(3);
    })
    .await;
    assert_eq!(app.register("miguel", "python").await.status(), 201);
    let response = app.get_basic("/api/token", "miguel", "python").await;
    let body: Value = response.json().await.unwrap();
    assert!(body["duration"].as_u64().unwrap() <= 3, "{body}");
    let token = body["token"].as_str().unwrap().to_owned();

    // A refresh keeps the chain's start: it cannot reach past it either.
    let response = app.get_bearer("/api/token", &token).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(body["duration"].as_u64().unwrap() <= 3, "{body}");
    let refreshed = body["token"].as_str().unwrap().to_owned();

    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_unauthorized(app.get_bearer("/api/token", &refreshed).await).await;
    // A new password login starts a new chain.
    app.token("miguel", "python").await;
}

#[tokio::test]
async fn the_expiry_sweep_ends_more_sessions_than_one_batch() {
    // The sweep runs as often as the lifetime (here every 2 s), a batch of 1,000 at a time.
    let app = TestApp::spawn_with(|config| config.max_session = Duration::from_secs(2)).await;
    let token = app.token_for("miguel", "python").await;
    app.execute_sql(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500) \
         INSERT INTO sessions (id, user_id, started_at, last_used_at, address, user_agent) \
         SELECT 'expired-' || i, user_id, started_at - 3600, last_used_at, address, user_agent \
         FROM sessions, n",
    )
    .await;
    let count = || app.query_strings("SELECT CAST(count(*) AS TEXT) FROM sessions");
    assert_eq!(count().await, ["2501"]);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while count().await != ["0"] {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:?} sessions left",
            count().await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_unauthorized(app.get_bearer("/api/resource", &token).await).await;
}
