//! The audit trail in the server's log, and the secrets that must never reach it.

use crate::harness::Running;
use serde_json::Value;

#[tokio::test]
async fn logins_locks_and_revocations_are_audited_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let secret_key = "audit-test-secret-key-0123456789abcdef";
    let password = "correct-horse-battery-staple";
    let wrong = "wrong-guess-tr0ub4dor";
    let server = Running::start_with(
        dir.path(),
        &[
            ("SECRET_KEY", secret_key),
            ("LOGIN_FAILURES_PER_USERNAME", "2"),
        ],
    )
    .await;
    let api = &server.api;
    let login = |pass: &'static str| api.get_basic("/api/token", "miguel", pass);

    assert_eq!(api.register("miguel", password).await.status(), 201);
    let token = api.token("miguel", password).await;
    assert_eq!(api.post_bearer("/api/logout", &token).await.status(), 204);
    assert_eq!(login(wrong).await.status(), 401);
    assert_eq!(login(wrong).await.status(), 401);
    assert_eq!(login(password).await.status(), 429);
    assert!(server.terminate().success());

    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
    let audit: Vec<&str> = log.lines().filter(|l| l.contains("audit")).collect();
    let has = |outcome: &str| {
        audit.iter().any(|line| {
            line.contains(outcome)
                && line.contains("username=\"miguel\"")
                && line.contains("address=127.0.0.1")
        })
    };
    assert!(has("outcome=\"success\""), "{log}");
    assert!(has("outcome=\"failure\""), "{log}");
    assert!(has("outcome=\"locked\""), "{log}");
    assert!(has("outcome=\"refused_locked\""), "{log}");
    assert!(has("event=\"tokens_revoked\""), "{log}");
    for secret in [secret_key, password, wrong, token.as_str()] {
        assert!(!log.contains(secret), "a secret reached the log: {log}");
    }
    // Nor any recognisable piece of the token (its signature).
    let signature = token.rsplit('.').next().unwrap();
    assert!(!log.contains(signature));
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
        .find(|line| line["span"]["request_id"] == request_id.as_str())
        .unwrap_or_else(|| panic!("no line for {request_id}: {log}"));
    assert_eq!(request_line["span"]["method"], "GET");
    assert_eq!(request_line["span"]["route"], "/api/users/{id}");
    assert_eq!(request_line["fields"]["status"], 404);
    assert!(request_line["fields"]["latency"].is_string());
}
