//! Applications (clients), registered by the operator from the command line (`rest-auth client
//! add|list|remove`), and how a client proves it is one at the token, introspection and
//! revocation endpoints. A confidential client has a secret (256 random bits, shown once, kept
//! as its SHA-256); a public one (a single-page or native app, which cannot keep a secret) has
//! none and must use PKCE. Read from the database at each use: a client added or removed counts
//! at once on every instance.

use super::OAuthError;
use crate::{
    audit,
    clock::unix_now,
    random,
    store::{ClientRecord, Store, StoreError},
};
use serde::Serialize;

/// What `rest-auth client add` registers.
pub struct NewClient {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub public: bool,
}

/// A client just registered: its id, and its secret (this once; none for a public client).
#[derive(Serialize)]
pub struct Registered {
    pub client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

/// A client as `rest-auth client list` prints it (never its secret).
#[derive(Serialize)]
pub struct Listed {
    pub client_id: String,
    pub name: String,
    pub public: bool,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub created_at: i64,
}

impl From<ClientRecord> for Listed {
    fn from(client: ClientRecord) -> Self {
        Listed {
            public: client.secret_digest.is_none(),
            client_id: client.client_id,
            name: client.name,
            redirect_uris: client.redirect_uris,
            post_logout_redirect_uris: client.post_logout_redirect_uris,
            created_at: client.created_at,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The longest application name shown on the consent page.
const MAX_NAME_CHARS: usize = 64;

/// Registers `new` (audited).
pub async fn add(store: &Store, new: NewClient) -> Result<Registered, ClientError> {
    let name = new.name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(ClientError::Invalid(format!(
            "the name must have 1 to {MAX_NAME_CHARS} characters, none of them control characters"
        )));
    }
    if new.redirect_uris.is_empty() {
        return Err(ClientError::Invalid(
            "at least one --redirect-uri is needed".into(),
        ));
    }
    for uri in new
        .redirect_uris
        .iter()
        .chain(&new.post_logout_redirect_uris)
    {
        check_redirect_uri(uri).map_err(ClientError::Invalid)?;
    }
    let client_id = random::hex_id();
    let (client_secret, secret_digest) = if new.public {
        (None, None)
    } else {
        let (secret, digest) = random::secret::<32>();
        (Some(secret), Some(digest))
    };
    store
        .add_client(&ClientRecord {
            client_id: client_id.clone(),
            name: name.to_owned(),
            secret_digest,
            redirect_uris: new.redirect_uris,
            post_logout_redirect_uris: new.post_logout_redirect_uris,
            created_at: unix_now(),
        })
        .await?;
    audit::client_added(&client_id, name, new.public);
    Ok(Registered {
        client_id,
        client_secret,
    })
}

/// Every registered client, oldest first.
pub async fn list(store: &Store) -> Result<Vec<Listed>, StoreError> {
    Ok(store
        .clients()
        .await?
        .into_iter()
        .map(Listed::from)
        .collect())
}

/// Removes a client and everything it held (audited); whether it was registered.
pub async fn remove(store: &Store, client_id: &str) -> Result<bool, StoreError> {
    if !super::is_id(client_id) {
        return Ok(false);
    }
    let (removed, ended) = store.remove_client(client_id).await?;
    if removed {
        audit::client_removed(client_id, ended);
    }
    Ok(removed)
}

/// A redirect URI a client may register: absolute, without a fragment (RFC 6749 3.1.2), and
/// `https`, or `http` on the loopback interface only (OAuth 2.1 2.3.1: a native app or a
/// developer's machine); another scheme for a native app's own URIs.
pub fn check_redirect_uri(uri: &str) -> Result<(), String> {
    let parsed =
        url::Url::parse(uri).map_err(|e| format!("{uri:?} is not an absolute URI: {e}"))?;
    if parsed.fragment().is_some() {
        return Err(format!(
            "{uri:?} has a fragment, which a redirect URI may not"
        ));
    }
    let loopback = matches!(
        parsed.host(),
        Some(url::Host::Domain("localhost"))
            | Some(url::Host::Ipv4(std::net::Ipv4Addr::LOCALHOST))
            | Some(url::Host::Ipv6(std::net::Ipv6Addr::LOCALHOST))
    );
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        "http" => Err(format!(
            "{uri:?}: http is allowed only on localhost; use https"
        )),
        "javascript" | "data" | "file" | "vbscript" => {
            Err(format!("{uri:?}: that scheme cannot be a redirect URI"))
        }
        _ => Ok(()),
    }
}

/// How a client presented itself: `client_secret_basic` or `client_secret_post` (an id and a
/// secret), or a public client's id alone (`none`).
pub enum ClientAuthentication {
    Secret { client_id: String, secret: String },
    Public { client_id: String },
}

/// The client `presented` proves to be: its secret matches, or it is public and sent none.
pub async fn authenticate(
    store: &Store,
    presented: &ClientAuthentication,
) -> Result<ClientRecord, OAuthError> {
    let (client_id, secret) = match presented {
        ClientAuthentication::Secret { client_id, secret } => (client_id, Some(secret)),
        ClientAuthentication::Public { client_id } => (client_id, None),
    };
    if !super::is_id(client_id) {
        return Err(OAuthError::InvalidClient);
    }
    let client = store
        .client(client_id)
        .await?
        .ok_or(OAuthError::InvalidClient)?;
    let matches = match (&client.secret_digest, secret) {
        (Some(stored), Some(secret)) => equal(stored, &random::digest(secret)),
        (None, None) => true,
        // A confidential client without its secret, or a public one with a secret it never had.
        _ => false,
    };
    if matches {
        Ok(client)
    } else {
        Err(OAuthError::InvalidClient)
    }
}

/// Compares two digests without stopping at the first difference.
fn equal(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |differ, (x, y)| differ | (x ^ y))
            == 0
}
