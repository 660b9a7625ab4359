//! A throwaway PostgreSQL database for one test, on the server that `TEST_POSTGRES_URL` names
//! (an administrative URL such as `postgres://postgres@127.0.0.1:5432/postgres`). Shared by the
//! API and binary test crates.

use argon2::password_hash::rand_core::{OsRng, RngCore};

/// The administrative URL, when the PostgreSQL tests are to run.
pub fn admin_url() -> Option<String> {
    std::env::var("TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

/// For a test that only means something on PostgreSQL (marked `#[ignore = "needs
/// TEST_POSTGRES_URL"]`, and run with `--include-ignored` in the PostgreSQL pass): the administrative URL, or a
/// failure that says what is missing.
pub fn required_admin_url() -> String {
    admin_url().expect("this test needs TEST_POSTGRES_URL (a PostgreSQL server to use)")
}

/// A PostgreSQL database of one test: created empty, dropped (with its connections) after.
pub struct TestDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl TestDatabase {
    pub async fn create(admin_url: &str) -> TestDatabase {
        use sqlx::Connection;
        let mut suffix = [0u8; 8];
        OsRng.fill_bytes(&mut suffix);
        let name = format!("rest_auth_test_{}", hex_string(&suffix));
        let mut admin = sqlx::PgConnection::connect(admin_url)
            .await
            .expect("TEST_POSTGRES_URL is reachable");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url, |(base, _)| base);
        TestDatabase {
            admin_url: admin_url.to_owned(),
            url: format!("{base}/{name}"),
            name,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside the test's runtime, which cannot block on async work: use a thread
        // with a runtime of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                use sqlx::Connection;
                if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut admin)
                    .await;
                }
            });
        })
        .join();
    }
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
