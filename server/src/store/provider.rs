//! The OpenID Connect provider's tables: its signing keys, the applications registered
//! (clients), authorization requests between the client's redirect and the person's answer,
//! authorization codes, and the consents people gave. The sessions applications hold are rows
//! of `sessions` with a `client_id` (sessions.rs).

use super::{on_pool, Store, StoreError};

/// A signing key as stored: the private half sealed.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SigningKeyRecord {
    pub kid: String,
    pub algorithm: String,
    /// The public half as a JWK (JSON text).
    pub public_jwk: String,
    /// The private half (PKCS#1 DER), sealed.
    pub private_key: String,
    pub created_at: i64,
    /// Unix seconds: when it begins to sign, and when it stops (its successor's `active_from`).
    pub active_from: i64,
    pub retired_at: Option<i64>,
}

/// A registered application.
#[derive(Clone, Debug)]
pub struct ClientRecord {
    pub client_id: String,
    pub name: String,
    /// SHA-256 of the secret, hex; `None` for a public client.
    pub secret_digest: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub created_at: i64,
}

type ClientRow = (String, String, Option<String>, String, String, i64);

fn client_of(row: ClientRow) -> ClientRecord {
    let (client_id, name, secret_digest, redirect_uris, post_logout, created_at) = row;
    let uris = |text: &str| serde_json::from_str::<Vec<String>>(text).unwrap_or_default();
    ClientRecord {
        client_id,
        name,
        secret_digest,
        redirect_uris: uris(&redirect_uris),
        post_logout_redirect_uris: uris(&post_logout),
        created_at,
    }
}

const CLIENT_COLUMNS: &str =
    "client_id, name, secret_digest, redirect_uris, post_logout_redirect_uris, created_at";

/// An authorization request whose client and redirect URI checked out.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct AuthorizationRequest {
    pub id: String,
    pub client_id: String,
    pub redirect_uri: String,
    /// Space-separated, as requested (known scopes only).
    pub scope: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
}

/// What an authorization code grants, as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct CodeGrant {
    pub client_id: String,
    pub user_id: i64,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub authenticated_at: i64,
    pub authenticated_with: String,
    pub credential_generation: i64,
    pub expires_at: i64,
}

/// What presenting an authorization code did.
#[derive(Debug, PartialEq, Eq)]
pub enum CodeUse {
    /// Its first use (it may still have expired: `expires_at`).
    First(CodeGrant),
    /// Used before: the session its first use began has ended (its id and user, if it had
    /// begun one).
    Reused(Option<(String, i64)>),
    Unknown,
}

/// What marks a code whose second use came before its first use had begun a session: the first
/// use then ends the session it begins.
const REUSED: &str = "reused";

/// An application a person allowed, for their account page.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ConsentRecord {
    pub client_id: String,
    pub name: String,
    pub scope: String,
    pub granted_at: i64,
}

impl Store {
    /// The signing keys in use or due, and those retired after `retired_after`; the latest to
    /// become active first.
    pub async fn signing_keys(
        &self,
        retired_after: i64,
    ) -> Result<Vec<SigningKeyRecord>, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, SigningKeyRecord>(
                "SELECT kid, algorithm, public_jwk, private_key, created_at, active_from, \
                   retired_at \
                 FROM signing_keys WHERE retired_at IS NULL OR retired_at > $1 \
                 ORDER BY active_from DESC, kid",
            )
            .bind(retired_after)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Stores `key`, to sign from its `active_from`: with `rotate`, every key not yet retired
    /// retires then, in the same transaction; without, only if there is no such key (the first
    /// start: of two instances starting at once, one stores its key). Whether it was stored.
    pub async fn add_signing_key(
        &self,
        key: &SigningKeyRecord,
        rotate: bool,
    ) -> Result<bool, StoreError> {
        Ok(on_pool!(self, |pool| {
            let mut transaction = pool.begin().await?;
            if rotate {
                sqlx::query("UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL")
                    .bind(key.active_from)
                    .execute(&mut *transaction)
                    .await?;
            }
            let added = sqlx::query(
                "INSERT INTO signing_keys \
                 (kid, algorithm, public_jwk, private_key, created_at, active_from, retired_at) \
                 SELECT $1, $2, $3, $4, $5, $6, NULL \
                 WHERE NOT EXISTS (SELECT 1 FROM signing_keys WHERE retired_at IS NULL)",
            )
            .bind(&key.kid)
            .bind(&key.algorithm)
            .bind(&key.public_jwk)
            .bind(&key.private_key)
            .bind(key.created_at)
            .bind(key.active_from)
            .execute(&mut *transaction)
            .await?
            .rows_affected();
            transaction.commit().await?;
            added == 1
        }))
    }

    /// Replaces the sealed private half of key `kid` (sealed again with a new `SECRET_KEY`).
    pub async fn reseal_signing_key(&self, kid: &str, sealed: &str) -> Result<(), StoreError> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE signing_keys SET private_key = $1 WHERE kid = $2")
                .bind(sealed)
                .bind(kid)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Deletes the keys retired at `retired_before` or earlier (no token they signed is still
    /// good); how many.
    pub async fn delete_signing_keys_retired_before(
        &self,
        retired_before: i64,
    ) -> Result<u64, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query("DELETE FROM signing_keys WHERE retired_at <= $1")
                .bind(retired_before)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }

    pub async fn add_client(&self, client: &ClientRecord) -> Result<(), StoreError> {
        let json = |uris: &[String]| serde_json::to_string(uris).expect("strings serialise");
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO clients (client_id, name, secret_digest, redirect_uris, \
                   post_logout_redirect_uris, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&client.client_id)
            .bind(&client.name)
            .bind(&client.secret_digest)
            .bind(json(&client.redirect_uris))
            .bind(json(&client.post_logout_redirect_uris))
            .bind(client.created_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Every registered client, oldest first.
    pub async fn clients(&self) -> Result<Vec<ClientRecord>, StoreError> {
        let rows = on_pool!(self, |pool| {
            sqlx::query_as::<_, ClientRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {CLIENT_COLUMNS} FROM clients ORDER BY created_at, client_id"
            )))
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(client_of).collect())
    }

    /// The client `client_id`, read each time: one added or removed on any instance counts at
    /// once.
    pub async fn client(&self, client_id: &str) -> Result<Option<ClientRecord>, StoreError> {
        let row = on_pool!(self, |pool| {
            sqlx::query_as::<_, ClientRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {CLIENT_COLUMNS} FROM clients WHERE client_id = $1"
            )))
            .bind(client_id)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(client_of))
    }

    /// Removes a client, and with it every session, code, request and consent it had; whether
    /// it was there, and how many sessions ended.
    pub async fn remove_client(&self, client_id: &str) -> Result<(bool, usize), StoreError> {
        let (ended, removed) = on_pool!(self, |pool| {
            let mut transaction = pool.begin().await?;
            let ended = sqlx::query_scalar::<_, String>(
                "DELETE FROM sessions WHERE client_id = $1 RETURNING id",
            )
            .bind(client_id)
            .fetch_all(&mut *transaction)
            .await?;
            let removed = sqlx::query("DELETE FROM clients WHERE client_id = $1")
                .bind(client_id)
                .execute(&mut *transaction)
                .await?
                .rows_affected();
            transaction.commit().await?;
            (ended, removed)
        });
        self.forget_sessions(&ended);
        Ok((removed == 1, ended.len()))
    }

    pub async fn add_authorization_request(
        &self,
        request: &AuthorizationRequest,
    ) -> Result<(), StoreError> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO authorization_requests (id, client_id, redirect_uri, scope, state, \
                   nonce, code_challenge, prompt, max_age, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(&request.id)
            .bind(&request.client_id)
            .bind(&request.redirect_uri)
            .bind(&request.scope)
            .bind(&request.state)
            .bind(&request.nonce)
            .bind(&request.code_challenge)
            .bind(&request.prompt)
            .bind(request.max_age)
            .bind(request.created_at)
            .bind(request.expires_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The authorization request `id`, unless it expired before `now` or was answered.
    pub async fn authorization_request(
        &self,
        id: &str,
        now: i64,
    ) -> Result<Option<AuthorizationRequest>, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, AuthorizationRequest>(
                "SELECT * FROM authorization_requests WHERE id = $1 AND expires_at > $2",
            )
            .bind(id)
            .bind(now)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Takes (deletes) the authorization request `id`: whether it was still there, unexpired at
    /// `now`. Of two answers to one request, exactly one gets `true`.
    pub async fn take_authorization_request(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        let taken = on_pool!(self, |pool| {
            sqlx::query_scalar::<_, i64>(
                "DELETE FROM authorization_requests WHERE id = $1 RETURNING expires_at",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        Ok(taken.is_some_and(|expires_at| expires_at > now))
    }

    /// Stores an authorization code (its digest).
    pub async fn issue_code(&self, digest: &str, grant: &CodeGrant) -> Result<(), StoreError> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO authorization_codes (digest, client_id, user_id, redirect_uri, \
                   scope, nonce, code_challenge, authenticated_at, authenticated_with, \
                   credential_generation, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(digest)
            .bind(&grant.client_id)
            .bind(grant.user_id)
            .bind(&grant.redirect_uri)
            .bind(&grant.scope)
            .bind(&grant.nonce)
            .bind(&grant.code_challenge)
            .bind(grant.authenticated_at)
            .bind(&grant.authenticated_with)
            .bind(grant.credential_generation)
            .bind(grant.expires_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Uses the code with this digest at `now`: its first use is recorded by exactly one
    /// request, on any instance; any later one ends the session the first began.
    pub async fn use_code(&self, digest: &str, now: i64) -> Result<CodeUse, StoreError> {
        let first = on_pool!(self, |pool| {
            sqlx::query_as::<_, CodeGrant>(
                "UPDATE authorization_codes SET used_at = $1 \
                 WHERE digest = $2 AND used_at IS NULL \
                 RETURNING client_id, user_id, redirect_uri, scope, nonce, code_challenge, \
                   authenticated_at, authenticated_with, credential_generation, expires_at",
            )
            .bind(now)
            .bind(digest)
            .fetch_optional(pool)
            .await?
        });
        if let Some(grant) = first {
            return Ok(CodeUse::First(grant));
        }
        // Used before: mark it, so that a first use still beginning its session ends it, and
        // end the session it began if it has.
        let began = on_pool!(self, |pool| {
            sqlx::query_scalar::<_, Option<String>>(
                "UPDATE authorization_codes SET session_id = COALESCE(session_id, $1) \
                 WHERE digest = $2 RETURNING session_id",
            )
            .bind(REUSED)
            .bind(digest)
            .fetch_optional(pool)
            .await?
        });
        let Some(began) = began else {
            return Ok(CodeUse::Unknown);
        };
        let ended = match began.filter(|id| id != REUSED) {
            Some(session_id) => on_pool!(self, |pool| {
                sqlx::query_as::<_, (String, i64)>(
                    "DELETE FROM sessions WHERE id = $1 RETURNING id, user_id",
                )
                .bind(&session_id)
                .fetch_optional(pool)
                .await?
            }),
            None => None,
        };
        if let Some((id, _)) = &ended {
            self.forget_sessions(std::slice::from_ref(id));
        }
        Ok(CodeUse::Reused(ended))
    }

    /// Records the session the first use of a code began: `false` when the code was used again
    /// meanwhile (the caller then ends the session).
    pub async fn code_began(&self, digest: &str, session_id: &str) -> Result<bool, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE authorization_codes SET session_id = $1 \
                 WHERE digest = $2 AND session_id IS NULL",
            )
            .bind(session_id)
            .bind(digest)
            .execute(pool)
            .await?
            .rows_affected()
                == 1
        }))
    }

    /// Stores a sign-out for the `/signed-out` page: where to send the browser next.
    pub async fn add_logout(
        &self,
        id: &str,
        (redirect_to, hinted): (Option<&str>, bool),
        expires_at: i64,
    ) -> Result<(), StoreError> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO logout_requests (id, redirect_to, hinted, expires_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(redirect_to)
            .bind(hinted)
            .bind(expires_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Takes the sign-out `id`, unexpired at `now`: where to send the browser next, if anywhere,
    /// and whether it came with an ID token.
    pub async fn take_logout(
        &self,
        id: &str,
        now: i64,
    ) -> Result<Option<(Option<String>, bool)>, StoreError> {
        let taken = on_pool!(self, |pool| {
            sqlx::query_as::<_, (Option<String>, bool, i64)>(
                "DELETE FROM logout_requests WHERE id = $1 \
                 RETURNING redirect_to, hinted, expires_at",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        Ok(taken
            .filter(|(_, _, expires_at)| *expires_at > now)
            .map(|(redirect_to, hinted, _)| (redirect_to, hinted)))
    }

    /// Forgets the authorization and sign-out requests and codes that expired before `now` (codes are kept
    /// a while longer, so that a late second use still ends what the first began); how many.
    pub async fn end_expired_authorizations(
        &self,
        now: i64,
        codes_kept: i64,
    ) -> Result<u64, StoreError> {
        Ok(on_pool!(self, |pool| {
            let requests = sqlx::query("DELETE FROM authorization_requests WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected();
            let logouts = sqlx::query("DELETE FROM logout_requests WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected();
            let codes = sqlx::query("DELETE FROM authorization_codes WHERE expires_at <= $1")
                .bind(now - codes_kept)
                .execute(pool)
                .await?
                .rows_affected();
            requests + logouts + codes
        }))
    }

    /// The scopes `user_id` allowed `client_id`, if they did.
    pub async fn consent(
        &self,
        user_id: i64,
        client_id: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_scalar::<_, String>(
                "SELECT scope FROM consents WHERE user_id = $1 AND client_id = $2",
            )
            .bind(user_id)
            .bind(client_id)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Records that `user_id` allowed `client_id` the space-separated `scope` at `now` (in place
    /// of what they allowed before).
    pub async fn grant_consent(
        &self,
        (user_id, client_id): (i64, &str),
        scope: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO consents (user_id, client_id, scope, granted_at) \
                 VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (user_id, client_id) \
                 DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at",
            )
            .bind(user_id)
            .bind(client_id)
            .bind(scope)
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The applications `user_id` allowed, the latest first.
    pub async fn consents(&self, user_id: i64) -> Result<Vec<ConsentRecord>, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, ConsentRecord>(
                "SELECT c.client_id, k.name, c.scope, c.granted_at \
                 FROM consents c JOIN clients k ON k.client_id = c.client_id \
                 WHERE c.user_id = $1 ORDER BY c.granted_at DESC, c.client_id",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Withdraws `user_id`'s consent to `client_id` and ends the sessions the application held
    /// for them (its tokens with them); whether there was a consent, and the sessions ended.
    pub async fn remove_consent(
        &self,
        user_id: i64,
        client_id: &str,
    ) -> Result<(bool, Vec<String>), StoreError> {
        let (removed, ended) = on_pool!(self, |pool| {
            let mut transaction = pool.begin().await?;
            let removed = sqlx::query("DELETE FROM consents WHERE user_id = $1 AND client_id = $2")
                .bind(user_id)
                .bind(client_id)
                .execute(&mut *transaction)
                .await?
                .rows_affected();
            let ended = sqlx::query_scalar::<_, String>(
                "DELETE FROM sessions WHERE user_id = $1 AND client_id = $2 RETURNING id",
            )
            .bind(user_id)
            .bind(client_id)
            .fetch_all(&mut *transaction)
            .await?;
            transaction.commit().await?;
            (removed == 1, ended)
        });
        self.forget_sessions(&ended);
        Ok((removed, ended))
    }

    /// The application live session `id` belongs to and the scopes granted it (both `None` for
    /// a session of the pages or curl); `None` when the session has ended.
    pub async fn session_client(
        &self,
        id: &str,
    ) -> Result<Option<(Option<String>, Option<String>)>, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, (Option<String>, Option<String>)>(
                "SELECT client_id, scope FROM sessions WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// The session of the refresh token with this digest, and the application it belongs to,
    /// while it is live and the token unused.
    pub async fn refresh_token_session(
        &self,
        digest: &str,
    ) -> Result<Option<(String, Option<String>)>, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, (String, Option<String>)>(
                "SELECT s.id, s.client_id FROM refresh_tokens r \
                 JOIN sessions s ON s.id = r.session_id \
                 WHERE r.digest = $1 AND r.used_at IS NULL",
            )
            .bind(digest)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Ends session `id` if it belongs to `client_id`; its user, if it did.
    pub async fn end_client_session(
        &self,
        id: &str,
        client_id: &str,
    ) -> Result<Option<i64>, StoreError> {
        let ended = on_pool!(self, |pool| {
            sqlx::query_scalar::<_, i64>(
                "DELETE FROM sessions WHERE id = $1 AND client_id = $2 RETURNING user_id",
            )
            .bind(id)
            .bind(client_id)
            .fetch_optional(pool)
            .await?
        });
        if ended.is_some() {
            self.forget_sessions(&[id.to_owned()]);
        }
        Ok(ended)
    }
}

impl Store {
    /// The account's user handle (its subject identifier for applications: random, never
    /// reused) and username, if the account exists.
    pub async fn subject(&self, user_id: i64) -> Result<Option<(String, String)>, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, (String, String)>(
                "SELECT user_handle, username FROM users WHERE id = $1",
            )
            .bind(user_id)
            .fetch_optional(pool)
            .await?
        }))
    }
}
