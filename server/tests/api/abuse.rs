//! Abuse resistance: brute-force limits, no user enumeration, bounded hashing.

use crate::common::{assert_json_error, assert_unauthorized, TestApp};
use axum::http::HeaderName;
use serde_json::Value;
use server::auth::throttle::{Limit, LoginLimits};
use std::time::Duration;

fn limits(per_username: u32, per_address: u32) -> LoginLimits {
    LoginLimits {
        per_username: Limit::new(per_username, Duration::from_secs(900)).unwrap(),
        per_address: Limit::new(per_address, Duration::from_secs(60)).unwrap(),
    }
}

async fn assert_too_many(response: reqwest::Response, retry_after: u64) {
    assert_eq!(response.status(), 429);
    let header: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        header <= retry_after && header + 2 >= retry_after,
        "Retry-After {header}, expected about {retry_after}"
    );
    let message = assert_json_error(response).await;
    assert_eq!(
        message,
        format!("Too many attempts, try again in {header} seconds.")
    );
}

#[tokio::test]
async fn a_username_locks_after_its_failures_even_for_the_right_password() {
    let app = TestApp::spawn_with(|config| config.login_limits = limits(3, 100)).await;
    let token = app.token_for("miguel", "python").await;
    for _ in 0..3 {
        assert_unauthorized(app.get_basic("/api/token", "miguel", "wrong!").await).await;
    }
    let hashes = app.state.hashing.runs();
    // 900 s / 3 failures: one more attempt every 300 s.
    assert_too_many(app.get_basic("/api/token", "miguel", "python").await, 300).await;
    assert_too_many(app.get_basic("/api/resource", "MIGUEL", "wrong").await, 300).await;
    assert_eq!(
        app.state.hashing.runs(),
        hashes,
        "no password hash runs while locked"
    );
    // Tokens are not passwords: a token obtained before still works.
    assert_eq!(app.get_bearer("/api/resource", &token).await.status(), 200);
    // Other users are not affected.
    assert_eq!(app.register("susan", "python").await.status(), 201);
    assert_eq!(
        app.get_basic("/api/token", "susan", "python")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn successes_do_not_use_up_the_allowance() {
    let app = TestApp::spawn_with(|config| config.login_limits = limits(2, 2)).await;
    assert_eq!(app.register("miguel", "python").await.status(), 201);
    for _ in 0..6 {
        app.token("miguel", "python").await;
    }
    assert_unauthorized(app.get_basic("/api/token", "miguel", "nope!!").await).await;
    app.token("miguel", "python").await;
}

#[tokio::test]
async fn an_address_locks_after_its_failures_across_usernames() {
    let app = TestApp::spawn_with(|config| {
        config.login_limits = limits(100, 4);
        config.client_ip_header = Some(HeaderName::from_static("x-real-ip"));
    })
    .await;
    assert_eq!(app.register("miguel", "python").await.status(), 201);
    let from = |address: &'static str, user: &str, password: &str| {
        app.client
            .get(app.url("/api/token"))
            .basic_auth(user, Some(password))
            .header("x-real-ip", address)
            .send()
    };
    for i in 0..4 {
        let response = from("10.0.0.1", &format!("guess{i}"), "password")
            .await
            .unwrap();
        assert_unauthorized(response).await;
    }
    // 60 s / 4 failures: one more every 15 s.
    assert_too_many(from("10.0.0.1", "miguel", "python").await.unwrap(), 15).await;
    // Another client is not locked out, and neither is the user.
    assert_eq!(
        from("10.0.0.2", "miguel", "python").await.unwrap().status(),
        200
    );
}

#[tokio::test]
async fn unknown_user_and_wrong_password_look_the_same() {
    let app = TestApp::spawn().await;
    assert_eq!(app.register("miguel", "python").await.status(), 201);

    let before = app.state.hashing.runs();
    let wrong_password = app.get_basic("/api/token", "miguel", "ruby!!").await;
    assert_eq!(app.state.hashing.runs(), before + 1);
    let unknown_user = app.get_basic("/api/token", "nobody", "ruby!!").await;
    assert_eq!(
        app.state.hashing.runs(),
        before + 2,
        "an unknown user costs one hash, like a wrong password"
    );

    assert_eq!(wrong_password.status(), unknown_user.status());
    let headers = |r: &reqwest::Response| {
        let mut h: Vec<_> = r
            .headers()
            .iter()
            .filter(|(name, _)| *name != "date" && *name != "x-request-id")
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
            .collect();
        h.sort();
        h
    };
    assert_eq!(headers(&wrong_password), headers(&unknown_user));
    assert_eq!(
        wrong_password.bytes().await.unwrap(),
        unknown_user.bytes().await.unwrap()
    );
}

#[tokio::test]
async fn unknown_users_lock_like_real_ones() {
    let app = TestApp::spawn_with(|config| config.login_limits = limits(2, 100)).await;
    assert_eq!(app.register("miguel", "python").await.status(), 201);
    for user in ["miguel", "nobody"] {
        for _ in 0..2 {
            assert_unauthorized(app.get_basic("/api/token", user, "wrong!").await).await;
        }
        assert_eq!(
            app.get_basic("/api/token", user, "wrong!").await.status(),
            429
        );
    }
}

/// A flood of password logins queues on the hashing pool (never more hashes at once than its
/// permits) while requests with a token keep being answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_password_flood_queues_and_tokens_are_still_served() {
    let app = TestApp::spawn_with(|config| {
        config.hash_concurrency = 1;
        config.login_limits = limits(1000, 1000);
    })
    .await;
    let token = app.token_for("miguel", "python").await;

    let flood: Vec<_> = (0..24)
        .map(|_| {
            let request = app
                .client
                .get(app.url("/api/token"))
                .basic_auth("miguel", Some("python"));
            tokio::spawn(async move { request.send().await.unwrap().status() })
        })
        .collect();
    // Let the flood reach the server and queue.
    tokio::time::sleep(Duration::from_millis(50)).await;
    for _ in 0..20 {
        let response = app.get_bearer("/api/resource", &token).await;
        assert_eq!(response.status(), 200);
    }
    let unfinished = flood.iter().filter(|task| !task.is_finished()).count();
    assert!(
        unfinished > 0,
        "token requests were answered while password logins were still queued"
    );
    for task in flood {
        assert_eq!(task.await.unwrap(), 200);
    }
    assert_eq!(app.state.hashing.peak_concurrency(), 1);
}

#[tokio::test]
async fn oversized_and_non_json_bodies_are_4xx() {
    let app = TestApp::spawn().await;
    let big = format!(
        r#"{{"username":"miguel","password":"{}"}}"#,
        "p".repeat(17 * 1024)
    );
    let response = app.post_users_raw("application/json", big).await;
    assert_eq!(response.status(), 413);
    assert_json_error(response).await;
    let response = app.post_users_raw("text/plain", "username=miguel").await;
    assert_eq!(response.status(), 415);
    assert_json_error(response).await;
    let response = app
        .post_users_raw("application/json", "\u{0}\u{1}garbage")
        .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"].is_string());
}

/// Behind a proxy that appends the address it saw to `X-Forwarded-For`, the client's own lines
/// come first: whatever it writes, on as many lines as it likes, the address that counts (for
/// the limits, the audit log and the session) is the last entry of the last line.
#[tokio::test]
async fn the_address_behind_a_proxy_is_the_last_entry_of_the_last_forwarded_line() {
    let app = TestApp::spawn_with(|config| {
        config.client_ip_header = Some(HeaderName::from_static("x-forwarded-for"));
    })
    .await;
    assert_eq!(app.register("miguel", "python").await.status(), 201);
    let response = app
        .client
        .get(app.url("/api/token"))
        .basic_auth("miguel", Some("python"))
        .header("x-forwarded-for", "10.0.0.1")
        .header("x-forwarded-for", "10.0.0.2, 10.0.0.3")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let token: Value = response.json().await.unwrap();
    let sessions = app.sessions(token["token"].as_str().unwrap()).await;
    assert_eq!(sessions[0]["address"], "10.0.0.3");
}

/// A request its client gives up on before it is judged (a timeout, a closed tab) gives its
/// place in the counts back: clients that time out while the hashes queue do not lock out a
/// name they know the password of, nor their address.
#[tokio::test]
async fn requests_given_up_before_their_verdict_take_no_place() {
    let app = TestApp::spawn_with(|config| {
        config.login_limits = limits(3, 3);
        config.hash_concurrency = 1;
    })
    .await;
    assert_eq!(app.register("miguel", "python").await.status(), 201);
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(15))
        .build()
        .unwrap();
    let mut sent = tokio::task::JoinSet::new();
    for _ in 0..12 {
        let request = impatient
            .get(app.url("/api/token"))
            .basic_auth("miguel", Some("python"));
        sent.spawn(async move { request.send().await.map(|r| r.status().as_u16()) });
    }
    let answers = sent.join_all().await;
    let given_up = answers.iter().filter(|answer| answer.is_err()).count();
    assert!(
        given_up >= 1,
        "a request waited longer than its client: {answers:?}"
    );
    // Whatever became of the requests given up, every place they held is back: three wrong
    // passwords are judged (three places), and the fourth finds the name locked. A place is
    // taken and given back by statements (PostgreSQL) that a loaded machine may run late:
    // first the server goes quiet (no hash running, no connection in use, for 300 ms).
    wait_until_quiet(&app).await;
    for _ in 0..3 {
        assert_unauthorized(app.get_basic("/api/token", "miguel", "wrong!").await).await;
    }
    assert_eq!(
        app.get_basic("/api/token", "miguel", "python")
            .await
            .status(),
        429
    );
}

/// Waits (up to 20 s) until nothing the server started is still running: no hash, and no
/// database connection in use, three times in a row 100 ms apart.
async fn wait_until_quiet(app: &TestApp) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut quiet = 0;
    let mut runs = app.state.hashing.runs();
    while quiet < 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "the server never went quiet"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now_runs = app.state.hashing.runs();
        let idle = now_runs == runs && app.state.store.connections_in_use() == 0;
        quiet = if idle { quiet + 1 } else { 0 };
        runs = now_runs;
    }
}
