//! The log is written off the requests' path: a reader that stops reading (a full pipe, a stuck
//! log collector) holds up no request; the lines that do not fit the queue are dropped and
//! counted in `/metrics`.

use crate::harness::Running;
use std::time::Duration;

fn dropped_lines(metrics: &str) -> u64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix("log_lines_dropped_total "))
        .unwrap_or_else(|| panic!("no log_lines_dropped_total in\n{metrics}"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_stalled_log_reader_holds_up_no_request_and_dropped_lines_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _stalled) =
        Running::start_with_stalled_output(dir.path(), &[("LOG_BUFFER_LINES", "16")]).await;
    let before = dropped_lines(&server.api.get("/metrics").await.text().await.unwrap());
    // A pipe holds 64 KiB: a few hundred request lines fill it, 3,000 write far more. Were a
    // request to wait for its line, one of them would wait for ever.
    let requests = async {
        for _ in 0..3_000 {
            assert_eq!(server.api.get("/healthz").await.status(), 200);
        }
    };
    tokio::time::timeout(Duration::from_secs(60), requests)
        .await
        .expect("requests were held up by the log");
    let metrics = server.api.get("/metrics").await.text().await.unwrap();
    let after = dropped_lines(&metrics);
    assert!(
        after >= before + 1_000,
        "expected most of 3,000 lines dropped, counted {before} then {after}"
    );
}
