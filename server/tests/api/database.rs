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
        config.pool.acquire_timeout = Duration::from_secs(1);
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
