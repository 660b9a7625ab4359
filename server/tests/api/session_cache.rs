//! The token path's cache of sessions under a scan: a pass of one-off tokens larger than the
//! cache does not flush the sessions in use. Witnessed by PostgreSQL's own count of scans of
//! the sessions table, so PostgreSQL only (ignored in a plain `cargo test`, run by scripts/test.sh's PostgreSQL
//! pass).

use crate::{common::TestApp, support::postgres::required_admin_url};
use base64::Engine;
use jsonwebtoken::encode;
use serde_json::{json, Value};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long a PostgreSQL backend may hold its counts before reporting them (it reports within
/// 10 s of going idle).
const STATISTICS_SETTLE: Duration = Duration::from_secs(11);

/// Session lookups the app answered from the database so far (its `/metrics`).
async fn database_lookups(app: &TestApp) -> u64 {
    let text = app.get("/metrics").await.text().await.unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix("session_lookups_total{answered_from=\"database\"} "))
        .unwrap_or_else(|| panic!("no database lookups in\n{text}"))
        .parse()
        .unwrap()
}

/// Scans of the sessions table so far (by any plan), as PostgreSQL counts them. Not the
/// database's transactions: those include autovacuum's and the harness's own (15 more than the
/// reads on one slow CI run).
async fn sessions_scans(app: &TestApp) -> i64 {
    tokio::time::sleep(STATISTICS_SETTLE).await;
    let counted = app
        .query_strings(
            "SELECT (coalesce(seq_scan, 0) + coalesce(idx_scan, 0))::text \
             FROM pg_stat_user_tables WHERE relname = 'sessions'",
        )
        .await;
    counted[0].parse().unwrap()
}

#[tokio::test]
#[ignore = "needs TEST_POSTGRES_URL"]
async fn a_hot_set_survives_a_pass_of_cold_tokens_larger_than_the_cache() {
    required_admin_url();
    let capacity = 100;
    let (hot_sessions, cold_sessions, fresh_sessions) = (50, 1_000, 20);
    let app = TestApp::spawn_with(|config| {
        config.store.cached_sessions = capacity;
        // No last-use writes during the test (a slow run would pass the minute): the count is
        // of reads.
        config.session_touch_interval = Duration::from_secs(3600);
    })
    .await;
    let token = app.token_for("miguel", "python").await;
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    // Copies of this session in the database, one per token below: one password hash, not a
    // thousand.
    let sid = claims["sid"].as_str().unwrap();
    let sessions = hot_sessions + cold_sessions + fresh_sessions;
    for statement in [
        format!(
            "CREATE TABLE copies AS SELECT s.*, n FROM sessions s, \
             generate_series(1, {sessions}) n WHERE s.id = '{sid}'"
        ),
        "UPDATE copies SET id = lpad(to_hex(n), 32, '0')".into(),
        "ALTER TABLE copies DROP COLUMN n".into(),
        "INSERT INTO sessions SELECT * FROM copies".into(),
        "DROP TABLE copies".into(),
    ] {
        app.execute_sql(&statement).await;
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let (header, key) = app.token_signing();
    let tokens: Vec<String> = (1..=sessions)
        .map(|n| {
            let claims = json!({
                "sub": claims["sub"], "iat": now, "exp": now + 600, "jti": format!("{n:x}"),
                "sid": format!("{n:032x}"), "auth_time": claims["auth_time"],
            });
            encode(&header, &claims, &key).unwrap()
        })
        .collect();
    let (hot, rest) = tokens.split_at(hot_sessions);
    let (cold, fresh) = rest.split_at(cold_sessions);
    let app = &app;
    let use_all = |tokens: &[String]| {
        let tokens = tokens.to_vec();
        async move {
            for token in tokens {
                assert_eq!(app.resource_status(&token).await, 200);
            }
        }
    };
    // The hot set, asked for again and again; then a pass of ten times the cache's size of
    // tokens used once each.
    for _ in 0..10 {
        use_all(hot).await;
    }
    use_all(cold).await;

    // Now the hot set again, and, to show the count sees a read, sessions never used before.
    let before = sessions_scans(app).await;
    let lookups = database_lookups(app).await;
    use_all(hot).await;
    let hot_reads = database_lookups(app).await - lookups;
    use_all(fresh).await;
    let fresh_reads = database_lookups(app).await - lookups - hot_reads;
    let scans = sessions_scans(app).await - before;
    let counted = format!(
        "{scans} scans of the sessions table; database reads: {hot_reads} for {hot_sessions} hot sessions, \
         then {fresh_reads} for {fresh_sessions} fresh ones"
    );
    eprintln!("{counted}");
    // TinyLFU admission is an estimate: in 100 runs of this pass in memory, at most 2 of the
    // 50 hot sessions were pushed out (with least-recently-used eviction, all 50 would be).
    assert!(hot_reads <= 5, "{counted}");
    assert_eq!(fresh_reads, fresh_sessions as u64, "{counted}");
    // A scan per session looked up in the database; a once-a-minute expiry sweep falling in the
    // window adds one or two.
    let reads = (hot_reads + fresh_reads) as i64;
    assert!((reads..=reads + 2).contains(&scans), "{counted}");
}
