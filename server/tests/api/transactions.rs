//! Changes to one account that run at the same moment as other writes to it: the last-use
//! writer recording every use of the account's sessions (a touch interval of zero), and other
//! changes to the same account. Each change either happens whole or is refused with a 4xx;
//! none fails with a 5xx (SQLite's BUSY, a PostgreSQL deadlock) and none leaves half of two.

use crate::common::TestApp;
use reqwest::RequestBuilder;
use serde_json::{json, Value};
use std::time::Duration;

/// A server whose last-use writer writes on every request (not once a minute per session).
async fn spawn_writing_every_use() -> TestApp {
    TestApp::spawn_with(|config| config.session_touch_interval = Duration::ZERO).await
}

/// Sends every request at once; `(label, status, body)` of each, in the order given.
async fn all_at_once(
    requests: Vec<(&'static str, RequestBuilder)>,
) -> Vec<(&'static str, u16, Value)> {
    let mut sent = tokio::task::JoinSet::new();
    for (index, (label, request)) in requests.into_iter().enumerate() {
        sent.spawn(async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let body = response.json::<Value>().await.unwrap_or(Value::Null);
            (index, label, status, body)
        });
    }
    let mut answers = sent.join_all().await;
    answers.sort_by_key(|(index, ..)| *index);
    let answers: Vec<_> = answers
        .into_iter()
        .map(|(_, label, status, body)| (label, status, body))
        .collect();
    let failed: Vec<_> = answers
        .iter()
        .filter(|(_, status, _)| *status >= 500)
        .map(|(label, status, body)| (label, status, &body["error"]))
        .collect();
    assert!(failed.is_empty(), "no 5xx: {failed:?}");
    answers
}

/// The label and status of each answer, for messages (never the bodies: they hold secrets).
fn summary(answers: &[(&'static str, u16, Value)]) -> Vec<(&'static str, u16)> {
    answers
        .iter()
        .map(|(label, status, _)| (*label, *status))
        .collect()
}

/// `count` Bearer requests to the resource, spread over `tokens`: each use is written.
fn uses(app: &TestApp, tokens: &[String], count: usize) -> Vec<(&'static str, RequestBuilder)> {
    (0..count)
        .map(|i| {
            let token = &tokens[i % tokens.len()];
            (
                "use",
                app.client.get(app.url("/api/resource")).bearer_auth(token),
            )
        })
        .collect()
}

/// Sessions of `username` besides the caller's, to be used meanwhile.
async fn other_sessions(app: &TestApp, username: &str, password: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    for _ in 0..6 {
        tokens.push(app.token(username, password).await);
    }
    tokens
}

fn statuses(answers: &[(&'static str, u16, Value)], label: &str) -> Vec<u16> {
    answers
        .iter()
        .filter(|(l, ..)| *l == label)
        .map(|(_, status, _)| *status)
        .collect()
}

async fn recovery_codes_stored(app: &TestApp) -> usize {
    app.query_strings("SELECT CAST(count(*) AS TEXT) FROM recovery_codes")
        .await[0]
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn recovery_codes_renewed_at_once_leave_exactly_one_set() {
    let app = spawn_writing_every_use().await;
    let token = app.token_for("miguel", "python").await;
    let others = other_sessions(&app, "miguel", "python").await;
    let (_, first_codes) = app.turn_on_two_step(&token).await;

    let mut requests = uses(&app, &others, 60);
    // Six: each set is tried afterwards, and wrong codes count against the limit of ten.
    for _ in 0..6 {
        let renewal = app
            .client
            .post(app.url("/api/users/me/recovery-codes"))
            .bearer_auth(&token);
        requests.push(("renew", renewal));
    }
    // Another write to the same account: a sign-in that spends one of the first codes.
    let spend = app
        .client
        .get(app.url("/api/token"))
        .basic_auth("miguel", Some("python"))
        .header("X-OTP", &first_codes[0]);
    requests.push(("spend", spend));
    let answers = all_at_once(requests).await;

    assert!(
        statuses(&answers, "use").iter().all(|s| *s == 200),
        "{:?}",
        summary(&answers)
    );
    assert!(
        statuses(&answers, "renew").iter().all(|s| *s == 200),
        "{:?}",
        summary(&answers)
    );
    assert!(
        matches!(statuses(&answers, "spend")[..], [200] | [401]),
        "{:?}",
        summary(&answers)
    );
    // One set, whole: the last renewal's, never two merged.
    let sets: Vec<Vec<String>> = answers
        .iter()
        .filter(|(label, ..)| *label == "renew")
        .map(|(_, _, body)| serde_json::from_value(body["recovery_codes"].clone()).unwrap())
        .collect();
    assert_eq!(recovery_codes_stored(&app).await, sets[0].len());
    let mut working = 0;
    for set in &sets {
        let signed_in = app
            .get_basic_with_code("/api/token", "miguel", "python", &set[0])
            .await;
        if signed_in.status() == 200 {
            working += 1;
        }
    }
    assert_eq!(working, 1, "exactly one set's codes work");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn turning_two_step_off_while_codes_are_renewed_leaves_no_codes_behind() {
    let app = spawn_writing_every_use().await;
    let token = app.token_for("miguel", "python").await;
    let others = other_sessions(&app, "miguel", "python").await;
    app.turn_on_two_step(&token).await;

    let mut requests = uses(&app, &others, 40);
    for i in 0..10 {
        let request = match i {
            5 => ("off", app.client.delete(app.url("/api/users/me/totp"))),
            _ => (
                "renew",
                app.client.post(app.url("/api/users/me/recovery-codes")),
            ),
        };
        requests.push((request.0, request.1.bearer_auth(&token)));
    }
    let answers = all_at_once(requests).await;

    assert_eq!(statuses(&answers, "off"), [204], "{:?}", summary(&answers));
    // A renewal before the change is 200; after it, 409 ("not on"); none half-applied.
    assert!(
        statuses(&answers, "renew")
            .iter()
            .all(|s| [200, 409].contains(s)),
        "{:?}",
        summary(&answers)
    );
    assert_eq!(
        recovery_codes_stored(&app).await,
        0,
        "two-step is off: no codes kept"
    );
    // The password alone signs in again.
    assert_eq!(
        app.get_basic("/api/token", "miguel", "python")
            .await
            .status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_setup_begun_again_while_it_is_confirmed_never_replaces_the_secret_in_use() {
    use crate::support::two_step::{wait_for_a_fresh_step, AuthenticatorApp};
    let app = spawn_writing_every_use().await;
    let token = app.token_for("miguel", "python").await;
    let others = other_sessions(&app, "miguel", "python").await;

    wait_for_a_fresh_step().await;
    let first = app.begin_totp(&token).await;
    let first_app = AuthenticatorApp::from_setup_key(first["secret"].as_str().unwrap());
    let mut requests = uses(&app, &others, 40);
    requests.push((
        "confirm",
        app.client
            .put(app.url("/api/users/me/totp"))
            .bearer_auth(&token)
            .json(&json!({ "code": first_app.code(1) })),
    ));
    for _ in 0..4 {
        requests.push((
            "begin",
            app.client
                .post(app.url("/api/users/me/totp"))
                .bearer_auth(&token),
        ));
    }
    let answers = all_at_once(requests).await;

    // Each begin either kept a new pending secret (200) or found two-step on (409).
    let begun: Vec<AuthenticatorApp> = answers
        .iter()
        .filter(|(label, status, _)| *label == "begin" && *status == 200)
        .map(|(_, _, body)| AuthenticatorApp::from_setup_key(body["secret"].as_str().unwrap()))
        .collect();
    assert!(
        statuses(&answers, "begin")
            .iter()
            .all(|s| [200, 409].contains(s)),
        "{:?}",
        summary(&answers)
    );
    // The confirmation: done (200); or a begin came first, so its code is not the pending
    // secret's (403) or nothing it knew was pending any more (409).
    let confirmed_first = match statuses(&answers, "confirm")[..] {
        [200] => true,
        [403] | [409] => false,
        _ => panic!("{:?}", summary(&answers)),
    };
    // Every later setup's code is tried: at most one confirmation ever succeeds.
    let mut confirmed = usize::from(confirmed_first);
    let mut in_use = confirmed_first.then_some(first_app);
    for setup in begun {
        let answer = app.confirm_totp(&token, &setup.code(1)).await;
        match answer.status().as_u16() {
            200 => {
                confirmed += 1;
                in_use = Some(setup);
            }
            // Already on, or this setup was replaced by a later begin (its code is wrong for
            // the pending secret).
            status => assert!([403, 409].contains(&status), "{status}"),
        }
    }
    assert!(confirmed <= 1, "{confirmed} confirmations");
    if let Some(in_use) = in_use {
        let signed_in = app
            .get_basic_with_code("/api/token", "miguel", "python", &in_use.code(0))
            .await;
        assert_eq!(
            signed_in.status(),
            200,
            "the confirmed secret is the one in use"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_password_change_and_the_account_deleted_at_once_do_not_deadlock() {
    let app = spawn_writing_every_use().await;
    let token = app.token_for("miguel", "python").await;
    let others = other_sessions(&app, "miguel", "python").await;

    let mut requests = uses(&app, &others, 40);
    requests.push((
        "change",
        app.client
            .put(app.url("/api/users/me/password"))
            .bearer_auth(&token)
            .json(&json!({ "current_password": "python", "new_password": "pythonic" })),
    ));
    requests.push((
        "delete",
        app.client
            .delete(app.url("/api/users/me"))
            .bearer_auth(&token),
    ));
    let answers = all_at_once(requests).await;

    // Either order is allowed; whichever came second found the session ended (401) or the
    // account gone (401, 404, or 403: its current password no longer checks out). Uses after
    // either change are 401.
    let change = statuses(&answers, "change")[0];
    let delete = statuses(&answers, "delete")[0];
    assert!(
        [200, 401, 403, 404].contains(&change),
        "{:?}",
        summary(&answers)
    );
    assert!([204, 401].contains(&delete), "{:?}", summary(&answers));
    assert!(
        statuses(&answers, "use")
            .iter()
            .all(|s| [200, 401].contains(s)),
        "{:?}",
        summary(&answers)
    );
    let old = app
        .get_basic("/api/token", "miguel", "python")
        .await
        .status()
        .as_u16();
    let new = app
        .get_basic("/api/token", "miguel", "pythonic")
        .await
        .status()
        .as_u16();
    match (change, delete) {
        (200, 401) => assert_eq!((old, new), (401, 200), "changed, then not deleted"),
        (_, 204) => assert_eq!((old, new), (401, 401), "deleted"),
        other => panic!("neither change happened: {other:?} {:?}", summary(&answers)),
    }
}
