//! Password hashing with argon2id at the OWASP Password Storage Cheat Sheet's parameters
//! (m = 19 MiB, t = 2, p = 1), stored as PHC strings so parameters can be raised later without
//! breaking existing hashes (verification reads them from the string).

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};
use std::sync::{
    atomic::{AtomicU64, AtomicUsize, Ordering},
    Arc,
};
use tokio::sync::{oneshot, Semaphore};

/// Why a hash could not be computed. (A wrong password is not an error: `verify` says false.)
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("argon2: {0}")]
    Argon2(argon2::password_hash::Error),
    #[error("the hashing threads have stopped")]
    Stopped,
}

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into a PHC string. CPU-bound for tens of milliseconds: call it through
/// [`HashingPool`] from async code.
pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(hasher()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Checks a password against a stored PHC string in constant time. A malformed stored hash
/// counts as a mismatch (and is logged), never as a panic.
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(error) => {
            tracing::error!(%error, "stored password hash is not a valid PHC string");
            false
        }
    }
}

/// Runs argon2 on a fixed set of threads (one per core by default), never on the async
/// workers.
///
/// Each argon2id hash holds 19 MiB and a core for its whole run, so a flood of password logins
/// must queue here (a waiting request costs a few bytes) instead of growing memory and pushing
/// every core into hashing. Fixed threads bound the 19 MiB blocks alive at once: each thread
/// that ever hashed keeps its allocator's memory, so tokio's growing blocking pool would keep
/// many (see BENCHMARKS.md). The threads also run at a lower scheduling priority (nice 10): when
/// the cores are busy hashing, requests that authenticate with a token still get the CPU first.
#[derive(Clone)]
pub struct HashingPool {
    threads: Arc<rayon::ThreadPool>,
    /// One per thread: a request waits here (asynchronously) until a thread is free, so the
    /// queue of jobs handed to the threads never grows past their number.
    permits: Arc<Semaphore>,
    /// A real hash of a random password: unknown usernames are checked against it, so they
    /// cost the same time as a known name with a wrong password.
    dummy_hash: Arc<str>,
    stats: Arc<Stats>,
}

#[derive(Default)]
struct Stats {
    runs: AtomicU64,
    running: AtomicUsize,
    peak: AtomicUsize,
}

impl HashingPool {
    /// `threads`: how many hashes may run at once; one per core is the most that helps.
    pub fn new(threads: usize) -> Self {
        let threads = threads.max(1);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("argon2-{i}"))
            .start_handler(|_| lower_own_priority())
            // The job's sender is dropped with it, so its request gets an error, not a hang.
            .panic_handler(|_| tracing::error!("a hashing job panicked"))
            .build()
            .expect("starting the hashing threads");
        let dummy = hash(&crate::random::hex_id()).expect("hashing a random password");
        HashingPool {
            threads: Arc::new(pool),
            permits: Arc::new(Semaphore::new(threads)),
            dummy_hash: dummy.into(),
            stats: Arc::default(),
        }
    }

    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        self.run(move || hash(&password))
            .await?
            .map_err(HashError::Argon2)
    }

    /// Checks `password` against a stored hash, or against the dummy hash when there is no
    /// account (`None`), which always fails but takes just as long.
    pub async fn verify(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<bool, HashError> {
        let known = stored.is_some();
        let phc = stored.unwrap_or_else(|| self.dummy_hash.to_string());
        let matches = self.run(move || verify(&password, &phc)).await?;
        Ok(known && matches)
    }

    /// How many hashes or verifications have run since start.
    pub fn runs(&self) -> u64 {
        self.stats.runs.load(Ordering::Relaxed)
    }

    /// The most that have run at the same time.
    pub fn peak_concurrency(&self) -> usize {
        self.stats.peak.load(Ordering::Relaxed)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| HashError::Stopped)?;
        let stats = self.stats.clone();
        let (done, result) = oneshot::channel();
        self.threads.spawn(move || {
            let running = stats.running.fetch_add(1, Ordering::SeqCst) + 1;
            stats.peak.fetch_max(running, Ordering::SeqCst);
            stats.runs.fetch_add(1, Ordering::Relaxed);
            let output = work();
            stats.running.fetch_sub(1, Ordering::SeqCst);
            // The request may have gone away meanwhile; nobody to tell.
            let _ = done.send(output);
        });
        result.await.map_err(|_| HashError::Stopped)
    }
}

/// nice 10 for the calling thread (on Linux, priority is per thread). Best effort: where it is
/// not allowed, hashing simply competes as an equal.
fn lower_own_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority has no memory effects; `who = 0` is the calling thread.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_argon2id_phc_with_owasp_parameters() {
        let phc = hash("python").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(!phc.contains("python"));
    }

    #[test]
    fn verify_accepts_only_the_right_password() {
        let phc = hash("python").unwrap();
        assert!(verify("python", &phc));
        assert!(!verify("ruby", &phc));
        assert!(!verify("", &phc));
        assert!(!verify("python ", &phc));
    }

    #[test]
    fn same_password_gets_a_fresh_salt() {
        assert_ne!(hash("python").unwrap(), hash("python").unwrap());
    }

    #[test]
    fn malformed_stored_hash_is_a_mismatch() {
        assert!(!verify("python", "not a phc string"));
        assert!(!verify("python", ""));
    }
}

#[cfg(test)]
mod pool_tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn pool_never_runs_more_than_its_permits() {
        let pool = HashingPool::new(2);
        let runs_before = pool.runs();
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let pool = pool.clone();
                tokio::spawn(async move { pool.hash(format!("password{i}")).await.unwrap() })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(pool.runs() - runs_before, 8);
        assert!(pool.peak_concurrency() <= 2, "{}", pool.peak_concurrency());
    }

    #[tokio::test]
    async fn unknown_account_costs_a_hash_and_never_matches() {
        let pool = HashingPool::new(1);
        let before = pool.runs();
        assert!(!pool.verify("python".into(), None).await.unwrap());
        assert_eq!(pool.runs(), before + 1);
        let stored = pool.hash("python".into()).await.unwrap();
        assert!(pool.verify("python".into(), Some(stored)).await.unwrap());
    }
}
