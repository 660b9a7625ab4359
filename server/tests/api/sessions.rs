//! Sessions: each password sign-in begins one; tokens belong to it; the user can list them
//! and end any of them, and an ended session's tokens are refused like any bad token.

use crate::{
    common::{assert_json_error, assert_unauthorized, TestApp},
    support::client::session_of,
};
use serde_json::Value;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn ids(sessions: &[Value]) -> Vec<String> {
    sessions
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn each_sign_in_is_a_session_listed_newest_first_with_where_and_what() {
    let app = TestApp::spawn().await;
    assert_eq!(app.register("miguel", "python").await.status(), 201);
    let started = now();
    let firefox = app.token_as(FIREFOX, "miguel", "python").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let chrome = app.token_as(CHROME, "miguel", "python").await;
    // Requests with a password begin no session; only GET /api/token does.
    let resource = app.get_basic("/api/resource", "miguel", "python").await;
    assert_eq!(resource.status(), 200);

    let sessions = app.sessions(&firefox).await;
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    assert_eq!(ids(&sessions), [session_of(&chrome), session_of(&firefox)]);
    let (newest, oldest) = (&sessions[0], &sessions[1]);
    assert_eq!(newest["user_agent"], "Chrome on Windows");
    assert_eq!(oldest["user_agent"], "Firefox on Linux");
    assert_eq!(newest["current"], false);
    assert_eq!(oldest["current"], true, "the caller's own");
    for session in &sessions {
        assert_eq!(session["address"], "127.0.0.1");
        let started_at = session["started_at"].as_i64().unwrap();
        assert!((started..=now()).contains(&started_at), "{session}");
        assert_eq!(session["last_used_at"], session["started_at"]);
        assert_eq!(session["id"].as_str().unwrap().len(), 32);
    }
    assert_eq!(app.sessions(&chrome).await[0]["current"], true);
    // Another user's list is their own.
    let susan = app.token_for("susan", "python").await;
    assert_eq!(app.sessions(&susan).await.len(), 1);
    // With a password: every session, none of them current.
    let listed = app.get_basic("/api/sessions", "miguel", "python").await;
    let listed: Value = listed.json().await.unwrap();
    let listed = listed["sessions"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|s| s["current"] == false));
}

#[tokio::test]
async fn a_token_refreshed_with_a_token_stays_in_its_session() {
    let app = TestApp::spawn().await;
    let token = app.token_for("miguel", "python").await;
    let refreshed = app.get_bearer("/api/token", &token).await;
    assert_eq!(refreshed.status(), 200);
    let refreshed: Value = refreshed.json().await.unwrap();
    let refreshed = refreshed["token"].as_str().unwrap().to_owned();
    assert_ne!(refreshed, token);
    assert_eq!(session_of(&refreshed), session_of(&token));
    assert_eq!(app.sessions(&refreshed).await.len(), 1);
}

#[tokio::test]
async fn logging_out_ends_this_session_only() {
    let app = TestApp::spawn().await;
    let here = app.token_for("miguel", "python").await;
    let elsewhere = app.token("miguel", "python").await;
    // A refreshed token of the session ends with it.
    let renewed: Value = app
        .get_bearer("/api/token", &here)
        .await
        .json()
        .await
        .unwrap();
    let renewed = renewed["token"].as_str().unwrap().to_owned();

    let response = app.delete_bearer("/api/sessions/current", &here).await;
    assert_eq!(response.status(), 204);
    assert!(response.bytes().await.unwrap().is_empty());
    for token in [&here, &renewed] {
        assert_unauthorized(app.get_bearer("/api/resource", token).await).await;
        assert_unauthorized(app.get_basic("/api/resource", token, "x").await).await;
        assert_unauthorized(app.get_bearer("/api/token", token).await).await;
        assert_unauthorized(app.delete_bearer("/api/sessions/current", token).await).await;
    }
    assert_eq!(app.resource_status(&elsewhere).await, 200);
    assert_eq!(
        ids(&app.sessions(&elsewhere).await),
        [session_of(&elsewhere)]
    );
}

#[tokio::test]
async fn a_password_has_no_current_session_to_end() {
    let app = TestApp::spawn().await;
    let token = app.token_for("miguel", "python").await;
    let response = app
        .client
        .delete(app.url("/api/sessions/current"))
        .basic_auth("miguel", Some("python"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(assert_json_error(response).await.contains("password"));
    assert_eq!(app.resource_status(&token).await, 200);
}

#[tokio::test]
async fn one_session_is_ended_by_id_and_only_the_owners() {
    let app = TestApp::spawn().await;
    let here = app.token_for("miguel", "python").await;
    let phone = app.token("miguel", "python").await;
    let susan = app.token_for("susan", "python").await;

    // Not one's own: as if there were no such session.
    let theirs = format!("/api/sessions/{}", session_of(&phone));
    let response = app.delete_bearer(&theirs, &susan).await;
    assert_eq!(response.status(), 404);
    assert_json_error(response).await;
    assert_eq!(app.resource_status(&phone).await, 200);
    let unknown = app
        .delete_bearer("/api/sessions/00000000000000000000000000000000", &here)
        .await;
    assert_eq!(unknown.status(), 404);

    assert_eq!(app.delete_bearer(&theirs, &here).await.status(), 204);
    assert_unauthorized(app.get_bearer("/api/resource", &phone).await).await;
    assert_eq!(app.resource_status(&here).await, 200);
    assert_eq!(
        app.delete_bearer(&theirs, &here).await.status(),
        404,
        "once"
    );
}

#[tokio::test]
async fn every_other_session_ends_and_this_one_stays() {
    let app = TestApp::spawn().await;
    let here = app.token_for("miguel", "python").await;
    let others = [
        app.token("miguel", "python").await,
        app.token("miguel", "python").await,
    ];
    let susan = app.token_for("susan", "python").await;
    assert_eq!(
        app.delete_bearer("/api/sessions/others", &here)
            .await
            .status(),
        204
    );
    for token in &others {
        assert_unauthorized(app.get_bearer("/api/resource", token).await).await;
    }
    assert_eq!(app.resource_status(&here).await, 200);
    assert_eq!(app.resource_status(&susan).await, 200);
    assert_eq!(ids(&app.sessions(&here).await), [session_of(&here)]);
}

#[tokio::test]
async fn last_use_is_recorded_lazily_never_on_every_request() {
    // The default: at most once a minute, so a burst of requests writes nothing.
    let app = TestApp::spawn().await;
    let token = app.token_for("miguel", "python").await;
    let before = app.sessions(&token).await[0]["last_used_at"].clone();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    for _ in 0..5 {
        assert_eq!(app.resource_status(&token).await, 200);
    }
    assert_eq!(app.sessions(&token).await[0]["last_used_at"], before);

    // Once the interval has passed, the next use is recorded (in the background).
    let app =
        TestApp::spawn_with(|config| config.session_touch_interval = Duration::from_secs(1)).await;
    let token = app.token_for("miguel", "python").await;
    let started = app.sessions(&token).await[0]["started_at"]
        .as_i64()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(app.resource_status(&token).await, 200);
    let mut last_used = started;
    for _ in 0..50 {
        last_used = app.sessions(&token).await[0]["last_used_at"]
            .as_i64()
            .unwrap();
        if last_used > started {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(last_used > started, "last use recorded");
}

#[tokio::test]
async fn session_routes_need_credentials() {
    let app = TestApp::spawn().await;
    for (method, path) in [
        (reqwest::Method::GET, "/api/sessions"),
        (reqwest::Method::DELETE, "/api/sessions/current"),
        (reqwest::Method::DELETE, "/api/sessions/others"),
        (reqwest::Method::DELETE, "/api/sessions/0f"),
    ] {
        let response = app
            .client
            .request(method, app.url(path))
            .send()
            .await
            .unwrap();
        assert_unauthorized(response).await;
    }
}

/// `GET /api/sessions` with `query`: the page, and its `next`.
async fn page(app: &TestApp, token: &str, query: &str) -> (Vec<Value>, Option<String>) {
    let response = app
        .get_bearer(&format!("/api/sessions?{query}"), token)
        .await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{query}: {body}");
    let next = body["next"].as_str().map(str::to_owned);
    (body["sessions"].as_array().unwrap().clone(), next)
}

#[tokio::test]
async fn sessions_come_a_page_at_a_time_newest_first_none_twice() {
    let app = TestApp::spawn().await;
    assert_eq!(app.register("miguel", "python").await.status(), 201);
    for _ in 0..6 {
        app.token("miguel", "python").await;
    }
    // The caller's own session is the newest (the others share a second; their ids order them).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let token = app.token("miguel", "python").await;
    let everything = app.sessions(&token).await;
    assert_eq!(everything.len(), 7);
    assert_eq!(everything[0]["current"], true);

    // Pages of three: 3, 3, 1, the last without a next.
    let (first, next) = page(&app, &token, "limit=3").await;
    let after = next.expect("a second page");
    let (second, next) = page(&app, &token, &format!("limit=3&after={after}")).await;
    let after = next.expect("a third page");
    // A session of the last page ends meanwhile: it is not shown, and nothing is shown twice.
    let ended = everything[6]["id"].as_str().unwrap();
    let response = app
        .delete_bearer(&format!("/api/sessions/{ended}"), &token)
        .await;
    assert_eq!(response.status(), 204);
    let (third, next) = page(&app, &token, &format!("limit=3&after={after}")).await;
    assert_eq!(next, None);
    assert_eq!((first.len(), second.len(), third.len()), (3, 3, 0));
    let paged: Vec<_> = [first, second, third].concat();
    assert_eq!(ids(&paged), ids(&everything[..6]));
    let starts: Vec<i64> = paged
        .iter()
        .map(|s| s["started_at"].as_i64().unwrap())
        .collect();
    assert!(
        starts.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {starts:?}"
    );

    // A page exactly as long as what is left has no next.
    let (all, next) = page(&app, &token, "limit=6").await;
    assert_eq!((all.len(), next), (6, None));

    for query in [
        "limit=0",
        "limit=201",
        "limit=many",
        "after=yesterday",
        "after=12.not-an-id",
        "after=.",
        "after=",
        "after=1.0123456789ABCDEF0123456789ABCDEF",
        "after=9999999999999999999.0123456789abcdef0123456789abcdef",
    ] {
        let response = app
            .get_bearer(&format!("/api/sessions?{query}"), &token)
            .await;
        assert_eq!(response.status(), 400, "{query}");
        assert_json_error(response).await;
    }
}
