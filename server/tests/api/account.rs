//! `DELETE /api/users/me`: an account deleted after a recent full authentication; its sessions
//! end, its id is never handed out again, its name may be registered again.

use crate::common::{assert_json_error, assert_unauthorized, TestApp};
use serde_json::Value;

async fn delete_account(app: &TestApp, token: &str) -> reqwest::Response {
    app.delete_bearer("/api/users/me", token).await
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

    let response = delete_account(&app, &token).await;
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
async fn deleting_needs_a_recent_authentication() {
    let app = TestApp::spawn().await;
    let token = app.token_for("miguel", "python").await;
    // A token whose sign-in was six minutes ago (as a stolen one may be) deletes nothing.
    app.age_authentications(360).await;
    let stale = delete_account(&app, &token).await;
    assert_eq!(stale.status(), 401);
    assert!(stale.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains(r#"error="insufficient_user_authentication""#));
    assert_json_error(stale).await;
    assert_eq!(app.resource_status(&token).await, 200, "still there");

    let confirmed = app.reauthenticate(&token, "python", None).await;
    assert_eq!(confirmed.status(), 200);
    assert_eq!(delete_account(&app, &token).await.status(), 204);
    assert_unauthorized(app.get_bearer("/api/resource", &token).await).await;

    // The password (with every factor the account has) is itself a recent authentication.
    assert_eq!(app.register("susan", "python").await.status(), 201);
    let with_password = app
        .client
        .delete(app.url("/api/users/me"))
        .basic_auth("susan", Some("python"))
        .send()
        .await
        .unwrap();
    assert_eq!(with_password.status(), 204);
    let unauthenticated = app
        .client
        .delete(app.url("/api/users/me"))
        .send()
        .await
        .unwrap();
    assert_unauthorized(unauthenticated).await;
}
