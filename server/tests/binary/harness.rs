//! Runs the real `rest-auth` executable in a directory of its own, as an operator would.

use crate::support::client::Api;
use std::{
    path::Path,
    process::{Child, Command, ExitStatus, Stdio},
};

const BIN: &str = env!("CARGO_BIN_EXE_rest-auth");

/// Every setting the binary reads from the environment: each must come from the test alone,
/// not from whoever runs it, and each must be in `--help`.
pub const SETTINGS: [&str; 25] = [
    "DATABASE_URL",
    "DATABASE_MAX_CONNECTIONS",
    "DATABASE_ACQUIRE_TIMEOUT_SECONDS",
    "DATABASE_STATEMENT_TIMEOUT_SECONDS",
    "DATABASE_START_TIMEOUT_SECONDS",
    "SECRET_KEY",
    "DATA_DIR",
    "TOKEN_TTL_SECONDS",
    "SESSION_MAX_SECONDS",
    "MIN_PASSWORD_LENGTH",
    "REFUSE_COMMON_PASSWORDS",
    "LOGIN_FAILURES_PER_USERNAME",
    "LOGIN_FAILURE_WINDOW_USERNAME_SECONDS",
    "LOGIN_FAILURES_PER_ADDRESS",
    "LOGIN_FAILURE_WINDOW_ADDRESS_SECONDS",
    "HASH_CONCURRENCY",
    "CLIENT_IP_HEADER",
    "PUBLIC_URL",
    "LEPTOS_SITE_ADDR",
    "LEPTOS_SITE_ROOT",
    "LEPTOS_ENV",
    "RUST_LOG",
    "LOG_FORMAT",
    "LOG_BUFFER_LINES",
    "SESSION_CACHE_CAPACITY",
];

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The binary, run in `dir` on `port` with none of the test runner's settings.
pub fn command(dir: &Path, port: u16) -> Command {
    let mut command = Command::new(BIN);
    for name in SETTINGS {
        command.env_remove(name);
    }
    command.env_remove("TEST_POSTGRES_URL");
    command
        .current_dir(dir)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"));
    command
}

pub struct Running {
    child: Child,
    pub api: Api,
}

impl Running {
    /// Starts the binary in `dir` with only `LEPTOS_SITE_ADDR` set, and waits for /healthz.
    pub async fn start(dir: &Path) -> Running {
        Self::start_with(dir, &[]).await
    }

    /// As [`Running::start`], with extra environment variables. Output goes to `server.log`
    /// in `dir`.
    pub async fn start_with(dir: &Path, env: &[(&str, &str)]) -> Running {
        let port = free_port();
        let log = dir.join("server.log");
        let output = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let child = command(dir, port)
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdout(output.try_clone().unwrap())
            .stderr(output)
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let api = Api::new(format!("http://127.0.0.1:{port}"));
        api.wait_until_up().await;
        Running { child, api }
    }

    /// As [`Running::start_with`], with standard output a pipe that is never read (the log's
    /// reader stalled), held open by the returned handle.
    pub async fn start_with_stalled_output(
        dir: &Path,
        env: &[(&str, &str)],
    ) -> (Running, std::process::ChildStdout) {
        let port = free_port();
        let mut child = command(dir, port)
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let stalled = child.stdout.take().unwrap();
        let api = Api::new(format!("http://127.0.0.1:{port}"));
        api.wait_until_up().await;
        (Running { child, api }, stalled)
    }

    /// A child started by the caller (with `command`) on `port`, once it answers /healthz.
    pub async fn adopt(child: Child, port: u16) -> Running {
        let api = Api::new(format!("http://127.0.0.1:{port}"));
        api.wait_until_up().await;
        Running { child, api }
    }

    /// Sends SIGTERM and returns at once.
    pub fn send_sigterm(&self) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
    }

    /// SIGTERM, then the exit status.
    pub fn terminate(mut self) -> ExitStatus {
        self.send_sigterm();
        self.child.wait().unwrap()
    }

    /// Waits for the process to exit by itself.
    pub fn wait(mut self) -> ExitStatus {
        self.child.wait().unwrap()
    }

    /// SIGKILL: the process gets no chance to finish anything.
    pub fn kill_hard(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
