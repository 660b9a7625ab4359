//! Crash safety and graceful shutdown of the real process.

use crate::harness::Running;
use serde_json::Value;
use sqlx::{sqlite::SqliteConnectOptions, ConnectOptions, Connection};
use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

/// kill -9 during a stream of registrations: after a restart, every registration that was
/// answered 201 is there, and the database passes SQLite's integrity check.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn registrations_answered_201_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let server = Running::start(dir.path()).await;
    let confirmed: Arc<Mutex<Vec<(String, String)>>> = Arc::default();

    let mut writers = Vec::new();
    for writer in 0..4 {
        let api = server.api.clone();
        let confirmed = confirmed.clone();
        writers.push(tokio::spawn(async move {
            for n in 0.. {
                let username = format!("w{writer}n{n}");
                // Not `api.register`, which panics on a refused connection.
                let sent = api
                    .client
                    .post(api.url("/api/users"))
                    .json(&serde_json::json!({ "username": username, "password": "python" }))
                    .send()
                    .await;
                match sent {
                    Ok(response) if response.status() == 201 => {
                        let location = response.headers()["location"].to_str().unwrap().to_owned();
                        confirmed.lock().unwrap().push((username, location));
                    }
                    // The server is gone: stop writing.
                    _ => return,
                }
            }
        }));
    }
    // Let a good number of registrations land, then pull the plug mid-stream.
    while confirmed.lock().unwrap().len() < 40 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill_hard();
    for writer in writers {
        writer.await.unwrap();
    }
    let confirmed = confirmed.lock().unwrap().clone();
    assert!(confirmed.len() >= 40);

    let server = Running::start(dir.path()).await;
    for (username, location) in &confirmed {
        let path = location.split_once("/api/").unwrap().1;
        let response = server.api.get(&format!("/api/{path}")).await;
        assert_eq!(response.status(), 200, "{username} at {location} was lost");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["username"], username.as_str());
    }
    // A confirmed account can log in.
    let (username, _) = &confirmed[confirmed.len() / 2];
    let response = server.api.get_basic("/api/token", username, "python").await;
    assert_eq!(response.status(), 200);
    assert!(server.terminate().success());

    let mut db = SqliteConnectOptions::new()
        .filename(dir.path().join("data/rest-auth.db"))
        .connect()
        .await
        .unwrap();
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(check, "ok");
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(journal, "wal");
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert!(rows as usize >= confirmed.len());
    db.close().await.unwrap();
}

/// SIGTERM while password logins are queued: every one of them is answered, then the process
/// exits cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_drains_in_flight_requests() {
    let dir = tempfile::tempdir().unwrap();
    // Twelve password requests at once for one name take twelve places in its brute-force
    // count before any is judged: more than the default ten.
    let server = Running::start_with(
        dir.path(),
        &[
            ("HASH_CONCURRENCY", "1"),
            ("LOGIN_FAILURES_PER_USERNAME", "20"),
        ],
    )
    .await;
    assert_eq!(server.api.register("miguel", "python").await.status(), 201);

    // Each login holds the single hashing permit in turn, so these take a while to answer.
    let in_flight: Vec<_> = (0..12)
        .map(|_| {
            let api = server.api.clone();
            tokio::spawn(async move { api.get_basic("/api/token", "miguel", "python").await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(60)).await;
    server.send_sigterm();
    let started_before_sigterm = in_flight.iter().filter(|t| !t.is_finished()).count();
    assert!(started_before_sigterm > 0, "requests were still in flight");

    for request in in_flight {
        assert_eq!(request.await.unwrap().status(), 200);
    }
    let api = server.api.clone();
    assert!(server.wait().success(), "clean exit after draining");
    assert!(
        api.client.get(api.url("/healthz")).send().await.is_err(),
        "no longer listening"
    );
}
