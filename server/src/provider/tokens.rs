//! What the provider's endpoints after the authorization do: exchange a code for tokens,
//! refresh them, say who holds an access token (userinfo, introspection, the reverse proxy's
//! check), revoke, and end an application's session at the person's logout.
//!
//! An application's access token is a JWT signed with the published keys (RFC 9068: `typ:
//! at+jwt`), `aud` the issuer (the resources this deployment protects: resource indicators are
//! not supported), at most ten minutes; it names its session (`sid`), and is good only while
//! the session lasts, as the seed's tokens are. ID tokens carry `sub` (the account's random user
//! handle: never the row number, never reused), `auth_time`, `amr` and the request's `nonce`.

use super::{
    authorization::Unredirectable, clients, has_scope, is_id, keys::ALGORITHM, OAuthError,
    Provider, ServerError, REQUEST_LIFETIME,
};
use crate::{
    audit,
    auth::AuthError,
    clock::unix_now,
    random,
    sign_in::REFRESH_REUSE_GRACE,
    store::{ActiveSession, ClientRecord, CodeUse, NewSession, Rotation, SignInMethod, StoreError},
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use jsonwebtoken::{decode, decode_header, encode, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::net::IpAddr;

/// The JWT `typ` of an application's access token (RFC 9068 2.1) and of an ID token.
const ACCESS_TOKEN_TYPE: &str = "at+jwt";
const ID_TOKEN_TYPE: &str = "JWT";

/// The claims of an application's access token.
#[derive(Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub client_id: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    pub sid: String,
    pub scope: String,
    pub auth_time: i64,
}

#[derive(Serialize)]
struct IdClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    azp: &'a str,
    iat: i64,
    exp: i64,
    auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    amr: &'static [&'static str],
    sid: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    preferred_username: Option<&'a str>,
}

/// What the token endpoint answers (RFC 6749 5.1).
pub struct Tokens {
    pub access_token: String,
    pub expires_in: u64,
    pub id_token: Option<String>,
    pub refresh_token: Option<String>,
    pub scope: String,
}

/// The code exchange's parameters (RFC 6749 4.1.3, RFC 7636 4.5).
pub struct CodeExchange<'a> {
    pub code: &'a str,
    pub redirect_uri: Option<&'a str>,
    pub code_verifier: Option<&'a str>,
}

/// Who holds a token that is good now.
pub struct Holder {
    pub session: ActiveSession,
    /// The account's user handle.
    pub sub: String,
    /// The application the token was issued to; `None` for the seed's own tokens.
    pub client_id: Option<String>,
    pub scope: Option<String>,
    pub iat: Option<i64>,
    pub exp: Option<i64>,
    /// `Bearer`, or `refresh_token`.
    pub token_type: &'static str,
}

/// The query of an RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0, 2).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogoutQuery {
    /// An ID token this provider issued to the application (expired ones too).
    pub id_token_hint: Option<String>,
    /// Where to send the browser afterwards: one of the client's registered
    /// post-logout redirect URIs.
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    pub client_id: Option<String>,
}

/// RFC 8176 method references for how the authentication happened.
fn amr(method: SignInMethod) -> &'static [&'static str] {
    match method {
        SignInMethod::Password => &["pwd"],
        // A recovery code is a one-time password too.
        SignInMethod::PasswordAndCode | SignInMethod::RecoveryCode => &["pwd", "otp", "mfa"],
        // A passkey: proof of possession of the key, with the authenticator's verification of
        // the person (user verification is required here).
        SignInMethod::Passkey => &["pop", "user", "mfa"],
    }
}

impl Provider {
    /// `grant_type=authorization_code`: the code's first use, by the client it was issued to,
    /// with its redirect URI and PKCE verifier, begins the application's session. A second use
    /// ends that session (RFC 6749 4.1.2, RFC 9700 4.2.4 would have the tokens revoked).
    pub async fn exchange_code(
        &self,
        client: &ClientRecord,
        exchange: CodeExchange<'_>,
        address: IpAddr,
    ) -> Result<Tokens, OAuthError> {
        let digest = random::digest(exchange.code);
        let now = unix_now();
        let grant = match self.store.use_code(&digest, now).await? {
            CodeUse::First(grant) => grant,
            CodeUse::Reused(ended) => {
                audit::code_reused(
                    Some(&client.client_id),
                    ended.as_ref().map(|(id, user)| (id.as_str(), *user)),
                    address,
                );
                return Err(OAuthError::InvalidGrant("the code was used already"));
            }
            CodeUse::Unknown => return Err(OAuthError::InvalidGrant("unknown code")),
        };
        if grant.expires_at <= now {
            return Err(OAuthError::InvalidGrant("the code has expired"));
        }
        if grant.client_id != client.client_id {
            return Err(OAuthError::InvalidGrant(
                "the code was issued to another client",
            ));
        }
        if exchange.redirect_uri != Some(grant.redirect_uri.as_str()) {
            return Err(OAuthError::InvalidGrant(
                "redirect_uri is not the one of the authorization request",
            ));
        }
        match (&grant.code_challenge, exchange.code_verifier) {
            (Some(challenge), Some(verifier)) if pkce_matches(challenge, verifier) => {}
            (None, None) => {}
            // A verifier for a code issued without a challenge is a downgrade (RFC 9700 2.1.1).
            _ => return Err(OAuthError::InvalidGrant("the code verifier does not match")),
        }
        let Some((sub, username)) = self.store.subject(grant.user_id).await? else {
            return Err(OAuthError::InvalidGrant("the account no longer exists"));
        };
        let method = SignInMethod::parse(&grant.authenticated_with);
        let address_text = address.to_string();
        let new = NewSession {
            user_id: grant.user_id,
            username: &username,
            generation: grant.credential_generation,
            started_at: now,
            authenticated_at: grant.authenticated_at,
            signed_in_with: method,
            authenticated_with: method,
            address: &address_text,
            user_agent: &client.name,
            client: Some((&client.client_id, &grant.scope)),
        };
        let Some(session) = self.store.start_session(new, now).await? else {
            // The password (or two-step) changed since the person allowed it.
            return Err(OAuthError::InvalidGrant(
                "the account's credentials have changed",
            ));
        };
        if !self.store.code_began(&digest, &session.id).await? {
            // Used again while this use was beginning the session.
            self.store
                .end_client_session(&session.id, &client.client_id)
                .await?;
            return Err(OAuthError::InvalidGrant("the code was used already"));
        }
        audit::session_started(
            grant.user_id,
            &username,
            &session.id,
            address,
            &client.name,
            method.as_str(),
        );
        let refresh_token = if has_scope(&grant.scope, "offline_access") {
            let (token, digest) = random::secret::<32>();
            self.store.add_refresh_token(&session.id, &digest).await?;
            Some(token)
        } else {
            None
        };
        let issued = Issue {
            client,
            session: &session,
            sub: &sub,
            scope: &grant.scope,
            auth_time: grant.authenticated_at,
            method,
            nonce: grant.nonce.as_deref(),
        };
        self.tokens(issued, refresh_token).await
    }

    /// `grant_type=refresh_token`: a refresh token of this client's session, rotated (reuse
    /// detection and grace period as for the pages' sessions, sign_in.rs).
    pub async fn refresh(
        &self,
        client: &ClientRecord,
        refresh_token: &str,
        address: IpAddr,
    ) -> Result<Tokens, OAuthError> {
        let (new, new_digest) = random::secret::<32>();
        let rotation = self
            .store
            .rotate_refresh_token(
                (&random::digest(refresh_token), Some(&client.client_id)),
                &new_digest,
                unix_now(),
                REFRESH_REUSE_GRACE.as_secs() as i64,
            )
            .await?;
        let session = match rotation {
            Rotation::Rotated(session) => session,
            Rotation::Reused {
                session_id,
                user_id,
            } => {
                audit::refresh_token_reused(user_id, &session_id, address);
                return Err(OAuthError::InvalidGrant(
                    "the refresh token was used already",
                ));
            }
            Rotation::Unknown => return Err(OAuthError::InvalidGrant("unknown refresh token")),
        };
        let over = || OAuthError::InvalidGrant("the session has ended");
        let (_, scope) = self
            .store
            .session_client(&session.id)
            .await?
            .ok_or_else(over)?;
        let authentication = self
            .store
            .authentication(session.user_id, &session.id)
            .await?
            .ok_or_else(over)?;
        let (sub, _) = self
            .store
            .subject(session.user_id)
            .await?
            .ok_or_else(over)?;
        let scope = scope.unwrap_or_default();
        let issued = Issue {
            client,
            session: &session,
            sub: &sub,
            scope: &scope,
            auth_time: authentication.at,
            method: authentication.with,
            nonce: None,
        };
        self.tokens(issued, Some(new)).await
    }

    /// Who holds `token`, if it is good now: an application's access token whose session
    /// lasts, or (`refresh` allowed) an unused refresh token of an application's live session,
    /// or one of the seed's own access tokens.
    pub async fn holder(&self, token: &str, refresh: bool) -> Result<Option<Holder>, ServerError> {
        if let Some(claims) = self.access_claims(token, true).await? {
            let Some(session) = self.live(&claims.sid).await? else {
                return Ok(None);
            };
            return Ok(Some(Holder {
                session,
                sub: claims.sub,
                client_id: Some(claims.client_id),
                scope: Some(claims.scope),
                iat: Some(claims.iat),
                exp: Some(claims.exp),
                token_type: "Bearer",
            }));
        }
        let session = match self.auth.session_of_access_token(token).await {
            Ok(session) => session,
            Err(AuthError::Store(error)) => return Err(error.into()),
            Err(_) => None,
        };
        if let Some(session) = session {
            let Some((sub, _)) = self.store.subject(session.user_id).await? else {
                return Ok(None);
            };
            return Ok(Some(Holder {
                session,
                sub,
                client_id: None,
                scope: None,
                iat: None,
                exp: None,
                token_type: "Bearer",
            }));
        }
        if !refresh {
            return Ok(None);
        }
        let Some((session_id, Some(client_id))) = self
            .store
            .refresh_token_session(&random::digest(token))
            .await?
        else {
            return Ok(None);
        };
        let Some(session) = self.live(&session_id).await? else {
            return Ok(None);
        };
        let scope = self
            .store
            .session_client(&session_id)
            .await?
            .and_then(|(_, scope)| scope);
        let Some((sub, _)) = self.store.subject(session.user_id).await? else {
            return Ok(None);
        };
        Ok(Some(Holder {
            session,
            sub,
            client_id: Some(client_id),
            scope,
            iat: None,
            exp: None,
            token_type: "refresh_token",
        }))
    }

    /// RFC 7009: `token` (a refresh or access token this client holds) no longer works, and
    /// neither does anything issued with it: the application's session ends. Another client's
    /// token, or an unknown one, is left alone, and answered the same.
    pub async fn revoke(&self, client: &ClientRecord, token: &str) -> Result<(), ServerError> {
        let session = match self
            .store
            .refresh_token_session(&random::digest(token))
            .await?
        {
            Some((session_id, Some(owner))) if owner == client.client_id => Some(session_id),
            _ => self
                .access_claims(token, true)
                .await?
                .filter(|claims| claims.client_id == client.client_id)
                .map(|claims| claims.sid),
        };
        if let Some(session_id) = session {
            if let Some(user_id) = self
                .store
                .end_client_session(&session_id, &client.client_id)
                .await?
            {
                audit::client_session_ended(&client.client_id, user_id, &session_id, "revoked");
            }
        }
        Ok(())
    }

    /// RP-initiated logout: checks where the browser may go next, ends the application's
    /// session the ID token names, and stores the sign-out for the `/signed-out` page (which
    /// ends the browser's own session, then sends it on): the sign-out's id.
    pub async fn end_session(&self, query: &LogoutQuery) -> Result<String, Unredirectable> {
        let refused = |message: &str| Err(Unredirectable::Refused(message.to_owned()));
        let hint =
            match &query.id_token_hint {
                Some(token) => match self.id_token_claims(token).await? {
                    Some(claims) => Some(claims),
                    None => return refused(
                        "The sign-out request came with an ID token this service did not issue.",
                    ),
                },
                None => None,
            };
        let client_id = match (&query.client_id, &hint) {
            (Some(named), Some(hint)) if *named != hint.aud => {
                return refused("The sign-out request names two different applications.")
            }
            (Some(named), _) => Some(named.clone()),
            (None, Some(hint)) => Some(hint.aud.clone()),
            (None, None) => None,
        };
        let client = match &client_id {
            Some(id) if is_id(id) => self.store.client(id).await?,
            _ => None,
        };
        let next = match (&query.post_logout_redirect_uri, &client) {
            (None, _) => None,
            (Some(uri), Some(client)) if client.post_logout_redirect_uris.contains(uri) => {
                let mut url = url::Url::parse(uri)
                    .map_err(|_| Unredirectable::Refused("A registered address is damaged.".into()))?;
                if let Some(state) = &query.state {
                    url.query_pairs_mut().append_pair("state", state);
                }
                Some(String::from(url))
            }
            (Some(_), _) => {
                return refused("The address the application asked to send you to after signing out is not one it registered.")
            }
        };
        let hinted = hint.is_some();
        if let (Some(hint), Some(client)) = (hint, client) {
            if let Some(user_id) = self
                .store
                .end_client_session(&hint.sid, &client.client_id)
                .await?
            {
                audit::client_session_ended(&client.client_id, user_id, &hint.sid, "logout");
            }
        }
        let id = random::hex_id();
        let expires_at = unix_now() + REQUEST_LIFETIME.as_secs() as i64;
        self.store
            .add_logout(&id, (next.as_deref(), hinted), expires_at)
            .await?;
        Ok(id)
    }

    /// Takes the sign-out `id` for the `/signed-out` page: where to send the browser next, if
    /// anywhere, and whether it came with an ID token of ours; `None` when it is unknown,
    /// expired or taken.
    pub async fn finish_logout(
        &self,
        id: &str,
    ) -> Result<Option<(Option<String>, bool)>, StoreError> {
        if !is_id(id) {
            return Ok(None);
        }
        self.store.take_logout(id, unix_now()).await
    }

    /// The claims of one of our application access tokens with a good signature, issuer and
    /// audience (and, with `unexpired`, not expired); `None` for anything else.
    async fn access_claims(
        &self,
        token: &str,
        unexpired: bool,
    ) -> Result<Option<AccessClaims>, ServerError> {
        let Ok(header) = decode_header(token) else {
            return Ok(None);
        };
        if header.alg != ALGORITHM || header.typ.as_deref() != Some(ACCESS_TOKEN_TYPE) {
            return Ok(None);
        }
        let Some(kid) = header.kid else {
            return Ok(None);
        };
        let Some((set, kid)) = self.keys.verifier(&kid).await? else {
            return Ok(None);
        };
        let mut validation = self.validation(unexpired);
        validation.set_audience(&[&self.issuer]);
        let key = set.verifier(&kid).expect("verifier() found it");
        Ok(decode::<AccessClaims>(token, key, &validation)
            .ok()
            .map(|data| data.claims))
    }

    /// The `sid` and `aud` of an ID token we issued (expired ones too: a logout often comes
    /// after the ID token's short life).
    async fn id_token_claims(&self, token: &str) -> Result<Option<HintClaims>, ServerError> {
        let Ok(header) = decode_header(token) else {
            return Ok(None);
        };
        let Some(kid) = header.kid.filter(|_| header.alg == ALGORITHM) else {
            return Ok(None);
        };
        let Some((set, kid)) = self.keys.verifier(&kid).await? else {
            return Ok(None);
        };
        let mut validation = self.validation(false);
        validation.validate_aud = false;
        let key = set.verifier(&kid).expect("verifier() found it");
        Ok(decode::<HintClaims>(token, key, &validation)
            .ok()
            .map(|data| data.claims))
    }

    /// RS256 only, our issuer, every time claim required, no leeway (RFC 8725 3.1, 3.8).
    fn validation(&self, unexpired: bool) -> Validation {
        let mut validation = Validation::new(ALGORITHM);
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "sub", "aud"]);
        validation.leeway = 0;
        validation.validate_exp = unexpired;
        validation
    }

    async fn live(&self, session_id: &str) -> Result<Option<ActiveSession>, ServerError> {
        match self.auth.live_session(session_id).await {
            Ok(session) => Ok(session),
            Err(AuthError::Store(error)) => Err(error.into()),
            Err(_) => Ok(None),
        }
    }

    /// Signs the access token and, with `openid`, the ID token of `issued`.
    async fn tokens(
        &self,
        issued: Issue<'_>,
        refresh_token: Option<String>,
    ) -> Result<Tokens, OAuthError> {
        let keys = self.keys.current().await?;
        let now = unix_now();
        let lifetime = self.token_lifetime.as_secs();
        let exp = now + lifetime as i64;
        let claims = AccessClaims {
            iss: self.issuer.clone(),
            sub: issued.sub.to_owned(),
            aud: self.issuer.clone(),
            client_id: issued.client.client_id.clone(),
            iat: now,
            exp,
            jti: random::hex_id(),
            sid: issued.session.id.clone(),
            scope: issued.scope.to_owned(),
            auth_time: issued.auth_time,
        };
        let (header, key) = keys
            .signer(ACCESS_TOKEN_TYPE)
            .ok_or(ServerError::NoSigningKey)?;
        let access_token = encode(&header, &claims, key).map_err(ServerError::from)?;
        let id_token = if has_scope(issued.scope, "openid") {
            let profile = has_scope(issued.scope, "profile");
            let claims = IdClaims {
                iss: &self.issuer,
                sub: issued.sub,
                aud: &issued.client.client_id,
                azp: &issued.client.client_id,
                iat: now,
                exp,
                auth_time: issued.auth_time,
                nonce: issued.nonce,
                amr: amr(issued.method),
                sid: &issued.session.id,
                preferred_username: profile.then_some(issued.session.username.as_str()),
            };
            let (header, key) = keys
                .signer(ID_TOKEN_TYPE)
                .ok_or(ServerError::NoSigningKey)?;
            Some(encode(&header, &claims, key).map_err(ServerError::from)?)
        } else {
            None
        };
        Ok(Tokens {
            access_token,
            expires_in: lifetime,
            id_token,
            refresh_token,
            scope: issued.scope.to_owned(),
        })
    }

    /// Authenticates the client at the token, introspection or revocation endpoint.
    pub async fn client(
        &self,
        presented: &clients::ClientAuthentication,
    ) -> Result<ClientRecord, OAuthError> {
        clients::authenticate(&self.store, presented).await
    }
}

/// What tokens are issued for.
struct Issue<'a> {
    client: &'a ClientRecord,
    session: &'a ActiveSession,
    sub: &'a str,
    scope: &'a str,
    auth_time: i64,
    method: SignInMethod,
    nonce: Option<&'a str>,
}

#[derive(Deserialize)]
struct HintClaims {
    aud: String,
    sid: String,
}

/// RFC 7636 4.6: BASE64URL(SHA256(verifier)) == challenge, for a verifier of 43 to 128
/// unreserved characters.
fn pkce_matches(challenge: &str, verifier: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    well_formed && URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge
}
