//! One module per page.

mod credentials_form;
mod hello;
mod home;
mod login;
mod not_found;
mod register;

pub use hello::HelloPage;
pub use home::HomePage;
pub use login::LoginPage;
pub use not_found::NotFoundPage;
pub use register::RegisterPage;
