//! The physical limit the benchmark reads the server against: axum on tokio answering a
//! constant, with no layers, no state, no database. `scripts/bench.py` runs it beside the
//! server; `bare_axum 127.0.0.1:3999` listens there.

use axum::{routing::get, Router};

#[tokio::main]
async fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3999".into());
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .expect("binding the address");
    let app = Router::new().route("/", get(|| async { "ok" }));
    axum::serve(listener, app).await.expect("serving");
}
