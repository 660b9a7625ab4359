//! The audit trail in the server's log, and the secrets that must never reach it.

use crate::{
    harness::Running,
    support::{
        client::session_of,
        passkey::TestPasskey,
        two_step::{wait_for_a_fresh_step, AuthenticatorApp},
    },
};
use serde_json::{json, Value};

#[tokio::test]
async fn logins_locks_and_sessions_are_audited_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let secret_key = "audit-test-secret-key-0123456789abcdef";
    let password = "correct-horse-battery-staple";
    let new_password = "staple-battery-horse-correct";
    let wrong = "wrong-guess-tr0ub4dor";
    let server = Running::start_with(
        dir.path(),
        &[
            ("SECRET_KEY", secret_key),
            ("LOGIN_FAILURES_PER_USERNAME", "2"),
            ("SESSION_MAX_SECONDS", "3"),
        ],
    )
    .await;
    let api = &server.api;
    let login = |pass: &'static str| api.get_basic("/api/token", "miguel", pass);

    assert_eq!(api.register("miguel", password).await.status(), 201);
    let [first, second, third, fourth] = [
        api.token("miguel", password).await,
        api.token("miguel", password).await,
        api.token("miguel", password).await,
        api.token("miguel", password).await,
    ];
    let ended = |token: &str| format!("session=\"{}\"", session_of(token));
    let status = |r: reqwest::Response| r.status().as_u16();
    assert_eq!(
        status(api.delete_bearer("/api/sessions/current", &first).await),
        204
    );
    let path = format!("/api/sessions/{}", session_of(&second));
    assert_eq!(status(api.delete_bearer(&path, &third).await), 204);
    let change = api
        .client
        .put(api.url("/api/users/me/password"))
        .bearer_auth(&third)
        .json(&json!({ "current_password": password, "new_password": new_password }))
        .send()
        .await
        .unwrap();
    assert_eq!(change.status(), 200);
    let change: serde_json::Value = change.json().await.unwrap();
    let replacement = change["token"].as_str().unwrap().to_owned();
    assert_eq!(login(wrong).await.status(), 401);
    assert_eq!(login(wrong).await.status(), 401);
    assert_eq!(login(new_password).await.status(), 429);
    // The session that replaced the third reaches its absolute lifetime (3 s) and is ended by
    // the sweep.
    let log_path = dir.path().join("server.log");
    let expired = format!("reason=\"expiry\" user_id=1 {}", ended(&replacement));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !std::fs::read_to_string(&log_path)
        .unwrap()
        .contains(&expired)
    {
        let log = std::fs::read_to_string(&log_path).unwrap();
        assert!(
            std::time::Instant::now() < deadline,
            "no expiry line: {log}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(server.terminate().success());

    let log = std::fs::read_to_string(&log_path).unwrap();
    let audit: Vec<&str> = log.lines().filter(|l| l.contains("audit")).collect();
    let has = |what: &[&str]| {
        audit.iter().any(|line| {
            what.iter().all(|part| line.contains(part))
                && line.contains("username=\"miguel\"")
                && line.contains("address=127.0.0.1")
        })
    };
    assert!(has(&["outcome=\"success\""]), "{log}");
    assert!(has(&["outcome=\"failure\""]), "{log}");
    assert!(has(&["outcome=\"locked\""]), "{log}");
    assert!(has(&["outcome=\"refused_locked\""]), "{log}");
    for token in [&first, &second, &third, &fourth, &replacement] {
        assert!(has(&["event=\"session_started\"", &ended(token)]), "{log}");
    }
    assert!(has(&["reason=\"logout\"", &ended(&first)]), "{log}");
    assert!(has(&["reason=\"revoked\"", &ended(&second)]), "{log}");
    // The change ended every session, the one that made it too.
    for token in [&third, &fourth] {
        assert!(has(&["reason=\"password_change\"", &ended(token)]), "{log}");
    }
    for secret in [secret_key, password, new_password, wrong, first.as_str()] {
        assert!(!log.contains(secret), "a secret reached the log: {log}");
    }
    // Nor any recognisable piece of a token (its signature).
    for token in [&first, &second, &third, &fourth, &replacement] {
        assert!(!log.contains(token.rsplit('.').next().unwrap()));
    }
}

#[tokio::test]
async fn log_format_json_gives_one_object_per_line_with_request_lines() {
    let dir = tempfile::tempdir().unwrap();
    let server = Running::start_with(dir.path(), &[("LOG_FORMAT", "json")]).await;
    let response = server.api.get("/api/users/42").await;
    assert_eq!(response.status(), 404);
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(server.terminate().success());

    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
    let lines: Vec<Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    let request_line = lines
        .iter()
        .find(|line| line["request_id"] == request_id.as_str() && line["target"] == "request")
        .unwrap_or_else(|| panic!("no line for {request_id}: {log}"));
    assert_eq!(request_line["fields"]["method"], "GET");
    assert_eq!(request_line["fields"]["route"], "/api/users/{id}");
    assert_eq!(request_line["fields"]["status"], 404);
    assert!(request_line["fields"]["latency_us"].is_u64());
}

#[tokio::test]
async fn passkeys_added_removed_and_signed_in_with_are_audited() {
    let dir = tempfile::tempdir().unwrap();
    let server = Running::start_with(dir.path(), &[]).await;
    let api = &server.api;
    let port = api.base.rsplit(':').next().unwrap();
    let mut key = TestPasskey::new(&format!("http://localhost:{port}"));
    let token = api.token_for("miguel", "python").await;
    let id = api.add_passkey(&token, &mut key, "Laptop \"quoted\"").await;
    let signed_in = api.sign_in_with_passkey(&mut key).await;
    assert_eq!(signed_in.status(), 200);
    let passkey_token: Value = signed_in.json().await.unwrap();
    let passkey_token = passkey_token["token"].as_str().unwrap().to_owned();
    let (ceremony, options) = api.begin_passkey_sign_in().await;
    let assertion = key.get_from("http://localhost:1", &options);
    assert_eq!(
        api.finish_passkey_sign_in(&ceremony, &assertion)
            .await
            .status(),
        401
    );
    let removed = api
        .client
        .delete(api.url(&format!("/api/passkeys/{id}")))
        .bearer_auth(&token)
        .json(&json!({ "password": "python" }))
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    assert_eq!(api.sign_in_with_passkey(&mut key).await.status(), 401);
    assert!(server.terminate().success());

    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
    let audit: Vec<&str> = log.lines().filter(|l| l.contains("audit")).collect();
    let has = |what: &[&str]| {
        audit.iter().any(|line| {
            what.iter().all(|part| line.contains(part)) && line.contains("address=127.0.0.1")
        })
    };
    let name = r#"name="Laptop \"quoted\"""#;
    assert!(
        has(&["event=\"passkey_added\"", "username=\"miguel\"", name]),
        "{log}"
    );
    assert!(
        has(&["event=\"passkey_removed\"", "username=\"miguel\"", name]),
        "{log}"
    );
    assert!(
        has(&[
            "event=\"passkey_sign_in\"",
            "outcome=\"success\"",
            "username=\"miguel\""
        ]),
        "{log}"
    );
    assert!(
        has(&[
            "event=\"passkey_sign_in\"",
            "outcome=\"failure\"",
            "username=\"miguel\"",
            "reason="
        ]),
        "{log}"
    );
    assert!(
        has(&[
            "event=\"passkey_sign_in\"",
            "outcome=\"failure\"",
            "unknown or removed passkey"
        ]),
        "{log}"
    );
    assert!(
        has(&[
            "event=\"session_started\"",
            "signed_in_with=\"passkey\"",
            &format!("session=\"{}\"", session_of(&passkey_token)),
        ]),
        "{log}"
    );
    assert!(!log.contains("python"), "a password reached the log: {log}");
}

/// Two-step verification, from setup to an operator's reset: every event audited, and neither
/// the secret, a code nor a recovery code in the log. The reset is the same binary's
/// `account reset-two-step` subcommand, on the same database.
#[tokio::test]
async fn two_step_events_are_audited_and_an_operator_can_reset_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = Running::start_with(dir.path(), &[]).await;
    let api = &server.api;
    let token = api.token_for("miguel", "python").await;
    wait_for_a_fresh_step().await;
    let setup = api.begin_totp(&token).await;
    let key = setup["secret"].as_str().unwrap().to_owned();
    let phone = AuthenticatorApp::from_setup_key(&key);
    let wrong = if phone.code(1) == "999999" {
        "999998"
    } else {
        "999999"
    };
    assert_eq!(api.confirm_totp(&token, wrong).await.status(), 403);
    let confirmed = api.confirm_totp(&token, &phone.code(1)).await;
    assert_eq!(confirmed.status(), 200);
    let body: Value = confirmed.json().await.unwrap();
    let codes: Vec<String> = body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|code| code.as_str().unwrap().to_owned())
        .collect();
    let code = phone.code(0);
    let with = |code: &str| {
        let code = code.to_owned();
        async move {
            api.get_basic_with_code("/api/token", "miguel", "python", &code)
                .await
        }
    };
    assert_eq!(with(&code).await.status(), 200);
    assert_eq!(with(&code).await.status(), 401, "replayed");
    assert_eq!(with("000000x").await.status(), 401, "refused");
    assert_eq!(with(&codes[0]).await.status(), 200, "recovery code");
    assert_eq!(
        api.get_basic("/api/token", "miguel", "python")
            .await
            .status(),
        401
    );

    // The operator's reset, on the same database, while the server runs.
    let reset = crate::harness::command(dir.path(), crate::harness::free_port())
        .args(["account", "reset-two-step", "miguel"])
        .output()
        .unwrap();
    assert!(reset.status.success(), "{reset:?}");
    let said = String::from_utf8_lossy(&reset.stdout);
    assert!(said.contains("now off"), "{said}");
    let log_of_reset = String::from_utf8_lossy(&reset.stderr).into_owned()
        + &String::from_utf8_lossy(&reset.stdout);
    assert!(
        log_of_reset.contains("event=\"two_step_off\""),
        "{log_of_reset}"
    );
    let again = crate::harness::command(dir.path(), crate::harness::free_port())
        .args(["account", "reset-two-step", "nobody"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("no account"));
    api.token("miguel", "python").await;
    assert!(server.terminate().success());

    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap() + &log_of_reset;
    let audit: Vec<&str> = log.lines().filter(|l| l.contains("audit")).collect();
    let has = |what: &[&str]| {
        audit
            .iter()
            .any(|line| what.iter().all(|part| line.contains(part)))
    };
    for outcome in [
        "setup_code_refused",
        "code_required",
        "code_accepted",
        "replay_refused",
        "code_refused",
    ] {
        let expected = format!("outcome=\"{outcome}\"");
        assert!(
            has(&["event=\"two_step\"", &expected, "username=\"miguel\""]),
            "{outcome}: {log}"
        );
    }
    assert!(
        has(&["outcome=\"recovery_code_used\"", "recovery_codes_left=9"]),
        "{log}"
    );
    assert!(
        has(&["event=\"two_step_on\"", "address=127.0.0.1"]),
        "{log}"
    );
    assert!(has(&["event=\"two_step_off\"", "by=\"operator\""]), "{log}");
    assert!(
        has(&[
            "event=\"session_started\"",
            "signed_in_with=\"password_and_code\""
        ]),
        "{log}"
    );
    assert!(
        has(&[
            "event=\"session_started\"",
            "signed_in_with=\"recovery_code\""
        ]),
        "{log}"
    );
    let mut secrets = vec![key.clone(), key.to_lowercase(), code];
    for recovery in &codes {
        secrets.push(recovery.clone());
        secrets.push(recovery.replace('-', ""));
    }
    for secret in secrets {
        assert!(!log.contains(&secret), "{secret} reached the log: {log}");
    }
}

#[tokio::test]
async fn every_line_a_request_causes_carries_its_id() {
    let dir = tempfile::tempdir().unwrap();
    let server = Running::start_with(dir.path(), &[]).await;
    let api = &server.api;
    // A proxy's id is kept, quoted in the line: it cannot forge a field.
    let from_proxy = r#"proxy-7 "route=x""#;
    let registered = api
        .client
        .post(api.url("/api/users"))
        .header("x-request-id", from_proxy)
        .json(&json!({ "username": "miguel", "password": "python" }))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);
    assert_eq!(registered.headers()["x-request-id"], from_proxy);
    let refused = api.get_basic("/api/token", "miguel", "wrong-guess").await;
    assert_eq!(refused.status(), 401);
    let made = refused.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(server.terminate().success());

    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
    let lines_of = |id: &str| -> Vec<&str> {
        let field = format!("request_id={id:?}");
        log.lines().filter(|line| line.ends_with(&field)).collect()
    };
    let proxied = lines_of(from_proxy);
    assert!(
        proxied.iter().any(|line| line.contains("user registered")),
        "{log}"
    );
    assert!(
        proxied.iter().any(|line| line
            .contains(" request: method=POST route=\"/api/users\" status=201 latency_us=")),
        "{log}"
    );
    let own = lines_of(&made);
    assert!(
        own.iter()
            .any(|line| line.contains(" audit: event=\"login\" outcome=\"failure\"")),
        "{log}"
    );
    assert!(
        own.iter()
            .any(|line| line.contains("route=\"/api/token\" status=401")),
        "{log}"
    );
    // Lines outside any request carry no id.
    let listening = log
        .lines()
        .find(|line| line.contains("listening on"))
        .unwrap();
    assert!(!listening.contains("request_id"), "{listening}");
}

/// A sign-in is recorded once, after every factor: the password step of a two-step account
/// writes no login line (it waits for the code), a wrong code one failure (not a success and a
/// failure), the right one a success. A refresh token used again after its grace period ends
/// its session, audited as such.
#[tokio::test]
async fn a_sign_in_is_audited_once_and_a_reused_refresh_token_ends_its_session() {
    let dir = tempfile::tempdir().unwrap();
    let server = Running::start_with(dir.path(), &[]).await;
    let api = &server.api;
    let token = api.token_for("susan", "python").await;
    let (phone, _) = api.turn_on_two_step(&token).await;
    let post = |path: &'static str, body: Value| async move {
        api.client
            .post(api.url(path))
            .json(&body)
            .send()
            .await
            .unwrap()
    };
    let log_path = dir.path().join("server.log");
    let logins = || {
        std::fs::read_to_string(&log_path)
            .unwrap()
            .lines()
            .filter(|line| line.contains("event=\"login\"") && line.contains("\"susan\""))
            .map(|line| {
                line.split("outcome=\"")
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect::<Vec<_>>()
    };
    let step = post(
        "/api/sign-in",
        json!({ "username": "susan", "password": "python" }),
    )
    .await;
    assert_eq!(step.status(), 202);
    let ticket = step.json::<Value>().await.unwrap()["ticket"].clone();
    assert_eq!(
        logins(),
        ["success"],
        "the password step waits for the code"
    );
    let wrong = if phone.code(0) == "999999" {
        "999998"
    } else {
        "999999"
    };
    let refused = post(
        "/api/sign-in/code",
        json!({ "ticket": ticket, "code": wrong }),
    )
    .await;
    assert_eq!(refused.status(), 401);
    wait_for_a_fresh_step().await;
    let signed_in = post(
        "/api/sign-in/code",
        json!({ "ticket": ticket, "code": phone.code(0) }),
    )
    .await;
    assert_eq!(signed_in.status(), 200);

    let body: Value = signed_in.json().await.unwrap();
    let refresh_token = body["refresh_token"].clone();
    let session = session_of(body["token"].as_str().unwrap());
    let rotated = post(
        "/api/token/refresh",
        json!({ "refresh_token": refresh_token }),
    )
    .await;
    assert_eq!(rotated.status(), 200);
    // Its use was a minute ago: presented now, it is a copy in other hands.
    let url = format!("sqlite:{}", dir.path().join("data/rest-auth.db").display());
    let db = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("UPDATE refresh_tokens SET used_at = used_at - 60 WHERE used_at IS NOT NULL")
        .execute(&db)
        .await
        .unwrap();
    db.close().await;
    let reused = post(
        "/api/token/refresh",
        json!({ "refresh_token": refresh_token }),
    )
    .await;
    assert_eq!(reused.status(), 401);
    assert!(server.terminate().success());
    // The sign-in that turned two-step on; then the password step, which waits for the code
    // and writes no login line; the wrong code; the right one.
    assert_eq!(logins(), ["success", "failure", "success"]);
    let log = std::fs::read_to_string(&log_path).unwrap();
    let line = log
        .lines()
        .find(|line| line.contains("reason=\"refresh_token_reused\""))
        .unwrap_or_else(|| panic!("no reuse line: {log}"));
    assert!(line.contains(&format!("session=\"{session}\"")), "{line}");
    assert!(
        !log.contains(refresh_token.as_str().unwrap()),
        "no refresh token in the log"
    );
    assert!(
        !log.contains(ticket.as_str().unwrap()),
        "no ticket in the log"
    );
}
