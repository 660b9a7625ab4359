//! Two instances behind nginx (Debian's, started here on loopback, round-robin), with
//! `CLIENT_IP_HEADER` set as docs/configuration.md tells operators: the limits are shared, a
//! session ended through one instance is refused through the proxy, and the per-address limit
//! keys on the client's address as nginx forwards it. Clients come from different loopback
//! addresses (127.0.0.2, 127.0.0.3), so nginx really sees different clients.

use crate::{
    harness::free_port,
    multi_instance::{time_until_refused, Pair},
    support::client::Api,
};
use std::{
    net::IpAddr,
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

/// nginx in the foreground, one process, everything under `dir`; killed on drop.
pub struct Nginx {
    child: Child,
    pub port: u16,
}

impl Nginx {
    fn start(dir: &Path, upstreams: [&str; 2]) -> Nginx {
        Nginx::serving(dir, |port| {
            format!(
                "upstream rest_auth {{
        server {};
        server {};
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://rest_auth;
            proxy_set_header Host $host;
            proxy_set_header X-Real-IP $remote_addr;
        }}
    }}",
                upstreams[0], upstreams[1]
            )
        })
    }

    /// Debian's nginx with `http` holding what `blocks` writes for the port it listens on.
    pub fn serving(dir: &Path, blocks: impl FnOnce(u16) -> String) -> Nginx {
        let binary = ["/usr/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .find(|path| Path::new(path).exists())
            .expect("nginx is not installed (scripts/tools.sh installs Debian's)");
        let port = free_port();
        let dir = dir.display();
        let config = format!(
            "daemon off;
master_process off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    {}
}}
",
            blocks(port)
        );
        let path = format!("{dir}/nginx.conf");
        std::fs::write(&path, config).unwrap();
        let child = Command::new(binary)
            .args(["-p", &dir.to_string(), "-c", &path])
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        Nginx { child, port }
    }

    /// A client of the proxy whose connections come from `address`.
    pub fn client(&self, address: &str) -> Api {
        let mut api = Api::new(format!("http://127.0.0.1:{}", self.port));
        api.client = reqwest::Client::builder()
            .local_address(address.parse::<IpAddr>().unwrap())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        api
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Requests answered by each instance, from its `/metrics`.
async fn requests_answered(api: &Api) -> u64 {
    let text = api.get("/metrics").await.text().await.unwrap();
    text.lines()
        .filter(|line| line.starts_with("http_requests_total{") && line.contains("/api/"))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs TEST_POSTGRES_URL"]
async fn two_instances_behind_nginx_share_limits_and_sessions() {
    let pair = Pair::start(&[
        ("CLIENT_IP_HEADER", "X-Real-IP"),
        ("LOGIN_FAILURES_PER_ADDRESS", "6"),
    ])
    .await;
    let (host_a, host_b) = (
        pair.a.api.base.trim_start_matches("http://").to_owned(),
        pair.b.api.base.trim_start_matches("http://").to_owned(),
    );
    let dir = tempfile::tempdir().unwrap();
    let nginx = Nginx::start(dir.path(), [&host_a, &host_b]);
    let laptop = nginx.client("127.0.0.2");
    laptop.wait_until_up().await;
    let phone = nginx.client("127.0.0.3");

    // Round-robin: both instances answer.
    assert_eq!(laptop.register("miguel", "python").await.status(), 201);
    let token = laptop.token("miguel", "python").await;
    for _ in 0..4 {
        assert_eq!(laptop.resource_status(&token).await, 200);
    }
    assert!(requests_answered(&pair.a.api).await > 0);
    assert!(requests_answered(&pair.b.api).await > 0);

    // A session ended through one instance is refused through the proxy, whichever instance
    // answers, within the propagation limit.
    let ended = pair
        .a
        .api
        .delete_bearer("/api/sessions/current", &token)
        .await;
    assert_eq!(ended.status(), 204);
    assert!(time_until_refused(&laptop, &token).await < Duration::from_millis(250));
    for _ in 0..4 {
        assert_eq!(laptop.resource_status(&token).await, 401);
    }

    // The per-username limit is one total over both instances: 10 failures, then even the
    // right password is refused, through either.
    for i in 0..10 {
        let client = if i % 2 == 0 { &laptop } else { &phone };
        let refused = client.get_basic("/api/token", "miguel", "guess").await;
        assert_eq!(refused.status(), 401, "attempt {i}");
    }
    assert_eq!(
        laptop
            .get_basic("/api/token", "miguel", "python")
            .await
            .status(),
        429
    );

    // The per-address limit keys on the address nginx forwards: the laptop (127.0.0.2, 5 of
    // the failures above, then one more) is locked for every name; the phone is not.
    assert_eq!(laptop.register("susan", "python").await.status(), 201);
    let refused = laptop.get_basic("/api/token", "susan", "guess").await;
    assert_eq!(refused.status(), 401);
    let locked = laptop.get_basic("/api/token", "susan", "python").await;
    assert_eq!(locked.status(), 429, "the laptop's address is locked");
    phone.token("susan", "python").await;
}
