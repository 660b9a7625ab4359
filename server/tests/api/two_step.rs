//! Two-step verification over HTTP: the setup (begin, confirm with a first code), then a
//! password alone is not enough (401 with `X-OTP: required`, only after a right password), a
//! code or a recovery code works once, wrong codes count against the brute-force limits,
//! turning it off and new recovery codes need the password, and the secret is stored sealed.
//! Codes are computed here from the setup key (tests/support/two_step.rs).

use crate::{
    common::{assert_json_error, assert_unauthorized, TestApp},
    support::{
        passkey::TestPasskey,
        two_step::{wait_for_a_fresh_step, AuthenticatorApp},
    },
};
use reqwest::Response;
use serde_json::Value;
use server::auth::throttle::{Limit, LoginLimits};
use std::time::Duration;

/// Asserts the 401 of a right password that still needs a (valid) code.
async fn assert_code_required(response: Response) -> String {
    assert_eq!(
        response.headers().get("x-otp").map(|v| v.to_str().unwrap()),
        Some("required")
    );
    assert_unauthorized_keeping(response).await
}

async fn assert_unauthorized_keeping(response: Response) -> String {
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers()["www-authenticate"],
        r#"Basic realm="Authentication Required""#
    );
    assert_json_error(response).await
}

async fn status(app: &TestApp, token: &str) -> Value {
    let response = app.get_bearer("/api/users/me/totp", token).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn token_from(response: Response) -> String {
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_password_needs_a_code_once_two_step_is_on() {
    let app = TestApp::spawn().await;
    let token = app.token_for("miguel", "python").await;
    assert_eq!(status(&app, &token).await["enabled"], false);

    // Begun twice: only the second secret counts, and until it is confirmed nothing changes.
    wait_for_a_fresh_step().await;
    let first = app.begin_totp(&token).await;
    let second = app.begin_totp(&token).await;
    let url = second["otpauth_url"].as_str().unwrap();
    let key = second["secret"].as_str().unwrap();
    assert_eq!(
        url,
        format!("otpauth://totp/rest-auth:miguel?secret={key}&issuer=rest-auth")
    );
    assert!(key.len() >= 32, "160 bits: {key}");
    assert!(second["qr_svg"].as_str().unwrap().contains("<svg"));
    assert_ne!(first["secret"], second["secret"]);
    app.token("miguel", "python").await;
    assert_eq!(status(&app, &token).await["enabled"], false);
    let replaced = AuthenticatorApp::from_setup_key(first["secret"].as_str().unwrap());
    let refused = app.confirm_totp(&token, &replaced.code(0)).await;
    assert_eq!(refused.status(), 403);
    assert_json_error(refused).await;

    let phone = AuthenticatorApp::from_setup_key(key);
    let confirmed = app.confirm_totp(&token, &phone.code(1)).await;
    assert_eq!(confirmed.status(), 200);
    let body: Value = confirmed.json().await.unwrap();
    let codes = body["recovery_codes"].as_array().unwrap();
    assert!(codes.len() >= 10, "{body}");
    let status = status(&app, &token).await;
    assert_eq!(status["enabled"], true);
    assert_eq!(status["recovery_codes_left"], codes.len());

    // A password alone: 401 asking for the code, on every route that takes one.
    for path in ["/api/token", "/api/resource", "/api/sessions"] {
        let message = assert_code_required(app.get_basic(path, "miguel", "python").await).await;
        assert!(message.contains("X-OTP"), "{message}");
    }
    // A wrong password says nothing more than before: no X-OTP header.
    let wrong = app.get_basic("/api/token", "miguel", "ruby").await;
    assert!(wrong.headers().get("x-otp").is_none());
    assert_unauthorized(wrong).await;
    let wrong_with_code = app
        .get_basic_with_code("/api/token", "miguel", "ruby", &phone.code(0))
        .await;
    assert!(wrong_with_code.headers().get("x-otp").is_none());
    assert_unauthorized(wrong_with_code).await;

    // With the code: a token, whose session says how it began; the old token still works.
    let signed_in = app
        .get_basic_with_code("/api/token", "miguel", "python", &phone.code(0))
        .await;
    let new_token = token_from(signed_in).await;
    assert_eq!(app.resource_status(&token).await, 200);
    assert_eq!(app.resource_status(&new_token).await, 200);
    let sessions = app.sessions(&new_token).await;
    let current = sessions.iter().find(|s| s["current"] == true).unwrap();
    assert_eq!(current["signed_in_with"], "password_and_code");
}

#[tokio::test]
async fn a_code_is_accepted_once_and_never_an_older_one() {
    let app = TestApp::spawn().await;
    let token = app.token_for("miguel", "python").await;
    let (phone, _) = app.turn_on_two_step(&token).await;
    // The setup used the previous step's code: it is spent.
    assert_code_required(
        app.get_basic_with_code("/api/token", "miguel", "python", &phone.code(1))
            .await,
    )
    .await;
    let code = phone.code(0);
    let first = app
        .get_basic_with_code("/api/resource", "miguel", "python", &code)
        .await;
    assert_eq!(first.status(), 200);
    let body: Value = first.json().await.unwrap();
    assert_eq!(body["data"], "Hello, miguel!");
    // The same code again, within its 30 seconds: a replay.
    let replayed = app
        .get_basic_with_code("/api/token", "miguel", "python", &code)
        .await;
    let message = assert_code_required(replayed).await;
    assert!(message.contains("used already"), "{message}");
    // Spaces in a code are ignored; a code of no step is refused.
    let next = app
        .get_basic_with_code("/api/token", "miguel", "python", "000 000")
        .await;
    if phone.code(0) != "000000" {
        assert_code_required(next).await;
    }
}

/// ASVS 5.0 6.5.5, as the server applies it: a code works during its own 30-second step and the
/// next one (drift and typing time, RFC 6238 5.2), never earlier, never later.
#[tokio::test]
async fn a_code_is_accepted_in_its_step_and_the_next_and_no_other() {
    let app = TestApp::spawn().await;
    let token = app.token_for("miguel", "python").await;
    let (phone, _) = app.turn_on_two_step(&token).await;
    // Forget the step the setup used, so only the window decides.
    app.execute_sql("UPDATE two_step SET last_step = 0").await;
    wait_for_a_fresh_step().await;
    let with = |code: String| {
        let api = app.api.clone();
        async move {
            api.get_basic_with_code("/api/token", "miguel", "python", &code)
                .await
        }
    };
    // A phone a step ahead, and a code two steps old (30 to 90 s): refused.
    if phone.code_at(1) != phone.code(0) {
        assert_code_required(with(phone.code_at(1)).await).await;
    }
    if phone.code(2) != phone.code(0) && phone.code(2) != phone.code(1) {
        assert_code_required(with(phone.code(2)).await).await;
    }
    // The previous step's code, then the current one.
    assert_eq!(with(phone.code(1)).await.status(), 200);
    assert_eq!(with(phone.code(0)).await.status(), 200);
}

#[tokio::test]
async fn each_recovery_code_signs_in_once() {
    let app = TestApp::spawn().await;
    let token = app.token_for("miguel", "python").await;
    let (_, codes) = app.turn_on_two_step(&token).await;
    assert!(codes.iter().all(|code| code.len() == 29), "{codes:?}");
    let mut unique = codes.clone();
    unique.dedup();
    assert_eq!(unique.len(), codes.len());

    // However it is typed: upper case, spaces for dashes.
    let typed = codes[0].to_uppercase().replace('-', " ");
    let signed_in = app
        .get_basic_with_code("/api/token", "miguel", "python", &typed)
        .await;
    let new_token = token_from(signed_in).await;
    let sessions = app.sessions(&new_token).await;
    let current = sessions.iter().find(|s| s["current"] == true).unwrap();
    assert_eq!(current["signed_in_with"], "recovery_code");
    assert_eq!(
        status(&app, &token).await["recovery_codes_left"],
        codes.len() - 1
    );
    assert_code_required(
        app.get_basic_with_code("/api/token", "miguel", "python", &codes[0])
            .await,
    )
    .await;

    // A new set needs a recent full authentication (here, the one that turned it on); the old
    // set is void.
    let renewed = app
        .post_bearer("/api/users/me/recovery-codes", &token)
        .await;
    assert_eq!(renewed.status(), 200);
    let body: Value = renewed.json().await.unwrap();
    let fresh: Vec<&str> = body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|code| code.as_str().unwrap())
        .collect();
    assert!(fresh.len() >= 10);
    assert!(!fresh.contains(&codes[1].as_str()));
    assert_code_required(
        app.get_basic_with_code("/api/token", "miguel", "python", &codes[1])
            .await,
    )
    .await;
    let with_fresh = app
        .get_basic_with_code("/api/token", "miguel", "python", fresh[0])
        .await;
    assert_eq!(with_fresh.status(), 200);
}

#[tokio::test]
async fn wrong_codes_count_against_the_limits_like_wrong_passwords() {
    let app = TestApp::spawn_with(|config| {
        config.login_limits = LoginLimits {
            per_username: Limit::new(3, Duration::from_secs(900)).unwrap(),
            per_address: Limit::new(100, Duration::from_secs(60)).unwrap(),
        }
    })
    .await;
    let token = app.token_for("miguel", "python").await;
    let (phone, codes) = app.turn_on_two_step(&token).await;
    // A missing code guesses nothing: not counted.
    for _ in 0..5 {
        assert_code_required(app.get_basic("/api/token", "miguel", "python").await).await;
    }
    for wrong in ["123456", "not-a-code"] {
        let code = if wrong == phone.code(0) {
            "654321"
        } else {
            wrong
        };
        assert_code_required(
            app.get_basic_with_code("/api/token", "miguel", "python", code)
                .await,
        )
        .await;
    }
    // The third failure locks the name: even the right code (or a recovery code) waits.
    let wrong = app.get_basic("/api/token", "miguel", "ruby").await;
    assert_unauthorized(wrong).await;
    for code in [phone.code(0), codes[0].clone()] {
        let locked = app
            .get_basic_with_code("/api/token", "miguel", "python", &code)
            .await;
        assert_eq!(locked.status(), 429);
        assert!(locked.headers().contains_key("retry-after"));
    }
    // Tokens keep working.
    assert_eq!(app.resource_status(&token).await, 200);
}

#[tokio::test]
async fn a_wrong_first_code_counts_against_the_limits_too() {
    let app = TestApp::spawn_with(|config| {
        config.login_limits = LoginLimits {
            per_username: Limit::new(2, Duration::from_secs(900)).unwrap(),
            per_address: Limit::new(100, Duration::from_secs(60)).unwrap(),
        }
    })
    .await;
    let token = app.token_for("miguel", "python").await;
    let setup = app.begin_totp(&token).await;
    let phone = AuthenticatorApp::from_setup_key(setup["secret"].as_str().unwrap());
    let wrong = if phone.code(0) == "111111" {
        "222222"
    } else {
        "111111"
    };
    for _ in 0..2 {
        assert_eq!(app.confirm_totp(&token, wrong).await.status(), 403);
    }
    let locked = app.confirm_totp(&token, &phone.code(0)).await;
    assert_eq!(locked.status(), 429);
    assert_eq!(
        app.get_basic("/api/token", "miguel", "python")
            .await
            .status(),
        429
    );
}

#[tokio::test]
async fn turning_it_off_needs_the_password_and_a_code() {
    let app = TestApp::spawn().await;
    let token = app.token_for("miguel", "python").await;
    let nothing_begun = app.confirm_totp(&token, "123456").await;
    assert_eq!(nothing_begun.status(), 409);
    assert_json_error(nothing_begun).await;
    let not_on = app.delete_bearer("/api/users/me/totp", &token).await;
    assert_eq!(not_on.status(), 409);
    let (phone, _) = app.turn_on_two_step(&token).await;
    // On: a new setup is refused until it is turned off.
    let again = app.post_bearer("/api/users/me/totp", &token).await;
    assert_eq!(again.status(), 409);

    // Some minutes later, the password alone does not turn it off: not from the session...
    app.age_authentications(360).await;
    assert_eq!(
        app.delete_bearer("/api/users/me/totp", &token)
            .await
            .status(),
        401
    );
    let password_only = app.reauthenticate(&token, "python", None).await;
    assert_eq!(password_only.status(), 400);
    assert!(assert_json_error(password_only).await.contains("code"));
    assert_eq!(
        app.delete_bearer("/api/users/me/totp", &token)
            .await
            .status(),
        401
    );
    // ...nor with curl's password without the code.
    let basic = app
        .client
        .delete(app.url("/api/users/me/totp"))
        .basic_auth("miguel", Some("python"))
        .send()
        .await
        .unwrap();
    assert_code_required(basic).await;
    assert_eq!(status(&app, &token).await["enabled"], true);

    wait_for_a_fresh_step().await;
    let confirmed = app
        .reauthenticate(&token, "python", Some(&phone.code(0)))
        .await;
    assert_eq!(confirmed.status(), 200);
    let off = app.delete_bearer("/api/users/me/totp", &token).await;
    assert_eq!(off.status(), 204);
    assert_eq!(
        status(&app, &token).await,
        serde_json::json!({"enabled": false, "recovery_codes_left": 0})
    );
    app.token("miguel", "python").await;
}

#[tokio::test]
async fn a_passkey_needs_no_code() {
    let app = TestApp::spawn().await;
    let token = app.token_for("miguel", "python").await;
    let mut key = TestPasskey::new(&app.origin());
    app.add_passkey(&token, &mut key, "Laptop").await;
    app.turn_on_two_step(&token).await;
    let signed_in = app.sign_in_with_passkey(&mut key).await;
    let passkey_token = token_from(signed_in).await;
    assert_eq!(app.resource_status(&passkey_token).await, 200);
}

#[tokio::test]
async fn the_secret_is_stored_sealed_and_never_shown_again() {
    let app = TestApp::spawn().await;
    let token = app.token_for("miguel", "python").await;
    wait_for_a_fresh_step().await;
    let setup = app.begin_totp(&token).await;
    let key = setup["secret"].as_str().unwrap().to_owned();
    let phone = AuthenticatorApp::from_setup_key(&key);
    let confirmed = app.confirm_totp(&token, &phone.code(0)).await;
    let recovery: Value = confirmed.json().await.unwrap();

    let stored = app.query_strings("SELECT secret FROM two_step").await;
    assert_eq!(stored.len(), 1);
    let raw = totp_rs::Secret::try_from_base32(&key).unwrap();
    let raw_hex = hex::encode(raw.as_bytes());
    for text in [&key, &key.to_lowercase(), &raw_hex] {
        assert!(
            !stored[0].contains(text.as_str()),
            "the secret is stored in the clear"
        );
    }
    let digests = app.query_strings("SELECT digest FROM recovery_codes").await;
    let first = recovery["recovery_codes"][0].as_str().unwrap();
    assert!(digests
        .iter()
        .all(|digest| !digest.contains(&first.replace('-', ""))));
    // The account's state says nothing of the secret.
    let state = app
        .get_bearer("/api/users/me/totp", &token)
        .await
        .text()
        .await
        .unwrap();
    assert!(!state.contains(&key));
}

#[tokio::test]
async fn malformed_setup_requests_get_json_errors() {
    let app = TestApp::spawn().await;
    let token = app.token_for("miguel", "python").await;
    app.begin_totp(&token).await;
    for body in [r#"{}"#, r#"{"code": 123456}"#, r#"[]"#, "code=123456"] {
        let response = app
            .client
            .put(app.url("/api/users/me/totp"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{body}");
        assert_json_error(response).await;
    }
    let unauthenticated = app
        .client
        .post(app.url("/api/users/me/totp"))
        .send()
        .await
        .unwrap();
    assert_unauthorized(unauthenticated).await;
}
