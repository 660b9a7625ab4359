//! Several `rest-auth` processes on one PostgreSQL database and one key, as behind a load
//! balancer; and a server started before its database. PostgreSQL only: ignored in a plain
//! `cargo test`, run by scripts/test.sh's PostgreSQL pass (`--include-ignored`).

use crate::{
    harness::{free_port, Running},
    support::{
        client::{assert_exactly_one_created, register_concurrently, Api},
        passkey::TestPasskey,
        postgres::{required_admin_url, TestDatabase},
        tcp_link::CuttableLink,
    },
};

use std::time::{Duration, Instant};

pub const SHARED_KEY: &str = "multi-instance-shared-secret-0123456789abcdef";

/// How long after the end of a session another instance may still accept its tokens.
const PROPAGATION_LIMIT: Duration = Duration::from_millis(250);

/// Two instances on one database and one key (and the directories they run in).
pub struct Pair {
    pub a: Running,
    pub b: Running,
    /// Their database's URL.
    pub url: String,
    _db: Option<TestDatabase>,
    _dirs: [tempfile::TempDir; 2],
}

impl Pair {
    /// On a fresh database of `TEST_POSTGRES_URL`'s server.
    pub async fn start(extra: &[(&str, &str)]) -> Pair {
        let db = TestDatabase::create(&required_admin_url()).await;
        let mut pair = Pair::start_on(&db.url, extra).await;
        pair._db = Some(db);
        pair
    }

    /// On the database at `url`.
    pub async fn start_on(url: &str, extra: &[(&str, &str)]) -> Pair {
        let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
        let mut env = vec![("DATABASE_URL", url), ("SECRET_KEY", SHARED_KEY)];
        env.extend_from_slice(extra);
        let a = Running::start_with(dirs[0].path(), &env).await;
        let b = Running::start_with(dirs[1].path(), &env).await;
        Pair {
            a,
            b,
            url: url.to_owned(),
            _db: None,
            _dirs: dirs,
        }
    }
}

/// How long `api` goes on accepting `token` (polling every 2 ms), at most `PROPAGATION_LIMIT`
/// and a little more.
pub async fn time_until_refused(api: &Api, token: &str) -> Duration {
    let started = Instant::now();
    loop {
        let status = api.resource_status(token).await;
        if status == 401 {
            return started.elapsed();
        }
        assert_eq!(status, 200);
        if started.elapsed() > PROPAGATION_LIMIT * 2 {
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs TEST_POSTGRES_URL"]
async fn two_instances_share_users_sessions_and_registrations() {
    let Pair { a, b, .. } = &Pair::start(&[]).await;

    // Registered through A, logs in through B.
    assert_eq!(a.api.register("miguel", "python").await.status(), 201);
    let from_b = b.api.token("miguel", "python").await;
    // A token from A works on B, and the other way round.
    let from_a = a.api.token("miguel", "python").await;
    assert_eq!(b.api.resource_status(&from_a).await, 200);
    assert_eq!(a.api.resource_status(&from_b).await, 200);
    // Both list the same sessions.
    assert_eq!(a.api.sessions(&from_b).await, b.api.sessions(&from_b).await);

    // Logging out everywhere through B ends A's session too, on A as well.
    let logout = b.api.post_bearer("/api/logout", &from_b).await;
    assert_eq!(logout.status(), 204);
    assert!(time_until_refused(&a.api, &from_a).await < PROPAGATION_LIMIT);
    assert_eq!(b.api.resource_status(&from_a).await, 401);

    // 50 concurrent registrations of one name, spread over both: exactly one 201.
    let statuses = register_concurrently(&[&a.api, &b.api], &["contested"], 50).await;
    assert_eq!(statuses.len(), 50);
    assert_exactly_one_created(&statuses);
}

/// A session ended through A is refused by B (which had it in memory) within 250 ms; the same
/// right after B's listening connection was killed. The figures are printed
/// (`--nocapture`).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs TEST_POSTGRES_URL"]
async fn a_session_ended_on_one_instance_is_refused_by_the_other_within_250_ms() {
    let pair = Pair::start(&[]).await;
    let Pair { a, b, .. } = &pair;
    assert_eq!(a.api.register("miguel", "python").await.status(), 201);

    let mut delays = Vec::new();
    for trial in 0..40 {
        if trial == 20 {
            // Every listening connection on the database dies; the next ends follow at once.
            let killed = kill_listeners(&pair.url).await;
            assert_eq!(killed, 2, "one listener per instance");
        }
        let token = a.api.token("miguel", "python").await;
        assert_eq!(
            b.api.resource_status(&token).await,
            200,
            "B holds the session"
        );
        let ended = a.api.delete_bearer("/api/sessions/current", &token).await;
        assert_eq!(ended.status(), 204);
        delays.push(time_until_refused(&b.api, &token).await);
    }
    let report = |name: &str, delays: &[Duration]| {
        let mut sorted = delays.to_vec();
        sorted.sort();
        let (median, worst) = (sorted[sorted.len() / 2], sorted[sorted.len() - 1]);
        eprintln!(
            "propagation {name}: median {median:?}, worst {worst:?} (n = {})",
            sorted.len()
        );
        assert!(worst < PROPAGATION_LIMIT, "{name}: {sorted:?}");
    };
    report("with the listener connected", &delays[..20]);
    report("right after its connection was killed", &delays[20..]);
}

/// Failed logins spread over both instances count together.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs TEST_POSTGRES_URL"]
async fn failed_logins_are_counted_across_instances() {
    let Pair { a, b, .. } = &Pair::start(&[]).await;
    assert_eq!(a.api.register("miguel", "python").await.status(), 201);
    // The default limit: 10 failures per username, here 5 through each instance.
    for i in 0..10 {
        let api = if i % 2 == 0 { &a.api } else { &b.api };
        let refused = api.get_basic("/api/token", "miguel", "wrong!").await;
        assert_eq!(refused.status(), 401, "attempt {i}");
    }
    for api in [&a.api, &b.api] {
        let response = api.get_basic("/api/token", "MIGUEL", "python").await;
        assert_eq!(
            response.status(),
            429,
            "the right password is refused on both"
        );
        assert!(response.headers().contains_key("retry-after"));
    }
    // Another user is not affected.
    assert_eq!(a.api.register("susan", "python").await.status(), 201);
    b.api.token("susan", "python").await;
}

/// Wrong passwords for one name sent at the same moment to both instances: each takes its
/// place in the shared count before it is judged, so at most the limit (10) are judged in all,
/// and every other one is refused without a hash.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs TEST_POSTGRES_URL"]
async fn guesses_sent_together_to_two_instances_are_judged_at_most_ten_times() {
    let Pair { a, b, .. } = &Pair::start(&[]).await;
    assert_eq!(a.api.register("miguel", "python").await.status(), 201);
    let mut sent = tokio::task::JoinSet::new();
    for i in 0..50 {
        let api = if i % 2 == 0 {
            a.api.clone()
        } else {
            b.api.clone()
        };
        sent.spawn(async move {
            let guess = format!("guess{i}");
            api.get_basic("/api/token", "miguel", &guess)
                .await
                .status()
                .as_u16()
        });
    }
    let statuses = sent.join_all().await;
    let judged = statuses.iter().filter(|&&s| s == 401).count();
    let refused = statuses.iter().filter(|&&s| s == 429).count();
    assert_eq!((judged, refused), (10, 40), "{statuses:?}");
}

/// A session re-authenticated through one instance may make a sensitive change through the
/// other at once (the step-up reads the database, not a cache); a refresh token's use on one
/// counts on both.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs TEST_POSTGRES_URL"]
async fn a_reauthentication_and_a_refresh_count_on_every_instance() {
    use sqlx::Connection;
    let pair = Pair::start(&[]).await;
    let (a, b) = (&pair.a.api, &pair.b.api);
    let token = a.token_for("miguel", "python").await;
    let _other = b.token("miguel", "python").await;
    let mut db = sqlx::PgConnection::connect(&pair.url).await.unwrap();
    sqlx::query("UPDATE sessions SET authenticated_at = authenticated_at - 360")
        .execute(&mut db)
        .await
        .unwrap();
    assert_eq!(
        b.delete_bearer("/api/sessions/others", &token)
            .await
            .status(),
        401
    );
    assert_eq!(a.reauthenticate(&token, "python", None).await.status(), 200);
    assert_eq!(
        b.delete_bearer("/api/sessions/others", &token)
            .await
            .status(),
        204
    );

    let signed_in: serde_json::Value = a
        .client
        .post(a.url("/api/sign-in"))
        .json(&serde_json::json!({ "username": "miguel", "password": "python" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refresh = |api: &Api| {
        let (api, body) = (
            api.clone(),
            serde_json::json!({ "refresh_token": signed_in["refresh_token"] }),
        );
        async move {
            api.client
                .post(api.url("/api/token/refresh"))
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let (first, second) = tokio::join!(refresh(a), refresh(b));
    assert_eq!(
        [first, second],
        [200, 200],
        "the first use, and one within its grace period"
    );
    // Long after its first use (seen by both instances, in the database), it ends the session.
    sqlx::query("UPDATE refresh_tokens SET used_at = used_at - 60 WHERE used_at IS NOT NULL")
        .execute(&mut db)
        .await
        .unwrap();
    assert_eq!(refresh(b).await, 401);
    assert_eq!(refresh(a).await, 401);
}

/// An account deleted through one instance: its tokens are refused by the other too.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs TEST_POSTGRES_URL"]
async fn a_deleted_accounts_tokens_are_refused_everywhere() {
    let Pair { a, b, .. } = &Pair::start(&[]).await;
    let token = a.api.token_for("miguel", "python").await;
    let elsewhere = b.api.token("miguel", "python").await;
    for token in [&token, &elsewhere] {
        assert_eq!(b.api.resource_status(token).await, 200);
    }
    let deleted = a.api.delete_bearer("/api/users/me", &token).await;
    assert_eq!(deleted.status(), 204);
    for token in [&token, &elsewhere] {
        assert!(time_until_refused(&b.api, token).await < PROPAGATION_LIMIT);
    }
    assert_eq!(b.api.register("miguel", "python").await.status(), 201);
}

/// Kills every connection on the database at `url` that listens for ended sessions; how many.
async fn kill_listeners(url: &str) -> i64 {
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(url).await.unwrap();
    let killed: i64 = sqlx::query_scalar(
        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE datname = current_database() AND application_name = 'rest-auth listener'",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    admin.close().await.unwrap();
    killed
}

// Multi-threaded: the link to the database runs on this test's runtime while the test blocks
// waiting for the server to exit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
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

/// Behind a load balancer, the finish of a passkey ceremony may reach another instance than its
/// begin; it is finished there, and only once.
#[tokio::test]
#[ignore = "needs TEST_POSTGRES_URL"]
async fn a_passkey_ceremony_begun_on_one_instance_is_finished_on_the_other_once() {
    let public_url = "http://localhost:8443";
    let pair = Pair::start(&[("PUBLIC_URL", public_url)]).await;
    let (a, b) = (&pair.a.api, &pair.b.api);
    let token = a.token_for("miguel", "python").await;
    let mut key = TestPasskey::new(public_url);

    let (ceremony, options) = a.begin_passkey_registration(&token).await;
    let credential = key.create(&options);
    let added = b
        .finish_passkey_registration(&token, &ceremony, &credential, Some("Laptop"))
        .await;
    assert_eq!(added.status(), 201);
    let again = a
        .finish_passkey_registration(&token, &ceremony, &credential, Some("Laptop"))
        .await;
    assert_eq!(again.status(), 404);

    let (ceremony, options) = b.begin_passkey_sign_in().await;
    let assertion = key.get(&options);
    // Both instances at once: exactly one signs in.
    let (first, second) = tokio::join!(
        a.finish_passkey_sign_in(&ceremony, &assertion),
        b.finish_passkey_sign_in(&ceremony, &assertion)
    );
    let mut statuses = [first.status().as_u16(), second.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 401]);
    let (ceremony, options) = a.begin_passkey_sign_in().await;
    let assertion = key.get(&options);
    let signed_in = b.finish_passkey_sign_in(&ceremony, &assertion).await;
    assert_eq!(signed_in.status(), 200);
    let body: serde_json::Value = signed_in.json().await.unwrap();
    assert_eq!(
        a.resource_status(body["token"].as_str().unwrap()).await,
        200
    );
}

/// A code accepted by one instance is refused by the other (the last accepted step is kept in
/// the database, moved forward by one conditional UPDATE); so is a recovery code used on one.
#[tokio::test]
#[ignore = "needs TEST_POSTGRES_URL"]
async fn a_code_used_on_one_instance_is_refused_on_the_other() {
    let pair = Pair::start(&[]).await;
    let (a, b) = (&pair.a.api, &pair.b.api);
    let token = a.token_for("miguel", "python").await;
    let (phone, codes) = b.turn_on_two_step(&token).await;
    let code = phone.code(0);
    let with = |api: &Api, code: &str| {
        let (api, code) = (api.clone(), code.to_owned());
        async move {
            api.get_basic_with_code("/api/token", "miguel", "python", &code)
                .await
                .status()
                .as_u16()
        }
    };
    // Both instances at once: exactly one accepts it.
    let (first, second) = tokio::join!(with(a, &code), with(b, &code));
    let mut statuses = [first, second];
    statuses.sort();
    assert_eq!(statuses, [200, 401]);
    assert_eq!(with(a, &code).await, 401);
    assert_eq!(with(b, &code).await, 401);
    assert_eq!(with(a, &codes[0]).await, 200);
    assert_eq!(with(b, &codes[0]).await, 401);
}
