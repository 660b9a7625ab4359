//! Step-up: a change to how the account signs in, or to who is signed in, needs a recent full
//! authentication; a token alone (a stolen one, say) cannot make one. Re-authenticating with the
//! password (and the code where two-step is on) makes a session fresh again.

use crate::{
    common::{assert_json_error, assert_unauthorized, TestApp},
    support::{client::session_of, two_step::wait_for_a_fresh_step},
};
use reqwest::{Method, Response};
use serde_json::{json, Value};
use server::auth::throttle::{Limit, LoginLimits};
use std::time::Duration;

/// Asserts the step-up answer of RFC 9470: 401 with the Bearer challenge naming the error and
/// the age it accepts, and the usual JSON error.
async fn assert_step_up(response: Response) {
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers()["www-authenticate"],
        r#"Bearer error="insufficient_user_authentication", error_description="A recent authentication with every factor of the account is required", max_age=300"#
    );
    assert!(response.headers().get("x-otp").is_none());
    assert_json_error(response).await;
}

/// Every request that changes how the account signs in or who is signed in, for an account with
/// a session `other` beside the caller's and a passkey with id 1 (if any).
fn sensitive(other: &str) -> Vec<(Method, String, Option<Value>)> {
    vec![
        (Method::POST, "/api/passkeys/register/begin".into(), None),
        (Method::DELETE, "/api/passkeys/1".into(), None),
        (Method::POST, "/api/users/me/totp".into(), None),
        (
            Method::PUT,
            "/api/users/me/totp".into(),
            Some(json!({ "code": "123456" })),
        ),
        (Method::DELETE, "/api/users/me/totp".into(), None),
        (Method::POST, "/api/users/me/recovery-codes".into(), None),
        (
            Method::PUT,
            "/api/users/me/password".into(),
            Some(json!({ "current_password": "python", "new_password": "pythonic" })),
        ),
        (Method::DELETE, "/api/users/me".into(), None),
        (Method::DELETE, format!("/api/sessions/{other}"), None),
        (Method::DELETE, "/api/sessions/others".into(), None),
        (Method::POST, "/api/logout".into(), None),
    ]
}

async fn send(
    app: &TestApp,
    (method, path, body): &(Method, String, Option<Value>),
    token: &str,
) -> Response {
    let request = app
        .client
        .request(method.clone(), app.url(path))
        .bearer_auth(token);
    match body {
        Some(body) => request.json(body),
        None => request,
    }
    .send()
    .await
    .unwrap()
}

#[tokio::test]
async fn a_token_alone_changes_nothing_once_its_sign_in_is_old() {
    let app = TestApp::spawn().await;
    let token = app.token_for("miguel", "python").await;
    let other = app.token("miguel", "python").await;
    app.age_authentications(360).await;
    for request in sensitive(&session_of(&other)) {
        assert_step_up(send(&app, &request, &token).await).await;
    }
    // Nothing changed: both sessions live, the password is the same, two-step is off.
    assert_eq!(app.resource_status(&other).await, 200);
    assert_eq!(app.sessions(&token).await.len(), 2);
    app.token("miguel", "python").await;
    let state: Value = app
        .get_bearer("/api/users/me/totp", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(state["enabled"], false);
    // Reading, renaming and logging out never need it.
    assert_eq!(app.get_bearer("/api/passkeys", &token).await.status(), 200);
    assert_eq!(app.get_bearer("/api/token", &token).await.status(), 200);
    let own = format!("/api/sessions/{}", session_of(&other));
    assert_eq!(
        app.delete_bearer(&own, &other).await.status(),
        204,
        "its own session"
    );
    assert_eq!(
        app.delete_bearer("/api/sessions/current", &token)
            .await
            .status(),
        204
    );
}

#[tokio::test]
async fn reauthenticating_makes_the_same_session_fresh_again() {
    let app = TestApp::spawn().await;
    let token = app.token_for("miguel", "python").await;
    let other = app.token("miguel", "python").await;
    app.age_authentications(360).await;
    assert_step_up(app.delete_bearer("/api/sessions/others", &token).await).await;

    let wrong = app.reauthenticate(&token, "ruby", None).await;
    assert_eq!(wrong.status(), 403);
    assert_eq!(
        assert_json_error(wrong).await,
        "The password is not correct."
    );
    let confirmed = app.reauthenticate(&token, "python", None).await;
    assert_eq!(confirmed.status(), 200);
    assert_eq!(confirmed.headers()["cache-control"], "no-store");
    let body: Value = confirmed.json().await.unwrap();
    let keys: Vec<_> = body.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["duration", "token"]);
    let fresh = body["token"].as_str().unwrap();
    assert_eq!(session_of(fresh), session_of(&token), "the same session");
    // Fresh is the session's: its older token may act too.
    assert_eq!(
        app.delete_bearer("/api/sessions/others", &token)
            .await
            .status(),
        204
    );
    assert_unauthorized(app.get_bearer("/api/resource", &other).await).await;
    assert_eq!(app.resource_status(fresh).await, 200);
    // Only for a session: a password request is fresh by itself, and has none to renew.
    let basic = app
        .client
        .post(app.url("/api/sessions/current/reauthenticate"))
        .basic_auth("miguel", Some("python"))
        .json(&json!({ "password": "python" }))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 404);
    assert_json_error(basic).await;
}

#[tokio::test]
async fn a_session_is_fresh_for_exactly_the_configured_age() {
    let app = TestApp::spawn().await;
    let token = app.token_for("miguel", "python").await;
    // 300 s is accepted (with a few seconds for this test's own run); 301 is not.
    app.age_authentications(295).await;
    let options = app
        .get_bearer("/api/sessions/current/reauthenticate", &token)
        .await;
    assert_eq!(options.status(), 200);
    assert_eq!(
        options.json::<Value>().await.unwrap(),
        json!({ "code_required": false, "passkeys": false, "max_age": 300 })
    );
    assert_eq!(
        app.post_bearer("/api/users/me/totp", &token).await.status(),
        200
    );
    app.age_authentications(6).await;
    assert_step_up(app.post_bearer("/api/users/me/totp", &token).await).await;

    let configured = TestApp::spawn_with(|config| {
        config.reauth_max_age = Duration::from_secs(30);
    })
    .await;
    let token = configured.token_for("miguel", "python").await;
    configured.age_authentications(25).await;
    assert_eq!(
        configured
            .post_bearer("/api/users/me/totp", &token)
            .await
            .status(),
        200
    );
    configured.age_authentications(10).await;
    let stale = configured.post_bearer("/api/users/me/totp", &token).await;
    assert_eq!(stale.status(), 401);
    assert!(stale.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .ends_with("max_age=30"));
}

#[tokio::test]
async fn on_a_two_step_account_the_password_alone_never_suffices() {
    let app = TestApp::spawn().await;
    let token = app.token_for("miguel", "python").await;
    // Signed in with the password alone, before two-step was turned on elsewhere.
    let before = app.token("miguel", "python").await;
    let (phone, codes) = app.turn_on_two_step(&token).await;
    // Recent, but not with every factor the account has now.
    assert_step_up(app.delete_bearer("/api/sessions/others", &before).await).await;
    let options: Value = app
        .get_bearer("/api/sessions/current/reauthenticate", &before)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(options["code_required"], true);
    let without_code = app.reauthenticate(&before, "python", None).await;
    assert_eq!(without_code.status(), 400);
    assert_json_error(without_code).await;
    let wrong_code = app.reauthenticate(&before, "python", Some("000000")).await;
    assert_eq!(wrong_code.status(), 403);
    assert!(assert_json_error(wrong_code).await.contains("code"));
    let wrong_password = app
        .reauthenticate(&before, "ruby", Some(&phone.code(0)))
        .await;
    assert_eq!(wrong_password.status(), 403);
    assert_eq!(
        assert_json_error(wrong_password).await,
        "The password is not correct."
    );
    // A recovery code does, as at sign-in.
    let recovered = app.reauthenticate(&before, "python", Some(&codes[0])).await;
    assert_eq!(recovered.status(), 200);
    assert_eq!(
        app.delete_bearer("/api/sessions/others", &before)
            .await
            .status(),
        204
    );
    assert_unauthorized(app.get_bearer("/api/resource", &token).await).await;

    // A sign-in with every factor is fresh and full at once.
    let fresh = app
        .get_basic_with_code("/api/token", "miguel", "python", &codes[1])
        .await;
    assert_eq!(fresh.status(), 200);
    let fresh: Value = fresh.json().await.unwrap();
    let fresh = fresh["token"].as_str().unwrap();
    assert_eq!(
        app.post_bearer("/api/users/me/recovery-codes", fresh)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn confirming_two_step_makes_the_session_fresh_with_both_factors() {
    let app = TestApp::spawn().await;
    let token = app.token_for("miguel", "python").await;
    app.turn_on_two_step(&token).await;
    let sessions = app.sessions(&token).await;
    assert_eq!(sessions[0]["signed_in_with"], "password", "how it began");
    // Full: the session may act at once without another confirmation.
    assert_eq!(
        app.post_bearer("/api/users/me/recovery-codes", &token)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn wrong_answers_to_reauthenticate_count_against_the_limits() {
    let app = TestApp::spawn_with(|config| {
        config.login_limits = LoginLimits {
            per_username: Limit::new(3, Duration::from_secs(900)).unwrap(),
            ..LoginLimits::default()
        };
    })
    .await;
    let token = app.token_for("miguel", "python").await;
    app.age_authentications(360).await;
    for _ in 0..3 {
        assert_eq!(app.reauthenticate(&token, "ruby", None).await.status(), 403);
    }
    let hashes = app.state.hashing.runs();
    let locked = app.reauthenticate(&token, "python", None).await;
    assert_eq!(locked.status(), 429);
    assert!(locked.headers().contains_key("retry-after"));
    assert_eq!(app.state.hashing.runs(), hashes, "no hash while locked");
    assert_step_up(app.delete_bearer("/api/sessions/others", &token).await).await;
}

#[tokio::test]
async fn a_password_change_keeps_the_session_as_strong_and_as_old_as_it_was() {
    let app = TestApp::spawn().await;
    let token = app.token_for("miguel", "python").await;
    let (phone, _) = app.turn_on_two_step(&token).await;
    wait_for_a_fresh_step().await;
    let signed_in = app
        .get_basic_with_code("/api/token", "miguel", "python", &phone.code(0))
        .await;
    let body: Value = signed_in.json().await.unwrap();
    let token = body["token"].as_str().unwrap().to_owned();
    let before = app.sessions(&token).await;
    let before = before
        .iter()
        .find(|s| s["current"] == true)
        .unwrap()
        .clone();
    assert_eq!(before["signed_in_with"], "password_and_code");

    let mut token = token;
    for (current, new) in [("python", "pythonic"), ("pythonic", "pythonista")] {
        let changed = app
            .client
            .put(app.url("/api/users/me/password"))
            .bearer_auth(&token)
            .json(&json!({ "current_password": current, "new_password": new }))
            .send()
            .await
            .unwrap();
        assert_eq!(changed.status(), 200);
        assert_eq!(changed.headers()["cache-control"], "no-store");
        let body: Value = changed.json().await.unwrap();
        assert!(body["refresh_token"].is_string());
        assert_eq!(body["username"], "miguel");
        token = body["token"].as_str().unwrap().to_owned();
        let after = app.sessions(&token).await;
        assert_eq!(after.len(), 1);
        // As strong as the one it replaces, and no longer-lived: a change never extends the
        // session's absolute lifetime, however often it is made.
        assert_eq!(after[0]["signed_in_with"], "password_and_code");
        assert_eq!(after[0]["started_at"], before["started_at"]);
    }
    // Its authentication is the one it had, not a new one: once old, it is stale.
    app.age_authentications(360).await;
    assert_step_up(
        app.post_bearer("/api/users/me/recovery-codes", &token)
            .await,
    )
    .await;
}
