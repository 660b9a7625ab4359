//! A PostgreSQL server of a test's own (its own data directory and port, on loopback), for what
//! cannot be done to the shared one: stopping and restarting it. Made with the machine's
//! `initdb` and `pg_ctl`, run as the `postgres` user when the test runs as root (PostgreSQL
//! refuses root). Stopped when dropped.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

pub struct PostgresServer {
    bin: PathBuf,
    dir: tempfile::TempDir,
    pub port: u16,
}

impl PostgresServer {
    /// initdb, then start on a free port; waits until it accepts connections.
    pub fn start() -> PostgresServer {
        let bin = bin_dir();
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let server = PostgresServer { bin, dir, port };
        if is_root() {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(server.dir.path()));
        }
        let data = server.data();
        run(server
            .command("initdb")
            .args([
                "--auth=trust",
                "--username=postgres",
                "--no-sync",
                "--encoding=UTF8",
                "-D",
            ])
            .arg(&data));
        server.pg_ctl("start");
        server
    }

    /// `postgres://` URL of its `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops it (fast: connections are ended, as in a real restart) and starts it again;
    /// returns once it accepts connections.
    pub fn restart(&self) {
        self.pg_ctl("restart");
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn pg_ctl(&self, action: &str) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        run(self
            .command("pg_ctl")
            .args(["-w", "-m", "fast", "-D"])
            .arg(self.data())
            .args(["-l"])
            .arg(self.dir.path().join("server.log"))
            .args(["-o", &options, action]));
    }

    /// `program` from the PostgreSQL installation, as the user that may run it.
    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .args(["-m", "immediate", "-D"])
            .arg(self.data())
            .arg("stop")
            .output();
    }
}

fn run(command: &mut Command) {
    let output = command.output().expect("PostgreSQL's programs can be run");
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.starts_with(b"0\n"))
}

/// Where `initdb` and `pg_ctl` are: on PATH, or Debian's /usr/lib/postgresql/<version>/bin.
fn bin_dir() -> PathBuf {
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
    });
    on_path
        .or_else(|| {
            let mut versions: Vec<_> = std::fs::read_dir("/usr/lib/postgresql")
                .ok()?
                .flatten()
                .map(|entry| entry.path().join("bin"))
                .filter(|bin| Path::new(bin).join("initdb").is_file())
                .collect();
            versions.sort();
            versions.pop()
        })
        .expect("PostgreSQL's initdb and pg_ctl (Debian: postgresql) are installed")
}
