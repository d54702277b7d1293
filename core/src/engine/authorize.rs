//! The authorization endpoint (RFC 6749 §4.1.1 with PKCE, RFC 7636; RFC 9207 `iss`).

use url::Url;

use super::{AuthorizationServer, PkcePolicy};
use crate::authenticator::User;
use crate::error::{ErrorCode, OAuthError, Refusal};
use crate::model::{AuthorizationCode, Client, GrantType, PkceChallenge, Scope, ScopeSet};
use crate::secret::Secret;

/// The parameters of an authorization request, as received.
#[derive(Clone, Debug, Default)]
pub struct AuthorizationRequest {
    /// Must be `code`.
    pub response_type: Option<String>,
    /// The client.
    pub client_id: Option<String>,
    /// Where to send the response; may be omitted when the client registered exactly one.
    pub redirect_uri: Option<String>,
    /// Space-delimited scopes; default: the client's registered scope.
    pub scope: Option<String>,
    /// Opaque value echoed to the client.
    pub state: Option<String>,
    /// PKCE challenge.
    pub code_challenge: Option<String>,
    /// PKCE method; only `S256`.
    pub code_challenge_method: Option<String>,
    /// RFC 8707 resource indicator.
    pub resource: Option<String>,
}

impl AuthorizationRequest {
    /// Every parameter with its name, in one fixed order (what forms re-post and seals bind).
    pub fn parameters(&self) -> [(&'static str, &Option<String>); 8] {
        [
            ("response_type", &self.response_type),
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("scope", &self.scope),
            ("state", &self.state),
            ("code_challenge", &self.code_challenge),
            ("code_challenge_method", &self.code_challenge_method),
            ("resource", &self.resource),
        ]
    }
}

/// Why an authorization request failed.
#[derive(Debug)]
pub enum AuthorizeFailure {
    /// The client or the redirect URI cannot be trusted: answer the user agent directly and
    /// **never** redirect (RFC 6749 §4.1.2.1).
    NotRedirectable(OAuthError),
    /// A valid client and redirect URI: send the error back to the client at this URL, which
    /// already carries `error`, `error_description`, `state` and `iss`.
    Redirect(OAuthError, String),
}

/// How authorization requests are approved, which decides where errors may go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Approval {
    /// Without asking (`MCP_OAUTH_AUTO_APPROVE`): every valid client gets codes, so it gets its
    /// errors too.
    Automatic,
    /// By the owner on the consent page: errors go automatically only to clients the owner
    /// approved before (RFC 9700 §4.11.2; MCP 2026-07-28: redirect automatically only to URIs the
    /// authorization server trusts). Anyone can register a client with an attacker's redirect
    /// URI; answering it at once would make this server's URL a phishing redirector.
    ByOwner,
}

/// An authorization request that passed every check and waits for the owner's decision.
#[derive(Clone, Debug)]
pub struct ValidatedAuthorization {
    /// The client.
    pub client: Client,
    /// The redirect URI to answer at, exactly as requested (or the single registered one).
    pub redirect_uri: String,
    /// Whether the request carried `redirect_uri`.
    pub redirect_uri_sent: bool,
    /// The scope to grant.
    pub scope: ScopeSet,
    /// The client's `state`.
    pub state: Option<String>,
    /// The PKCE challenge.
    pub code_challenge: Option<PkceChallenge>,
    /// The audience of the tokens.
    pub resource: String,
    /// The issuer the client knows this server by (RFC 9207 `iss` of the response): the issuer,
    /// or the alias the request reached it through.
    pub issuer: String,
}

impl ValidatedAuthorization {
    /// The part of the requested scope `user` may grant; `None` when the request asked for
    /// memory scopes and their role grants none of them.
    pub fn scope_for(&self, user: &User) -> Option<ScopeSet> {
        let grantable = user.role.grantable();
        let scope: ScopeSet = self
            .scope
            .iter()
            .filter(|scope| grantable.contains(*scope))
            .collect();
        let asked_memory_scopes = !self.scope.without(Scope::OfflineAccess).is_empty();
        let granted_memory_scopes = !scope.without(Scope::OfflineAccess).is_empty();
        (granted_memory_scopes || !asked_memory_scopes).then_some(scope)
    }
}

impl AuthorizationServer {
    /// Checks an authorization request that reached the server as `issuer` (the issuer or one of
    /// its aliases; anything else counts as the issuer). Failures about the client or redirect
    /// URI are never redirected; later failures are, under `approval`'s rule (see
    /// [`Approval::ByOwner`]), and otherwise shown where the request came from.
    pub async fn validate_authorization(
        &self,
        request: &AuthorizationRequest,
        issuer: &str,
        approval: Approval,
    ) -> Result<ValidatedAuthorization, AuthorizeFailure> {
        let issuer = self.config.issuer_named(issuer);
        let not_redirectable = |code, text: &'static str| {
            AuthorizeFailure::NotRedirectable(OAuthError::new(code, text))
        };
        let Some(client_id) = request.client_id.as_deref().filter(|id| !id.is_empty()) else {
            return Err(not_redirectable(
                ErrorCode::InvalidRequest,
                "client_id is required",
            ));
        };
        let client = match self.find_client(client_id).await {
            Ok(Some(client)) => client,
            Ok(None) => {
                return Err(AuthorizeFailure::NotRedirectable(
                    OAuthError::new(ErrorCode::InvalidClient, "unknown client_id")
                        .because(Refusal::UnknownClient),
                ));
            }
            Err(error) => return Err(AuthorizeFailure::NotRedirectable(error)),
        };
        let redirect_uri = match request.redirect_uri.as_deref() {
            Some(uri) if client.redirect_uri_for(uri).is_some() => uri.to_owned(),
            Some(_) => {
                return Err(AuthorizeFailure::NotRedirectable(
                    OAuthError::new(
                        ErrorCode::InvalidRequest,
                        "redirect_uri is not registered for this client",
                    )
                    .because(Refusal::RedirectMismatch),
                ));
            }
            None => match client.redirect_uris.as_slice() {
                [only] => only.as_str().to_owned(),
                _ => {
                    return Err(not_redirectable(
                        ErrorCode::InvalidRequest,
                        "redirect_uri is required: the client registered several or none",
                    ));
                }
            },
        };
        let redirectable = approval == Approval::Automatic || client.approved_before();
        let redirect_error = |error: OAuthError| {
            if !redirectable {
                return AuthorizeFailure::NotRedirectable(error);
            }
            let url = self.error_redirect(&redirect_uri, &error, request.state.as_deref(), issuer);
            AuthorizeFailure::Redirect(error, url)
        };
        self.check_authorization(request, &client)
            .map(|(scope, code_challenge, resource)| ValidatedAuthorization {
                redirect_uri_sent: request.redirect_uri.is_some(),
                redirect_uri: redirect_uri.clone(),
                scope,
                state: request.state.clone(),
                code_challenge,
                resource,
                client: client.clone(),
                issuer: issuer.to_owned(),
            })
            .map_err(redirect_error)
    }

    /// The checks whose failures are redirected to the client.
    fn check_authorization(
        &self,
        request: &AuthorizationRequest,
        client: &Client,
    ) -> Result<(ScopeSet, Option<PkceChallenge>, String), OAuthError> {
        match request.response_type.as_deref() {
            Some("code") => {}
            None => return Err(OAuthError::invalid_request("response_type is required")),
            Some(_) => {
                return Err(OAuthError::new(
                    ErrorCode::UnsupportedResponseType,
                    "only response_type=code is supported",
                ));
            }
        }
        if !client.allows_grant(GrantType::AuthorizationCode) {
            return Err(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                "the client did not register the authorization_code grant",
            ));
        }
        let scope = self.granted_scope(client, request.scope.as_deref())?;
        let code_challenge = match request.code_challenge.as_deref() {
            Some(challenge) => Some(PkceChallenge::parse(
                challenge,
                request.code_challenge_method.as_deref(),
            )?),
            None if client.is_public() || self.config.pkce == PkcePolicy::All => {
                return Err(OAuthError::invalid_request(
                    "code_challenge is required (PKCE with S256)",
                ));
            }
            None => None,
        };
        let resource = self.resolve_resource(request.resource.as_deref())?;
        Ok((scope, code_challenge, resource))
    }

    /// The scope to grant: what was asked for (default: everything the client registered), which
    /// must lie within the client's registration. `offline_access` may always be asked for.
    fn granted_scope(
        &self,
        client: &Client,
        requested: Option<&str>,
    ) -> Result<ScopeSet, OAuthError> {
        let Some(requested) = requested.filter(|text| !text.trim().is_empty()) else {
            return Ok(client.scope.clone());
        };
        let requested: ScopeSet = requested.parse()?;
        if !client
            .scope
            .is_superset(&requested.without(Scope::OfflineAccess))
        {
            return Err(OAuthError::invalid_scope(format!(
                "the client may ask for at most '{}'",
                client.scope
            )));
        }
        Ok(requested)
    }

    /// Issues a code for a request `user` approved, with the scopes their role lets them grant,
    /// and remembers the approval; returns the redirect URL carrying `code`, `state` and `iss`.
    /// When their role grants none of the memory scopes asked for, the URL carries
    /// `access_denied` instead.
    pub async fn approve(
        &self,
        authorization: &ValidatedAuthorization,
        user: &User,
    ) -> Result<String, OAuthError> {
        let Some(scope) = authorization.scope_for(user) else {
            let error = OAuthError::new(
                ErrorCode::AccessDenied,
                format!(
                    "{} may grant at most '{}' (role {})",
                    user.subject,
                    user.role.grantable(),
                    user.role
                ),
            );
            return Ok(self.error_redirect(
                &authorization.redirect_uri,
                &error,
                authorization.state.as_deref(),
                &authorization.issuer,
            ));
        };
        let authorization = &ValidatedAuthorization {
            scope,
            ..authorization.clone()
        };
        let code = Secret::generate(32);
        let now = self.clock.now();
        self.remember_approval(authorization, &user.subject, now)
            .await?;
        let record = AuthorizationCode {
            code_hash: code.hash(),
            client_id: authorization.client.client_id.clone(),
            redirect_uri: authorization.redirect_uri.clone(),
            redirect_uri_sent: authorization.redirect_uri_sent,
            scope: authorization.scope.clone(),
            resource: authorization.resource.clone(),
            code_challenge: authorization.code_challenge.clone(),
            subject: user.subject.clone(),
            issued_at: now,
            expires_at: now + self.config.code_ttl,
        };
        self.storage.put_code(&record).await?;
        Ok(self.response_url(
            &authorization.redirect_uri,
            &[("code", code.expose())],
            authorization.state.as_deref(),
            &authorization.issuer,
        ))
    }

    /// The redirect URL for a denied request (`access_denied`): when the owner authenticated on
    /// the consent page, or the client was approved before; `None` otherwise (denying needs no
    /// key, so an unknown client's denial must not redirect anyone to it).
    pub fn deny(
        &self,
        authorization: &ValidatedAuthorization,
        owner_authenticated: bool,
    ) -> Option<String> {
        if !owner_authenticated && !authorization.client.approved_before() {
            return None;
        }
        let error = OAuthError::new(ErrorCode::AccessDenied, "the owner denied the request");
        Some(self.error_redirect(
            &authorization.redirect_uri,
            &error,
            authorization.state.as_deref(),
            &authorization.issuer,
        ))
    }

    fn error_redirect(
        &self,
        redirect_uri: &str,
        error: &OAuthError,
        state: Option<&str>,
        issuer: &str,
    ) -> String {
        self.response_url(
            redirect_uri,
            &[
                ("error", error.code.as_str()),
                ("error_description", &error.description),
            ],
            state,
            issuer,
        )
    }

    /// `redirect_uri` with the response parameters, `state` and `iss` (RFC 9207) appended to its
    /// query, keeping the query it already has (RFC 6749 §3.1.2).
    fn response_url(
        &self,
        redirect_uri: &str,
        params: &[(&str, &str)],
        state: Option<&str>,
        issuer: &str,
    ) -> String {
        let Ok(mut url) = Url::parse(redirect_uri) else {
            // Registered URIs were parsed at registration; this is unreachable in practice.
            return redirect_uri.to_owned();
        };
        {
            let mut query = url.query_pairs_mut();
            for (name, value) in params {
                query.append_pair(name, value);
            }
            if let Some(state) = state {
                query.append_pair("state", state);
            }
            query.append_pair("iss", issuer);
        }
        url.into()
    }
}
