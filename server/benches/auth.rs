//! The cost of each building block of authentication, on this machine: one argon2id hash (the
//! password path's whole budget: cores / this time is the most password logins per second the
//! machine can do), one passkey sign-in check (the passkey path's CPU cost), one token issue,
//! one token verification, one header parse.

use base64::{engine::general_purpose::STANDARD, Engine};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use server::auth::{
    header::parse_authorization,
    jwt::TokenKeys,
    keys::{KeyRing, Purpose},
    password,
};
use std::time::Duration;

fn argon2(c: &mut Criterion) {
    let mut group = c.benchmark_group("argon2id");
    // Tens of milliseconds each: few samples are enough for a stable median.
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(4));
    group.bench_function("hash", |b| {
        b.iter(|| password::hash(black_box("correct horse battery staple")).unwrap())
    });
    let stored = password::hash("correct horse battery staple").unwrap();
    group.bench_function("verify", |b| {
        b.iter(|| password::verify(black_box("correct horse battery staple"), &stored))
    });
    group.finish();
}

fn tokens(c: &mut Criterion) {
    let keys = TokenKeys::new(
        &KeyRing::new(b"benchmark-key-benchmark-key-0123", &[]).keys(Purpose::TokenSigning),
        Duration::from_secs(600),
        Duration::from_secs(86_400),
    );
    let now = server::clock::unix_now();
    let mut group = c.benchmark_group("token");
    group.bench_function("issue", |b| {
        b.iter(|| keys.issue(black_box(42), "5e55", now).unwrap())
    });
    let token = keys.issue(42, "5e55", now).unwrap().token;
    group.bench_function("verify", |b| {
        b.iter(|| keys.verify(black_box(&token)).unwrap())
    });
    group.finish();

    let mut group = c.benchmark_group("header");
    let basic = format!("Basic {}", STANDARD.encode("miguel:python"));
    group.bench_function("parse_basic", |b| {
        b.iter(|| parse_authorization(black_box(basic.as_bytes())).unwrap())
    });
    let bearer = format!("Bearer {token}");
    group.bench_function("parse_bearer", |b| {
        b.iter(|| parse_authorization(black_box(bearer.as_bytes())).unwrap())
    });
    group.finish();
}

/// The check of one passkey sign-in: webauthn-rs parses the browser's answer, checks the
/// challenge, origin and flags, verifies the P-256 signature and the counter.
fn passkey(c: &mut Criterion) {
    use url::Url;
    use webauthn_authenticator_rs::{softpasskey::SoftPasskey, WebauthnAuthenticator};
    use webauthn_rs::prelude::{Uuid, WebauthnBuilder};
    use webauthn_rs_proto::AllowCredentials;

    let origin = Url::parse("http://localhost:3000").unwrap();
    let webauthn = WebauthnBuilder::new("localhost", &origin)
        .unwrap()
        .build()
        .unwrap();
    let mut key = SoftPasskey::new(true);
    let handle = Uuid::from_bytes([7; 16]);
    let (options, registration) = webauthn
        .start_passkey_registration(handle, "miguel", "miguel", None)
        .unwrap();
    let credential = key.do_registration(origin.clone(), options).unwrap();
    let passkey = webauthn
        .finish_passkey_registration(&credential, &registration)
        .unwrap();
    let (mut options, state) = webauthn.start_discoverable_authentication().unwrap();
    // The soft key keeps no discoverable keys: name the credential, and add the user handle a
    // discoverable key returns (as tests/support/passkey.rs does).
    options.public_key.allow_credentials = vec![AllowCredentials {
        type_: "public-key".into(),
        id: passkey.cred_id().clone(),
        transports: None,
    }];
    let mut assertion = key.do_authentication(origin, options).unwrap();
    assertion.response.user_handle = Some(handle.as_bytes().to_vec());

    let mut group = c.benchmark_group("passkey");
    group.bench_function("verify", |b| {
        b.iter(|| {
            webauthn
                .finish_discoverable_authentication_v2(
                    black_box(&assertion),
                    state.clone(),
                    &passkey,
                )
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, argon2, passkey, tokens);
criterion_main!(benches);
