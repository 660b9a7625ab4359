//! The provider's signing keys: RSA 2048, RS256 (what OpenID Connect Core 15.1 requires every
//! provider to support). Generated on first start, kept in the database with the private half
//! sealed under `SECRET_KEY` (as the two-step secrets are), named by a random `kid`.
//!
//! `rest-auth keys rotate` adds a key that begins to sign two minutes later, when the current
//! one retires; the retired key stays published (and accepted) until every token it signed has
//! expired. Every instance holds the keys in memory and reads them again a minute after it last
//! did (and at once when a token names a key it does not hold), so by the time the new key signs
//! every instance, and every relying party that reads the JWKS, has had it for a minute; and all
//! switch at the same second.

use crate::{
    auth::second_factor::sealing::{Sealer, Unopenable},
    clock::unix_now,
    random,
    store::{SigningKeyRecord, Store, StoreError},
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use rsa::{pkcs1::EncodeRsaPrivateKey, traits::PublicKeyParts, RsaPrivateKey};
use serde::Serialize;
use std::{
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

pub const ALGORITHM: Algorithm = Algorithm::RS256;
const RSA_BITS: usize = 2048;

/// How long a retired key stays published: longer than any token it signed lives (ten minutes
/// at most), with room for instances still signing with it until they read the keys again.
pub const PUBLISHED_AFTER_RETIREMENT: Duration = Duration::from_secs(20 * 60);

/// How long an instance holds the keys it read before reading them again (not a setting; less
/// in tests). A rotated key begins to sign two of these after it is made.
pub const RELOAD_AFTER: Duration = Duration::from_secs(60);
/// At most one extra read per this, however many tokens name an unknown key.
const UNKNOWN_KID_RELOAD_GAP: Duration = Duration::from_secs(5);

/// The associated data of a sealed signing key: not an account (user ids start at 1).
const SEALED_FOR: i64 = 0;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a sealed signing key did not open (was SECRET_KEY changed?)")]
    Unopenable(#[from] Unopenable),
    #[error("a stored signing key is damaged: {0}")]
    Damaged(String),
    #[error("generating a signing key failed: {0}")]
    Generating(String),
}

/// One published key, opened.
struct HeldKey {
    kid: String,
    active_from: i64,
    /// The private half, for a key that is not retired.
    encoding: Option<EncodingKey>,
    decoding: DecodingKey,
}

/// The keys read at one moment, the latest to become active first.
pub struct KeySet {
    keys: Vec<HeldKey>,
    /// The JWKS document, serialised once.
    pub jwks: String,
    read_at: Instant,
}

impl KeySet {
    /// The key that signs now, with the header of a token of type `typ` it signs.
    pub fn signer(&self, typ: &str) -> Option<(Header, &EncodingKey)> {
        let now = unix_now();
        let key = self
            .keys
            .iter()
            .find(|key| key.active_from <= now && key.encoding.is_some())?;
        let mut header = Header::new(ALGORITHM);
        header.typ = Some(typ.to_owned());
        header.kid = Some(key.kid.clone());
        Some((header, key.encoding.as_ref()?))
    }

    /// The published key named `kid`.
    pub fn verifier(&self, kid: &str) -> Option<&DecodingKey> {
        self.keys
            .iter()
            .find(|key| key.kid == kid)
            .map(|key| &key.decoding)
    }
}

#[derive(Serialize)]
struct Jwk<'a> {
    kty: &'static str,
    #[serde(rename = "use")]
    usage: &'static str,
    alg: &'static str,
    kid: &'a str,
    n: String,
    e: String,
}

#[derive(Clone)]
pub struct SigningKeys {
    store: Store,
    sealer: Sealer,
    held: Arc<RwLock<Arc<KeySet>>>,
    reload_after: Duration,
}

impl SigningKeys {
    /// Reads the keys, first making one if none is in use (the first start; it signs at once).
    /// `reload_after`: [`RELOAD_AFTER`], or less in tests.
    pub async fn load(
        store: Store,
        sealer: Sealer,
        reload_after: Duration,
    ) -> Result<SigningKeys, KeyError> {
        if !has_key_in_use(&store).await? {
            let key = generate(&sealer, unix_now()).await?;
            if store.add_signing_key(&key, false).await? {
                tracing::info!(kid = %key.kid, "made the first signing key of the OpenID provider");
            }
        }
        let set = read(&store, &sealer).await?;
        Ok(SigningKeys {
            store,
            sealer,
            held: Arc::new(RwLock::new(Arc::new(set))),
            reload_after,
        })
    }

    /// The keys, read again from the database when held for longer than `reload_after`.
    pub async fn current(&self) -> Result<Arc<KeySet>, KeyError> {
        let held = self.held();
        if held.read_at.elapsed() < self.reload_after {
            return Ok(held);
        }
        self.reload().await
    }

    /// [`rotate`], for servers that read the keys every `reload_after`.
    pub async fn rotate(&self) -> Result<String, KeyError> {
        rotate(&self.store, &self.sealer, self.reload_after).await
    }

    /// The key named `kid`, reading the keys again if this instance does not hold it (a key
    /// made by a rotation elsewhere), at most once every few seconds.
    pub async fn verifier(&self, kid: &str) -> Result<Option<(Arc<KeySet>, String)>, KeyError> {
        let mut set = self.current().await?;
        if set.verifier(kid).is_none() && set.read_at.elapsed() >= UNKNOWN_KID_RELOAD_GAP {
            set = self.reload().await?;
        }
        Ok(set.verifier(kid).is_some().then(|| (set, kid.to_owned())))
    }

    fn held(&self) -> Arc<KeySet> {
        self.held.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    async fn reload(&self) -> Result<Arc<KeySet>, KeyError> {
        let set = Arc::new(read(&self.store, &self.sealer).await?);
        *self.held.write().unwrap_or_else(|e| e.into_inner()) = set.clone();
        Ok(set)
    }
}

/// `rest-auth keys rotate`: a new key, published now, signs from two reloads later (servers
/// that read the keys every `reload_after` all have it by then), when the current one retires
/// (published until its tokens expire). The new key's `kid`.
pub async fn rotate(
    store: &Store,
    sealer: &Sealer,
    reload_after: Duration,
) -> Result<String, KeyError> {
    let key = generate(sealer, unix_now() + 2 * reload_after.as_secs() as i64).await?;
    store.add_signing_key(&key, true).await?;
    let forgotten = store
        .delete_signing_keys_retired_before(
            unix_now() - PUBLISHED_AFTER_RETIREMENT.as_secs() as i64,
        )
        .await?;
    tracing::info!(kid = %key.kid, forgotten, "signing keys rotated");
    Ok(key.kid)
}

/// After a rotation of `SECRET_KEY`: seals again with the current key every signing key a
/// previous one sealed (so the previous key is not needed for them any longer); how many.
pub async fn reseal(store: &Store, sealer: &Sealer) -> Result<u64, KeyError> {
    let mut resealed = 0;
    for key in store.signing_keys(i64::MIN).await? {
        if sealer.is_current(&key.private_key) {
            continue;
        }
        let private = sealer.open(SEALED_FOR, &key.private_key)?;
        store
            .reseal_signing_key(&key.kid, &sealer.seal(SEALED_FOR, &private))
            .await?;
        resealed += 1;
    }
    Ok(resealed)
}

async fn has_key_in_use(store: &Store) -> Result<bool, StoreError> {
    let keys = store.signing_keys(i64::MAX).await?;
    Ok(!keys.is_empty())
}

/// A new RSA key, sealed, to sign from `active_from` (RSA generation takes a good part of a
/// second: off the runtime).
async fn generate(sealer: &Sealer, active_from: i64) -> Result<SigningKeyRecord, KeyError> {
    let private = tokio::task::spawn_blocking(|| {
        RsaPrivateKey::new(&mut argon2::password_hash::rand_core::OsRng, RSA_BITS)
    })
    .await
    .map_err(|e| KeyError::Generating(e.to_string()))?
    .map_err(|e| KeyError::Generating(e.to_string()))?;
    let der = private
        .to_pkcs1_der()
        .map_err(|e| KeyError::Generating(e.to_string()))?;
    let kid = hex::encode(random::bytes::<8>());
    let jwk = Jwk {
        kty: "RSA",
        usage: "sig",
        alg: "RS256",
        kid: &kid,
        n: URL_SAFE_NO_PAD.encode(private.n().to_bytes_be()),
        e: URL_SAFE_NO_PAD.encode(private.e().to_bytes_be()),
    };
    Ok(SigningKeyRecord {
        public_jwk: serde_json::to_string(&jwk).expect("a JWK serialises"),
        private_key: sealer.seal(SEALED_FOR, der.as_bytes()),
        kid,
        algorithm: "RS256".into(),
        created_at: unix_now(),
        active_from,
        retired_at: None,
    })
}

/// The keys published now, opened.
async fn read(store: &Store, sealer: &Sealer) -> Result<KeySet, KeyError> {
    let published_after = unix_now() - PUBLISHED_AFTER_RETIREMENT.as_secs() as i64;
    let records = store.signing_keys(published_after).await?;
    let mut keys = Vec::new();
    let mut jwks = Vec::new();
    for record in &records {
        let damaged = |e: &dyn std::fmt::Display| KeyError::Damaged(format!("{}: {e}", record.kid));
        let jwk: serde_json::Value =
            serde_json::from_str(&record.public_jwk).map_err(|e| damaged(&e))?;
        let component = |name: &str| jwk[name].as_str().unwrap_or_default().to_owned();
        let decoding = DecodingKey::from_rsa_components(&component("n"), &component("e"))
            .map_err(|e| damaged(&e))?;
        // Retired keys are only published; one retiring at a later second still signs.
        let encoding = match record.retired_at {
            Some(retired_at) if retired_at <= unix_now() => None,
            _ => Some(EncodingKey::from_rsa_der(
                &sealer.open(SEALED_FOR, &record.private_key)?,
            )),
        };
        keys.push(HeldKey {
            kid: record.kid.clone(),
            active_from: record.active_from,
            encoding,
            decoding,
        });
        jwks.push(jwk);
    }
    Ok(KeySet {
        keys,
        jwks: serde_json::json!({ "keys": jwks }).to_string(),
        read_at: Instant::now(),
    })
}
