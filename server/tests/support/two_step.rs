//! Two-step verification from the client's side: an authenticator app (codes computed here from
//! the setup key the API hands out, with `totp-rs`, independently of the server's own code) and
//! the API calls that set it up and use it.

use super::client::Api;
use reqwest::Response;
use serde_json::{json, Value};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use totp_rs::{Algorithm, Builder, Secret};

/// An authenticator app holding one account's secret.
pub struct AuthenticatorApp {
    secret: Vec<u8>,
}

impl AuthenticatorApp {
    /// From the setup key (base32) of `POST /api/users/me/totp`.
    pub fn from_setup_key(key: &str) -> AuthenticatorApp {
        let secret = Secret::try_from_base32(key)
            .expect("the setup key is base32")
            .as_bytes()
            .to_vec();
        AuthenticatorApp { secret }
    }

    /// The code the app shows `steps_back` steps of 30 s before now.
    pub fn code(&self, steps_back: u64) -> String {
        self.code_at(-(steps_back as i64))
    }

    /// The code of the step `steps` from now (negative: before; positive: a clock running
    /// ahead).
    pub fn code_at(&self, steps: i64) -> String {
        let totp = Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(6)
            .with_step_duration(30)
            .with_secret(self.secret.clone())
            .build()
            .unwrap();
        totp.generate(now().saturating_add_signed(30 * steps))
            .to_string()
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Waits, when fewer than 4 s of the current 30 s step are left, until the next step begins:
/// codes computed after this stay the "current" and "previous" ones for the requests that
/// follow.
pub async fn wait_for_a_fresh_step() {
    let into_step = now() % 30;
    if into_step >= 26 {
        tokio::time::sleep(Duration::from_secs(30 - into_step) + Duration::from_millis(200)).await;
    }
}

impl Api {
    /// `POST /api/users/me/totp` with the token: the body (`secret`, `otpauth_url`, `qr_svg`).
    pub async fn begin_totp(&self, token: &str) -> Value {
        let response = self.post_bearer("/api/users/me/totp", token).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// `PUT /api/users/me/totp` with `{"code"}`.
    pub async fn confirm_totp(&self, token: &str, code: &str) -> Response {
        self.client
            .put(self.url("/api/users/me/totp"))
            .bearer_auth(token)
            .json(&json!({ "code": code }))
            .send()
            .await
            .unwrap()
    }

    /// Turns two-step verification on for the token's account, confirming with the previous
    /// step's code (so the current one is still unused): the app and the recovery codes.
    pub async fn turn_on_two_step(&self, token: &str) -> (AuthenticatorApp, Vec<String>) {
        wait_for_a_fresh_step().await;
        let setup = self.begin_totp(token).await;
        let app = AuthenticatorApp::from_setup_key(setup["secret"].as_str().unwrap());
        let confirmed = self.confirm_totp(token, &app.code(1)).await;
        assert_eq!(confirmed.status(), 200);
        let body: Value = confirmed.json().await.unwrap();
        let codes = body["recovery_codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|code| code.as_str().unwrap().to_owned())
            .collect();
        (app, codes)
    }

    /// `GET path` with Basic `user:password` and `X-OTP: code`.
    pub async fn get_basic_with_code(
        &self,
        path: &str,
        user: &str,
        password: &str,
        code: &str,
    ) -> Response {
        self.client
            .get(self.url(path))
            .basic_auth(user, Some(password))
            .header("X-OTP", code)
            .send()
            .await
            .unwrap()
    }

    /// `POST /api/sessions/current/reauthenticate` with the password, and a code when given.
    pub async fn reauthenticate(
        &self,
        token: &str,
        password: &str,
        code: Option<&str>,
    ) -> Response {
        let body = match code {
            Some(code) => json!({ "password": password, "code": code }),
            None => json!({ "password": password }),
        };
        self.client
            .post(self.url("/api/sessions/current/reauthenticate"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }
}
