//! Many requests at once, of every kind: none may fail with a 5xx.

use crate::common::TestApp;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_parallel_mixed_requests_leave_no_5xx() {
    let app = TestApp::spawn().await;
    let token = app.token_for("miguel", "python").await;
    let mut requests = tokio::task::JoinSet::new();
    for i in 0..200 {
        let client = &app.client;
        let request = match i % 8 {
            0 => client
                .post(app.url("/api/users"))
                .json(&json!({ "username": format!("user{i}"), "password": "python" })),
            1 => client
                .post(app.url("/api/users"))
                .json(&json!({ "username": "miguel", "password": "python" })),
            2 => client
                .get(app.url("/api/token"))
                .basic_auth("miguel", Some("python")),
            3 => client.get(app.url("/api/resource")).bearer_auth(&token),
            4 => client
                .get(app.url("/api/resource"))
                .basic_auth(&token, Some("x")),
            5 => client.get(app.url(&format!("/api/users/{}", i % 5))),
            6 => client
                .get(app.url("/api/resource"))
                .basic_auth("miguel", Some("wrong")),
            _ => client.get(app.url("/login")),
        };
        requests.spawn(async move { (i, request.send().await.unwrap().status().as_u16()) });
    }
    let results = requests.join_all().await;
    let server_errors: Vec<_> = results.iter().filter(|(_, s)| *s >= 500).collect();
    assert!(server_errors.is_empty(), "{server_errors:?}");
    assert_eq!(results.len(), 200);
    // Every registration of a fresh name went through.
    for (i, status) in &results {
        if i % 8 == 0 {
            assert_eq!(*status, 201, "request {i}");
        }
    }
}
