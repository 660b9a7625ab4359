//! Several `rest-auth` processes on one PostgreSQL database and one key, as behind a load
//! balancer; and a server started before its database. PostgreSQL only: ignored in a plain
//! `cargo test`, run by scripts/test.sh's PostgreSQL pass (`--include-ignored`).

use crate::{
    harness::{free_port, Running},
    support::{
        client::{assert_exactly_one_created, register_concurrently},
        postgres::{required_admin_url, TestDatabase},
        tcp_link::CuttableLink,
    },
};

const SHARED_KEY: &str = "multi-instance-shared-secret-0123456789abcdef";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs TEST_POSTGRES_URL"]
async fn two_instances_share_users_tokens_and_revocations() {
    let db = TestDatabase::create(&required_admin_url()).await;
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let env = [
        ("DATABASE_URL", db.url.as_str()),
        ("SECRET_KEY", SHARED_KEY),
    ];
    let a = Running::start_with(dir_a.path(), &env).await;
    let b = Running::start_with(dir_b.path(), &env).await;

    // Registered through A, logs in through B.
    assert_eq!(a.api.register("miguel", "python").await.status(), 201);
    let from_b = b.api.token("miguel", "python").await;
    // A token from A works on B, and the other way round.
    let from_a = a.api.token("miguel", "python").await;
    assert_eq!(b.api.resource_status(&from_a).await, 200);
    assert_eq!(a.api.resource_status(&from_b).await, 200);

    // A logout through B revokes the token on A at once.
    let logout = b.api.post_bearer("/api/logout", &from_b).await;
    assert_eq!(logout.status(), 204);
    assert_eq!(a.api.resource_status(&from_a).await, 401);
    assert_eq!(b.api.resource_status(&from_a).await, 401);

    // 50 concurrent registrations of one name, spread over both: exactly one 201.
    let statuses = register_concurrently(&[&a.api, &b.api], &["contested"], 50).await;
    assert_eq!(statuses.len(), 50);
    assert_exactly_one_created(&statuses);
}

#[tokio::test]
#[ignore = "needs TEST_POSTGRES_URL"]
async fn start_up_waits_for_a_database_that_is_not_there_yet() {
    let db = TestDatabase::create(&required_admin_url()).await;
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
