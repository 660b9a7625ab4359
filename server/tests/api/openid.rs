//! The OpenID Connect provider, as a relying party and an attacker see it over HTTP: discovery
//! and keys, the authorization code flow with PKCE through the JSON the `/authorize` page
//! calls, the token endpoint's refusals, refresh with rotation, userinfo, introspection,
//! revocation, logout, consent remembered and removed, and a key rotation.

use crate::common::TestApp;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use reqwest::Response;
use serde_json::{json, Value};
use server::provider::clients::{self, NewClient};
use sha2::{Digest, Sha256};
use std::time::Duration;

const REDIRECT: &str = "https://app.example/callback";
const AFTER_LOGOUT: &str = "https://app.example/bye";

struct Client {
    id: String,
    secret: Option<String>,
}

async fn add_client(app: &TestApp, public: bool) -> Client {
    let registered = clients::add(
        &app.state.store,
        NewClient {
            name: "Example App".into(),
            redirect_uris: vec![REDIRECT.into(), "http://localhost:8080/cb?x=1".into()],
            post_logout_redirect_uris: vec![AFTER_LOGOUT.into()],
            public,
        },
    )
    .await
    .unwrap();
    Client {
        id: registered.client_id,
        secret: registered.client_secret,
    }
}

/// A PKCE verifier and its S256 challenge.
fn pkce() -> (String, String) {
    let verifier = URL_SAFE_NO_PAD.encode(rand_bytes());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn rand_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    OsRng.fill_bytes(&mut bytes);
    bytes
}

/// `parameters` with each of `changes` in place of the parameter of its name (added if absent;
/// removed when its value is empty).
fn altered<'a>(parameters: &mut Vec<(&'a str, &'a str)>, changes: Vec<(&'a str, &'a str)>) {
    for (name, value) in changes {
        parameters.retain(|(existing, _)| *existing != name);
        if !value.is_empty() {
            parameters.push((name, value));
        }
    }
}

/// `GET /oauth/authorize` with these parameters.
async fn authorize(app: &TestApp, parameters: &[(&str, &str)]) -> Response {
    let query: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(parameters)
        .finish();
    app.get(&format!("/oauth/authorize?{query}")).await
}

/// The usual parameters of `client`'s request with PKCE `challenge`.
fn request<'a>(client: &'a Client, challenge: &'a str, scope: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("client_id", &client.id),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", scope),
        ("state", "st4te"),
        ("nonce", "n0nce"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ]
}

fn location(response: &Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// The id of a request handed to the `/authorize` page.
fn request_id(response: &Response) -> String {
    assert_eq!(response.status(), 303);
    let location = location(response);
    location
        .strip_prefix("/authorize?request=")
        .unwrap_or_else(|| panic!("not handed to the page: {location}"))
        .to_owned()
}

/// The query parameters of a redirect back to the client.
fn back_at_client(redirect_to: &str) -> std::collections::HashMap<String, String> {
    assert!(redirect_to.starts_with(REDIRECT), "{redirect_to}");
    let url = url::Url::parse(redirect_to).unwrap();
    url.query_pairs().into_owned().collect()
}

async fn answer(app: &TestApp, id: &str, token: Option<&str>) -> Response {
    let mut call = app
        .client
        .post(app.url(&format!("/api/authorizations/{id}")));
    if let Some(token) = token {
        call = call.bearer_auth(token);
    }
    call.send().await.unwrap()
}

async fn consent(app: &TestApp, id: &str, token: &str, allow: bool) -> Response {
    app.client
        .post(app.url(&format!("/api/authorizations/{id}/consent")))
        .bearer_auth(token)
        .json(&json!({ "allow": allow }))
        .send()
        .await
        .unwrap()
}

async fn redirect_to(response: Response) -> String {
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["next"], "redirect", "{body}");
    body["redirect_to"].as_str().unwrap().to_owned()
}

/// `POST /oauth/token` with `form`, the client authenticating with HTTP Basic (a confidential
/// client) or its id in the body (a public one).
async fn token_request(app: &TestApp, client: &Client, form: &[(&str, &str)]) -> Response {
    let mut form: Vec<(&str, &str)> = form.to_vec();
    let mut call = app.client.post(app.url("/oauth/token"));
    match &client.secret {
        Some(secret) => call = call.basic_auth(&client.id, Some(secret)),
        None => form.push(("client_id", &client.id)),
    }
    call.form(&form).send().await.unwrap()
}

async fn exchange(app: &TestApp, client: &Client, code: &str, verifier: &str) -> Response {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier),
    ];
    token_request(app, client, &form).await
}

/// A signed-in user "miguel" and their token (the seed's).
async fn signed_in(app: &TestApp) -> String {
    app.register("miguel", "python").await;
    app.token("miguel", "python").await
}

/// The whole flow for a user already allowed or allowing now: the code, and the verifier.
async fn code_for(app: &TestApp, client: &Client, token: &str, scope: &str) -> (String, String) {
    let (verifier, challenge) = pkce();
    let id = request_id(&authorize(app, &request(client, &challenge, scope)).await);
    let response = answer(app, &id, Some(token)).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let redirect_to = match body["next"].as_str().unwrap() {
        "consent" => {
            assert_eq!(body["application"], "Example App");
            redirect_to(consent(app, &id, token, true).await).await
        }
        _ => body["redirect_to"].as_str().unwrap().to_owned(),
    };
    let back = back_at_client(&redirect_to);
    assert_eq!(back["state"], "st4te");
    assert_eq!(back["iss"], app.origin());
    (back["code"].clone(), verifier)
}

/// Tokens for `client` by the whole flow: the token endpoint's JSON.
async fn tokens(app: &TestApp, client: &Client, token: &str, scope: &str) -> Value {
    let (code, verifier) = code_for(app, client, token, scope).await;
    let response = exchange(app, client, &code, &verifier).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.unwrap()
}

async fn jwks(app: &TestApp) -> Value {
    let response = app.get("/oauth/jwks").await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// The claims of a JWT this server signed, checked as a relying party checks them: the key
/// from the JWKS by `kid`, RS256 only, the issuer, the audience, the expiry.
async fn verified(app: &TestApp, token: &str, audience: &str, typ: &str) -> Value {
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    assert_eq!(header.typ.as_deref(), Some(typ));
    let kid = header.kid.unwrap();
    let keys = jwks(app).await;
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(
        keys["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|key| key["kid"] == kid.as_str())
            .expect("the token's key is published")
            .clone(),
    )
    .unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_issuer(&[app.origin()]);
    validation.set_audience(&[audience]);
    validation.leeway = 0;
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .unwrap()
        .claims
}

async fn userinfo(app: &TestApp, access_token: &str) -> Response {
    app.get_bearer("/oauth/userinfo", access_token).await
}

async fn introspect(app: &TestApp, client: &Client, token: &str) -> Value {
    let response = app
        .client
        .post(app.url("/oauth/introspect"))
        .basic_auth(&client.id, client.secret.as_deref())
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn oauth_error(response: Response, status: u16) -> String {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.unwrap();
    assert!(body["error_description"].is_string(), "{body}");
    body["error"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn discovery_names_the_issuer_and_its_endpoints_and_the_keys_are_published() {
    let app = TestApp::spawn().await;
    let response = app.get("/.well-known/openid-configuration").await;
    assert_eq!(response.status(), 200);
    let metadata: Value = response.json().await.unwrap();
    let origin = app.origin();
    assert_eq!(metadata["issuer"], origin);
    for (name, path) in [
        ("authorization_endpoint", "/oauth/authorize"),
        ("token_endpoint", "/oauth/token"),
        ("userinfo_endpoint", "/oauth/userinfo"),
        ("jwks_uri", "/oauth/jwks"),
        ("end_session_endpoint", "/oauth/end-session"),
        ("introspection_endpoint", "/oauth/introspect"),
        ("revocation_endpoint", "/oauth/revoke"),
    ] {
        assert_eq!(metadata[name], format!("{origin}{path}"), "{name}");
    }
    assert_eq!(metadata["response_types_supported"], json!(["code"]));
    assert_eq!(
        metadata["code_challenge_methods_supported"],
        json!(["S256"])
    );
    assert_eq!(
        metadata["id_token_signing_alg_values_supported"],
        json!(["RS256"])
    );
    let keys = jwks(&app).await;
    let keys = keys["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["kty"], "RSA");
    assert_eq!(keys[0]["alg"], "RS256");
    assert_eq!(keys[0]["use"], "sig");
    assert!(keys[0]["kid"].as_str().unwrap().len() >= 16);
    // Nothing of the private half is published.
    for private in ["d", "p", "q", "dp", "dq", "qi"] {
        assert!(keys[0].get(private).is_none(), "{private}");
    }
    // The private half is stored sealed, not as DER or PEM.
    let stored = app
        .query_strings("SELECT private_key FROM signing_keys")
        .await;
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].contains("BEGIN"), "stored in the clear");
    assert!(
        stored[0].split_once(':').is_some(),
        "not sealed: {}",
        stored[0].len()
    );
}

#[tokio::test]
async fn a_confidential_client_signs_a_user_in_and_gets_tokens_a_relying_party_can_check() {
    let app = TestApp::spawn().await;
    let client = add_client(&app, false).await;
    let token = signed_in(&app).await;
    let body = tokens(&app, &client, &token, "openid profile offline_access").await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "openid profile offline_access");
    let expires_in = body["expires_in"].as_u64().unwrap();
    assert!((1..=600).contains(&expires_in), "{expires_in}");

    let id_token = verified(&app, body["id_token"].as_str().unwrap(), &client.id, "JWT").await;
    assert_eq!(id_token["nonce"], "n0nce");
    assert_eq!(id_token["azp"], client.id.as_str());
    assert_eq!(id_token["preferred_username"], "miguel");
    assert_eq!(id_token["amr"], json!(["pwd"]));
    let sub = id_token["sub"].as_str().unwrap().to_owned();
    // The account's random handle, not its row number.
    assert_eq!(sub.len(), 32, "{sub}");
    let handles = app
        .query_strings("SELECT user_handle FROM users WHERE username = 'miguel'")
        .await;
    assert_eq!(handles, std::slice::from_ref(&sub));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let auth_time = id_token["auth_time"].as_i64().unwrap();
    assert!((now - 60..=now).contains(&auth_time), "{auth_time}");

    let access_token = body["access_token"].as_str().unwrap();
    let access = verified(&app, access_token, &app.origin(), "at+jwt").await;
    assert_eq!(access["client_id"], client.id.as_str());
    assert_eq!(access["sub"], sub.as_str());
    assert!(access["exp"].as_i64().unwrap() - access["iat"].as_i64().unwrap() <= 600);

    let response = userinfo(&app, access_token).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "sub": sub, "preferred_username": "miguel" })
    );
    // The application's token is not one of the seed's.
    assert_eq!(app.resource_status(access_token).await, 401);

    // The refresh token rotates; the new tokens carry the same person and authentication.
    let refresh_token = body["refresh_token"].as_str().unwrap();
    let response = token_request(
        &app,
        &client,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
    let renewed: Value = response.json().await.unwrap();
    assert_ne!(renewed["refresh_token"], body["refresh_token"]);
    let id_token = verified(
        &app,
        renewed["id_token"].as_str().unwrap(),
        &client.id,
        "JWT",
    )
    .await;
    assert_eq!(id_token["sub"], sub.as_str());
    assert_eq!(id_token["auth_time"], auth_time);
    assert!(id_token.get("nonce").is_none());

    // The application's session is listed among the person's, under its name.
    let sessions = app.sessions(&token).await;
    assert!(
        sessions
            .iter()
            .any(|session| session["user_agent"] == "Example App"),
        "{sessions:?}"
    );
}

#[tokio::test]
async fn consent_is_asked_once_and_deny_returns_access_denied() {
    let app = TestApp::spawn().await;
    let client = add_client(&app, false).await;
    let token = signed_in(&app).await;

    // Denied: back to the client with access_denied and the state; nothing remembered.
    let (_, challenge) = pkce();
    let id = request_id(&authorize(&app, &request(&client, &challenge, "openid")).await);
    let body: Value = answer(&app, &id, Some(&token)).await.json().await.unwrap();
    assert_eq!(body["next"], "consent");
    assert_eq!(body["scopes"], json!(["openid"]));
    let back = back_at_client(&redirect_to(consent(&app, &id, &token, false).await).await);
    assert_eq!(back["error"], "access_denied");
    assert_eq!(back["state"], "st4te");
    assert!(!back.contains_key("code"));
    // An answered request cannot be answered again.
    assert_eq!(consent(&app, &id, &token, true).await.status(), 404);

    // Allowed once, then straight back with a code; the application is listed.
    tokens(&app, &client, &token, "openid").await;
    let (_, challenge) = pkce();
    let id = request_id(&authorize(&app, &request(&client, &challenge, "openid")).await);
    let redirect_to = redirect_to(answer(&app, &id, Some(&token)).await).await;
    assert!(back_at_client(&redirect_to).contains_key("code"));
    // A scope not allowed before is asked for.
    let id = request_id(&authorize(&app, &request(&client, &challenge, "openid profile")).await);
    let body: Value = answer(&app, &id, Some(&token)).await.json().await.unwrap();
    assert_eq!(body["next"], "consent");

    let listed: Value = app
        .get_bearer("/api/applications", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["applications"][0]["client_id"], client.id.as_str());
    assert_eq!(listed["applications"][0]["name"], "Example App");
}

#[tokio::test]
async fn removing_an_application_ends_its_sessions_and_asks_consent_again() {
    let app = TestApp::spawn().await;
    let client = add_client(&app, false).await;
    let token = signed_in(&app).await;
    let body = tokens(&app, &client, &token, "openid offline_access").await;
    let access_token = body["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&app, access_token).await.status(), 200);

    // A stale session must confirm it is the owner first (step-up).
    app.age_authentications(3600).await;
    let path = format!("/api/applications/{}", client.id);
    let response = app.delete_bearer(&path, &token).await;
    assert_eq!(response.status(), 401);
    assert!(response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("insufficient_user_authentication"));
    assert_eq!(
        app.reauthenticate(&token, "python", None).await.status(),
        200
    );
    assert_eq!(app.delete_bearer(&path, &token).await.status(), 204);
    assert_eq!(app.delete_bearer(&path, &token).await.status(), 404);

    assert_eq!(userinfo(&app, access_token).await.status(), 401);
    assert_eq!(
        introspect(&app, &client, access_token).await["active"],
        false
    );
    let refresh_token = body["refresh_token"].as_str().unwrap();
    let response = token_request(
        &app,
        &client,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await;
    assert_eq!(oauth_error(response, 400).await, "invalid_grant");
    let (_, challenge) = pkce();
    let id = request_id(&authorize(&app, &request(&client, &challenge, "openid")).await);
    let body: Value = answer(&app, &id, Some(&token)).await.json().await.unwrap();
    assert_eq!(body["next"], "consent");
}

#[tokio::test]
async fn an_unknown_client_or_redirect_uri_gets_an_error_page_and_is_never_redirected() {
    let app = TestApp::spawn().await;
    let client = add_client(&app, false).await;
    let (_, challenge) = pkce();
    let unknown = Client {
        id: "0123456789abcdef0123456789abcdef".into(),
        secret: None,
    };
    let nul = Client {
        id: "a\u{0}b".into(),
        secret: None,
    };
    let mut cases = vec![
        request(&unknown, &challenge, "openid"),
        request(&nul, &challenge, "openid"),
    ];
    for altered in [
        "https://app.example/callback/",
        "https://app.example/callback?next=/",
        "https://evil.example/callback",
        "https://app.example/Callback",
        "http://localhost:8080/cb",
    ] {
        let mut parameters = request(&client, &challenge, "openid");
        parameters[1] = ("redirect_uri", altered);
        cases.push(parameters);
    }
    let mut missing = request(&client, &challenge, "openid");
    missing.remove(1);
    cases.push(missing);
    for parameters in cases {
        let response = authorize(&app, &parameters).await;
        assert_eq!(response.status(), 400, "{parameters:?}");
        assert!(response.headers().get("location").is_none());
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        let page = response.text().await.unwrap();
        assert!(!page.contains("evil.example"), "{page}");
        assert!(page.contains("cannot be completed"), "{page}");
    }
    // Ids that are not ours are unknown, whatever bytes they hold.
    for path in [
        "/api/authorizations/a%00b",
        "/api/logouts/a%00b",
        "/api/authorizations/..%2Fusers",
    ] {
        let response = app.client.post(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
    // A registered URI with a query of its own is matched exactly, its query kept.
    let mut parameters = request(&client, &challenge, "openid");
    parameters[1] = ("redirect_uri", "http://localhost:8080/cb?x=1");
    parameters[3] = ("scope", "profile");
    let response = authorize(&app, &parameters).await;
    assert_eq!(response.status(), 303);
    let to = location(&response);
    assert!(
        to.starts_with("http://localhost:8080/cb?x=1&error=invalid_scope"),
        "{to}"
    );
}

#[tokio::test]
async fn bad_requests_of_a_registered_client_go_back_to_it_with_an_error() {
    let app = TestApp::spawn().await;
    let client = add_client(&app, false).await;
    let public = add_client(&app, true).await;
    let (_, challenge) = pkce();
    let with = |client, change: fn(&mut Vec<(&'static str, &'static str)>)| {
        let mut parameters = request(client, &challenge, "openid");
        let mut extra = Vec::new();
        change(&mut extra);
        altered(&mut parameters, extra);
        parameters
    };
    let cases = vec![
        (
            with(&client, |p| p.push(("response_type", "token"))),
            "unsupported_response_type",
        ),
        (
            with(&client, |p| p.push(("response_type", "code id_token"))),
            "unsupported_response_type",
        ),
        (
            with(&client, |p| p.push(("code_challenge_method", "plain"))),
            "invalid_request",
        ),
        (
            with(&client, |p| p.push(("code_challenge", "short"))),
            "invalid_request",
        ),
        (
            with(&client, |p| p.push(("prompt", "none login"))),
            "invalid_request",
        ),
        (
            with(&client, |p| p.push(("max_age", "-1"))),
            "invalid_request",
        ),
        (
            with(&client, |p| p.push(("request", "eyJ..."))),
            "request_not_supported",
        ),
        (
            with(&client, |p| p.push(("response_mode", "fragment"))),
            "invalid_request",
        ),
        // A confidential client without PKCE must send a nonce.
        (
            with(&client, |p| {
                p.extend([
                    ("code_challenge", ""),
                    ("code_challenge_method", ""),
                    ("nonce", ""),
                ])
            }),
            "invalid_request",
        ),
        // A public client must use PKCE.
        (
            with(&public, |p| {
                p.extend([("code_challenge", ""), ("code_challenge_method", "")])
            }),
            "invalid_request",
        ),
    ];
    for (parameters, error) in cases {
        let response = authorize(&app, &parameters).await;
        assert_eq!(response.status(), 303, "{parameters:?}");
        let back = back_at_client(&location(&response));
        assert_eq!(back["error"], error, "{parameters:?}");
        assert_eq!(back["state"], "st4te");
        assert_eq!(back["iss"], app.origin());
    }
    // A parameter sent twice is refused without a redirect.
    let mut twice = request(&client, &challenge, "openid");
    twice.push(("redirect_uri", "https://evil.example/"));
    let response = authorize(&app, &twice).await;
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
}

#[tokio::test]
async fn the_token_endpoint_refuses_what_an_attacker_would_try() {
    let app = TestApp::spawn().await;
    let client = add_client(&app, false).await;
    let other = add_client(&app, false).await;
    let token = signed_in(&app).await;

    // Wrong secret, unknown client, no authentication at all.
    let (code, verifier) = code_for(&app, &client, &token, "openid").await;
    let wrong = Client {
        id: client.id.clone(),
        secret: Some("not-the-secret".into()),
    };
    let response = exchange(&app, &wrong, &code, &verifier).await;
    assert_eq!(oauth_error(response, 401).await, "invalid_client");
    let response = app
        .client
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert!(response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Basic"));
    assert_eq!(oauth_error(response, 401).await, "invalid_client");
    // A confidential client's id alone (as if it were public).
    let response = app
        .client
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("client_id", client.id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(oauth_error(response, 401).await, "invalid_client");
    // Still good after those (none of them used it).
    let response = exchange(&app, &client, &code, &verifier).await;
    assert_eq!(response.status(), 200);

    // Another client's code; a wrong verifier; no verifier; another redirect URI.
    let (code, verifier) = code_for(&app, &client, &token, "openid").await;
    let response = exchange(&app, &other, &code, &verifier).await;
    assert_eq!(oauth_error(response, 400).await, "invalid_grant");
    let (code, _) = code_for(&app, &client, &token, "openid").await;
    let (wrong_verifier, _) = pkce();
    let response = exchange(&app, &client, &code, &wrong_verifier).await;
    assert_eq!(oauth_error(response, 400).await, "invalid_grant");
    let (code, _) = code_for(&app, &client, &token, "openid").await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    let response = token_request(&app, &client, &form).await;
    assert_eq!(oauth_error(response, 400).await, "invalid_grant");
    let (code, verifier) = code_for(&app, &client, &token, "openid").await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "http://localhost:8080/cb?x=1"),
        ("code_verifier", verifier.as_str()),
    ];
    let response = token_request(&app, &client, &form).await;
    assert_eq!(oauth_error(response, 400).await, "invalid_grant");

    // An expired code (60 s at most).
    let (code, verifier) = code_for(&app, &client, &token, "openid").await;
    app.execute_sql("UPDATE authorization_codes SET expires_at = expires_at - 61")
        .await;
    let response = exchange(&app, &client, &code, &verifier).await;
    assert_eq!(oauth_error(response, 400).await, "invalid_grant");

    // Unknown grant types, missing fields, a body that is not a form.
    let response = token_request(&app, &client, &[("grant_type", "password")]).await;
    assert_eq!(oauth_error(response, 400).await, "unsupported_grant_type");
    let response = token_request(&app, &client, &[("grant_type", "authorization_code")]).await;
    assert_eq!(oauth_error(response, 400).await, "invalid_request");
    let response = app
        .client
        .post(app.url("/oauth/token"))
        .basic_auth(&client.id, client.secret.as_deref())
        .json(&json!({"grant_type": "authorization_code"}))
        .send()
        .await
        .unwrap();
    assert_eq!(oauth_error(response, 400).await, "invalid_request");
    // Two ways of authenticating at once.
    let response = app
        .client
        .post(app.url("/oauth/token"))
        .basic_auth(&client.id, client.secret.as_deref())
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_secret", client.secret.as_deref().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(oauth_error(response, 400).await, "invalid_request");
}

#[tokio::test]
async fn a_code_used_twice_ends_what_its_first_use_issued() {
    let app = TestApp::spawn().await;
    let client = add_client(&app, false).await;
    let token = signed_in(&app).await;
    let (code, verifier) = code_for(&app, &client, &token, "openid offline_access").await;
    let first: Value = exchange(&app, &client, &code, &verifier)
        .await
        .json()
        .await
        .unwrap();
    let access_token = first["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&app, access_token).await.status(), 200);

    let response = exchange(&app, &client, &code, &verifier).await;
    assert_eq!(oauth_error(response, 400).await, "invalid_grant");
    assert_eq!(userinfo(&app, access_token).await.status(), 401);
    let response = token_request(
        &app,
        &client,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", first["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(oauth_error(response, 400).await, "invalid_grant");
}

#[tokio::test]
async fn a_code_exchanged_many_times_at_once_leaves_no_tokens_that_work() {
    let app = TestApp::spawn().await;
    let client = add_client(&app, false).await;
    let token = signed_in(&app).await;
    let (code, verifier) = code_for(&app, &client, &token, "openid").await;
    let attempts = (0..8).map(|_| exchange(&app, &client, &code, &verifier));
    let responses = futures::future::join_all(attempts).await;
    let mut issued = Vec::new();
    for response in responses {
        match response.status().as_u16() {
            200 => issued.push(response.json::<Value>().await.unwrap()),
            status => assert_eq!(status, 400),
        }
    }
    // At most one first use; every later use ends what it issued, or keeps it from being
    // issued (a use that lands while the first is still beginning its session).
    assert!(issued.len() <= 1, "{issued:?}");
    for body in &issued {
        let access_token = body["access_token"].as_str().unwrap();
        assert_eq!(userinfo(&app, access_token).await.status(), 401);
    }
    let sessions = app.sessions(&token).await;
    assert!(
        sessions
            .iter()
            .all(|session| session["user_agent"] != "Example App"),
        "{sessions:?}"
    );
}

#[tokio::test]
async fn a_public_client_uses_pkce_and_no_secret() {
    let app = TestApp::spawn().await;
    let client = add_client(&app, true).await;
    assert!(client.secret.is_none());
    let token = signed_in(&app).await;
    let body = tokens(&app, &client, &token, "openid").await;
    assert!(body["refresh_token"].is_null());
    // A public client cannot introspect (it cannot prove who it is).
    let response = app
        .client
        .post(app.url("/oauth/introspect"))
        .form(&[
            ("token", body["access_token"].as_str().unwrap()),
            ("client_id", &client.id),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(oauth_error(response, 401).await, "invalid_client");
}

#[tokio::test]
async fn client_secret_post_authenticates_too() {
    let app = TestApp::spawn().await;
    let client = add_client(&app, false).await;
    let token = signed_in(&app).await;
    let (code, verifier) = code_for(&app, &client, &token, "openid").await;
    let response = app
        .client
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier.as_str()),
            ("client_id", client.id.as_str()),
            ("client_secret", client.secret.as_deref().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn prompt_none_and_login_and_max_age_are_honoured() {
    let app = TestApp::spawn().await;
    let client = add_client(&app, false).await;
    let (_, challenge) = pkce();
    let mut parameters = request(&client, &challenge, "openid");
    parameters.push(("prompt", "none"));

    // Signed out: back with login_required, never a page.
    let id = request_id(&authorize(&app, &parameters).await);
    let back = back_at_client(&redirect_to(answer(&app, &id, None).await).await);
    assert_eq!(back["error"], "login_required");
    assert_eq!(back["state"], "st4te");
    // Signed out without prompt=none: the page must sign in first.
    let id = request_id(&authorize(&app, &request(&client, &challenge, "openid")).await);
    assert_eq!(answer(&app, &id, None).await.status(), 401);

    // Signed in, never allowed: consent_required.
    let token = signed_in(&app).await;
    let id = request_id(&authorize(&app, &parameters).await);
    let back = back_at_client(&redirect_to(answer(&app, &id, Some(&token)).await).await);
    assert_eq!(back["error"], "consent_required");
    // Allowed: a code without a page.
    tokens(&app, &client, &token, "openid").await;
    let id = request_id(&authorize(&app, &parameters).await);
    let back = back_at_client(&redirect_to(answer(&app, &id, Some(&token)).await).await);
    assert!(back.contains_key("code"));

    // prompt=login: a session that authenticated before the request must confirm it is the
    // owner; after that, a code, with the new auth_time.
    let mut parameters = request(&client, &challenge, "openid");
    parameters.push(("prompt", "login"));
    app.age_authentications(10).await;
    let id = request_id(&authorize(&app, &parameters).await);
    let response = answer(&app, &id, Some(&token)).await;
    assert_eq!(response.status(), 401);
    assert!(response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("insufficient_user_authentication"));
    assert_eq!(
        app.reauthenticate(&token, "python", None).await.status(),
        200
    );
    let back = back_at_client(&redirect_to(answer(&app, &id, Some(&token)).await).await);
    assert!(back.contains_key("code"));

    // max_age: an authentication older than it asks for the same.
    let mut parameters = request(&client, &challenge, "openid");
    parameters.push(("max_age", "300"));
    app.age_authentications(400).await;
    let id = request_id(&authorize(&app, &parameters).await);
    assert_eq!(answer(&app, &id, Some(&token)).await.status(), 401);
    // ...and with prompt=none, login_required.
    parameters.push(("prompt", "none"));
    let id = request_id(&authorize(&app, &parameters).await);
    let back = back_at_client(&redirect_to(answer(&app, &id, Some(&token)).await).await);
    assert_eq!(back["error"], "login_required");
}

#[tokio::test]
async fn introspection_and_revocation_give_the_answer_sessions_give() {
    let app = TestApp::spawn().await;
    let client = add_client(&app, false).await;
    let other = add_client(&app, false).await;
    let token = signed_in(&app).await;
    let body = tokens(&app, &client, &token, "openid offline_access").await;
    let access_token = body["access_token"].as_str().unwrap();
    let refresh_token = body["refresh_token"].as_str().unwrap();

    let facts = introspect(&app, &other, access_token).await;
    assert_eq!(facts["active"], true);
    assert_eq!(facts["client_id"], client.id.as_str());
    assert_eq!(facts["username"], "miguel");
    assert_eq!(facts["token_type"], "Bearer");
    assert_eq!(
        introspect(&app, &other, refresh_token).await["token_type"],
        "refresh_token"
    );
    // The seed's own token, and its logout.
    assert_eq!(introspect(&app, &other, &token).await["active"], true);
    assert_eq!(
        introspect(&app, &other, "garbage").await,
        json!({ "active": false })
    );
    // Without the client's credentials: refused.
    let response = app
        .client
        .post(app.url("/oauth/introspect"))
        .form(&[("token", access_token)])
        .send()
        .await
        .unwrap();
    assert_eq!(oauth_error(response, 401).await, "invalid_client");

    // Another client cannot revoke this client's token.
    let revoke = |client: &Client, token: &str| {
        app.client
            .post(app.url("/oauth/revoke"))
            .basic_auth(&client.id, client.secret.as_deref())
            .form(&[("token", token.to_owned())])
            .send()
    };
    assert_eq!(revoke(&other, refresh_token).await.unwrap().status(), 200);
    assert_eq!(introspect(&app, &other, access_token).await["active"], true);
    // Its own: the session ends, the access token with it.
    assert_eq!(revoke(&client, refresh_token).await.unwrap().status(), 200);
    assert_eq!(
        introspect(&app, &other, access_token).await["active"],
        false
    );
    assert_eq!(
        introspect(&app, &other, refresh_token).await["active"],
        false
    );
    assert_eq!(userinfo(&app, access_token).await.status(), 401);
    // Revoking an access token ends its session too.
    let body = tokens(&app, &client, &token, "openid").await;
    let access_token = body["access_token"].as_str().unwrap();
    assert_eq!(revoke(&client, access_token).await.unwrap().status(), 200);
    assert_eq!(userinfo(&app, access_token).await.status(), 401);

    // The seed's token after its logout.
    assert_eq!(
        app.delete_bearer("/api/sessions/current", &token)
            .await
            .status(),
        204
    );
    assert_eq!(introspect(&app, &other, &token).await["active"], false);
}

#[tokio::test]
async fn the_proxy_check_passes_good_tokens_with_the_username() {
    let app = TestApp::spawn().await;
    let client = add_client(&app, false).await;
    let token = signed_in(&app).await;
    let body = tokens(&app, &client, &token, "openid").await;
    for good in [body["access_token"].as_str().unwrap(), token.as_str()] {
        let response = app.get_bearer("/oauth/check", good).await;
        assert_eq!(response.status(), 204);
        assert_eq!(response.headers()["x-username"], "miguel");
    }
    assert_eq!(app.get("/oauth/check").await.status(), 401);
    assert_eq!(app.get_bearer("/oauth/check", "x.y.z").await.status(), 401);
}

#[tokio::test]
async fn rp_initiated_logout_ends_the_applications_session_and_checks_where_to_go() {
    let app = TestApp::spawn().await;
    let client = add_client(&app, false).await;
    let token = signed_in(&app).await;
    let body = tokens(&app, &client, &token, "openid").await;
    let id_token = body["id_token"].as_str().unwrap();
    let access_token = body["access_token"].as_str().unwrap();
    let logout = |parameters: Vec<(&str, &str)>| {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(parameters)
            .finish();
        app.client
            .get(app.url(&format!("/oauth/end-session?{query}")))
            .send()
    };

    let response = logout(vec![
        ("id_token_hint", id_token),
        ("post_logout_redirect_uri", "https://evil.example/"),
    ])
    .await
    .unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
    assert_eq!(userinfo(&app, access_token).await.status(), 200);
    let response = logout(vec![("id_token_hint", "not.a.token")])
        .await
        .unwrap();
    assert_eq!(response.status(), 400);

    let response = logout(vec![
        ("id_token_hint", id_token),
        ("post_logout_redirect_uri", AFTER_LOGOUT),
        ("state", "s1"),
    ])
    .await
    .unwrap();
    assert_eq!(response.status(), 303);
    let to = location(&response);
    let id = to.strip_prefix("/signed-out?logout=").expect(&to);
    assert_eq!(userinfo(&app, access_token).await.status(), 401);
    // The page, once it has signed the browser out, learns where to go next, once.
    let finish = || {
        app.client
            .post(app.url(&format!("/api/logouts/{id}")))
            .send()
    };
    let body: Value = finish().await.unwrap().json().await.unwrap();
    assert_eq!(body["redirect_to"], format!("{AFTER_LOGOUT}?state=s1"));
    assert_eq!(body["ask"], false);
    assert_eq!(finish().await.unwrap().status(), 404);
    // Without an ID token, the page asks the person first; nowhere to go without a client.
    let response = logout(vec![]).await.unwrap();
    let to = location(&response);
    let id = to.strip_prefix("/signed-out?logout=").expect(&to);
    let body: Value = app
        .client
        .post(app.url(&format!("/api/logouts/{id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body, json!({ "redirect_to": null, "ask": true }));
    // The person's own browser session is not the application's to end.
    assert_eq!(app.resource_status(&token).await, 200);
}

#[tokio::test]
async fn a_removed_client_counts_at_once() {
    let app = TestApp::spawn().await;
    let client = add_client(&app, false).await;
    let token = signed_in(&app).await;
    let body = tokens(&app, &client, &token, "openid").await;
    let (code, verifier) = code_for(&app, &client, &token, "openid").await;
    assert!(clients::remove(&app.state.store, &client.id).await.unwrap());
    assert_eq!(
        userinfo(&app, body["access_token"].as_str().unwrap())
            .await
            .status(),
        401
    );
    let response = exchange(&app, &client, &code, &verifier).await;
    assert_eq!(oauth_error(response, 401).await, "invalid_client");
    let (_, challenge) = pkce();
    assert_eq!(
        authorize(&app, &request(&client, &challenge, "openid"))
            .await
            .status(),
        400
    );
}

#[tokio::test]
async fn a_password_change_ends_the_applications_sessions() {
    let app = TestApp::spawn().await;
    let client = add_client(&app, false).await;
    let token = signed_in(&app).await;
    let body = tokens(&app, &client, &token, "openid").await;
    // A code issued before the change is refused after it.
    let (code, verifier) = code_for(&app, &client, &token, "openid").await;
    let response = app
        .client
        .put(app.url("/api/users/me/password"))
        .bearer_auth(&token)
        .json(&json!({ "current_password": "python", "new_password": "a-new-password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        userinfo(&app, body["access_token"].as_str().unwrap())
            .await
            .status(),
        401
    );
    let response = exchange(&app, &client, &code, &verifier).await;
    assert_eq!(oauth_error(response, 400).await, "invalid_grant");
}

#[tokio::test]
async fn a_rotated_key_signs_after_every_instance_has_it_and_the_old_one_stays_published() {
    let reload = Duration::from_secs(2);
    let app = TestApp::spawn_with(|config| config.signing_keys_reload = reload).await;
    let client = add_client(&app, false).await;
    let token = signed_in(&app).await;
    let before = tokens(&app, &client, &token, "openid").await;
    let kid = |body: &Value| {
        jsonwebtoken::decode_header(body["access_token"].as_str().unwrap())
            .unwrap()
            .kid
            .unwrap()
    };
    let old_kid = kid(&before);
    // It signs from two reloads on (counted in whole seconds: 3 to 4 s from now).
    let new_kid = app.state.provider.keys().rotate().await.unwrap();
    tokio::time::sleep(reload + Duration::from_millis(100)).await;
    // Published (read again after one reload) before it signs.
    let kids: Vec<Value> = jwks(&app).await["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["kid"].clone())
        .collect();
    assert_eq!(kids, [json!(new_kid), json!(old_kid)]);
    let during = tokens(&app, &client, &token, "openid").await;
    assert_eq!(kid(&during), old_kid);
    tokio::time::sleep(reload + Duration::from_millis(500)).await;
    let after = tokens(&app, &client, &token, "openid").await;
    assert_eq!(kid(&after), new_kid);
    verified(&app, after["id_token"].as_str().unwrap(), &client.id, "JWT").await;
    // The retired key's tokens are still good, and it is still published.
    assert_eq!(
        userinfo(&app, before["access_token"].as_str().unwrap())
            .await
            .status(),
        200
    );
    assert_eq!(jwks(&app).await["keys"].as_array().unwrap().len(), 2);
}
