use crate::{auth::token::TokenKeys, store::UserStore};
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub users: UserStore,
    pub tokens: Arc<TokenKeys>,
    pub min_password_chars: usize,
    pub leptos: LeptosOptions,
}

// leptos_axum's handlers find their options in the router state through this.
impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}
