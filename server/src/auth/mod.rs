//! Who is calling: Authorization header parsing, password hashing, tokens, and the `AuthUser`
//! extractor that ties them together for handlers.

pub mod header;
pub mod password;
pub mod token;

mod extractor;

pub use extractor::AuthUser;
