//! Work that runs beside the requests: the expiry sweep, pruning the brute-force counts,
//! writing sessions' last use, listening for sessions ended elsewhere. Startup spawns each one
//! here, and shutdown stops them all and waits for them, so no task outlives the server (or a
//! test's app) and none is started by a constructor as a side effect.

use std::{future::Future, time::Duration};
use tokio::{sync::watch, task::JoinSet};

/// How long shutdown waits for the tasks to finish what they are doing before aborting them.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// The running background tasks. Dropping it aborts them; [`Tasks::stop`] lets them finish.
pub struct Tasks {
    stop: watch::Sender<bool>,
    running: JoinSet<()>,
}

/// A task's view of shutdown: resolves once the server is stopping.
#[derive(Clone)]
pub struct Stop(watch::Receiver<bool>);

impl Stop {
    /// Waits until stopping is asked for (at once if it already was).
    pub async fn requested(&mut self) {
        // An error means the sender is gone: the server is gone too.
        let _ = self.0.wait_for(|stopping| *stopping).await;
    }
}

impl Default for Tasks {
    fn default() -> Self {
        Tasks {
            stop: watch::Sender::new(false),
            running: JoinSet::new(),
        }
    }
}

impl Tasks {
    /// Runs `task` until it returns; it is handed the [`Stop`] it must watch.
    pub fn spawn<F, Fut>(&mut self, task: F)
    where
        F: FnOnce(Stop) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.running.spawn(task(Stop(self.stop.subscribe())));
    }

    /// Runs `work` at once, then every `period`, until stopping.
    pub fn every<F, Fut>(&mut self, period: Duration, mut work: F)
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send,
    {
        self.spawn(move |mut stop| async move {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => work().await,
                    () = stop.requested() => return,
                }
            }
        });
    }

    /// Asks every task to stop and waits for them (aborting any still running after a grace
    /// period).
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        let finished = async { while self.running.join_next().await.is_some() {} };
        if tokio::time::timeout(STOP_GRACE, finished).await.is_err() {
            tracing::warn!("background tasks still running at shutdown; aborted");
            self.running.shutdown().await;
        }
    }
}
