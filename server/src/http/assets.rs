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
//!
//! The versioned files are held in memory (`Bytes`, shared by every response), each with a
//! strong `ETag` per coding, so a conditional request (`If-None-Match`) is answered `304`.
//! Each is also served compressed at the highest quality to clients that accept it (the
//! `Accept-Encoding` q-values decide, by RFC 9110's rules). The release build writes those copies (`cargo leptos build --release --precompress`:
//! `<file>.br` at brotli 11, `<file>.gz`), and start-up reads them, checking that each one
//! decompresses to its file, so the first visitor after a deploy gets the smallest files too.
//! A build without them (a debug build) gets them made in the background after start-up (a
//! second or two of one core; start-up does not wait); until then the file goes out as it is,
//! and the response layer compresses it on the fly at a quick, lower quality.

use app::{InlineStyle, IslandChunks};
use axum::{
    body::{Body, Bytes},
    extract::{Path as UrlPath, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use leptos::config::{Env, LeptosOptions};
use sha2::{Digest, Sha256};
use std::{
    collections::HashMap,
    io::{Read, Write},
    path::{Path, PathBuf},
    sync::{Arc, OnceLock},
};

/// The front end's files as this server serves them.
#[derive(Clone, Debug)]
pub struct VersionedFiles {
    pub version: String,
    /// Each file as it is, by name.
    files: Arc<HashMap<String, File>>,
    /// Each file compressed at the highest quality, once that is done.
    compressed: Arc<OnceLock<HashMap<String, Compressed>>>,
    /// With a split build, the URLs each lazily loaded island fetches (for preloading).
    pub island_chunks: IslandChunks,
    /// The stylesheet's text, which pages carry inline (`app::InlineStyle`).
    pub style: Option<InlineStyle>,
}

/// A file as it is: its bytes, its type, and the tag its codings' `ETag`s are made from.
#[derive(Debug)]
struct File {
    bytes: Bytes,
    content_type: &'static str,
    tag: String,
}

#[derive(Debug)]
struct Compressed {
    brotli: Bytes,
    gzip: Bytes,
}

/// Finds the built files named by `options` and, when there are any, points the options'
/// `site_pkg_dir` at their versioned path. Under `cargo leptos watch` (`LEPTOS_ENV=DEV`) the
/// files change while the server runs, so they stay unversioned there.
pub fn version_site(options: &mut LeptosOptions) -> std::io::Result<Option<VersionedFiles>> {
    if options.env == Env::DEV {
        return Ok(None);
    }
    let dir = Path::new(&*options.site_root).join(&*options.site_pkg_dir);
    // Each file is read once, here: the version, the check of the build's compressed copies,
    // the inline stylesheet and every response come from these bytes.
    let files = Arc::new(read_files(&dir)?);
    let Some(version) = version_from(&files) else {
        return Ok(None);
    };
    options.site_pkg_dir = format!("{}/{version}", options.site_pkg_dir).into();
    let compressed = Arc::new(OnceLock::new());
    match precompressed(&dir, &files)? {
        Some(copies) => {
            tracing::info!(
                files = copies.len(),
                "front-end files compressed by the build"
            );
            let _ = compressed.set(copies);
        }
        None => compress_in_background(files.clone(), compressed.clone())?,
    }
    let island_chunks = island_chunks(&dir, &options.site_pkg_dir)?;
    let style = files
        .get(&format!("{}.css", options.output_name))
        .and_then(|css| std::str::from_utf8(&css.bytes).ok())
        .map(|css| InlineStyle(css.into()));
    Ok(Some(VersionedFiles {
        version,
        files,
        compressed,
        island_chunks,
        style,
    }))
}

/// Compresses `files` on a thread of its own and stores them `into`.
fn compress_in_background(
    files: Arc<HashMap<String, File>>,
    into: Arc<OnceLock<HashMap<String, Compressed>>>,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("compress-assets".into())
        .spawn(move || match compress_all(&files) {
            Ok(files) => {
                tracing::info!(
                    files = files.len(),
                    "front-end files compressed (brotli 11, gzip 9)"
                );
                let _ = into.set(files);
            }
            Err(error) => tracing::warn!(%error, "compressing the front-end files failed"),
        })?;
    Ok(())
}

/// The files of `dir` as they are, by name; none when there is no such directory (a server
/// run without a front-end build, as in the API tests).
fn read_files(dir: &Path) -> std::io::Result<HashMap<String, File>> {
    let paths = match files_in(dir) {
        Ok(paths) => paths,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(HashMap::new()),
        Err(error) => return Err(error),
    };
    let mut files = HashMap::new();
    for path in paths {
        let bytes = std::fs::read(&path)?;
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let file = File {
            content_type: mime_type(&name),
            tag: hex::encode(&Sha256::digest(&bytes)[..8]),
            bytes: bytes.into(),
        };
        files.insert(name, file);
    }
    Ok(files)
}

/// Whether `path` is a compressed copy the build wrote beside its file.
fn is_compressed_copy(path: &Path) -> bool {
    path.extension()
        .is_some_and(|extension| extension == "br" || extension == "gz")
}

/// The files of `dir` (not their compressed copies).
fn files_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_file() && !is_compressed_copy(&entry.path()) {
            files.push(entry.path());
        }
    }
    Ok(files)
}

/// The compressed copies the build wrote beside `files` in `dir` (`<file>.br`, `<file>.gz`),
/// when every file has both and each decompresses to its file; `None` otherwise (the build did
/// not precompress, or a file changed since).
fn precompressed(
    dir: &Path,
    files: &HashMap<String, File>,
) -> std::io::Result<Option<HashMap<String, Compressed>>> {
    let mut copies = HashMap::new();
    for (name, file) in files {
        let copy = |extension: &str| std::fs::read(dir.join(format!("{name}.{extension}")));
        let (Ok(brotli), Ok(gzip)) = (copy("br"), copy("gz")) else {
            return Ok(None);
        };
        let original = &file.bytes[..];
        let mut unbrotli = Vec::with_capacity(original.len());
        let mut ungzip = Vec::with_capacity(original.len());
        let decompressed = brotli::BrotliDecompress(&mut brotli.as_slice(), &mut unbrotli)
            .and_then(|()| flate2::read::GzDecoder::new(gzip.as_slice()).read_to_end(&mut ungzip));
        if decompressed.is_err() || unbrotli != original || ungzip != original {
            tracing::warn!(file = %name, "a compressed copy does not match its file");
            return Ok(None);
        }
        let compressed = Compressed {
            brotli: brotli.into(),
            gzip: gzip.into(),
        };
        copies.insert(name.clone(), compressed);
    }
    Ok(Some(copies))
}

/// One year: the longest lifetime browsers honour; `immutable` spares revalidation on reload.
const HASHED_FILE_CACHE: &str = "public, max-age=31536000, immutable";

/// The content version of the files directly in `pkg_dir`: 16 hex digits of SHA-256 over
/// their names and bytes, in name order (the same build gives the same version on every
/// instance behind a load balancer). `None` when there are no files (a server run without a
/// front-end build, as in the API tests).
pub fn version_of(pkg_dir: &Path) -> std::io::Result<Option<String>> {
    Ok(version_from(&read_files(pkg_dir)?))
}

fn version_from(files: &HashMap<String, File>) -> Option<String> {
    let mut names: Vec<&String> = files.keys().collect();
    if names.is_empty() {
        return None;
    }
    names.sort();
    let mut hash = Sha256::new();
    for name in names {
        let bytes = &files[name].bytes;
        // Lengths first, so no two different sets of files hash the same bytes.
        hash.update((name.len() as u64).to_le_bytes());
        hash.update(name.as_bytes());
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(bytes);
    }
    Some(hex::encode(&hash.finalize()[..8]))
}

/// The split build's manifest (`__wasm_split_manifest.json`: each island's loader and the
/// chunks it needs) as URLs under `pkg_path`, by island name; empty without a split build.
fn island_chunks(dir: &Path, pkg_path: &str) -> std::io::Result<IslandChunks> {
    let manifest = match std::fs::read(dir.join("__wasm_split_manifest.json")) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(IslandChunks::default())
        }
        Err(error) => return Err(error),
    };
    let loaders: HashMap<String, Vec<String>> = serde_json::from_slice(&manifest)
        .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidData, error))?;
    // The JavaScript module that loads the chunks.
    let loader_module = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .find(|name| name.starts_with("__wasm_split") && name.ends_with(".js"));
    let islands = loaders
        .into_iter()
        .filter_map(|(loader, chunks)| {
            let island = loader.split("_loader_").next()?.to_owned();
            let urls = loader_module
                .iter()
                .map(|module| format!("/{pkg_path}/{module}"))
                .chain(
                    chunks
                        .iter()
                        .map(|chunk| format!("/{pkg_path}/{chunk}.wasm")),
                )
                .collect();
            Some((island, urls))
        })
        .collect();
    Ok(IslandChunks(islands))
}

/// Each of `files` compressed with brotli (quality 11) and gzip (level 9).
fn compress_all(files: &HashMap<String, File>) -> std::io::Result<HashMap<String, Compressed>> {
    let mut copies = HashMap::new();
    for (name, file) in files {
        let bytes = &file.bytes[..];
        let mut brotli = Vec::new();
        let params = brotli::enc::BrotliEncoderParams {
            quality: 11,
            lgwin: 22,
            ..Default::default()
        };
        brotli::BrotliCompress(&mut { bytes }, &mut brotli, &params)?;
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gzip.write_all(bytes)?;
        let compressed = Compressed {
            brotli: brotli.into(),
            gzip: gzip.finish()?.into(),
        };
        copies.insert(name.clone(), compressed);
    }
    Ok(copies)
}

/// `/pkg/<version>/<file>`: the built files, cacheable for a year. Only successful answers get
/// the long lifetime, so a 404 is asked again next time.
pub fn router<S: Clone + Send + Sync + 'static>(files: &VersionedFiles) -> Router<S> {
    Router::new()
        .route(
            &format!("/pkg/{}/{{file}}", files.version),
            get(versioned_file).with_state(files.clone()),
        )
        .layer(axum::middleware::map_response(long_lived))
}

/// The file in the coding the client prefers among those there are (brotli, gzip, none),
/// or `304` when the client already holds that representation.
async fn versioned_file(
    State(files): State<VersionedFiles>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let Some(file) = files.files.get(&name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let compressed = files.compressed.get().and_then(|all| all.get(&name));
    let coding = match compressed {
        Some(_) => preferred_coding(&headers),
        None => Coding::Identity,
    };
    let (bytes, encoding, tag) = match (coding, compressed) {
        (Coding::Brotli, Some(compressed)) => (&compressed.brotli, Some("br"), ".br"),
        (Coding::Gzip, Some(compressed)) => (&compressed.gzip, Some("gzip"), ".gz"),
        _ => (&file.bytes, None, ""),
    };
    let mut response = if none_match(&headers, &file.tag, tag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = Body::from(bytes.clone()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(file.content_type),
        );
        if let Some(encoding) = encoding {
            response
                .headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
        }
        response
    };
    let response_headers = response.headers_mut();
    response_headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    // Until the compressed copies are ready, the response layer may compress this on the fly:
    // no strong tag for bytes this handler does not choose.
    if compressed.is_some() || !accepts_any_coding(&headers) {
        if let Ok(etag) = HeaderValue::from_str(&format!("\"{}{tag}\"", file.tag)) {
            response_headers.insert(header::ETAG, etag);
        }
    }
    response
}

/// The representations this server keeps of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Coding {
    Brotli,
    Gzip,
    Identity,
}

/// How much the client wants each coding (RFC 9110 12.5.3): its `q` (1 when not given), else
/// that of `*`, else 0; but `identity` is acceptable (below anything named) unless the field
/// says otherwise by name or by `*`. Without the header, only the file as it is.
fn weights(headers: &HeaderMap) -> Option<[(Coding, f32); 3]> {
    let mut listed = false;
    let (mut brotli, mut gzip, mut identity, mut any) = (None, None, None, None);
    for entry in headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
    {
        let mut parts = entry.split(';');
        let coding = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        if coding.is_empty() {
            continue;
        }
        listed = true;
        let mut weight = Some(1.0);
        for parameter in parts {
            let (name, value) = parameter.split_once('=').unwrap_or((parameter, ""));
            if name.trim().eq_ignore_ascii_case("q") {
                weight = parse_weight(value.trim());
            }
        }
        // A weight that does not parse makes the entry count for nothing.
        let Some(weight) = weight else { continue };
        match coding.as_str() {
            "br" => brotli = Some(weight),
            "gzip" | "x-gzip" => gzip = Some(weight),
            "identity" => identity = Some(weight),
            "*" => any = Some(weight),
            _ => {}
        }
    }
    if !listed {
        return None;
    }
    // Acceptable, but below any coding the client names.
    let identity = identity.or(any).unwrap_or(f32::MIN_POSITIVE);
    Some([
        (Coding::Brotli, brotli.or(any).unwrap_or(0.0)),
        (Coding::Gzip, gzip.or(any).unwrap_or(0.0)),
        (Coding::Identity, identity),
    ])
}

/// A `q` value: 0 to 1 with at most three decimals.
fn parse_weight(text: &str) -> Option<f32> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let well_formed = matches!(whole, "0" | "1")
        && fraction.len() <= 3
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && (whole == "0" || fraction.bytes().all(|b| b == b'0'));
    well_formed.then(|| text.parse().ok()).flatten()
}

/// The coding to send: the one the client weighs highest; of equal weights, the smallest
/// (brotli, then gzip, then none). None acceptable: the file as it is, which RFC 9110 allows.
fn preferred_coding(headers: &HeaderMap) -> Coding {
    let Some(weights) = weights(headers) else {
        return Coding::Identity;
    };
    let mut best = (Coding::Identity, 0.0);
    for (coding, weight) in weights {
        if weight > best.1 {
            best = (coding, weight);
        }
    }
    best.0
}

/// Whether the client takes any compressed coding at all.
fn accepts_any_coding(headers: &HeaderMap) -> bool {
    weights(headers).is_some_and(|weights| {
        weights
            .iter()
            .any(|(coding, weight)| *coding != Coding::Identity && *weight > 0.0)
    })
}

/// Whether `If-None-Match` names this representation (`"<tag><suffix>"`), weakly compared as
/// RFC 9110 13.1.2 says, or is `*`.
fn none_match(headers: &HeaderMap, tag: &str, suffix: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .any(|candidate| {
            candidate == "*"
                || candidate
                    .trim_start_matches("W/")
                    .strip_prefix('"')
                    .and_then(|rest| rest.strip_suffix('"'))
                    .and_then(|quoted| quoted.strip_prefix(tag))
                    .is_some_and(|rest| rest == suffix)
        })
}

fn mime_type(file: &str) -> &'static str {
    match file.rsplit('.').next() {
        Some("wasm") => "application/wasm",
        Some("js") => "text/javascript",
        Some("css") => "text/css",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
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

    fn coding_for(accept_encoding: &str) -> Coding {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(accept_encoding).unwrap(),
        );
        preferred_coding(&headers)
    }

    #[test]
    fn the_coding_follows_the_clients_q_values() {
        use Coding::{Brotli, Gzip, Identity};
        for (accepted, expected) in [
            ("gzip, deflate, br", Brotli),
            ("br;q=0.9, gzip;q=0.8", Brotli),
            ("br;q=0.5, gzip", Gzip),
            ("br;q=0, gzip", Gzip),
            ("BR; Q=1.000", Brotli),
            ("br;q=0.000, gzip;q=0", Identity),
            ("gzip;q=0.001", Gzip),
            ("*", Brotli),
            ("*;q=0.5, br;q=0", Gzip),
            ("identity", Identity),
            ("identity;q=0, *;q=0", Identity),
            ("br;q=2", Identity),
            ("br;q=0.1234", Identity),
            ("br;q=abc, gzip;q=0.1", Gzip),
            ("deflate", Identity),
            ("", Identity),
        ] {
            assert_eq!(coding_for(accepted), expected, "{accepted:?}");
        }
        assert_eq!(preferred_coding(&HeaderMap::new()), Identity, "no header");
    }

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
