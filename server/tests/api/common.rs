//! Test harness: each test starts the real router on a random port with its own database, and
//! talks to it over HTTP. The database is a SQLite file in a temporary directory, or, when
//! `TEST_POSTGRES_URL` names a PostgreSQL server (scripts/test.sh sets it for a second pass), a
//! fresh PostgreSQL database created for the test and dropped after it.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use leptos::config::Env;
use server::{
    auth::throttle::LoginLimits,
    config::{leptos_options, Config, SecretKey},
    state::AppState,
};
use std::{net::SocketAddr, time::Duration};
use tempfile::TempDir;

#[path = "../support/postgres.rs"]
mod postgres;
pub use postgres::TestDatabase;

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub secret: Vec<u8>,
    /// The running server's shared state, for what HTTP cannot show (how many hashes ran).
    pub state: AppState,
    _data: TempDir,
    _postgres: Option<TestDatabase>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// Starts a server after `adjust` has changed the default test configuration.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
        let data = tempfile::tempdir().expect("temp dir");
        let mut secret = vec![0u8; 32];
        OsRng.fill_bytes(&mut secret);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let postgres = match postgres::admin_url() {
            Some(admin_url) => Some(TestDatabase::create(&admin_url).await),
            None => None,
        };
        let database_url = match &postgres {
            Some(db) => db.url.clone(),
            None => format!("sqlite:{}", data.path().join("test.db").display()),
        };
        let mut config = Config {
            database_url,
            pool: Default::default(),
            database_start_timeout: Duration::from_secs(10),
            secret_key: SecretKey::new(secret.clone()).unwrap(),
            token_ttl: Duration::from_secs(600),
            max_session: Duration::from_secs(86_400),
            min_password_chars: 6,
            login_limits: LoginLimits::default(),
            hash_concurrency: 2,
            client_ip_header: None,
            leptos: leptos_options(addr, "target/site", Env::PROD),
        };
        adjust(&mut config);
        let state = server::build_state(&config).await.expect("server builds");
        let router = server::router(state.clone());
        tokio::spawn(server::serve(listener, router, std::future::pending()));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        TestApp {
            addr,
            client,
            secret,
            state,
            _data: data,
            _postgres: postgres,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn register(&self, username: &str, password: &str) -> reqwest::Response {
        self.client
            .post(self.url("/api/users"))
            .json(&serde_json::json!({ "username": username, "password": password }))
            .send()
            .await
            .unwrap()
    }

    /// `POST /api/users` with a body sent exactly as given, under `content_type`.
    pub async fn post_users_raw(
        &self,
        content_type: &str,
        body: impl Into<String>,
    ) -> reqwest::Response {
        self.client
            .post(self.url("/api/users"))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body.into())
            .send()
            .await
            .unwrap()
    }

    /// `GET path` with Basic `user:password`, as curl's `-u user:password`.
    pub async fn get_basic(&self, path: &str, user: &str, password: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .basic_auth(user, Some(password))
            .send()
            .await
            .unwrap()
    }

    pub async fn get_bearer(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn get_with_authorization(&self, path: &str, value: &[u8]) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header(
                reqwest::header::AUTHORIZATION,
                reqwest::header::HeaderValue::from_bytes(value).unwrap(),
            )
            .send()
            .await
            .unwrap()
    }

    /// Registers `username` and returns a token obtained with its password.
    pub async fn token_for(&self, username: &str, password: &str) -> String {
        assert_eq!(self.register(username, password).await.status(), 201);
        let response = self.get_basic("/api/token", username, password).await;
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    }
}

/// Asserts the refusal the original sends (401 + Basic challenge), with our JSON body.
pub async fn assert_unauthorized(response: reqwest::Response) {
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers()["www-authenticate"],
        r#"Basic realm="Authentication Required""#
    );
    assert_json_error(response).await;
}

/// Asserts a JSON `{"error": "<non-empty text>"}` body and returns the text.
pub async fn assert_json_error(response: reqwest::Response) -> String {
    assert_eq!(
        response.headers()["content-type"],
        "application/json",
        "error responses are JSON"
    );
    let body: serde_json::Value = response.json().await.unwrap();
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
