//! The OpenID provider as an operator runs it: `rest-auth client add|list|remove` and `rest-auth
//! keys rotate` against the database of a running server (counted at once, JSON on standard
//! output, audited), and the nginx `auth_request` recipe of docs/configuration.md with Debian's
//! nginx in front of an upstream that sees only the username the check hands on.

use crate::{
    behind_proxy::Nginx,
    harness::{command, free_port, Running},
};
use serde_json::Value;
use std::{
    io::{Read, Write},
    path::Path,
    process::Output,
};

fn task(dir: &Path, args: &[&str]) -> Output {
    let output = command(dir, free_port()).args(args).output().unwrap();
    assert!(output.status.success(), "{args:?}: {output:?}");
    output
}

fn json_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "standard output is not one JSON value ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

async fn authorize_status(server: &Running, client_id: &str) -> u16 {
    let path = format!(
        "/oauth/authorize?client_id={client_id}&redirect_uri=https%3A%2F%2Fapp.example%2Fcb\
         &response_type=code&scope=openid&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM\
         &code_challenge_method=S256"
    );
    server.api.get(&path).await.status().as_u16()
}

#[tokio::test]
async fn clients_are_added_listed_and_removed_from_the_command_line_while_the_server_runs() {
    let dir = tempfile::tempdir().unwrap();
    let server = Running::start(dir.path()).await;

    let added = task(
        dir.path(),
        &[
            "client",
            "add",
            "Example App",
            "--redirect-uri",
            "https://app.example/cb",
        ],
    );
    let registered = json_of(&added);
    let client_id = registered["client_id"].as_str().unwrap().to_owned();
    let secret = registered["client_secret"].as_str().unwrap();
    assert!(secret.len() >= 43, "{secret}");
    // Counted at once by the running server (no restart).
    assert_eq!(authorize_status(&server, &client_id).await, 303);

    let public = json_of(&task(
        dir.path(),
        &[
            "client",
            "add",
            "SPA",
            "--redirect-uri",
            "http://localhost:5173/cb",
            "--public",
        ],
    ));
    assert!(public.get("client_secret").is_none(), "{public}");

    let listed = json_of(&task(dir.path(), &["client", "list"]));
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2);
    // Oldest first; the two were added within the same second, in either order.
    let of = |id: &str| {
        listed
            .iter()
            .find(|client| client["client_id"] == id)
            .unwrap_or_else(|| panic!("{id} is not listed"))
    };
    assert_eq!(of(&client_id)["public"], false);
    assert_eq!(of(&client_id)["name"], "Example App");
    assert_eq!(of(public["client_id"].as_str().unwrap())["public"], true);
    // The secret is shown once, and stored only as a digest.
    let listing = serde_json::to_string(listed).unwrap();
    assert!(!listing.contains(secret));
    let database = std::fs::read(dir.path().join("data/rest-auth.db")).unwrap();
    assert!(
        !database
            .windows(secret.len())
            .any(|w| w == secret.as_bytes()),
        "the secret is in the database file"
    );

    // Refused: no redirect URI, an http URI off loopback, a fragment.
    for bad in [
        vec!["client", "add", "X"],
        vec![
            "client",
            "add",
            "X",
            "--redirect-uri",
            "http://app.example/cb",
        ],
        vec![
            "client",
            "add",
            "X",
            "--redirect-uri",
            "https://app.example/cb#top",
        ],
    ] {
        let output = command(dir.path(), free_port())
            .args(&bad)
            .output()
            .unwrap();
        assert!(!output.status.success(), "{bad:?}");
        assert!(output.stdout.is_empty(), "{bad:?}");
    }

    task(dir.path(), &["client", "remove", &client_id]);
    assert_eq!(authorize_status(&server, &client_id).await, 400);
    let again = command(dir.path(), free_port())
        .args(["client", "remove", &client_id])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(server.terminate().success());

    // Audited (the server's log, and the tasks' standard error).
    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
    let tasks = String::from_utf8_lossy(&added.stderr);
    assert!(tasks.contains("event=\"client_added\""), "{tasks}");
    assert!(!log.contains(secret));
}

#[tokio::test]
async fn keys_rotate_publishes_a_new_key_before_it_signs() {
    let dir = tempfile::tempdir().unwrap();
    let server = Running::start(dir.path()).await;
    let jwks: Value = server.api.get("/oauth/jwks").await.json().await.unwrap();
    let first = jwks["keys"][0]["kid"].as_str().unwrap().to_owned();
    assert!(server.terminate().success());

    let rotated = task(dir.path(), &["keys", "rotate"]);
    let said = String::from_utf8_lossy(&rotated.stdout);
    assert!(said.contains("signs from two minutes on"), "{said}");
    assert!(String::from_utf8_lossy(&rotated.stderr).contains("signing_keys_rotated"));

    let server = Running::start(dir.path()).await;
    let jwks: Value = server.api.get("/oauth/jwks").await.json().await.unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids.len(), 2, "{kids:?}");
    assert_eq!(kids[1], first);
    assert!(server.terminate().success());
}

/// A one-route upstream application: answers every request with the `X-Username` it was sent
/// (or `-`), and how many requests it saw.
fn upstream() -> (u16, std::sync::mpsc::Receiver<String>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (seen, heard) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buffer[..n]),
                }
            }
            let text = String::from_utf8_lossy(&request).to_lowercase();
            let username = text
                .lines()
                .filter_map(|line| line.strip_prefix("x-username:"))
                .map(|value| value.trim().to_owned())
                .collect::<Vec<_>>()
                .join(",");
            let _ = seen.send(username.clone());
            let body = if username.is_empty() {
                "-".to_owned()
            } else {
                username
            };
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (port, heard)
}

/// nginx with the recipe of docs/configuration.md, "A reverse proxy that checks tokens".
fn nginx(dir: &Path, rest_auth: &str, app_port: u16) -> Nginx {
    let recipe = check_location(rest_auth);
    Nginx::serving(dir, |port| {
        format!(
            "server {{
        listen 127.0.0.1:{port};
{recipe}
        location /app/ {{
            auth_request /_rest_auth_check;
            auth_request_set $rest_auth_username $upstream_http_x_username;
            proxy_set_header X-Username $rest_auth_username;
            proxy_pass http://127.0.0.1:{app_port};
        }}
    }}"
        )
    })
}

/// The check location, word for word as docs/configuration.md gives it (but the address).
fn check_location(rest_auth: &str) -> String {
    let docs = include_str!("../../../docs/configuration.md");
    let start = docs
        .find("location = /_rest_auth_check {")
        .expect("docs/configuration.md has the auth_request recipe");
    let block = &docs[start..];
    let end = block.find("\n}").map(|i| i + 2).unwrap_or(block.len());
    block[..end].replace("http://127.0.0.1:3000", &format!("http://{rest_auth}"))
}

#[tokio::test]
async fn nginx_auth_request_passes_only_good_tokens_and_hands_on_the_username() {
    let dir = tempfile::tempdir().unwrap();
    let server = Running::start(dir.path()).await;
    assert_eq!(server.api.register("miguel", "python").await.status(), 201);
    let token = server.api.token("miguel", "python").await;
    let (app_port, heard) = upstream();
    let rest_auth = server.api.base.trim_start_matches("http://").to_owned();
    let proxy = nginx(dir.path(), &rest_auth, app_port);
    let through = proxy.client("127.0.0.1");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while reqwest::get(through.url("/app/")).await.is_err() {
        assert!(std::time::Instant::now() < deadline, "nginx did not start");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // No token, a forged one, a forged header: refused before the application.
    let refused = [
        through.get("/app/").await,
        through.get_bearer("/app/", "x.y.z").await,
        through
            .client
            .get(through.url("/app/"))
            .header("X-Username", "admin")
            .send()
            .await
            .unwrap(),
    ];
    for response in refused {
        assert_eq!(response.status(), 401);
    }
    assert!(heard.try_recv().is_err(), "the application was reached");

    // A good token: the application sees the username, and only the one rest-auth gave.
    let response = through
        .client
        .get(through.url("/app/notes"))
        .bearer_auth(&token)
        .header("X-Username", "admin")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "miguel");
    assert_eq!(heard.recv().unwrap(), "miguel");

    // Logged out: refused at once.
    assert_eq!(
        server
            .api
            .delete_bearer("/api/sessions/current", &token)
            .await
            .status(),
        204
    );
    assert_eq!(through.get_bearer("/app/", &token).await.status(), 401);
    drop(proxy);
    assert!(server.terminate().success());
}

/// The query string of `parameters`.
fn query(parameters: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(parameters)
        .finish()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs TEST_POSTGRES_URL"]
async fn two_instances_share_clients_keys_codes_and_refresh_tokens() {
    use crate::multi_instance::{Pair, SHARED_KEY};
    let public_url = format!("http://localhost:{}", free_port());
    let pair = Pair::start(&[("PUBLIC_URL", public_url.as_str())]).await;
    let (a, b) = (&pair.a.api, &pair.b.api);
    assert_eq!(a.register("miguel", "python").await.status(), 201);
    let token = b.token("miguel", "python").await;

    // Registered from the command line on the shared database: both instances know it.
    let dir = tempfile::tempdir().unwrap();
    let added = command(dir.path(), free_port())
        .env("DATABASE_URL", &pair.url)
        .env("SECRET_KEY", SHARED_KEY)
        .args([
            "client",
            "add",
            "Shared",
            "--redirect-uri",
            "https://app.example/cb",
        ])
        .output()
        .unwrap();
    assert!(added.status.success(), "{added:?}");
    let registered = json_of(&added);
    let client_id = registered["client_id"].as_str().unwrap();
    let secret = registered["client_secret"].as_str().unwrap();
    let jwks = |api: &crate::support::client::Api| {
        let url = api.url("/oauth/jwks");
        let client = api.client.clone();
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    assert_eq!(jwks(a).await, jwks(b).await);

    // The request begins on A, is answered on B, its code is exchanged on A.
    let started = a
        .get(&format!(
            "/oauth/authorize?{}",
            query(&[
                ("client_id", client_id),
                ("redirect_uri", "https://app.example/cb"),
                ("response_type", "code"),
                ("scope", "openid offline_access"),
                ("nonce", "n"),
            ])
        ))
        .await;
    assert_eq!(started.status(), 303);
    let location = started.headers()["location"].to_str().unwrap().to_owned();
    let id = location.trim_start_matches("/authorize?request=");
    let answer = |api: &crate::support::client::Api, path: String, body: Option<Value>| {
        let call = api.client.post(api.url(&path)).bearer_auth(&token);
        let call = match body {
            Some(body) => call.json(&body),
            None => call,
        };
        async move { call.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let asked = answer(b, format!("/api/authorizations/{id}"), None).await;
    assert_eq!(asked["next"], "consent", "{asked}");
    let allowed = answer(
        a,
        format!("/api/authorizations/{id}/consent"),
        Some(serde_json::json!({ "allow": true })),
    )
    .await;
    let redirect_to = url::Url::parse(allowed["redirect_to"].as_str().unwrap()).unwrap();
    let code = redirect_to
        .query_pairs()
        .find(|(name, _)| name == "code")
        .unwrap()
        .1
        .into_owned();
    let exchange = |api: &crate::support::client::Api, form: Vec<(&'static str, String)>| {
        let call = api
            .client
            .post(api.url("/oauth/token"))
            .basic_auth(client_id, Some(secret))
            .form(&form);
        async move { call.send().await.unwrap() }
    };
    let code_form = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", code),
        ("redirect_uri", "https://app.example/cb".to_owned()),
    ];
    let tokens: Value = exchange(a, code_form.clone()).await.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    // Signed by one instance, good on the other.
    assert_eq!(b.get_bearer("/oauth/userinfo", &access).await.status(), 200);

    // The refresh token rotates on B.
    let renewed = exchange(
        b,
        vec![
            ("grant_type", "refresh_token".to_owned()),
            (
                "refresh_token",
                tokens["refresh_token"].as_str().unwrap().to_owned(),
            ),
        ],
    )
    .await;
    assert_eq!(renewed.status(), 200);

    // The code again, on B: refused, and what it began ends on A too.
    assert_eq!(exchange(b, code_form).await.status(), 400);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while a.get_bearer("/oauth/userinfo", &access).await.status() != 401 {
        assert!(
            std::time::Instant::now() < deadline,
            "A still accepts the token"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}
