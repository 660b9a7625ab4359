//! The log is written off the requests' path: a reader that stops reading (a full pipe, a stuck
//! log collector) holds up no request; the lines that do not fit the queue are dropped and
//! counted in `/metrics`. Audit lines are never dropped, and never filtered out below `info`.

use crate::harness::Running;
use std::time::Duration;

fn figure(metrics: &str, name: &str) -> u64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no {name} in\n{metrics}"))
        .parse()
        .unwrap()
}

fn dropped_lines(metrics: &str) -> u64 {
    figure(metrics, "log_lines_dropped_total")
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

#[tokio::test]
async fn audit_lines_wait_for_a_stalled_reader_and_none_is_lost_or_filtered_out() {
    let dir = tempfile::tempdir().unwrap();
    // Request lines at info fill the queue; audit lines at info would be filtered out by "warn".
    let env = [
        ("LOG_BUFFER_LINES", "16"),
        ("RUST_LOG", "warn,request=info"),
    ];
    let (server, mut stalled) = Running::start_with_stalled_output(dir.path(), &env).await;
    assert_eq!(server.api.register("miguel", "python").await.status(), 201);
    for _ in 0..3_000 {
        assert_eq!(server.api.get("/healthz").await.status(), 200);
    }
    const SIGN_INS: usize = 20;
    for _ in 0..SIGN_INS {
        let signed_in = server.api.get_basic("/api/token", "miguel", "python").await;
        assert_eq!(signed_in.status(), 200);
    }
    let metrics = server.api.get("/metrics").await.text().await.unwrap();
    assert!(
        dropped_lines(&metrics) >= 1_000,
        "request lines were dropped"
    );
    assert!(
        figure(&metrics, "audit_lines_waiting") >= SIGN_INS as u64,
        "the audit lines wait:\n{metrics}"
    );

    // The reader comes back; the process exits, having written what waited.
    let reading = std::thread::spawn(move || {
        let mut log = String::new();
        std::io::Read::read_to_string(&mut stalled, &mut log).unwrap();
        log
    });
    assert!(server.terminate().success());
    let log = reading.join().unwrap();
    let sign_ins = log
        .lines()
        .filter(|line| {
            line.contains("audit")
                && line.contains(r#"event="login""#)
                && line.contains(r#"outcome="success""#)
        })
        .count();
    assert_eq!(
        sign_ins, SIGN_INS,
        "every sign-in's audit line, at info under RUST_LOG=warn"
    );
}
