//! Several `rest-auth` processes on one PostgreSQL database and one key, as behind a load
//! balancer; and a server started before its database. These run in the PostgreSQL pass of
//! scripts/test.sh (`TEST_POSTGRES_URL`); without it they say so and return.

use crate::{
    harness::{free_port, Running},
    postgres::{admin_url, TestDatabase},
    tcp_link::CuttableLink,
};
use serde_json::{json, Value};

const SHARED_KEY: &str = "multi-instance-shared-secret-0123456789abcdef";

fn skip(test: &str) {
    eprintln!("SKIPPED {test}: no TEST_POSTGRES_URL (it runs in the PostgreSQL pass)");
}

async fn token(client: &reqwest::Client, base: &str, user: &str) -> String {
    let response = client
        .get(format!("{base}/api/token"))
        .basic_auth(user, Some("python"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

async fn resource(client: &reqwest::Client, base: &str, token: &str) -> u16 {
    client
        .get(format!("{base}/api/resource"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_share_users_tokens_and_revocations() {
    let Some(admin) = admin_url() else {
        return skip("two_instances_share_users_tokens_and_revocations");
    };
    let db = TestDatabase::create(&admin).await;
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let env = [
        ("DATABASE_URL", db.url.as_str()),
        ("SECRET_KEY", SHARED_KEY),
    ];
    let a = Running::start_with(dir_a.path(), &env).await;
    let b = Running::start_with(dir_b.path(), &env).await;
    let client = reqwest::Client::new();

    // Registered through A, logs in through B.
    let registered = client
        .post(format!("{}/api/users", a.base))
        .json(&json!({ "username": "miguel", "password": "python" }))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);
    let from_b = token(&client, &b.base, "miguel").await;
    // A token from A works on B, and the other way round.
    let from_a = token(&client, &a.base, "miguel").await;
    assert_eq!(resource(&client, &b.base, &from_a).await, 200);
    assert_eq!(resource(&client, &a.base, &from_b).await, 200);

    // A logout through B revokes the token on A at once.
    let logout = client
        .post(format!("{}/api/logout", b.base))
        .bearer_auth(&from_b)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    assert_eq!(resource(&client, &a.base, &from_a).await, 401);
    assert_eq!(resource(&client, &b.base, &from_a).await, 401);

    // 50 concurrent registrations of one name, spread over both: exactly one 201.
    let mut requests = tokio::task::JoinSet::new();
    for i in 0..50 {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        let request = client
            .post(format!("{base}/api/users"))
            .json(&json!({ "username": "contested", "password": "python" }));
        requests.spawn(async move { request.send().await.unwrap().status().as_u16() });
    }
    let statuses = requests.join_all().await;
    assert_eq!(
        statuses.iter().filter(|&&s| s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 409).count(),
        49,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn start_up_waits_for_a_database_that_is_not_there_yet() {
    let Some(admin) = admin_url() else {
        return skip("start_up_waits_for_a_database_that_is_not_there_yet");
    };
    let db = TestDatabase::create(&admin).await;
    // The server is told to use a port where, for now, nothing listens.
    let port = free_port();
    // With a password (trust authentication ignores it) that must not reach the log.
    let url = db
        .url
        .replace("127.0.0.1:5432", &format!("127.0.0.1:{port}"))
        .replace("postgres@", "postgres:pa55-not-in-logs@");
    assert!(
        url.contains(&format!(":{port}/")) && url.contains("pa55"),
        "{url}"
    );
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        let link = CuttableLink::bind(&format!("127.0.0.1:{port}"), "127.0.0.1:5432").await;
        std::mem::forget(link);
    });
    let dir = tempfile::tempdir().unwrap();
    // Each attempt gives up after a second, so start-up has to retry.
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("DATABASE_ACQUIRE_TIMEOUT_SECONDS", "1"),
    ];
    let server = Running::start_with(dir.path(), &env).await;
    assert!(server.terminate().success());
    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
    assert!(log.contains("database unreachable; retrying"), "{log}");
    assert!(
        !log.contains("pa55-not-in-logs"),
        "the password reached the log: {log}"
    );
}
