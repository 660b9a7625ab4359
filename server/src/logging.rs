//! Where log lines go: standard output, written by a thread of its own from a bounded queue, so
//! a slow terminal or a full pipe never holds up a request. When the queue is full a line is
//! dropped rather than waited for, and counted (`log_lines_dropped_total` in `/metrics`).
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
        mpsc::{self, Receiver, SyncSender, TryRecvError},
        Arc, OnceLock,
    },
    thread,
    time::Duration,
};
use tracing::{Event, Subscriber};
use tracing_subscriber::{
    field::RecordFields,
    fmt::{
        format::{DefaultFields, Writer},
        FmtContext, FormatEvent, FormatFields, MakeWriter,
    },
    registry::LookupSpan,
    EnvFilter,
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

struct Queue {
    lines: SyncSender<Vec<u8>>,
    dropped: AtomicU64,
}

static QUEUE: OnceLock<Queue> = OnceLock::new();

/// Lines dropped because the queue was full, since the process started; 0 when logging was
/// never set up (tests that build the app in-process).
pub fn dropped_lines() -> u64 {
    QUEUE
        .get()
        .map_or(0, |queue| queue.dropped.load(Ordering::Relaxed))
}

/// The subscriber's writer: each formatted event (one `write` call) becomes one queued line.
#[derive(Clone, Copy)]
struct ToQueue;

impl<'a> MakeWriter<'a> for ToQueue {
    type Writer = ToQueue;

    fn make_writer(&'a self) -> ToQueue {
        ToQueue
    }
}

impl Write for ToQueue {
    fn write(&mut self, line: &[u8]) -> io::Result<usize> {
        if let Some(queue) = QUEUE.get() {
            if queue.lines.try_send(line.to_vec()).is_err() {
                queue.dropped.fetch_add(1, Ordering::Relaxed);
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

/// Writes queued lines to standard output until told to stop and the queue is empty.
fn write_lines(lines: Receiver<Vec<u8>>, stop: Arc<AtomicBool>, drained: SyncSender<()>) {
    let mut out = BufWriter::with_capacity(64 * 1024, io::stdout());
    loop {
        match lines.try_recv() {
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

/// Sets up the process's log from `RUST_LOG` (default `info`), `LOG_FORMAT` (`text` or `json`)
/// and `LOG_BUFFER_LINES`.
pub fn init() -> Result<Guard, String> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let capacity = match std::env::var("LOG_BUFFER_LINES") {
        Err(_) => DEFAULT_BUFFER_LINES,
        Ok(text) => text
            .parse::<usize>()
            .ok()
            .filter(|lines| *lines > 0)
            .ok_or_else(|| {
                format!("LOG_BUFFER_LINES must be a whole number above 0, not {text:?}")
            })?,
    };
    let json = match std::env::var("LOG_FORMAT").as_deref() {
        Ok("json") => true,
        Ok("text") | Ok("") | Err(_) => false,
        Ok(other) => return Err(format!("LOG_FORMAT must be text or json, not {other:?}")),
    };
    let (lines, queued) = mpsc::sync_channel(capacity);
    let queue = Queue {
        lines,
        dropped: AtomicU64::new(0),
    };
    if QUEUE.set(queue).is_err() {
        return Err("logging was set up twice".into());
    }
    let stop = Arc::new(AtomicBool::new(false));
    let (done, drained) = mpsc::sync_channel(1);
    let flag = stop.clone();
    thread::Builder::new()
        .name("rest-auth-log".into())
        .spawn(move || write_lines(queued, flag, done))
        .map_err(|error| format!("starting the log's thread: {error}"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(ToQueue);
    if json {
        builder.json().map_event_format(JsonWithRequestId).init();
    } else {
        // Colours only for a person at a terminal: escape codes would garble log files.
        builder
            .with_ansi(io::stdout().is_terminal())
            .fmt_fields(TextFields(DefaultFields::new()))
            .init();
    }
    Ok(Guard { stop, drained })
}
