//! The three ways to authenticate, token renewal, and every way to fail.

use crate::common::{assert_unauthorized, TestApp};
use base64::{engine::general_purpose::STANDARD, Engine};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use std::time::{SystemTime, UNIX_EPOCH};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn greeting(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["data"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn bearer_basic_token_and_password_all_work() {
    let app = TestApp::spawn().await;
    let token = app.token_for("miguel", "python").await;
    assert_eq!(
        greeting(app.get_bearer("/api/resource", &token).await).await,
        "Hello, miguel!"
    );
    assert_eq!(
        greeting(app.get_basic("/api/resource", &token, "x").await).await,
        "Hello, miguel!"
    );
    assert_eq!(
        greeting(app.get_basic("/api/resource", &token, "").await).await,
        "Hello, miguel!"
    );
    assert_eq!(
        greeting(app.get_basic("/api/resource", "miguel", "python").await).await,
        "Hello, miguel!"
    );
    // Lower-case scheme names are the same scheme.
    let value = format!("bearer {token}");
    assert_eq!(
        greeting(
            app.get_with_authorization("/api/resource", value.as_bytes())
                .await
        )
        .await,
        "Hello, miguel!"
    );
}

#[tokio::test]
async fn a_token_can_be_exchanged_for_a_fresh_one() {
    let app = TestApp::spawn().await;
    let token = app.token_for("miguel", "python").await;
    let response = app.get_bearer("/api/token", &token).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["duration"], 600);
    let fresh = body["token"].as_str().unwrap();
    assert_eq!(
        greeting(app.get_bearer("/api/resource", fresh).await).await,
        "Hello, miguel!"
    );
}

#[tokio::test]
async fn token_lifetime_is_configurable_and_in_the_token() {
    let app = TestApp::spawn_with(|config| {
        config.token_ttl = std::time::Duration::from_secs(120);
    })
    .await;
    assert_eq!(app.register("miguel", "python").await.status(), 201);
    let body: Value = app
        .get_basic("/api/token", "miguel", "python")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["duration"], 120);
    let payload = body["token"].as_str().unwrap().split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    let (iat, exp) = (
        claims["iat"].as_u64().unwrap(),
        claims["exp"].as_u64().unwrap(),
    );
    assert_eq!(exp - iat, 120);
    assert!(iat.abs_diff(now()) <= 5);
}

#[tokio::test]
async fn wrong_or_missing_credentials_are_refused_with_the_basic_challenge() {
    let app = TestApp::spawn().await;
    assert_eq!(app.register("miguel", "python").await.status(), 201);

    for path in ["/api/resource", "/api/token"] {
        // No header at all.
        assert_unauthorized(app.get(path).await).await;
        // Wrong password, unknown user, empty password, overlong password.
        assert_unauthorized(app.get_basic(path, "miguel", "ruby").await).await;
        assert_unauthorized(app.get_basic(path, "nobody", "python").await).await;
        assert_unauthorized(app.get_basic(path, "miguel", "").await).await;
        assert_unauthorized(app.get_basic(path, "miguel", &"p".repeat(5000)).await).await;
        // Malformed headers.
        for value in [
            &b"Basic %%%"[..],
            b"Basic bWlndWVscHl0aG9u",     // "miguelpython": no colon
            b"Basic OnB5dGhvbg==",         // ":python": empty user
            b"Basic bWln/3VlbDpweXRob24=", // not UTF-8
            b"Bearer",
            b"Bearer not.a.token",
            b"Digest username=\"miguel\"",
            b"\xff\xfe",
        ] {
            assert_unauthorized(app.get_with_authorization(path, value).await).await;
        }
    }
}

#[tokio::test]
async fn forged_expired_and_foreign_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let token = app.token_for("miguel", "python").await;
    let user_id: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    let sub = user_id["sub"].as_str().unwrap().to_owned();
    let sid = user_id["sid"].as_str().unwrap().to_owned();

    // The server's own header (type and key id) and signing key.
    let (ours, key) = app.token_signing();
    let sign_with =
        |header: &Header, key: &EncodingKey, claims: Value| encode(header, &claims, key).unwrap();
    let sign_typed = |typ: &str, alg: Algorithm, claims: Value| {
        let mut header = ours.clone();
        header.alg = alg;
        header.typ = Some(typ.into());
        sign_with(&header, &key, claims)
    };
    let sign = |alg: Algorithm, claims: Value| sign_typed("at+jwt", alg, claims);
    let t = now();
    let claims = |sub: &str, iat: u64, exp: u64| json!({ "sub": sub, "iat": iat, "exp": exp, "jti": "0f", "sid": sid, "auth_time": iat });
    // Sanity check of the forging helper: the server's own key, algorithm and type work.
    let genuine = sign(Algorithm::HS256, claims(&sub, t, t + 60));
    assert_eq!(
        app.get_bearer("/api/resource", &genuine).await.status(),
        200
    );
    let without = |claim: &str| {
        let mut partial = claims(&sub, t, t + 60);
        partial.as_object_mut().unwrap().remove(claim);
        sign(Algorithm::HS256, partial)
    };
    let without_kid = {
        let mut header = ours.clone();
        header.kid = None;
        sign_with(&header, &key, claims(&sub, t, t + 60))
    };
    let mut unknown_session = claims(&sub, t, t + 60);
    unknown_session["sid"] = json!("00000000000000000000000000000000");

    let refused = [
        // Expired.
        sign(Algorithm::HS256, claims(&sub, t - 700, t - 100)),
        // Another key, under our header.
        sign_with(
            &ours,
            &EncodingKey::from_secret(&[9u8; 32]),
            claims(&sub, t, t + 60),
        ),
        // The secret itself, which signs nothing: tokens are signed with a key derived from it.
        sign_with(
            &ours,
            &EncodingKey::from_secret(&app.secret),
            claims(&sub, t, t + 60),
        ),
        // Our key, without its id.
        without_kid,
        // Our key, another algorithm.
        sign(Algorithm::HS512, claims(&sub, t, t + 60)),
        // Our key, another token type.
        sign_typed("JWT", Algorithm::HS256, claims(&sub, t, t + 60)),
        // A missing claim.
        without("exp"),
        without("jti"),
        without("sid"),
        without("auth_time"),
        // A session that does not exist (as after a logout).
        sign(Algorithm::HS256, unknown_session),
        // A user that does not exist, or not the session's.
        sign(Algorithm::HS256, claims("424242", t, t + 60)),
        // Unsigned.
        format!(
            "{}.{}.",
            STANDARD
                .encode(r#"{"alg":"none","typ":"at+jwt"}"#)
                .trim_end_matches('='),
            STANDARD
                .encode(claims(&sub, t, t + 60).to_string())
                .trim_end_matches('=')
        ),
        // Tampered: our token with the last signature character changed.
        {
            let mut forged = token.clone();
            let last = forged.pop().unwrap();
            forged.push(if last == 'A' { 'B' } else { 'A' });
            forged
        },
    ];
    for forged in refused {
        assert_unauthorized(app.get_bearer("/api/resource", &forged).await).await;
        assert_unauthorized(app.get_basic("/api/resource", &forged, "x").await).await;
        assert_unauthorized(app.get_bearer("/api/token", &forged).await).await;
    }
}

#[tokio::test]
async fn a_token_is_good_only_where_its_session_is() {
    let first = TestApp::spawn().await;
    let token = first.token_for("miguel", "python").await;
    // Another server with the same key accepts the signature, but on another database the
    // token's session does not exist, even for a user of the same name and id.
    let secret = first.secret.clone();
    let second = TestApp::spawn_with(|config| {
        config.secret_key = server::config::SecretKey::new(secret).unwrap();
    })
    .await;
    assert_eq!(second.register("miguel", "python").await.status(), 201);
    assert_unauthorized(second.get_bearer("/api/resource", &token).await).await;
    assert_eq!(
        greeting(first.get_bearer("/api/resource", &token).await).await,
        "Hello, miguel!"
    );
}
