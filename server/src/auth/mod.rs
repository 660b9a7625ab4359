//! Who is calling: Authorization header parsing, password hashing (on a bounded pool), tokens,
//! brute-force limits, and the `AuthUser` extractor that ties them together for handlers.

pub mod header;
pub mod password;
pub mod throttle;
pub mod token;

mod extractor;

pub use extractor::{check_password, AuthMethod, AuthUser};
