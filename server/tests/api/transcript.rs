//! The original README's curl session, replayed step by step.

use crate::common::{assert_unauthorized, TestApp};
use serde_json::{json, Value};

#[tokio::test]
async fn original_readme_transcript() {
    let app = TestApp::spawn().await;

    // $ curl -i -X POST -H "Content-Type: application/json"
    //        -d '{"username":"miguel","password":"python"}' http://127.0.0.1:5000/api/users
    let response = app
        .post_users_raw(
            "application/json",
            r#"{"username":"miguel","password":"python"}"#,
        )
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["content-type"], "application/json");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    // PUBLIC_URL's default: http://localhost:<port>.
    let prefix = format!("{}/api/users/", app.origin());
    assert!(location.starts_with(&prefix), "{location}");
    let id: i64 = location[prefix.len()..].parse().expect("integer id");
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "username": "miguel" })
    );

    // The Location resolves to the user.
    let response = app.client.get(&location).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "username": "miguel" })
    );
    assert!(id >= 1);

    // $ curl -u miguel:python -i -X GET http://127.0.0.1:5000/api/resource
    let response = app.get_basic("/api/resource", "miguel", "python").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "data": "Hello, miguel!" })
    );

    // $ curl -u miguel:ruby -i -X GET http://127.0.0.1:5000/api/resource
    assert_unauthorized(app.get_basic("/api/resource", "miguel", "ruby").await).await;

    // $ curl -u miguel:python -i -X GET http://127.0.0.1:5000/api/token
    let response = app.get_basic("/api/token", "miguel", "python").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["duration"], 600);
    assert_eq!(body.as_object().unwrap().len(), 2);
    let token = body["token"].as_str().unwrap().to_owned();
    assert_eq!(token.split('.').count(), 3, "a JWT");

    // $ curl -u <token>:x -i -X GET http://127.0.0.1:5000/api/resource
    let response = app.get_basic("/api/resource", &token, "x").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "data": "Hello, miguel!" })
    );

    // "it is possible to use an unexpired token as authentication to request a new token"
    let response = app.get_basic("/api/token", &token, "x").await;
    assert_eq!(response.status(), 200);
    let renewed: Value = response.json().await.unwrap();
    let renewed = renewed["token"].as_str().unwrap();
    let response = app.get_basic("/api/resource", renewed, "").await;
    assert_eq!(response.status(), 200);
}

/// Behind a TLS proxy the server is reached over plain HTTP under another name; `Location`
/// is where clients find the user: PUBLIC_URL, whatever `Host` said.
#[tokio::test]
async fn location_is_under_the_public_url() {
    let app = TestApp::spawn_with(|config| {
        config.public_url = url::Url::parse("https://auth.example.test").unwrap();
    })
    .await;
    let response = app
        .client
        .post(app.url("/api/users"))
        .header("Host", "evil.example.test:8080")
        .json(&json!({ "username": "miguel", "password": "python" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with("https://auth.example.test/api/users/"),
        "{location}"
    );
}
