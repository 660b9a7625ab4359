//! The brute-force limits: the rule as one table of cases, run against the counts of whichever
//! engine this run uses (in memory with SQLite, the shared SQL with PostgreSQL), and guesses
//! sent at the same moment, which are judged at most as often as the limit allows.

use crate::{common::TestApp, support::two_step::wait_for_a_fresh_step};
use axum::http::HeaderName;
use serde_json::{json, Value};
use server::auth::throttle::{Limit, LoginLimits, LoginThrottle};
use std::{
    net::IpAddr,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// What a guess turns out to be once judged.
#[derive(Clone, Copy, Debug)]
enum Guess {
    Right,
    Wrong,
}

/// One step: at `at` seconds, a guess for `user` from `address`, and what the counts answer:
/// `None` (judged), or the lock's `Retry-After`.
struct Step {
    at: i64,
    user: &'static str,
    address: &'static str,
    guess: Guess,
    locked: Option<u64>,
}

const fn step(
    at: i64,
    user: &'static str,
    address: &'static str,
    guess: Guess,
    locked: Option<u64>,
) -> Step {
    Step {
        at,
        user,
        address,
        guess,
        locked,
    }
}

/// 3 failures per username per 90 s (one back every 30 s), 5 per address per 60 s (every 12 s).
fn table_limits() -> LoginLimits {
    LoginLimits {
        per_username: Limit::new(3, Duration::from_secs(90)).unwrap(),
        per_address: Limit::new(5, Duration::from_secs(60)).unwrap(),
    }
}

use Guess::{Right, Wrong};

const CASES: &[Step] = &[
    // A name's three cells, then its lock, from any address; one cell back after 30 s.
    step(0, "alice", "10.0.0.1", Wrong, None),
    step(0, "Alice", "10.0.0.1", Wrong, None),
    step(0, "ALICE", "10.0.0.1", Wrong, None),
    step(0, "alice", "10.0.0.1", Right, Some(30)),
    step(10, "alice", "10.0.0.2", Right, Some(20)),
    step(30, "alice", "10.0.0.2", Wrong, None),
    step(30, "alice", "10.0.0.2", Wrong, Some(30)),
    // Right guesses give their place back: any number of them, and then three wrong ones.
    step(100, "carol", "10.0.0.3", Right, None),
    step(100, "carol", "10.0.0.3", Right, None),
    step(100, "carol", "10.0.0.3", Right, None),
    step(100, "carol", "10.0.0.3", Right, None),
    step(100, "carol", "10.0.0.3", Wrong, None),
    step(100, "carol", "10.0.0.3", Wrong, None),
    step(100, "carol", "10.0.0.3", Wrong, None),
    step(100, "carol", "10.0.0.3", Right, Some(30)),
    // An address's five cells, across names; its neighbours in the same IPv6 /64 share them.
    step(200, "u1", "2001:db8::1", Wrong, None),
    step(200, "u2", "2001:db8::2", Wrong, None),
    step(200, "u3", "2001:db8::3", Wrong, None),
    step(200, "u4", "2001:db8::4", Wrong, None),
    step(200, "u5", "2001:db8::5", Wrong, None),
    step(200, "dave", "2001:db8::6", Right, Some(12)),
    // Both counts or neither: the refusal above took none of dave's three.
    step(200, "dave", "10.0.0.4", Wrong, None),
    step(200, "dave", "10.0.0.4", Wrong, None),
    step(200, "dave", "10.0.0.4", Wrong, None),
    step(200, "dave", "10.0.0.4", Right, Some(30)),
    step(212, "eve", "2001:db8::7", Wrong, None),
    step(212, "eve", "2001:db8::7", Wrong, Some(12)),
];

#[tokio::test]
async fn the_rule_holds_case_by_case_on_this_engine() {
    let app = TestApp::spawn().await;
    // The app's own counts: in memory on SQLite, in its database on PostgreSQL.
    let throttle = LoginThrottle::new(table_limits(), app.state.store.failure_counter());
    // A day from now: the app's own upkeep, which forgets the keys whose time has passed, never
    // touches these.
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let start = i64::try_from(since_epoch.as_micros()).unwrap() + 86_400_000_000;
    for (i, case) in CASES.iter().enumerate() {
        let address: IpAddr = case.address.parse().unwrap();
        let now = start + case.at * 1_000_000;
        let answer = throttle.reserve_at(case.user, address, now).await.unwrap();
        match (answer, case.locked) {
            (Ok(reservation), None) => match case.guess {
                Right => throttle.give_back(reservation).await.unwrap(),
                Wrong => {
                    let _ = throttle.keep(reservation);
                }
            },
            (Ok(_), Some(wait)) => panic!("case {i}: judged, expected locked for {wait} s"),
            (Err(lock), expected) => assert_eq!(
                Some(lock.retry_after_secs()),
                expected,
                "case {i}: {} from {}",
                case.user,
                case.address
            ),
        }
    }
}

/// `count` requests sent at once; their statuses.
async fn at_once(requests: Vec<reqwest::RequestBuilder>) -> Vec<u16> {
    let mut sent = tokio::task::JoinSet::new();
    for request in requests {
        sent.spawn(async move { request.send().await.unwrap().status().as_u16() });
    }
    sent.join_all().await
}

fn count(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|&&s| s == status).count()
}

#[tokio::test]
async fn wrong_passwords_sent_together_are_judged_at_most_ten_times() {
    let app = TestApp::spawn().await;
    assert_eq!(app.register("miguel", "python").await.status(), 201);
    let hashes = app.state.hashing.runs();
    let requests = (0..50)
        .map(|i| {
            app.client
                .get(app.url("/api/token"))
                .basic_auth("miguel", Some(format!("guess{i}")))
        })
        .collect();
    let statuses = at_once(requests).await;
    assert_eq!(count(&statuses, 401), 10, "{statuses:?}");
    assert_eq!(count(&statuses, 429), 40, "{statuses:?}");
    assert_eq!(
        app.state.hashing.runs() - hashes,
        10,
        "a refused guess costs no hash"
    );
}

#[tokio::test]
async fn guesses_from_one_address_sent_together_are_judged_at_most_its_limit() {
    let app = TestApp::spawn_with(|config| {
        config.login_limits = LoginLimits {
            per_address: Limit::new(10, Duration::from_secs(60)).unwrap(),
            ..LoginLimits::default()
        };
        config.client_ip_header = Some(HeaderName::from_static("x-real-ip"));
    })
    .await;
    let requests = (0..50)
        .map(|i| {
            app.client
                .post(app.url("/api/sign-in"))
                .header("x-real-ip", "10.0.0.9")
                .json(&json!({ "username": format!("user{i}"), "password": "python" }))
        })
        .collect();
    let statuses = at_once(requests).await;
    assert_eq!(count(&statuses, 401), 10, "{statuses:?}");
    assert_eq!(count(&statuses, 429), 40, "{statuses:?}");
}

#[tokio::test]
async fn wrong_codes_sent_together_are_judged_at_most_ten_times() {
    let app = TestApp::spawn().await;
    let token = app.token_for("miguel", "python").await;
    app.turn_on_two_step(&token).await;
    wait_for_a_fresh_step().await;

    // With curl: the right password and a wrong `X-OTP`, fifty at once.
    let hashes = app.state.hashing.runs();
    let requests = (0..50)
        .map(|i| {
            app.client
                .get(app.url("/api/token"))
                .basic_auth("miguel", Some("python"))
                .header("x-otp", format!("{:06}", 100_000 + i))
        })
        .collect();
    let statuses = at_once(requests).await;
    // (A code that happens to be right, one chance in 20,000, is judged too, and signs in.)
    assert_eq!(
        count(&statuses, 401) + count(&statuses, 200),
        10,
        "{statuses:?}"
    );
    assert_eq!(count(&statuses, 429), 40, "{statuses:?}");
    assert_eq!(
        app.state.hashing.runs() - hashes,
        10,
        "a refused guess costs no hash"
    );
}

#[tokio::test]
async fn wrong_codes_for_one_ticket_sent_together_are_judged_at_most_ten_times() {
    let app = TestApp::spawn().await;
    let token = app.token_for("miguel", "python").await;
    app.turn_on_two_step(&token).await;
    let step = app
        .client
        .post(app.url("/api/sign-in"))
        .json(&json!({ "username": "miguel", "password": "python" }))
        .send()
        .await
        .unwrap();
    assert_eq!(step.status(), 202);
    let ticket: Value = step.json().await.unwrap();
    let ticket = ticket["ticket"].as_str().unwrap().to_owned();
    let requests = (0..50)
        .map(|i| {
            app.client
                .post(app.url("/api/sign-in/code"))
                .json(&json!({ "ticket": ticket, "code": format!("{:06}", 200_000 + i) }))
        })
        .collect();
    let statuses = at_once(requests).await;
    // The password step took no place (it was right): ten wrong codes, then the lock.
    assert_eq!(count(&statuses, 401), 10, "{statuses:?}");
    assert_eq!(count(&statuses, 429), 40, "{statuses:?}");
}
