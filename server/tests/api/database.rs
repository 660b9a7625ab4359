//! What the API does when its database goes away.

use crate::{
    common::{assert_json_error, TestApp},
    support::{postgres::required_admin_url, tcp_link::CuttableLink},
};
use std::time::{Duration, Instant};

#[tokio::test]
#[ignore = "needs TEST_POSTGRES_URL"]
async fn a_database_that_goes_away_gives_503_until_it_comes_back() {
    required_admin_url();
    let link = CuttableLink::bind("127.0.0.1:0", "127.0.0.1:5432").await;
    let link_addr = link.addr;
    let app = TestApp::spawn_with(|config| {
        // Same database, reached through the link.
        let (scheme_user, rest) = config.database_url.split_once('@').unwrap();
        let (_, database) = rest.split_once('/').unwrap();
        config.database_url = format!("{scheme_user}@{link_addr}/{database}");
        config.store.acquire_timeout = Duration::from_secs(1);
    })
    .await;
    let token = app.token_for("miguel", "python").await;

    link.cut();
    for response in [
        app.get_bearer("/api/resource", &token).await,
        app.register("susan", "python").await,
        app.get_basic("/api/token", "miguel", "python").await,
    ] {
        assert_eq!(response.status(), 503);
        assert!(response.headers().contains_key("retry-after"));
        assert_json_error(response).await;
    }
    // The process is alive meanwhile, and says it is not ready.
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), 200);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 503);

    link.restore();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let status = app.get_bearer("/api/resource", &token).await.status();
        if status == 200 {
            break;
        }
        assert_eq!(status, 503, "only 503 while recovering");
        assert!(Instant::now() < deadline, "did not recover");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.register("susan", "python").await.status(), 201);
}

/// Shutdown stops the background work (the listener, the last-use writer, the expiry sweep and
/// the pruning of the limits) and closes the pool: nothing of the app stays connected to its
/// database, and nothing keeps running after it.
#[tokio::test]
#[ignore = "needs TEST_POSTGRES_URL"]
async fn shutting_down_stops_the_background_work_and_closes_the_database() {
    use sqlx::Connection;
    let admin_url = required_admin_url();
    let mut app = TestApp::spawn().await;
    let token = app.token_for("miguel", "python").await;
    assert_eq!(app.get_bearer("/api/resource", &token).await.status(), 200);
    let database = app.postgres_url().rsplit('/').next().unwrap().to_owned();
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    let connected = |application: &'static str| {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 \
             AND ($2 = '' OR application_name = $2)",
        )
        .bind(database.clone())
        .bind(application)
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while connected("rest-auth listener")
        .fetch_one(&mut admin)
        .await
        .unwrap()
        == 0
    {
        assert!(Instant::now() < deadline, "the listener never connected");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    app.shut_down().await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left = connected("").fetch_one(&mut admin).await.unwrap();
        if left == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{left} connections of a stopped app are still open"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    admin.close().await.unwrap();
}
