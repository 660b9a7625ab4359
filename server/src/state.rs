//! What the handlers share. Each handler and middleware takes only the parts it uses
//! (`State<Store>`, `State<Authenticator>`, ...), which `FromRef` cuts out of [`AppState`].

use crate::{
    accounts::Accounts,
    auth::{password::HashingPool, Authenticator},
    metrics::Metrics,
    passkeys::Passkeys,
    provider::Provider,
    sign_in::SignIn,
    store::Store,
    two_step::TwoStep,
};
use axum::{extract::FromRef, http::HeaderName};
use leptos::config::LeptosOptions;
use std::sync::Arc;

/// What the handlers share, behind one `Arc`: axum clones the state for every request a
/// handler answers, so a clone must be one reference count, not one per part (each of which
/// every core would then fight over; measured in BENCHMARKS.md's table of layers).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The parts of [`AppState`].
pub struct Shared {
    pub store: Store,
    pub auth: Authenticator,
    pub accounts: Accounts,
    pub passkeys: Passkeys,
    pub two_step: TwoStep,
    pub sign_in: SignIn,
    /// The OpenID Connect provider.
    pub provider: Provider,
    /// Also in `auth` and `accounts`; here for tests that count the hashes run.
    pub hashing: HashingPool,
    pub metrics: Arc<Metrics>,
    pub client_ip_header: ClientIpHeader,
    pub public_url: PublicUrl,
    /// leptos_axum's handlers find their options here. `site_pkg_dir` names the front end's
    /// version when its files are versioned (see http/assets.rs).
    pub leptos: LeptosOptions,
}

/// `State<Part>` for each part of [`Shared`] a handler may take.
macro_rules! parts {
    ($($field:ident: $part:ty),* $(,)?) => {
        $(impl FromRef<AppState> for $part {
            fn from_ref(state: &AppState) -> $part {
                state.$field.clone()
            }
        })*
    };
}

parts! {
    store: Store,
    auth: Authenticator,
    accounts: Accounts,
    passkeys: Passkeys,
    two_step: TwoStep,
    sign_in: SignIn,
    provider: Provider,
    hashing: HashingPool,
    metrics: Arc<Metrics>,
    client_ip_header: ClientIpHeader,
    public_url: PublicUrl,
    leptos: LeptosOptions,
}

/// `CLIENT_IP_HEADER`: where a trusted proxy puts the client's address, if anywhere.
#[derive(Clone, Debug, Default)]
pub struct ClientIpHeader(pub Option<HeaderName>);

/// `PUBLIC_URL`: the origin people open, for absolute links such as `Location`.
#[derive(Clone, Debug)]
pub struct PublicUrl(pub url::Url);

impl PublicUrl {
    /// The absolute URL of `path` (which starts with `/`) on this site.
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.0.as_str().trim_end_matches('/'))
    }
}
