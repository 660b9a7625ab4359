//! Two instances whose PostgreSQL drops their connections: every backend terminated (what a
//! restart, a failover or an idle timeout does to a pool), and a real restart of a server the
//! test starts itself. No request may fail on a pooled connection that died while idle.

use crate::{
    multi_instance::Pair,
    support::{client::Api, postgres_server::PostgresServer},
};
use futures::future::join_all;
use serde_json::Value;

/// One request of every kind that reaches the database, through `api`, as number `n`: a token
/// request, the session list (a read on every call), a registration, a password sign-in.
/// Returns what failed, if anything.
async fn every_kind(api: &Api, token: &str, n: usize) -> Vec<String> {
    let mut failed = Vec::new();
    let mut check = |what: &str, status: u16, expected: u16| {
        if status != expected {
            failed.push(format!("{what} #{n}: {status}"));
        }
    };
    check("token request", api.resource_status(token).await, 200);
    let sessions = api.get_bearer("/api/sessions", token).await;
    check("session list", sessions.status().as_u16(), 200);
    let registered = api.register(&format!("user{n}"), "python").await;
    check("registration", registered.status().as_u16(), 201);
    let signed_in = api.get_basic("/api/token", "miguel", "python").await;
    check("sign-in", signed_in.status().as_u16(), 200);
    failed
}

/// Sends 100 requests of every kind, spread over both instances, 8 at a time; every failure.
async fn hundred_of_every_kind(pair: &Pair, token: &str, first: usize) -> Vec<String> {
    let mut failed = Vec::new();
    for batch in (first..first + 100).collect::<Vec<_>>().chunks(8) {
        let requests = batch.iter().map(|&n| {
            let api = if n % 2 == 0 { &pair.a.api } else { &pair.b.api };
            every_kind(api, token, n)
        });
        failed.extend(join_all(requests).await.into_iter().flatten());
    }
    failed
}

async fn terminate_every_backend(url: &str) -> i64 {
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(url).await.unwrap();
    let killed: i64 = sqlx::query_scalar(
        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    admin.close().await.unwrap();
    killed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs TEST_POSTGRES_URL"]
async fn no_request_fails_after_every_backend_is_terminated() {
    let pair = Pair::start(&[]).await;
    let token = pair.a.api.token_for("miguel", "python").await;
    // Fill both pools with idle connections.
    assert!(hundred_of_every_kind(&pair, &token, 0).await.is_empty());

    let killed = terminate_every_backend(&pair.url).await;
    assert!(
        killed >= 4,
        "pooled connections of both instances: {killed}"
    );
    let failed = hundred_of_every_kind(&pair, &token, 100).await;
    assert!(
        failed.is_empty(),
        "failed after pg_terminate_backend: {failed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs TEST_POSTGRES_URL"]
async fn every_request_succeeds_once_a_restarted_database_is_up() {
    let server = PostgresServer::start();
    let pair = Pair::start_on(&server.url(), &[]).await;
    let token = pair.a.api.token_for("miguel", "python").await;
    assert!(hundred_of_every_kind(&pair, &token, 0).await.is_empty());

    server.restart();
    // The first requests after it is up, on both instances, and then many more.
    let mut failed = Vec::new();
    for (n, api) in [&pair.a.api, &pair.b.api].into_iter().enumerate() {
        failed.extend(every_kind(api, &token, 1000 + n).await);
    }
    failed.extend(hundred_of_every_kind(&pair, &token, 100).await);
    assert!(failed.is_empty(), "failed after the restart: {failed:?}");
    let health: Value = pair.b.api.get("/readyz").await.json().await.unwrap();
    assert_eq!(health["status"], "ready");
}
