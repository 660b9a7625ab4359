//! `DELETE /api/users/me`: an account deleted with its password again; its sessions end, its
//! id is never handed out again, its name may be registered again.

use crate::common::{assert_json_error, assert_unauthorized, TestApp};
use serde_json::{json, Value};
use server::auth::throttle::{Limit, LoginLimits};
use std::time::Duration;

async fn delete_account(app: &TestApp, token: &str, password: &str) -> reqwest::Response {
    app.client
        .delete(app.url("/api/users/me"))
        .bearer_auth(token)
        .json(&json!({ "password": password }))
        .send()
        .await
        .unwrap()
}

fn user_id(location: &reqwest::Response) -> String {
    let location = location.headers()["location"].to_str().unwrap();
    location.rsplit('/').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_deleted_account_is_gone_with_its_sessions_and_its_name_is_free() {
    let app = TestApp::spawn().await;
    let registered = app.register("miguel", "python").await;
    let id = user_id(&registered);
    let token = app.token("miguel", "python").await;
    let other_device = app.token("miguel", "python").await;
    let susan = app.token_for("susan", "python").await;

    let response = delete_account(&app, &token, "python").await;
    assert_eq!(response.status(), 204);
    assert!(response.bytes().await.unwrap().is_empty());

    for token in [&token, &other_device] {
        assert_unauthorized(app.get_bearer("/api/resource", token).await).await;
        assert_unauthorized(app.get_bearer("/api/token", token).await).await;
    }
    assert_unauthorized(app.get_basic("/api/token", "miguel", "python").await).await;
    let gone = app.get(&format!("/api/users/{id}")).await;
    assert_eq!(gone.status(), 404);
    assert_json_error(gone).await;
    // Another account is untouched.
    assert_eq!(app.resource_status(&susan).await, 200);

    // The name is free again, for a new account with a new id.
    let again = app.register("Miguel", "another-password").await;
    assert_eq!(again.status(), 201);
    assert_ne!(user_id(&again), id, "ids are never reused");
    let body: Value = app
        .get(&format!("/api/users/{}", user_id(&again)))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["username"], "Miguel");
    let new_token = app.token("miguel", "another-password").await;
    assert_eq!(app.resource_status(&new_token).await, 200);
    // The old tokens stay refused: they name sessions of the deleted account.
    assert_eq!(app.resource_status(&token).await, 401);
}

#[tokio::test]
async fn deleting_takes_the_right_password_within_the_limits() {
    let app = TestApp::spawn_with(|config| {
        config.login_limits = LoginLimits {
            per_username: Limit::new(2, Duration::from_secs(900)).unwrap(),
            ..LoginLimits::default()
        };
    })
    .await;
    let token = app.token_for("miguel", "python").await;

    let wrong = delete_account(&app, &token, "not-it").await;
    assert_eq!(wrong.status(), 403);
    assert_json_error(wrong).await;
    let missing = app
        .client
        .delete(app.url("/api/users/me"))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 400);
    assert!(assert_json_error(missing).await.contains("password"));
    // A stolen token alone deletes nothing: the second wrong password locks the name, and
    // then even the right one waits.
    assert_eq!(delete_account(&app, &token, "guess").await.status(), 403);
    let locked = delete_account(&app, &token, "python").await;
    assert_eq!(locked.status(), 429);
    assert!(locked.headers().contains_key("retry-after"));
    assert_eq!(app.resource_status(&token).await, 200, "still there");

    let unauthenticated = app
        .client
        .delete(app.url("/api/users/me"))
        .json(&json!({ "password": "python" }))
        .send()
        .await
        .unwrap();
    assert_unauthorized(unauthenticated).await;
}
