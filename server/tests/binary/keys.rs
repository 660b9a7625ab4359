//! Rotating the server's key: a key moved to `PREVIOUS_SECRET_KEYS` (or, for a generated one, to
//! `<DATA_DIR>/secret_key.previous`) signs nobody out and breaks no authenticator; once dropped,
//! its tokens are refused, and the two-step secrets it sealed have been sealed again.

use crate::{
    harness::Running,
    support::{client::Api, two_step::wait_for_a_fresh_step},
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde_json::Value;

const OLD_KEY: &str = "the-key-before-the-rotation-0123456789";
const NEW_KEY: &str = "the-key-after-the-rotation-9876543210";

/// The `kid` of a token's header.
fn key_id(token: &str) -> String {
    let header = URL_SAFE_NO_PAD
        .decode(token.split('.').next().unwrap())
        .unwrap();
    let header: Value = serde_json::from_slice(&header).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

/// The sealed two-step secrets in the SQLite database of `dir`.
async fn sealed_secrets(dir: &std::path::Path) -> Vec<String> {
    let url = format!("sqlite:{}", dir.join("data/rest-auth.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let rows = sqlx::query_scalar::<_, String>("SELECT secret FROM two_step")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    rows
}

async fn signs_in_with_a_code(api: &Api, code: &str) -> bool {
    api.get_basic_with_code("/api/token", "miguel", "python", code)
        .await
        .status()
        == 200
}

#[tokio::test]
async fn a_rotation_signs_nobody_out_and_breaks_no_authenticator() {
    let dir = tempfile::tempdir().unwrap();
    let before = Running::start_with(dir.path(), &[("SECRET_KEY", OLD_KEY)]).await;
    let token = before.api.token_for("miguel", "python").await;
    let (phone, _) = before.api.turn_on_two_step(&token).await;
    let old_kid = key_id(&token);
    let sealed = sealed_secrets(dir.path()).await;
    assert!(sealed[0].starts_with(&format!("{old_kid}:")), "{sealed:?}");
    assert!(before.terminate().success());

    // Rotated: the old token still works, new ones are signed with the new key, and the
    // two-step secret is sealed again with it at start-up.
    let rotated = Running::start_with(
        dir.path(),
        &[("SECRET_KEY", NEW_KEY), ("PREVIOUS_SECRET_KEYS", OLD_KEY)],
    )
    .await;
    assert_eq!(rotated.api.resource_status(&token).await, 200);
    let renewed: Value = rotated
        .api
        .get_bearer("/api/token", &token)
        .await
        .json()
        .await
        .unwrap();
    let renewed = renewed["token"].as_str().unwrap().to_owned();
    let new_kid = key_id(&renewed);
    assert_ne!(new_kid, old_kid);
    let sealed = sealed_secrets(dir.path()).await;
    assert!(sealed[0].starts_with(&format!("{new_kid}:")), "{sealed:?}");
    assert!(rotated.terminate().success());

    // The old key dropped: its tokens are refused; the new ones, and the authenticator, work.
    let after = Running::start_with(dir.path(), &[("SECRET_KEY", NEW_KEY)]).await;
    assert_eq!(after.api.resource_status(&token).await, 401);
    assert_eq!(after.api.resource_status(&renewed).await, 200);
    wait_for_a_fresh_step().await;
    assert!(signs_in_with_a_code(&after.api, &phone.code(0)).await);
}

#[tokio::test]
async fn a_generated_key_is_rotated_by_moving_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let before = Running::start(dir.path()).await;
    let token = before.api.token_for("miguel", "python").await;
    assert!(before.terminate().success());
    let data = dir.path().join("data");
    std::fs::rename(data.join("secret_key"), data.join("secret_key.previous")).unwrap();

    let after = Running::start(dir.path()).await;
    assert!(data.join("secret_key").exists(), "a new key was generated");
    assert_eq!(after.api.resource_status(&token).await, 200);
    let renewed: Value = after
        .api
        .get_bearer("/api/token", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(key_id(renewed["token"].as_str().unwrap()), key_id(&token));
}
