//! Where log lines go: standard output, written by a thread of its own from a bounded queue, so
//! a slow terminal or a full pipe never holds up a request. When the queue is full a line is
//! dropped rather than waited for, and counted (`log_lines_dropped_total` in `/metrics`).
//!
//! Audit lines (target `audit`) take a path of their own: never dropped and never filtered out
//! below `info`, whatever `RUST_LOG` says. They wait in memory while the reader is stalled
//! (`audit_lines_waiting` in `/metrics`) and are written before any request line.
//!
//! A line written while a request is served carries that request's id (`request_id`), the one
//! returned in `X-Request-Id`: the request's own line and any audit or error line it causes can
//! be matched. The id is a task-local value, not a tracing span: a span per request cost more
//! than the rest of the request log together (BENCHMARKS.md, per-layer table).
//!
//! The writing thread is never woken by a request: it looks at the queue every few
//! milliseconds, writes whatever is there in one system call, and sleeps again. (A queue whose
//! reader blocks, as `tracing-appender`'s does, costs each request a wake-up of that thread,
//! measured at about a third of `/healthz`'s rate on two cores.)

use axum::http::HeaderValue;
use std::{
    fmt,
    future::Future,
    io::{self, BufWriter, IsTerminal, Write},
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        mpsc::{self, Receiver, Sender, SyncSender, TryRecvError},
        Arc, OnceLock,
    },
    thread,
    time::Duration,
};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::{
    field::RecordFields,
    filter::{filter_fn, FilterExt, Targets},
    fmt::{
        format::{DefaultFields, Writer},
        FmtContext, FormatEvent, FormatFields, MakeWriter,
    },
    layer::SubscriberExt,
    registry::LookupSpan,
    util::SubscriberInitExt,
    EnvFilter, Layer, Registry,
};

tokio::task_local! {
    static REQUEST_ID: HeaderValue;
}

/// Runs `serving` (a request being served) with `id` as the request id of its log lines.
pub async fn with_request_id<F: Future>(id: HeaderValue, serving: F) -> F::Output {
    REQUEST_ID.scope(id, serving).await
}

/// The id of the request being served on this task, if any. An incoming id is whatever a
/// proxy sent: lines quote (text) or escape (JSON) it, and show one that is not text as "-".
fn current_request_id() -> Option<HeaderValue> {
    REQUEST_ID.try_with(HeaderValue::clone).ok()
}

fn as_text(id: &HeaderValue) -> &str {
    id.to_str().unwrap_or("-")
}

/// Text lines: the event's fields, then `request_id="…"` inside a request.
struct TextFields(DefaultFields);

impl<'writer> FormatFields<'writer> for TextFields {
    fn format_fields<R: RecordFields>(
        &self,
        mut writer: Writer<'writer>,
        fields: R,
    ) -> fmt::Result {
        self.0.format_fields(writer.by_ref(), fields)?;
        match current_request_id() {
            Some(id) => write!(writer, " request_id={:?}", as_text(&id)),
            None => Ok(()),
        }
    }
}

/// JSON lines: the object tracing-subscriber writes, with `"request_id"` added at its top level
/// inside a request.
struct JsonWithRequestId<F>(F);

impl<S, N, F> FormatEvent<S, N> for JsonWithRequestId<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let Some(id) = current_request_id() else {
            return self.0.format_event(ctx, writer, event);
        };
        let mut line = String::with_capacity(256);
        self.0.format_event(ctx, Writer::new(&mut line), event)?;
        let object = line.trim_end().strip_suffix('}').ok_or(fmt::Error)?;
        let id = serde_json::to_string(as_text(&id)).map_err(|_| fmt::Error)?;
        writeln!(writer, "{object},\"request_id\":{id}}}")
    }
}

/// Lines the queue holds before it drops (about 4 MB of request lines): a burst of many
/// thousands of requests waits here for a slow reader.
pub const DEFAULT_BUFFER_LINES: usize = 16_384;

/// How long the writing thread sleeps when the queue is empty: the most a line waits.
const POLL: Duration = Duration::from_millis(10);

/// How long exiting waits for the queued lines to be written (a reader may have stalled).
const DRAIN_AT_EXIT: Duration = Duration::from_secs(1);

/// The target of audit lines (audit.rs).
pub const AUDIT: &str = "audit";

struct Queue {
    lines: SyncSender<Vec<u8>>,
    dropped: AtomicU64,
    audit: Sender<Vec<u8>>,
    audit_waiting: AtomicU64,
}

static QUEUE: OnceLock<Queue> = OnceLock::new();

/// Lines dropped because the queue was full, since the process started; 0 when logging was
/// never set up (tests that build the app in-process).
pub fn dropped_lines() -> u64 {
    QUEUE
        .get()
        .map_or(0, |queue| queue.dropped.load(Ordering::Relaxed))
}

/// Audit lines queued and not yet written (a stalled reader makes this grow).
pub fn audit_lines_waiting() -> u64 {
    QUEUE
        .get()
        .map_or(0, |queue| queue.audit_waiting.load(Ordering::Relaxed))
}

/// The subscriber's writers: each formatted event (one `write` call) becomes one queued line,
/// on the request log's bounded queue or the audit lines' unbounded one.
#[derive(Clone, Copy)]
enum ToQueue {
    Requests,
    Audit,
}

impl<'a> MakeWriter<'a> for ToQueue {
    type Writer = ToQueue;

    fn make_writer(&'a self) -> ToQueue {
        *self
    }
}

impl Write for ToQueue {
    fn write(&mut self, line: &[u8]) -> io::Result<usize> {
        if let Some(queue) = QUEUE.get() {
            match self {
                ToQueue::Requests => {
                    if queue.lines.try_send(line.to_vec()).is_err() {
                        queue.dropped.fetch_add(1, Ordering::Relaxed);
                    }
                }
                ToQueue::Audit => {
                    queue.audit_waiting.fetch_add(1, Ordering::Relaxed);
                    // Fails only once the writing thread has gone (the process is exiting).
                    let _ = queue.audit.send(line.to_vec());
                }
            }
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Kept until the process exits; dropping it writes what is still queued (for at most
/// [`DRAIN_AT_EXIT`]).
pub struct Guard {
    stop: Arc<AtomicBool>,
    drained: Receiver<()>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.drained.recv_timeout(DRAIN_AT_EXIT);
    }
}

/// Writes queued lines to standard output, audit lines first, until told to stop and both
/// queues are empty.
fn write_lines(
    lines: Receiver<Vec<u8>>,
    audit: Receiver<Vec<u8>>,
    (stop, to_stderr): (Arc<AtomicBool>, bool),
    drained: SyncSender<()>,
) {
    let output: Box<dyn Write> = if to_stderr {
        Box::new(io::stderr())
    } else {
        Box::new(io::stdout())
    };
    let mut out = BufWriter::with_capacity(64 * 1024, output);
    loop {
        let next = match audit.try_recv() {
            Ok(line) => {
                if let Some(queue) = QUEUE.get() {
                    queue.audit_waiting.fetch_sub(1, Ordering::Relaxed);
                }
                Ok(line)
            }
            Err(_) => lines.try_recv(),
        };
        match next {
            // A reader that went away (EPIPE) loses the log, never the process.
            Ok(line) => drop(out.write_all(&line)),
            Err(TryRecvError::Empty) => {
                let _ = out.flush();
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                thread::sleep(POLL);
            }
            Err(TryRecvError::Disconnected) => break,
        }
    }
    let _ = out.flush();
    let _ = drained.send(());
}

/// `RUST_LOG`, `LOG_FORMAT` and `LOG_BUFFER_LINES`, as the settings read them.
#[derive(Clone, Debug)]
pub struct LogSettings {
    /// Which lines are written, in tracing's filter syntax (audit lines whatever it says).
    pub filter: String,
    pub json: bool,
    /// Request-log lines queued for a slow reader before they are dropped.
    pub buffer_lines: usize,
    /// Write to standard error: an operator task's standard output is its answer (JSON).
    pub to_stderr: bool,
}

/// One formatting layer, text or JSON, writing to `writer`.
fn layer(json: bool, writer: ToQueue) -> Box<dyn Layer<Registry> + Send + Sync> {
    let layer = tracing_subscriber::fmt::layer().with_writer(writer);
    if json {
        layer.json().map_event_format(JsonWithRequestId).boxed()
    } else {
        // Colours only for a person at a terminal: escape codes would garble log files.
        layer
            .with_ansi(io::stdout().is_terminal())
            .fmt_fields(TextFields(DefaultFields::new()))
            .boxed()
    }
}

/// Sets up the process's log.
pub fn init(settings: &LogSettings) -> Result<Guard, String> {
    let filter = EnvFilter::try_new(&settings.filter)
        .map_err(|e| format!("RUST_LOG is not a log filter: {e}"))?;
    let (lines, queued) = mpsc::sync_channel(settings.buffer_lines.max(1));
    let (audit, audit_queued) = mpsc::channel();
    let queue = Queue {
        lines,
        dropped: AtomicU64::new(0),
        audit,
        audit_waiting: AtomicU64::new(0),
    };
    if QUEUE.set(queue).is_err() {
        return Err("logging was set up twice".into());
    }
    let stop = Arc::new(AtomicBool::new(false));
    let (done, drained) = mpsc::sync_channel(1);
    let flag = stop.clone();
    thread::Builder::new()
        .name("rest-auth-log".into())
        .spawn({
            let to_stderr = settings.to_stderr;
            move || write_lines(queued, audit_queued, (flag, to_stderr), done)
        })
        .map_err(|error| format!("starting the log's thread: {error}"))?;
    let requests = filter.and(filter_fn(|event| event.target() != AUDIT));
    let audit = Targets::new().with_target(AUDIT, Level::INFO);
    tracing_subscriber::registry()
        .with(vec![
            layer(settings.json, ToQueue::Requests)
                .with_filter(requests)
                .boxed(),
            layer(settings.json, ToQueue::Audit)
                .with_filter(audit)
                .boxed(),
        ])
        .try_init()
        .map_err(|e| format!("setting up the log: {e}"))?;
    Ok(Guard { stop, drained })
}
