//! Configuration as an operator gives it: the environment and `.env`, the generated secret
//! key, the default SQLite file.

use crate::{
    harness::{command, free_port, Running, SETTINGS},
    support::client::Api,
};
use std::path::Path;

#[tokio::test]
async fn default_install_generates_a_private_key_and_tokens_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = Running::start(dir.path()).await;
    let token = server.api.token_for("miguel", "python").await;
    assert!(server.terminate().success(), "SIGTERM is a clean exit");

    let data = dir.path().join("data");
    assert!(
        data.join("rest-auth.db").exists(),
        "default SQLite file in ./data"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data.join("secret_key")), 0o600);
        assert_eq!(mode(&data), 0o700);
    }
    let key = std::fs::read_to_string(data.join("secret_key")).unwrap();
    assert_eq!(key.trim().len(), 64, "256 bits, hex");

    // Same directory, new process: same key, same database, so the old token still works.
    let server = Running::start(dir.path()).await;
    assert_eq!(server.api.resource_status(&token).await, 200);
    assert_eq!(
        std::fs::read_to_string(data.join("secret_key")).unwrap(),
        key
    );

    // A fresh directory means a fresh key: the token is refused there.
    let other = tempfile::tempdir().unwrap();
    let elsewhere = Running::start(other.path()).await;
    elsewhere.api.token_for("miguel", "python").await;
    assert_eq!(elsewhere.api.resource_status(&token).await, 401);
}

#[tokio::test]
async fn secret_key_and_database_url_come_from_dot_env() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "0123456789abcdef0123456789abcdef-from-dot-env";
    std::fs::write(
        dir.path().join(".env"),
        format!("SECRET_KEY={secret}\nDATABASE_URL=sqlite:elsewhere/auth.db\n"),
    )
    .unwrap();
    let server = Running::start(dir.path()).await;
    let token = server.api.token_for("miguel", "python").await;

    // The token is signed with the key derived from the .env secret.
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_required_spec_claims(&["exp", "sub"]);
    let derived = server::auth::keys::KeyRing::new(secret.as_bytes(), &[])
        .keys(server::auth::keys::Purpose::TokenSigning)
        .remove(0);
    let key = jsonwebtoken::DecodingKey::from_secret(&derived.bytes);
    jsonwebtoken::decode::<serde_json::Value>(&token, &key, &validation)
        .expect("signed with SECRET_KEY");
    assert!(dir.path().join("elsewhere/auth.db").exists());
    assert!(
        !dir.path().join("data/secret_key").exists(),
        "no key generated when one is set"
    );
}

fn run_to_exit(dir: &Path) -> (bool, String) {
    let output = command(dir, free_port()).output().unwrap();
    let log = String::from_utf8_lossy(&output.stdout) + String::from_utf8_lossy(&output.stderr);
    (output.status.success(), log.into_owned())
}

#[test]
fn a_short_secret_key_stops_start_up_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".env"), "SECRET_KEY=\"top secret!\"\n").unwrap();
    let (success, log) = run_to_exit(dir.path());
    assert!(!success);
    assert!(
        log.contains("SECRET_KEY must be at least 32 bytes"),
        "{log}"
    );
    assert!(
        !log.contains("top secret!"),
        "the key itself is not logged: {log}"
    );
}

#[test]
fn a_malformed_dot_env_stops_start_up_without_echoing_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".env"), "SECRET_KEY=my very secret words\n").unwrap();
    let (success, log) = run_to_exit(dir.path());
    assert!(!success);
    assert!(
        log.contains(".env has a line that is not NAME=value"),
        "{log}"
    );
    assert!(
        !log.contains("secret words"),
        "the line is not logged: {log}"
    );
}

#[test]
fn help_lists_every_setting_with_its_variable_and_default() {
    let dir = tempfile::tempdir().unwrap();
    let output = command(dir.path(), free_port())
        .arg("--help")
        .env("SECRET_KEY", "a-secret-that-help-must-not-print-0123456789")
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for variable in SETTINGS {
        assert!(
            help.contains(variable),
            "{variable} missing from --help:\n{help}"
        );
    }
    assert!(help.contains("--token-ttl-seconds <SECONDS>"), "{help}");
    assert!(help.contains("[default: 600]"), "{help}");
    assert!(
        !help.contains("a-secret-that-help"),
        "--help printed the key"
    );
    assert!(!dir.path().join("data").exists(), "--help starts nothing");
}

#[tokio::test]
async fn flags_win_over_the_environment_which_wins_over_dot_env() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "TOKEN_TTL_SECONDS=100\nMIN_PASSWORD_LENGTH=12\n",
    )
    .unwrap();
    let port = free_port();
    let mut child = command(dir.path(), port)
        .env("TOKEN_TTL_SECONDS", "200")
        .args(["--token-ttl-seconds", "300"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let api = Api::new(format!("http://127.0.0.1:{port}"));
    api.wait_until_up().await;
    // .env's MIN_PASSWORD_LENGTH=12 applies (nothing overrides it).
    assert_eq!(api.register("miguel", "short-pw").await.status(), 400);
    assert_eq!(api.register("miguel", "long-enough-pw").await.status(), 201);
    let token = api
        .get_basic("/api/token", "miguel", "long-enough-pw")
        .await;
    let body: serde_json::Value = token.json().await.unwrap();
    assert_eq!(body["duration"], 300, "the flag wins");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn an_invalid_setting_stops_start_up_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["--token-ttl-seconds", "soon"],
        vec!["--no-such-flag"],
        vec!["--login-failures-per-username", "0"],
        vec!["--public-url", "auth.example.com"],
        vec!["--public-url", "https://auth.example.com/app"],
    ] {
        let output = command(dir.path(), free_port())
            .args(&args)
            .output()
            .unwrap();
        assert!(!output.status.success(), "{args:?}");
        let log = String::from_utf8_lossy(&output.stdout) + String::from_utf8_lossy(&output.stderr);
        let lines: Vec<_> = log.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{args:?}: {log}");
    }
}

/// Passkeys belong to a host name; an address cannot have them, so it cannot be the public URL.
#[test]
fn a_public_url_must_name_a_host() {
    let dir = tempfile::tempdir().unwrap();
    for url in ["http://127.0.0.1:3000", "https://[::1]"] {
        let output = command(dir.path(), free_port())
            .env("PUBLIC_URL", url)
            .output()
            .unwrap();
        assert!(!output.status.success(), "{url}");
        let log = String::from_utf8_lossy(&output.stdout) + String::from_utf8_lossy(&output.stderr);
        assert!(
            log.contains("PUBLIC_URL") || log.contains("--public-url"),
            "{log}"
        );
        assert!(log.contains("must name a host"), "{log}");
    }
}

#[tokio::test]
async fn log_settings_come_from_dot_env_too() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "LOG_FORMAT=json\nRUST_LOG=warn,request=info\nLOG_BUFFER_LINES=64\n",
    )
    .unwrap();
    let port = free_port();
    let log_path = dir.path().join("server.log");
    let log_file = std::fs::File::create(&log_path).unwrap();
    let child = command(dir.path(), port)
        .stdout(log_file.try_clone().unwrap())
        .stderr(log_file)
        .spawn()
        .unwrap();
    let server = Running::adopt(child, port).await;
    assert_eq!(server.api.get("/healthz").await.status(), 200);
    assert!(server.terminate().success());

    let log = std::fs::read_to_string(&log_path).unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    assert!(
        lines.iter().any(|line| line["target"] == "request"),
        "request lines at info: {log}"
    );
    assert!(
        lines
            .iter()
            .all(|line| line["target"] == "request" || line["level"] != "INFO"),
        "no other line at info under warn: {log}"
    );
}

#[test]
fn a_log_filter_that_does_not_parse_stops_start_up() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".env"), "RUST_LOG=info,request=loudly\n").unwrap();
    let (success, log) = run_to_exit(dir.path());
    assert!(!success);
    assert!(log.contains("is not a log filter"), "{log}");
}
