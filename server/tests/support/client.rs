//! The API of one running server, called over HTTP the way curl calls it, and the assertions
//! every test makes about its answers.

use reqwest::{header, Response};
use serde_json::{json, Value};

/// A server's base URL and an HTTP client that never follows redirects.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub client: reqwest::Client,
}

impl Api {
    pub fn new(base: impl Into<String>) -> Api {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Api {
            base: base.into(),
            client,
        }
    }

    /// Waits (up to 20 s) until the server answers `/healthz`.
    pub async fn wait_until_up(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            if let Ok(response) = self.client.get(self.url("/healthz")).send().await {
                if response.status() == 200 {
                    return;
                }
            }
            assert!(
                std::time::Instant::now() < deadline,
                "server did not come up"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// `POST /api/users` with `{"username", "password"}`.
    pub async fn register(&self, username: &str, password: &str) -> Response {
        self.client
            .post(self.url("/api/users"))
            .json(&json!({ "username": username, "password": password }))
            .send()
            .await
            .unwrap()
    }

    /// `POST /api/users` with a body sent exactly as given, under `content_type`.
    pub async fn post_users_raw(&self, content_type: &str, body: impl Into<String>) -> Response {
        self.client
            .post(self.url("/api/users"))
            .header(header::CONTENT_TYPE, content_type)
            .body(body.into())
            .send()
            .await
            .unwrap()
    }

    /// `GET path` with Basic `user:password`, as curl's `-u user:password`.
    pub async fn get_basic(&self, path: &str, user: &str, password: &str) -> Response {
        self.client
            .get(self.url(path))
            .basic_auth(user, Some(password))
            .send()
            .await
            .unwrap()
    }

    pub async fn get_bearer(&self, path: &str, token: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_bearer(&self, path: &str, token: &str) -> Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn delete_bearer(&self, path: &str, token: &str) -> Response {
        self.client
            .delete(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// `GET /api/sessions` with the token: the sessions listed.
    pub async fn sessions(&self, token: &str) -> Vec<Value> {
        let response = self.get_bearer("/api/sessions", token).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["sessions"].as_array().unwrap().clone()
    }

    /// A token for an existing account, from its password, signing in as `user_agent`.
    pub async fn token_as(&self, user_agent: &str, username: &str, password: &str) -> String {
        let response = self
            .client
            .get(self.url("/api/token"))
            .basic_auth(username, Some(password))
            .header(header::USER_AGENT, user_agent)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    pub async fn get_with_authorization(&self, path: &str, value: &[u8]) -> Response {
        self.client
            .get(self.url(path))
            .header(
                header::AUTHORIZATION,
                header::HeaderValue::from_bytes(value).unwrap(),
            )
            .send()
            .await
            .unwrap()
    }

    /// A token for an existing account, from its password.
    pub async fn token(&self, username: &str, password: &str) -> String {
        self.token_as("rest-auth-tests", username, password).await
    }

    /// Registers `username` and returns a token obtained with its password.
    pub async fn token_for(&self, username: &str, password: &str) -> String {
        assert_eq!(self.register(username, password).await.status(), 201);
        self.token(username, password).await
    }

    /// The status of `GET /api/resource` with the token as Bearer.
    pub async fn resource_status(&self, token: &str) -> u16 {
        self.get_bearer("/api/resource", token)
            .await
            .status()
            .as_u16()
    }
}

/// The session id a token carries (its `sid` claim).
pub fn session_of(token: &str) -> String {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    let payload = URL_SAFE_NO_PAD
        .decode(token.split('.').nth(1).unwrap())
        .unwrap();
    let claims: Value = serde_json::from_slice(&payload).unwrap();
    claims["sid"].as_str().unwrap().to_owned()
}

/// `count` registrations at once, of the names in `spellings` in turn, spread over `servers`
/// in turn; their statuses.
pub async fn register_concurrently(servers: &[&Api], spellings: &[&str], count: usize) -> Vec<u16> {
    let mut requests = tokio::task::JoinSet::new();
    for i in 0..count {
        let api = servers[i % servers.len()];
        let name = spellings[i % spellings.len()];
        let request = api
            .client
            .post(api.url("/api/users"))
            .json(&json!({ "username": name, "password": "python" }));
        requests.spawn(async move { request.send().await.unwrap().status().as_u16() });
    }
    requests.join_all().await
}

/// Asserts that of `statuses`, answers to registrations of one name, exactly one is 201 and
/// all others 409.
pub fn assert_exactly_one_created(statuses: &[u16]) {
    assert_eq!(
        statuses.iter().filter(|&&s| s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 409).count(),
        statuses.len() - 1,
        "{statuses:?}"
    );
}

/// Asserts the refusal the Flask original sends (401 + Basic challenge), with our JSON body.
pub async fn assert_unauthorized(response: Response) {
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers()["www-authenticate"],
        r#"Basic realm="Authentication Required""#
    );
    assert_json_error(response).await;
}

/// Asserts a JSON `{"error": "<non-empty text>"}` body and returns the text.
pub async fn assert_json_error(response: Response) -> String {
    assert_eq!(
        response.headers()["content-type"],
        "application/json",
        "error responses are JSON"
    );
    let body: Value = response.json().await.unwrap();
    let message = body["error"]
        .as_str()
        .expect("an \"error\" field")
        .to_owned();
    assert!(!message.is_empty());
    assert_eq!(
        body.as_object().unwrap().len(),
        1,
        "only the error field: {body}"
    );
    message
}
