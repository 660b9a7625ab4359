//! A passkey in software, for HTTP tests: webauthn-authenticator-rs's `SoftPasskey` makes real
//! credentials and real signatures over the server's challenges, as a browser's authenticator
//! would, for one origin.
//!
//! `SoftPasskey` cannot keep resident (discoverable) keys, which the server asks for, so this
//! wrapper plays the part of the browser that can: at registration it tells the soft key not to
//! insist on residency (the server does not check the flag), and at sign-in it names the
//! credential it holds and adds the user handle a resident key returns. Neither is signed data:
//! the server's checks (challenge, origin, signature, counter) all run on what the key made.

use super::client::Api;
use reqwest::Response;
use serde_json::{json, Value};
use url::Url;
use webauthn_authenticator_rs::{softpasskey::SoftPasskey, WebauthnAuthenticator};
use webauthn_rs_proto::{
    AllowCredentials, CreationChallengeResponse, PublicKeyCredential, RequestChallengeResponse,
};

pub struct TestPasskey {
    key: SoftPasskey,
    origin: Url,
    /// Set at registration: what a resident key would remember.
    user_handle: Option<Vec<u8>>,
    credential_id: Option<Vec<u8>>,
}

impl TestPasskey {
    /// A fresh authenticator for pages at `origin` (`http://localhost:<port>`).
    pub fn new(origin: &str) -> TestPasskey {
        TestPasskey {
            // `true`: the soft key reports user verification (a PIN or fingerprint), which the
            // server requires.
            key: SoftPasskey::new(true),
            origin: Url::parse(origin).unwrap(),
            user_handle: None,
            credential_id: None,
        }
    }

    /// Answers `options` (the `options` of `register/begin`) with a new credential.
    pub fn create(&mut self, options: &Value) -> Value {
        let mut options: CreationChallengeResponse =
            serde_json::from_value(options.clone()).unwrap();
        if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
            selection.require_resident_key = false;
        }
        let user_handle = options.public_key.user.id.to_vec();
        let credential = self
            .key
            .do_registration(self.origin.clone(), options)
            .expect("the soft key registers");
        self.user_handle = Some(user_handle);
        self.credential_id = Some(credential.raw_id.to_vec());
        serde_json::to_value(credential).unwrap()
    }

    /// Answers `options` (the `options` of `sign-in/begin`) with an assertion by the credential
    /// this key holds.
    pub fn get(&mut self, options: &Value) -> Value {
        let origin = self.origin.clone();
        self.sign(origin, options)
    }

    /// As [`TestPasskey::get`], but on a page at `origin` (where a phishing site would ask).
    pub fn get_from(&mut self, origin: &str, options: &Value) -> Value {
        self.sign(Url::parse(origin).unwrap(), options)
    }

    /// The id of the credential this key registered.
    pub fn credential_id(&self) -> &[u8] {
        self.credential_id
            .as_deref()
            .expect("a registered credential")
    }

    fn sign(&mut self, origin: Url, options: &Value) -> Value {
        let mut options: RequestChallengeResponse =
            serde_json::from_value(options.clone()).unwrap();
        let credential_id = self.credential_id.clone().expect("a registered credential");
        options.public_key.allow_credentials = vec![AllowCredentials {
            type_: "public-key".into(),
            id: credential_id,
            transports: None,
        }];
        let mut assertion: PublicKeyCredential = self
            .key
            .do_authentication(origin, options)
            .expect("the soft key signs");
        assertion.response.user_handle = self.user_handle.clone();
        serde_json::to_value(assertion).unwrap()
    }
}

impl Api {
    /// `POST /api/passkeys/register/begin` with the token: `(ceremony, options)`.
    pub async fn begin_passkey_registration(&self, token: &str) -> (String, Value) {
        let response = self
            .post_bearer("/api/passkeys/register/begin", token)
            .await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        (
            body["ceremony"].as_str().unwrap().to_owned(),
            body["options"].clone(),
        )
    }

    /// `POST /api/passkeys/register/finish` with the token.
    pub async fn finish_passkey_registration(
        &self,
        token: &str,
        ceremony: &str,
        credential: &Value,
        name: Option<&str>,
    ) -> Response {
        let mut body = json!({ "ceremony": ceremony, "credential": credential });
        if let Some(name) = name {
            body["name"] = json!(name);
        }
        self.client
            .post(self.url("/api/passkeys/register/finish"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// Adds a passkey made by `key` to the token's account; the passkey's id.
    pub async fn add_passkey(&self, token: &str, key: &mut TestPasskey, name: &str) -> i64 {
        let (ceremony, options) = self.begin_passkey_registration(token).await;
        let credential = key.create(&options);
        let response = self
            .finish_passkey_registration(token, &ceremony, &credential, Some(name))
            .await;
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["name"], name);
        body["id"].as_i64().unwrap()
    }

    /// `POST /api/passkeys/sign-in/begin`: `(ceremony, options)`.
    pub async fn begin_passkey_sign_in(&self) -> (String, Value) {
        let response = self
            .client
            .post(self.url("/api/passkeys/sign-in/begin"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        (
            body["ceremony"].as_str().unwrap().to_owned(),
            body["options"].clone(),
        )
    }

    /// `POST /api/passkeys/sign-in/finish`.
    pub async fn finish_passkey_sign_in(&self, ceremony: &str, credential: &Value) -> Response {
        self.client
            .post(self.url("/api/passkeys/sign-in/finish"))
            .json(&json!({ "ceremony": ceremony, "credential": credential }))
            .send()
            .await
            .unwrap()
    }

    /// A whole passkey sign-in with `key`: the answer to the finish.
    pub async fn sign_in_with_passkey(&self, key: &mut TestPasskey) -> Response {
        let (ceremony, options) = self.begin_passkey_sign_in().await;
        let assertion = key.get(&options);
        self.finish_passkey_sign_in(&ceremony, &assertion).await
    }
}
