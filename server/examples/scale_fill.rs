//! Fills a database for the scale benchmark (`scripts/scale.py`) through the store's own code:
//! accounts `scale1`..`scaleN`, each with one session, all sharing one password hash (one
//! argon2 run, not a million), and writes a signed token per session, one per line.
//!
//! `scale_fill <database-url> <secret-key> <first> <last> <tokens-file> [sessions-of-first]`
//! adds accounts `first..=last` (resuming a fill is adding the next range) and, when
//! `sessions-of-first` is given, that many more sessions of account `first` (for a user with
//! many devices). Sessions start now, or `SCALE_STARTED_AGO` seconds ago.

use futures::{stream, StreamExt, TryStreamExt};
use server::{
    auth::{
        jwt::TokenKeys,
        keys::{KeyRing, Purpose},
        password,
    },
    clock::unix_now,
    store::{NewSession, SignInMethod, Store, StoreSettings},
};
use std::{io::Write, time::Duration};

/// Statements in flight at once: enough to keep PostgreSQL busy on loopback.
const CONCURRENCY: usize = 32;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, secret, first, last, tokens, rest @ ..] = args.as_slice() else {
        panic!("usage: scale_fill <database-url> <secret-key> <first> <last> <tokens-file> [sessions-of-first]");
    };
    let (first, last): (i64, i64) = (first.parse().unwrap(), last.parse().unwrap());
    let extra_sessions: usize = rest.first().map_or(0, |n| n.parse().unwrap());
    let started_ago: i64 = std::env::var("SCALE_STARTED_AGO").map_or(0, |s| s.parse().unwrap());
    let settings = StoreSettings {
        max_connections: CONCURRENCY as u32,
        ..StoreSettings::default()
    };
    let (store, _tasks) = Store::connect(url, settings).await.expect("the database");
    let keys = TokenKeys::new(
        &KeyRing::new(secret.as_bytes(), &[]).keys(Purpose::TokenSigning),
        Duration::from_secs(86_400),
        Duration::from_secs(30 * 86_400),
    );
    let hash = password::hash("scale-password").unwrap();
    let now = unix_now() - started_ago;
    let start = |user_id: i64, username: String| {
        let store = store.clone();
        async move {
            let new = NewSession::signed_in(
                (user_id, &username, 0),
                SignInMethod::Password,
                now,
                ("127.0.0.1", "scale benchmark"),
            );
            let session = store
                .start_session(new, now)
                .await?
                .expect("a new account's credentials have not changed");
            Ok::<_, server::store::StoreError>((user_id, session.id))
        }
    };
    let accounts = stream::iter(first..=last)
        .map(|n| {
            let (store, hash) = (store.clone(), hash.clone());
            async move {
                let username = format!("scale{n}");
                let user_id = store.create_user(&username, &hash).await?;
                start(user_id, username).await
            }
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect::<Vec<_>>()
        .await
        .expect("filling");
    let mut sessions = accounts;
    if let Some(&(user_id, _)) = sessions.first() {
        let more = stream::iter(0..extra_sessions)
            .map(|_| start(user_id, format!("scale{first}")))
            .buffer_unordered(CONCURRENCY)
            .try_collect::<Vec<_>>()
            .await
            .expect("filling");
        sessions.extend(more);
    }
    let mut out = std::io::BufWriter::new(std::fs::File::create(tokens).unwrap());
    for (user_id, session_id) in sessions {
        let token = keys.issue(user_id, &session_id, now).unwrap().token;
        writeln!(out, "{token}").unwrap();
    }
    out.flush().unwrap();
}
