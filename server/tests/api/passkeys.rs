//! `/api/passkeys`: a passkey added with a token signs in without a password, as a password
//! does; every ceremony is finished once; every refused sign-in is the same 401; removal needs
//! the password; a credential belongs to one account; a counter that goes backwards is refused.
//! The passkey is webauthn-authenticator-rs's `SoftPasskey` (tests/support/passkey.rs), real
//! keys and signatures over HTTP.

use crate::{
    common::{assert_json_error, assert_unauthorized, TestApp},
    support::passkey::TestPasskey,
};
use reqwest::header;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// An account with a token and a passkey named "Laptop": `(token, key, passkey id)`.
async fn account_with_passkey(app: &TestApp, username: &str) -> (String, TestPasskey, i64) {
    let token = app.token_for(username, "python").await;
    let mut key = TestPasskey::new(&app.origin());
    let id = app.add_passkey(&token, &mut key, "Laptop").await;
    (token, key, id)
}

async fn passkeys(app: &TestApp, token: &str) -> Vec<Value> {
    let response = app.get_bearer("/api/passkeys", token).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["passkeys"].as_array().unwrap().clone()
}

async fn remove(app: &TestApp, token: &str, id: i64) -> reqwest::Response {
    app.delete_bearer(&format!("/api/passkeys/{id}"), token)
        .await
}

#[tokio::test]
async fn a_passkey_signs_in_like_a_password() {
    let app = TestApp::spawn().await;
    let (token, mut key, id) = account_with_passkey(&app, "miguel").await;

    let listed = passkeys(&app, &token).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], id);
    assert_eq!(listed[0]["name"], "Laptop");
    assert!(listed[0]["created_at"].as_i64().unwrap() > 0);
    assert_eq!(listed[0]["last_used_at"], Value::Null);

    let (ceremony, options) = app.begin_passkey_sign_in().await;
    // Nobody is named: the browser offers whichever passkey of this site it holds.
    assert_eq!(options["publicKey"]["rpId"], "localhost");
    assert_eq!(options["publicKey"]["userVerification"], "required");
    let assertion = key.get(&options);
    let response = app
        .client
        .post(app.url("/api/passkeys/sign-in/finish"))
        .header(
            header::USER_AGENT,
            "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0",
        )
        .json(&json!({ "ceremony": ceremony, "credential": assertion }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // What a password sign-in (`POST /api/sign-in`) answers: the token as `GET /api/token`
    // gives it, its refresh token, and whose they are (the page needs no token's claims).
    let body: Value = response.json().await.unwrap();
    let keys: Vec<_> = body.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["duration", "refresh_token", "token", "username"]);
    assert_eq!(body["duration"], 600);
    assert_eq!(body["username"], "miguel");
    let passkey_token = body["token"].as_str().unwrap().to_owned();

    let resource = app.get_bearer("/api/resource", &passkey_token).await;
    assert_eq!(resource.status(), 200);
    assert_eq!(
        resource.json::<Value>().await.unwrap(),
        json!({ "data": "Hello, miguel!" })
    );
    // A session like any other: listed, labelled with how it began, renewable.
    let sessions = app.sessions(&passkey_token).await;
    assert_eq!(sessions.len(), 2);
    let current = sessions.iter().find(|s| s["current"] == true).unwrap();
    assert_eq!(current["signed_in_with"], "passkey");
    assert_eq!(current["user_agent"], "Chrome on Linux");
    let other = sessions.iter().find(|s| s["current"] == false).unwrap();
    assert_eq!(other["signed_in_with"], "password");
    assert_eq!(
        app.get_bearer("/api/token", &passkey_token).await.status(),
        200
    );

    let listed = passkeys(&app, &token).await;
    assert!(listed[0]["last_used_at"].as_i64().unwrap() > 0);
    // And again: the signature counter moved on, and is kept.
    assert_eq!(app.sign_in_with_passkey(&mut key).await.status(), 200);
}

#[tokio::test]
async fn registration_asks_for_a_discoverable_key_and_user_verification() {
    let app = TestApp::spawn().await;
    let token = app.token_for("miguel", "python").await;
    let (_, options) = app.begin_passkey_registration(&token).await;
    let selection = &options["publicKey"]["authenticatorSelection"];
    assert_eq!(selection["residentKey"], "required");
    assert_eq!(selection["requireResidentKey"], true);
    assert_eq!(selection["userVerification"], "required");
    assert_eq!(options["publicKey"]["rp"]["id"], "localhost");
    assert_eq!(options["publicKey"]["user"]["name"], "miguel");
    // The user handle is random, not the account's id.
    assert_ne!(options["publicKey"]["user"]["id"], "MQ");

    // A second passkey: the first is excluded, so one authenticator is not registered twice.
    let mut key = TestPasskey::new(&app.origin());
    app.add_passkey(&token, &mut key, "Laptop").await;
    let (_, options) = app.begin_passkey_registration(&token).await;
    assert_eq!(
        options["publicKey"]["excludeCredentials"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn the_default_name_is_the_browsers_label_and_a_name_can_change() {
    let app = TestApp::spawn().await;
    let token = app.token_for("miguel", "python").await;
    let mut key = TestPasskey::new(&app.origin());
    let (ceremony, options) = app.begin_passkey_registration(&token).await;
    let credential = key.create(&options);
    let response = app
        .client
        .post(app.url("/api/passkeys/register/finish"))
        .bearer_auth(&token)
        .header(
            header::USER_AGENT,
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Firefox/131.0",
        )
        .json(&json!({ "ceremony": ceremony, "credential": credential }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let added: Value = response.json().await.unwrap();
    assert_eq!(added["name"], "Firefox on macOS");
    let id = added["id"].as_i64().unwrap();

    let rename = |name: Value| {
        app.client
            .patch(app.url(&format!("/api/passkeys/{id}")))
            .bearer_auth(&token)
            .json(&json!({ "name": name }))
            .send()
    };
    let renamed = rename(json!("  Work laptop ")).await.unwrap();
    assert_eq!(renamed.status(), 200);
    assert_eq!(
        renamed.json::<Value>().await.unwrap()["name"],
        "Work laptop"
    );
    assert_eq!(passkeys(&app, &token).await[0]["name"], "Work laptop");
    for bad in [
        json!(""),
        json!("   "),
        json!("x".repeat(65)),
        json!("a\u{7}b"),
        json!(7),
    ] {
        let response = rename(bad.clone()).await.unwrap();
        assert_eq!(response.status(), 400, "{bad}");
        assert_json_error(response).await;
    }
    // Somebody else's passkey, or none: 404.
    let susan = app.token_for("susan", "python").await;
    let response = app
        .client
        .patch(app.url(&format!("/api/passkeys/{id}")))
        .bearer_auth(&susan)
        .json(&json!({ "name": "mine" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(passkeys(&app, &token).await[0]["name"], "Work laptop");
    for path in ["/api/passkeys/999999", "/api/passkeys/abc"] {
        let response = app
            .client
            .patch(app.url(path))
            .bearer_auth(&token)
            .json(&json!({ "name": "x" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path}");
        assert_json_error(response).await;
    }
}

#[tokio::test]
async fn a_finished_ceremony_cannot_be_finished_again() {
    let app = TestApp::spawn().await;
    let token = app.token_for("miguel", "python").await;
    let mut key = TestPasskey::new(&app.origin());

    // Adding: the same answer to the same ceremony, twice.
    let (ceremony, options) = app.begin_passkey_registration(&token).await;
    let credential = key.create(&options);
    let first = app
        .finish_passkey_registration(&token, &ceremony, &credential, Some("Laptop"))
        .await;
    assert_eq!(first.status(), 201);
    let again = app
        .finish_passkey_registration(&token, &ceremony, &credential, Some("Laptop"))
        .await;
    assert_eq!(again.status(), 404);
    assert_json_error(again).await;
    assert_eq!(passkeys(&app, &token).await.len(), 1);
    // An answer that does not check out (here: none at all) uses the ceremony up too.
    let (ceremony, _) = app.begin_passkey_registration(&token).await;
    let nonsense = json!({ "id": 1 });
    let refused = app
        .finish_passkey_registration(&token, &ceremony, &nonsense, None)
        .await;
    assert_eq!(refused.status(), 400);
    assert_json_error(refused).await;
    let again = app
        .finish_passkey_registration(&token, &ceremony, &nonsense, None)
        .await;
    assert_eq!(again.status(), 404);

    // Signing in: the same assertion, twice.
    let (ceremony, options) = app.begin_passkey_sign_in().await;
    let assertion = key.get(&options);
    assert_eq!(
        app.finish_passkey_sign_in(&ceremony, &assertion)
            .await
            .status(),
        200
    );
    assert_unauthorized(app.finish_passkey_sign_in(&ceremony, &assertion).await).await;
    // A registration ceremony is not a sign-in ceremony, nor somebody else's registration.
    let (registration, _) = app.begin_passkey_registration(&token).await;
    let (_, options) = app.begin_passkey_sign_in().await;
    let assertion = key.get(&options);
    assert_unauthorized(app.finish_passkey_sign_in(&registration, &assertion).await).await;
}

#[tokio::test]
async fn every_refused_sign_in_is_the_same_401() {
    let app = TestApp::spawn().await;
    let (token, mut key, id) = account_with_passkey(&app, "miguel").await;
    let mut bodies = Vec::new();
    let refused = |response: reqwest::Response| async move {
        assert_eq!(response.status(), 401);
        assert_eq!(
            response.headers()["www-authenticate"],
            r#"Basic realm="Authentication Required""#
        );
        response.json::<Value>().await.unwrap()
    };

    // A ceremony nobody began.
    let (_, options) = app.begin_passkey_sign_in().await;
    let assertion = key.get(&options);
    bodies.push(refused(app.finish_passkey_sign_in("0123abcd", &assertion).await).await);

    // An expired ceremony.
    let (ceremony, options) = app.begin_passkey_sign_in().await;
    let assertion = key.get(&options);
    app.execute_sql("UPDATE ceremonies SET expires_at = 0")
        .await;
    bodies.push(refused(app.finish_passkey_sign_in(&ceremony, &assertion).await).await);

    // A signature that does not check out.
    let (ceremony, options) = app.begin_passkey_sign_in().await;
    let mut assertion = key.get(&options);
    let signature = assertion["response"]["signature"].as_str().unwrap();
    let mut forged = signature.to_owned();
    let last = if forged.ends_with('A') { "B" } else { "A" };
    forged.replace_range(forged.len() - 1.., last);
    assertion["response"]["signature"] = json!(forged);
    bodies.push(refused(app.finish_passkey_sign_in(&ceremony, &assertion).await).await);

    // An answer to another ceremony's challenge.
    let (_, options) = app.begin_passkey_sign_in().await;
    let (other, _) = app.begin_passkey_sign_in().await;
    let assertion = key.get(&options);
    bodies.push(refused(app.finish_passkey_sign_in(&other, &assertion).await).await);

    // A passkey this site never registered (made for a ceremony that was never finished).
    let mut stranger = TestPasskey::new(&app.origin());
    let (_, options) = app.begin_passkey_registration(&token).await;
    stranger.create(&options);
    bodies.push(refused(app.sign_in_with_passkey(&mut stranger).await).await);

    // An answer that is no credential at all.
    let (ceremony, _) = app.begin_passkey_sign_in().await;
    let nonsense = json!({ "id": 1, "response": "none" });
    bodies.push(refused(app.finish_passkey_sign_in(&ceremony, &nonsense).await).await);

    // The right passkey, used on another origin (a phishing page on another port).
    let (ceremony, options) = app.begin_passkey_sign_in().await;
    let assertion = key.get_from("http://localhost:1", &options);
    bodies.push(refused(app.finish_passkey_sign_in(&ceremony, &assertion).await).await);

    // A removed passkey.
    assert_eq!(remove(&app, &token, id).await.status(), 204);
    bodies.push(refused(app.sign_in_with_passkey(&mut key).await).await);

    assert!(bodies.iter().all(|body| body == &bodies[0]), "{bodies:?}");
    assert_eq!(bodies[0], json!({ "error": "Unauthorized Access" }));
    assert_eq!(app.sessions(&token).await.len(), 1, "no session began");
}

#[tokio::test]
async fn removing_a_passkey_needs_a_recent_authentication() {
    let app = TestApp::spawn().await;
    let (token, mut key, id) = account_with_passkey(&app, "miguel").await;
    let susan = app.token_for("susan", "python").await;

    app.age_authentications(360).await;
    let stale = remove(&app, &token, id).await;
    assert_eq!(stale.status(), 401);
    assert_json_error(stale).await;
    assert_eq!(passkeys(&app, &token).await.len(), 1);
    assert_eq!(app.sign_in_with_passkey(&mut key).await.status(), 200);
    assert_eq!(
        app.reauthenticate(&susan, "python", None).await.status(),
        200
    );
    assert_eq!(remove(&app, &susan, id).await.status(), 404, "not susan's");

    assert_eq!(
        app.reauthenticate(&token, "python", None).await.status(),
        200
    );
    assert_eq!(remove(&app, &token, id).await.status(), 204);
    assert!(passkeys(&app, &token).await.is_empty());
    assert_unauthorized(app.sign_in_with_passkey(&mut key).await).await;
    assert_eq!(remove(&app, &token, id).await.status(), 404);
}

#[tokio::test]
async fn passkey_routes_need_credentials() {
    let app = TestApp::spawn().await;
    for (method, path) in [
        ("POST", "/api/passkeys/register/begin"),
        ("POST", "/api/passkeys/register/finish"),
        ("GET", "/api/passkeys"),
        ("PATCH", "/api/passkeys/1"),
        ("DELETE", "/api/passkeys/1"),
    ] {
        let response = app
            .client
            .request(method.parse().unwrap(), app.url(path))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_unauthorized(response).await;
    }
    // A malformed body is a 400; an unreadable answer to a ceremony is a failed sign-in (401).
    // Never a 5xx.
    for body in [
        json!({}),
        json!({ "ceremony": "x" }),
        json!({ "ceremony": 7, "credential": {} }),
        json!({ "ceremony": "x", "credential": {} }),
        json!({ "ceremony": "x", "credential": "text" }),
        json!({ "ceremony": "x", "credential": { "id": "", "rawId": "!!", "type": "public-key",
            "response": { "authenticatorData": "", "clientDataJSON": "", "signature": "" } } }),
    ] {
        let response = app
            .client
            .post(app.url("/api/passkeys/sign-in/finish"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            [400, 401].contains(&response.status().as_u16()),
            "{body}: {}",
            response.status()
        );
        assert_json_error(response).await;
    }
}

#[tokio::test]
async fn a_credential_belongs_to_one_account() {
    let app = TestApp::spawn().await;
    let (_, key, _) = account_with_passkey(&app, "miguel").await;
    let taken = key.credential_id().to_vec();
    let susan = app.token_for("susan", "python").await;

    // An authenticator that presents, for susan, the credential id miguel's passkey has (with
    // "none" attestation nothing signs the id, so only the server's own check stands between).
    let mut lying = TestPasskey::new(&app.origin());
    let (ceremony, options) = app.begin_passkey_registration(&susan).await;
    let credential = lying.create(&options);
    let forged = with_credential_id(&credential, &taken);
    let response = app
        .finish_passkey_registration(&susan, &ceremony, &forged, Some("Copy"))
        .await;
    assert_eq!(response.status(), 409);
    assert_eq!(
        assert_json_error(response).await,
        "This passkey is already registered."
    );
    assert!(passkeys(&app, &susan).await.is_empty());

    // The same forgery with an id nobody has is accepted: the 409 was the duplicate's.
    let (ceremony, options) = app.begin_passkey_registration(&susan).await;
    let credential = lying.create(&options);
    let fresh = with_credential_id(&credential, &[7u8; 32]);
    let response = app
        .finish_passkey_registration(&susan, &ceremony, &fresh, Some("Copy"))
        .await;
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn a_counter_that_goes_backwards_is_refused() {
    let app = TestApp::spawn().await;
    let (token, mut key, _) = account_with_passkey(&app, "miguel").await;
    assert_eq!(app.sign_in_with_passkey(&mut key).await.status(), 200);
    // As if a clone of this key had signed in 1,000 times meanwhile: the next signature's count
    // (2) is behind the stored one.
    app.execute_sql(
        r#"UPDATE passkeys SET passkey = replace(passkey, '"counter":1,', '"counter":1000,')"#,
    )
    .await;
    // The count was there to replace: the refusal below is the counter's, not another cause.
    let stored = app.query_strings("SELECT passkey FROM passkeys").await;
    assert!(stored[0].contains(r#""counter":1000,"#), "{stored:?}");
    assert_unauthorized(app.sign_in_with_passkey(&mut key).await).await;
    assert_eq!(app.sessions(&token).await.len(), 2, "no session began");
}

#[tokio::test]
async fn deleting_the_account_removes_its_passkeys() {
    let app = TestApp::spawn().await;
    let (token, mut key, _) = account_with_passkey(&app, "miguel").await;
    let response = app
        .client
        .delete(app.url("/api/users/me"))
        .bearer_auth(&token)
        .json(&json!({ "password": "python" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_unauthorized(app.sign_in_with_passkey(&mut key).await).await;
    // The name registered again is a new account, which the old passkey does not open.
    let token = app.token_for("miguel", "python").await;
    assert!(passkeys(&app, &token).await.is_empty());
    assert_unauthorized(app.sign_in_with_passkey(&mut key).await).await;
}

/// `credential` (a `create()` answer) with its credential id replaced by `id` (of the same
/// length) and its attestation replaced by "none", which signs nothing: what a buggy or hostile
/// authenticator could send.
fn with_credential_id(credential: &Value, id: &[u8]) -> Value {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    let decode = |field: &Value| URL_SAFE_NO_PAD.decode(field.as_str().unwrap()).unwrap();
    let old_id = decode(&credential["rawId"]);
    assert_eq!(old_id.len(), id.len());
    let object = decode(&credential["response"]["attestationObject"]);
    // authData begins with the SHA-256 of the relying party id, after its CBOR byte-string head
    // (0x58, one length byte).
    let rp_hash = Sha256::digest(b"localhost");
    let start = object
        .windows(32)
        .position(|window| window == rp_hash.as_slice())
        .unwrap();
    assert_eq!(object[start - 2], 0x58);
    let len = object[start - 1] as usize;
    let mut auth_data = object[start..start + len].to_vec();
    let at = auth_data
        .windows(old_id.len())
        .position(|window| window == old_id)
        .unwrap();
    auth_data[at..at + id.len()].copy_from_slice(id);
    let mut none = vec![0xa3];
    none.extend([0x63, b'f', b'm', b't', 0x64, b'n', b'o', b'n', b'e']);
    none.extend([0x67]);
    none.extend(b"attStmt");
    none.push(0xa0);
    none.push(0x68);
    none.extend(b"authData");
    none.extend([0x58, auth_data.len() as u8]);
    none.extend(&auth_data);
    let mut forged = credential.clone();
    forged["id"] = json!(URL_SAFE_NO_PAD.encode(id));
    forged["rawId"] = json!(URL_SAFE_NO_PAD.encode(id));
    forged["response"]["attestationObject"] = json!(URL_SAFE_NO_PAD.encode(none));
    forged
}

/// `POST /api/sessions/current/reauthenticate/passkey/...`: the account's passkey makes a
/// session fresh again; another account's does not, nor does an account without any.
#[tokio::test]
async fn a_passkey_reauthenticates_its_own_account_only() {
    let app = TestApp::spawn().await;
    let (token, mut key, _) = account_with_passkey(&app, "miguel").await;
    let (susan, mut susans_key, _) = account_with_passkey(&app, "susan").await;
    let nobody = app.token_for("nobody", "python").await;
    app.age_authentications(360).await;
    assert_eq!(
        app.delete_bearer("/api/sessions/others", &token)
            .await
            .status(),
        401
    );

    let begin = |token: &str| {
        let (api, token) = (app.api.clone(), token.to_owned());
        async move {
            api.post_bearer("/api/sessions/current/reauthenticate/passkey/begin", &token)
                .await
        }
    };
    let finish = |token: &str, ceremony: &str, credential: &Value| {
        let (api, token) = (app.api.clone(), token.to_owned());
        let body = json!({ "ceremony": ceremony, "credential": credential });
        async move {
            api.client
                .post(api.url("/api/sessions/current/reauthenticate/passkey/finish"))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let none = begin(&nobody).await;
    assert_eq!(none.status(), 409);
    assert_json_error(none).await;

    // Another account's passkey, on miguel's ceremony: refused, nothing fresh.
    let begun: Value = begin(&token).await.json().await.unwrap();
    let listed = &begun["options"]["publicKey"]["allowCredentials"];
    assert_eq!(
        listed.as_array().unwrap().len(),
        1,
        "the account's passkeys"
    );
    assert_eq!(
        begun["options"]["publicKey"]["userVerification"],
        "required"
    );
    let wrong = susans_key.get(&begun["options"]);
    let refused = finish(&token, begun["ceremony"].as_str().unwrap(), &wrong).await;
    assert_eq!(refused.status(), 403);
    assert_json_error(refused).await;
    assert_eq!(
        app.delete_bearer("/api/sessions/others", &token)
            .await
            .status(),
        401
    );

    // The account's own: the same session, fresh.
    let begun: Value = begin(&token).await.json().await.unwrap();
    let ceremony = begun["ceremony"].as_str().unwrap().to_owned();
    let answer = key.get(&begun["options"]);
    let confirmed = finish(&token, &ceremony, &answer).await;
    assert_eq!(confirmed.status(), 200);
    let body: Value = confirmed.json().await.unwrap();
    assert_eq!(
        crate::support::client::session_of(body["token"].as_str().unwrap()),
        crate::support::client::session_of(&token)
    );
    assert_eq!(
        app.delete_bearer("/api/sessions/others", &token)
            .await
            .status(),
        204
    );
    // A ceremony finishes once.
    assert_eq!(finish(&token, &ceremony, &answer).await.status(), 403);
    let _ = susan;
}

/// The stored signature counter only moves forward, however sign-ins with one passkey race:
/// each writes its counter compare-and-set against the state it checked.
#[tokio::test]
async fn racing_sign_ins_never_move_a_passkey_counter_backwards() {
    let app = TestApp::spawn().await;
    let (_, mut key, _) = account_with_passkey(&app, "miguel").await;
    let before = stored_counter(&app).await;
    // Ten ceremonies, signed in order (each signature counts one more), finished at once.
    let mut answers = Vec::new();
    for _ in 0..10 {
        let (ceremony, options) = app.begin_passkey_sign_in().await;
        answers.push((ceremony, key.get(&options)));
    }
    let mut finished = tokio::task::JoinSet::new();
    for (ceremony, answer) in answers {
        let api = app.api.clone();
        finished.spawn(async move {
            api.finish_passkey_sign_in(&ceremony, &answer)
                .await
                .status()
                .as_u16()
        });
    }
    let statuses = finished.join_all().await;
    assert!(
        statuses.iter().all(|&s| s == 200 || s == 401),
        "{statuses:?}"
    );
    // The last signature carries the highest counter: whichever order the writes came in,
    // that is the one kept.
    assert_eq!(stored_counter(&app).await, before + 10, "{statuses:?}");
}

/// The signature counter the server keeps for the one passkey of the database.
async fn stored_counter(app: &TestApp) -> u64 {
    let stored = app.query_strings("SELECT passkey FROM passkeys").await;
    let passkey: Value = serde_json::from_str(&stored[0]).unwrap();
    passkey["cred"]["counter"].as_u64().unwrap()
}
