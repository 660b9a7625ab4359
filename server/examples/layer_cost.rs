//! What each layer around the routes costs: one process serving `/healthz` on one port per
//! step, from a bare axum router answering a constant, through the app's router without
//! layers, to every layer of [`server::http::LAYERS`] added one at a time (the last step is the
//! production stack). Prints one JSON line per step (`{"step", "name", "port"}`) on standard
//! error (standard output is the log) and serves until killed; `scripts/bench.py` drives each
//! port with wrk in turn.
//!
//! Configured like the server (environment, `.env`); logging is set up as in production, so
//! the request log writes at its default level to standard output.

use axum::{routing::get, Router};
use server::{
    config::{Config, Invocation, Parsed},
    http, logging, startup,
};
use std::net::SocketAddr;
use tokio::net::TcpListener;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let Parsed::Arguments(arguments) =
        Config::from_args(std::env::args_os().take(1)).expect("settings")
    else {
        unreachable!("no arguments were passed")
    };
    let _log = logging::init(&arguments.log()).expect("log settings");
    let Invocation::Run(config) = arguments.into_invocation().expect("settings") else {
        unreachable!("no arguments were passed")
    };
    let app = startup::build(&config).await.expect("starting the app");
    let mut steps = vec![(
        "bare axum, a constant".to_owned(),
        Router::new().route("/healthz", get(|| async { "ok" })),
    )];
    for count in 0..=http::LAYERS.len() {
        let name = match count {
            0 => "the app's routes, no layers".to_owned(),
            n => format!("+ {}", http::LAYERS[n - 1]),
        };
        let routes = http::routes(&app.state, None);
        steps.push((name, http::with_layers(routes, app.state.clone(), count)));
    }
    for (step, (name, router)) in steps.into_iter().enumerate() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let port = listener.local_addr().expect("its address").port();
        eprintln!(
            "{}",
            serde_json::json!({ "step": step, "name": name, "port": port })
        );
        tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .expect("serving");
        });
    }
    std::future::pending::<()>().await;
}
