//! The token path's cache of sessions under a scan: a pass of one-off tokens larger than the
//! cache does not flush the sessions in use, with requests arriving four at a time. Witnessed by
//! the database itself: once the pass is over, every session but one is moved to another
//! account there (no session ends, so nothing tells the cache), and a token answered from
//! memory still works while one read from the database is refused.

use crate::common::TestApp;
use base64::Engine;
use futures::{stream, StreamExt};
use jsonwebtoken::encode;
use serde_json::{json, Value};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Requests in flight at once.
const CLIENTS: usize = 4;

/// Session lookups the app answered from the database so far (its `/metrics`).
async fn database_lookups(app: &TestApp) -> u64 {
    let text = app.get("/metrics").await.text().await.unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix("session_lookups_total{answered_from=\"database\"} "))
        .unwrap_or_else(|| panic!("no database lookups in\n{text}"))
        .parse()
        .unwrap()
}

/// `count` more sessions of the token's account, copied in the database from its own (one
/// password hash, not thousands), and a token for each. Their ids are `1` to `count` in hex.
async fn copies_of_the_session(app: &TestApp, token: &str, count: usize) -> Vec<String> {
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    let sid = claims["sid"].as_str().unwrap();
    let hex_id = match app.state.store.engine() {
        "postgres" => "lpad(to_hex(n), 32, '0')",
        _ => "printf('%032x', n)",
    };
    for statement in [
        format!(
            "CREATE TABLE copies AS SELECT s.*, c.n FROM sessions s, \
             (WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {count}) \
              SELECT n FROM c) c WHERE s.id = '{sid}'"
        ),
        format!("UPDATE copies SET id = {hex_id}"),
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
    (1..=count)
        .map(|n| {
            let claims = json!({
                "sub": claims["sub"], "iat": now, "exp": now + 600, "jti": format!("{n:x}"),
                "sid": format!("{n:032x}"), "auth_time": claims["auth_time"],
            });
            encode(&header, &claims, &key).unwrap()
        })
        .collect()
}

/// Uses each token once, `CLIENTS` at a time: the status of each.
async fn use_all(app: &TestApp, tokens: &[String]) -> Vec<u16> {
    stream::iter(tokens)
        .map(|token| app.resource_status(token))
        .buffer_unordered(CLIENTS)
        .collect()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_small_hot_set_survives_a_pass_of_one_off_tokens_larger_than_the_cache() {
    let capacity = 1_000;
    let (hot_sessions, cold_sessions) = (200, 2_000);
    let app = TestApp::spawn_with(|config| {
        config.store.cached_sessions = capacity;
        // No last-use writes during the test: every database round trip is a read.
        config.session_touch_interval = Duration::from_secs(3600);
    })
    .await;
    let token = app.token_for("miguel", "python").await;
    let tokens = copies_of_the_session(&app, &token, hot_sessions + cold_sessions).await;
    let (hot, cold) = tokens.split_at(hot_sessions);
    // A hot set a fifth of the cache, each used three times; then ten times the cache's size
    // of tokens used once each.
    let hot_thrice: Vec<String> = hot.iter().cycle().take(hot_sessions * 3).cloned().collect();
    assert!(use_all(&app, &hot_thrice).await.iter().all(|s| *s == 200));
    assert!(use_all(&app, cold).await.iter().all(|s| *s == 200));

    // Every copy now belongs to another account in the database: read from there, a token of
    // one is refused; from memory, it still works.
    assert_eq!(app.register("someone", "python").await.status(), 201);
    let sid = crate::support::client::session_of(&token);
    app.execute_sql(&format!(
        "UPDATE sessions SET user_id = (SELECT id FROM users WHERE username = 'someone') \
         WHERE id <> '{sid}'"
    ))
    .await;
    let lookups = database_lookups(&app).await;
    let statuses = use_all(&app, &hot_thrice).await;
    let from_memory = statuses.iter().filter(|s| **s == 200).count();
    let read = database_lookups(&app).await - lookups;
    let counted = format!(
        "{from_memory} of {} uses of the hot set answered from memory, {read} database reads",
        statuses.len()
    );
    eprintln!("{counted}");
    assert!(from_memory >= 595, "{counted}");
    assert_eq!(read as usize, statuses.len() - from_memory, "{counted}");
    // The witness sees reads: one-off tokens, all but the few the doorkeeper let in by a
    // shared bit, are read from the database now, and refused.
    let lookups = database_lookups(&app).await;
    let sample = use_all(&app, &cold[cold.len() - 100..]).await;
    let refused = sample.iter().filter(|s| **s == 401).count();
    assert_eq!(refused as u64, database_lookups(&app).await - lookups);
    assert!(
        refused >= 90,
        "{refused} of 100 one-off tokens read from the database"
    );
}
