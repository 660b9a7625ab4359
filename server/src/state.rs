use crate::{
    assets::VersionedFiles,
    auth::{password::HashingPool, throttle::LoginThrottle, token::TokenKeys},
    metrics::Metrics,
    store::UserStore,
};
use axum::{extract::FromRef, http::HeaderName};
use leptos::config::LeptosOptions;
use std::sync::Arc;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub users: UserStore,
    pub tokens: Arc<TokenKeys>,
    pub hashing: HashingPool,
    pub throttle: Arc<LoginThrottle>,
    pub metrics: Arc<Metrics>,
    pub min_password_chars: usize,
    /// `CLIENT_IP_HEADER`: where a trusted proxy puts the client's address.
    pub client_ip_header: Option<HeaderName>,
    /// Pages link the front end's files through `leptos.site_pkg_dir`, which names their
    /// version when `assets` is set (see `assets.rs`).
    pub leptos: LeptosOptions,
    pub assets: Option<Arc<VersionedFiles>>,
}

// leptos_axum's handlers find their options in the router state through this.
impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}
