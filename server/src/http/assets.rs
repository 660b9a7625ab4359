//! The front end's built files (`pkg/`: the WASM, its JavaScript glue, the stylesheet) under a
//! path that names their content, so browsers and CDNs may keep them for a year.
//!
//! At start-up the server hashes the files of `<site root>/pkg` into a version and serves them
//! at `/pkg/<version>/...` with `Cache-Control: public, max-age=31536000, immutable`. Pages link
//! there (the Leptos options' `site_pkg_dir` becomes `pkg/<version>`), so a new build gets new
//! URLs and no browser runs a stale WASM against a new page. An old version's URL is a 404.
//!
//! Why not cargo-leptos's `hash-files`: Leptos then reads a `hash.txt`, expected beside the
//! running executable, on every page render, and a binary started from anywhere else (tests,
//! a container image without that file) links files that do not exist.
//!
//! `/pkg/<file>` itself still serves the current file (through the site's file handler) for
//! anyone who links it directly; it carries no long cache lifetime.

use axum::{
    http::{header, HeaderValue},
    response::Response,
    Router,
};
use leptos::config::{Env, LeptosOptions};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tower_http::services::ServeDir;

/// The front end's files as this server serves them.
#[derive(Clone, Debug)]
pub struct VersionedFiles {
    pub version: String,
    pub dir: PathBuf,
}

/// Finds the built files named by `options` and, when there are any, points the options'
/// `site_pkg_dir` at their versioned path. Under `cargo leptos watch` (`LEPTOS_ENV=DEV`) the
/// files change while the server runs, so they stay unversioned there.
pub fn version_site(options: &mut LeptosOptions) -> std::io::Result<Option<VersionedFiles>> {
    if options.env == Env::DEV {
        return Ok(None);
    }
    let dir = Path::new(&*options.site_root).join(&*options.site_pkg_dir);
    let Some(version) = version_of(&dir)? else {
        return Ok(None);
    };
    options.site_pkg_dir = format!("{}/{version}", options.site_pkg_dir).into();
    Ok(Some(VersionedFiles { version, dir }))
}

/// One year: the longest lifetime browsers honour; `immutable` spares revalidation on reload.
const HASHED_FILE_CACHE: &str = "public, max-age=31536000, immutable";

/// The content version of the files directly in `pkg_dir`: 16 hex digits of SHA-256 over
/// their names and bytes, in name order (the same build gives the same version on every
/// instance behind a load balancer). `None` when there are no files (a server run without a
/// front-end build, as in the API tests).
pub fn version_of(pkg_dir: &Path) -> std::io::Result<Option<String>> {
    let mut files = match std::fs::read_dir(pkg_dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_file()))
            .map(|entry| entry.path())
            .collect::<Vec<_>>(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    if files.is_empty() {
        return Ok(None);
    }
    files.sort();
    let mut hash = Sha256::new();
    for path in files {
        let name = path.file_name().unwrap_or_default().as_encoded_bytes();
        let bytes = std::fs::read(&path)?;
        // Lengths first, so no two different sets of files hash the same bytes.
        hash.update((name.len() as u64).to_le_bytes());
        hash.update(name);
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(&bytes);
    }
    Ok(Some(hex::encode(&hash.finalize()[..8])))
}

/// `/pkg/<version>/<file>`: the built files, cacheable for a year. Only successful answers get
/// the long lifetime, so a 404 is asked again next time.
pub fn router<S: Clone + Send + Sync + 'static>(files: &VersionedFiles) -> Router<S> {
    Router::new()
        .nest_service(
            &format!("/pkg/{}", files.version),
            ServeDir::new(&files.dir),
        )
        .layer(axum::middleware::map_response(long_lived))
}

async fn long_lived(mut response: Response) -> Response {
    if response.status().is_success() || response.status().as_u16() == 304 {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(HASHED_FILE_CACHE),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_follows_content_and_names() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(version_of(&dir.path().join("missing")).unwrap(), None);
        assert_eq!(version_of(dir.path()).unwrap(), None);

        std::fs::write(dir.path().join("rest-auth.css"), "body {}").unwrap();
        let first = version_of(dir.path()).unwrap().unwrap();
        assert_eq!(first.len(), 16);
        assert_eq!(version_of(dir.path()).unwrap().unwrap(), first, "stable");

        std::fs::write(dir.path().join("rest-auth.css"), "body { margin: 0 }").unwrap();
        let edited = version_of(dir.path()).unwrap().unwrap();
        assert_ne!(edited, first);

        std::fs::rename(
            dir.path().join("rest-auth.css"),
            dir.path().join("other.css"),
        )
        .unwrap();
        assert_ne!(version_of(dir.path()).unwrap().unwrap(), edited);
    }
}
