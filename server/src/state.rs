//! What the handlers share. Each handler and middleware takes only the parts it uses
//! (`State<Store>`, `State<Authenticator>`, ...), which `FromRef` cuts out of [`AppState`].

use crate::{
    accounts::Accounts,
    auth::{password::HashingPool, Authenticator},
    metrics::Metrics,
    passkeys::Passkeys,
    store::Store,
    two_step::TwoStep,
};
use axum::{extract::FromRef, http::HeaderName};
use leptos::config::LeptosOptions;
use std::sync::Arc;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub store: Store,
    pub auth: Authenticator,
    pub accounts: Accounts,
    pub passkeys: Passkeys,
    pub two_step: TwoStep,
    /// Also in `auth` and `accounts`; here for tests that count the hashes run.
    pub hashing: HashingPool,
    pub metrics: Arc<Metrics>,
    pub client_ip_header: ClientIpHeader,
    pub public_url: PublicUrl,
    /// leptos_axum's handlers find their options here. `site_pkg_dir` names the front end's
    /// version when its files are versioned (see http/assets.rs).
    pub leptos: LeptosOptions,
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
