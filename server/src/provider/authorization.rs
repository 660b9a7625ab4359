//! The authorization request (OpenID Connect Core 3.1.2; OAuth 2.1 4.1): checked and stored by
//! the server when the client sends the browser here, then answered on our pages by the person
//! it names: signed in (or signing in there, with the same forms as `/login`), confirming it is
//! them where `prompt=login` or `max_age` asks (the step-up of the sign-in flow), and allowing
//! the application once. The answer goes back to the client's redirect URI: a code, or an error.
//!
//! The client and its redirect URI are checked first, exactly against what was registered;
//! until both check out nothing is redirected anywhere (RFC 9700 4.1: no open redirector), and
//! the person gets an error page. Every later error goes back to the client, with its `state`
//! and our `iss` (RFC 9207).

use super::{
    has_scope, is_id, known_scopes, Provider, ServerError, CODE_LIFETIME, REQUEST_LIFETIME,
};
use crate::{
    audit,
    auth::{AuthMethod, Caller},
    clock::unix_now,
    random,
    store::{AuthorizationRequest, CodeGrant, SignInMethod, StoreError},
};
use serde::Deserialize;

/// The query of an authorization request, as sent.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuthorizationQuery {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    /// `code`: the only response type.
    pub response_type: Option<String>,
    /// Space-separated; must hold `openid`. Also `profile` and `offline_access`.
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    /// BASE64URL(SHA-256(code_verifier)); required of public clients.
    pub code_challenge: Option<String>,
    /// `S256` (the only method).
    pub code_challenge_method: Option<String>,
    /// `none`, `login`, `consent` (space-separated; `none` alone).
    pub prompt: Option<String>,
    /// Seconds: the person must have authenticated at most this long ago.
    pub max_age: Option<String>,
    /// Not supported (`request_not_supported`).
    pub request: Option<String>,
    /// Not supported (`request_uri_not_supported`).
    pub request_uri: Option<String>,
    /// `query` only.
    pub response_mode: Option<String>,
}

/// The longest `state`, `nonce` or PKCE challenge accepted.
const MAX_PARAMETER_CHARS: usize = 512;

/// What the authorization endpoint does with a request.
pub enum Started {
    /// Stored under this id: the browser goes to the page that answers it.
    Stored(String),
    /// Refused: the browser goes back to the client with this error.
    Redirect(String),
}

/// A request whose client or redirect URI did not check out: the person sees why, and the
/// browser goes nowhere (400).
#[derive(Debug, thiserror::Error)]
pub enum Unredirectable {
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Server(#[from] ServerError),
}

impl From<StoreError> for Unredirectable {
    fn from(error: StoreError) -> Self {
        Unredirectable::Server(error.into())
    }
}

/// The answer to a request, for the page.
pub enum Answer {
    /// Back to the client: a code, or an error.
    Redirect(String),
    /// The person is asked to allow the application.
    Consent {
        client_name: String,
        scopes: Vec<String>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    /// Unknown, expired (ten minutes), already answered, or its client was removed.
    #[error("the authorization request is over")]
    RequestOver,
    /// Nobody is signed in: the page asks the person to.
    #[error("sign-in required")]
    SignInRequired,
    /// The request wants a more recent or fuller authentication than the session's: the page
    /// asks the person to confirm it is them (step-up), then answers again.
    #[error("a recent full authentication is required")]
    StaleAuthentication { max_age: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Provider {
    /// Checks an authorization request and stores it for the person's answer.
    pub async fn start(&self, query: AuthorizationQuery) -> Result<Started, Unredirectable> {
        let refused = |message: &str| Err(Unredirectable::Refused(message.to_owned()));
        let Some(client_id) = query.client_id.as_deref() else {
            return refused("The request names no application (client_id is missing).");
        };
        let known = if is_id(client_id) {
            self.store.client(client_id).await?
        } else {
            None
        };
        let Some(client) = known else {
            return refused(
                "The application that sent you here is not registered with this service.",
            );
        };
        let Some(redirect_uri) = query.redirect_uri.clone() else {
            return refused(
                "The request does not say where to send you back (redirect_uri is missing).",
            );
        };
        if !client.redirect_uris.contains(&redirect_uri) {
            return refused(
                "The address the application asked to send you back to is not one it registered.",
            );
        }
        let state = query.state.as_deref();
        let back = |error: &str, description: &str| {
            Ok(Started::Redirect(self.redirect(
                &redirect_uri,
                &[("error", error), ("error_description", description)],
                state,
            )))
        };
        if query.request.is_some() {
            return back("request_not_supported", "request objects are not supported");
        }
        if query.request_uri.is_some() {
            return back("request_uri_not_supported", "request_uri is not supported");
        }
        if query.response_type.as_deref() != Some("code") {
            return back(
                "unsupported_response_type",
                "only the authorization code flow (response_type=code) is supported",
            );
        }
        if query
            .response_mode
            .as_deref()
            .is_some_and(|mode| mode != "query")
        {
            return back("invalid_request", "only response_mode=query is supported");
        }
        let requested = query.scope.as_deref().unwrap_or_default();
        let scopes = known_scopes(requested);
        if !scopes.contains(&"openid") {
            return back("invalid_scope", "the scope must include openid");
        }
        let too_long = [&query.state, &query.nonce, &query.code_challenge]
            .into_iter()
            .flatten()
            .any(|value| value.len() > MAX_PARAMETER_CHARS);
        if too_long {
            return back(
                "invalid_request",
                "state, nonce or code_challenge is too long",
            );
        }
        match (
            &query.code_challenge,
            query.code_challenge_method.as_deref(),
        ) {
            (Some(challenge), Some("S256")) if is_challenge(challenge) => {}
            (Some(_), Some("S256")) => {
                return back(
                    "invalid_request",
                    "code_challenge is not a SHA-256 in base64url",
                )
            }
            (Some(_), _) => return back("invalid_request", "code_challenge_method must be S256"),
            (None, Some(_)) => return back("invalid_request", "code_challenge is missing"),
            (None, None) if client.secret_digest.is_none() => {
                return back("invalid_request", "a public client must use PKCE (S256)")
            }
            // RFC 9700 2.1.1: a confidential OpenID Connect client may defend against code
            // injection with the nonce instead (ASVS 5.0 10.4.6 at L2 would want PKCE of all).
            (None, None) if query.nonce.is_none() => {
                return back(
                    "invalid_request",
                    "PKCE (S256) is required, or for a confidential client a nonce",
                )
            }
            (None, None) => {}
        }
        let prompt = match query.prompt.as_deref().map(parse_prompt) {
            Some(Ok(prompt)) => prompt,
            Some(Err(message)) => return back("invalid_request", message),
            None => None,
        };
        let max_age = match query.max_age.as_deref().map(str::parse::<u32>) {
            Some(Ok(max_age)) => Some(i64::from(max_age)),
            Some(Err(_)) => return back("invalid_request", "max_age must be a number of seconds"),
            None => None,
        };
        let now = unix_now();
        let request = AuthorizationRequest {
            id: random::hex_id(),
            client_id: client.client_id,
            redirect_uri,
            scope: scopes.join(" "),
            state: query.state,
            nonce: query.nonce,
            code_challenge: query.code_challenge,
            prompt,
            max_age,
            created_at: now,
            expires_at: now + REQUEST_LIFETIME.as_secs() as i64,
        };
        self.store.add_authorization_request(&request).await?;
        Ok(Started::Stored(request.id))
    }

    /// Answers request `id` for `caller` (`None`: nobody is signed in in this browser): a code
    /// when the application was allowed before and the caller's authentication is what the
    /// request asks; otherwise what the page must ask the person first.
    pub async fn answer(&self, id: &str, caller: Option<&Caller>) -> Result<Answer, AnswerError> {
        let request = self.pending(id).await?;
        let silent = asks(&request, "none");
        let Some(caller) = caller else {
            if silent {
                return self.refuse(&request, "login_required").await;
            }
            return Err(AnswerError::SignInRequired);
        };
        let authentication = match self.authentication(&request, caller).await? {
            Ok(authentication) => authentication,
            Err(_) if silent => return self.refuse(&request, "login_required").await,
            Err(stale) => return Err(stale),
        };
        let allowed = self
            .store
            .consent(caller.id, &request.client_id)
            .await?
            .is_some_and(|granted| covers(&granted, &request.scope));
        let asks_consent = asks(&request, "consent");
        if allowed && !asks_consent {
            return self.grant(&request, caller, authentication).await;
        }
        if silent {
            return self.refuse(&request, "consent_required").await;
        }
        let client = self
            .store
            .client(&request.client_id)
            .await?
            .ok_or(AnswerError::RequestOver)?;
        Ok(Answer::Consent {
            client_name: client.name,
            scopes: request.scope.split(' ').map(str::to_owned).collect(),
        })
    }

    /// The person's answer on the consent page: "Allow" (remembered) or "Deny".
    pub async fn consent(
        &self,
        id: &str,
        caller: &Caller,
        allow: bool,
    ) -> Result<Answer, AnswerError> {
        let request = self.pending(id).await?;
        let authentication = self.authentication(&request, caller).await??;
        audit::consent(
            caller.id,
            &caller.username,
            &request.client_id,
            &request.scope,
            allow,
        );
        if !allow {
            return self.refuse(&request, "access_denied").await;
        }
        self.store
            .grant_consent((caller.id, &request.client_id), &request.scope, unix_now())
            .await?;
        self.grant(&request, caller, authentication).await
    }

    /// Request `id`, while it waits.
    async fn pending(&self, id: &str) -> Result<AuthorizationRequest, AnswerError> {
        if !is_id(id) {
            return Err(AnswerError::RequestOver);
        }
        self.store
            .authorization_request(id, unix_now())
            .await?
            .ok_or(AnswerError::RequestOver)
    }

    /// The caller's last full authentication, if it is what the request asks: every factor
    /// of the account, after the request began (`prompt=login`), within `max_age`.
    async fn authentication(
        &self,
        request: &AuthorizationRequest,
        caller: &Caller,
    ) -> Result<Result<(i64, SignInMethod), AnswerError>, AnswerError> {
        let now = unix_now();
        let (at, with, full) = match &caller.method {
            AuthMethod::Password { method, .. } => (now, *method, true),
            AuthMethod::Session(session) => {
                let authentication = self
                    .store
                    .authentication(caller.id, &session.id)
                    .await?
                    .ok_or(AnswerError::SignInRequired)?;
                let full = authentication.with.is_full(authentication.two_step_on);
                (authentication.at, authentication.with, full)
            }
        };
        let login = asks(request, "login");
        let recent_enough = request.max_age.is_none_or(|max_age| now - at <= max_age);
        if full && (!login || at >= request.created_at) && recent_enough {
            return Ok(Ok((at, with)));
        }
        let max_age = request.max_age.unwrap_or(0).max(0) as u64;
        Ok(Err(AnswerError::StaleAuthentication { max_age }))
    }

    /// Issues a code for the answered request, once.
    async fn grant(
        &self,
        request: &AuthorizationRequest,
        caller: &Caller,
        (authenticated_at, authenticated_with): (i64, SignInMethod),
    ) -> Result<Answer, AnswerError> {
        let now = unix_now();
        if !self
            .store
            .take_authorization_request(&request.id, now)
            .await?
        {
            return Err(AnswerError::RequestOver);
        }
        let generation = match &caller.method {
            AuthMethod::Password { generation, .. } => *generation,
            AuthMethod::Session(_) => {
                self.store
                    .find_user(caller.id)
                    .await?
                    .ok_or(AnswerError::SignInRequired)?
                    .credential_generation
            }
        };
        let (code, digest) = random::secret::<32>();
        let grant = CodeGrant {
            client_id: request.client_id.clone(),
            user_id: caller.id,
            redirect_uri: request.redirect_uri.clone(),
            scope: request.scope.clone(),
            nonce: request.nonce.clone(),
            code_challenge: request.code_challenge.clone(),
            authenticated_at,
            authenticated_with: authenticated_with.as_str().to_owned(),
            credential_generation: generation,
            expires_at: now + CODE_LIFETIME.as_secs() as i64,
        };
        self.store.issue_code(&digest, &grant).await?;
        Ok(Answer::Redirect(self.redirect(
            &request.redirect_uri,
            &[("code", &code)],
            request.state.as_deref(),
        )))
    }

    /// Ends the request with `error`, sent back to the client.
    async fn refuse(
        &self,
        request: &AuthorizationRequest,
        error: &str,
    ) -> Result<Answer, AnswerError> {
        self.store
            .take_authorization_request(&request.id, unix_now())
            .await?;
        Ok(Answer::Redirect(self.redirect(
            &request.redirect_uri,
            &[("error", error)],
            request.state.as_deref(),
        )))
    }

    /// `redirect_uri` (checked already) with `parameters`, the request's `state` and our `iss`
    /// added to its query.
    fn redirect(
        &self,
        redirect_uri: &str,
        parameters: &[(&str, &str)],
        state: Option<&str>,
    ) -> String {
        let Ok(mut url) = url::Url::parse(redirect_uri) else {
            return redirect_uri.to_owned();
        };
        {
            let mut query = url.query_pairs_mut();
            for (name, value) in parameters {
                query.append_pair(name, value);
            }
            if let Some(state) = state {
                query.append_pair("state", state);
            }
            query.append_pair("iss", &self.issuer);
        }
        url.into()
    }
}

/// Whether the scopes `granted` include every one of `requested` (both space-separated).
fn covers(granted: &str, requested: &str) -> bool {
    requested
        .split(' ')
        .all(|scope| granted.split(' ').any(|one| one == scope))
}

/// `prompt`: `none` alone, or any of `login`, `consent` and `select_account` (one account per
/// browser here: ignored); what is kept of it, space-separated.
fn parse_prompt(prompt: &str) -> Result<Option<String>, &'static str> {
    let values: Vec<&str> = prompt
        .split(' ')
        .filter(|value| !value.is_empty())
        .collect();
    if values.contains(&"none") {
        return if values.len() == 1 {
            Ok(Some("none".into()))
        } else {
            Err("prompt=none cannot be combined with other values")
        };
    }
    if values
        .iter()
        .any(|value| !["login", "consent", "select_account"].contains(value))
    {
        return Err("prompt may hold none, login, consent or select_account");
    }
    let kept: Vec<&str> = ["login", "consent"]
        .into_iter()
        .filter(|wanted| values.contains(wanted))
        .collect();
    Ok((!kept.is_empty()).then(|| kept.join(" ")))
}

/// Whether the request's `prompt` holds `value`.
fn asks(request: &AuthorizationRequest, value: &str) -> bool {
    request
        .prompt
        .as_deref()
        .is_some_and(|prompt| has_scope(prompt, value))
}

/// A PKCE S256 challenge: 43 characters of base64url (a SHA-256).
fn is_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}
