//! One module per page.

mod account;
mod credentials_form;
mod field;
mod hello;
mod home;
mod login;
mod not_found;
mod register;

pub use account::{checking_account, AccountPage};
pub use hello::{checking_session, HelloPage};
pub use home::HomePage;
pub use login::LoginPage;
pub use not_found::NotFoundPage;
pub use register::RegisterPage;
