//! The token endpoint (RFC 6749 §3.2): one entry, [`AuthorizationServer::token`], for every grant
//! (§4.1.3, §4.4, §6).

use super::AuthorizationServer;
use crate::clock::UnixTime;
use crate::error::{ErrorCode, OAuthError, Refusal};
use crate::model::{
    AccessClaims, Client, CodeUse, GrantType, RefreshState, RefreshToken, Scope, ScopeSet,
};
use crate::secret::{Secret, SecretHash};

use super::ClientCredentials;

/// A token request (RFC 6749 §3.2), parsed once: who asks, with which grant, for which resource.
#[derive(Debug)]
pub struct TokenRequest {
    /// The client's credentials.
    pub client: ClientCredentials,
    /// The grant presented, with the fields only it carries.
    pub grant: Grant,
    /// The RFC 8707 resource indicator.
    pub resource: Option<String>,
}

/// The grant of a token request. Adding a grant type is one variant here, one arm in
/// [`AuthorizationServer::token`] and the method it calls.
#[derive(Debug)]
pub enum Grant {
    /// RFC 6749 §4.1.3, with the PKCE verifier (RFC 7636 §4.5).
    AuthorizationCode {
        /// The code from the authorization response.
        code: Secret,
        /// The `redirect_uri` of the authorization request, when it carried one.
        redirect_uri: Option<String>,
        /// The PKCE verifier.
        code_verifier: Option<String>,
    },
    /// RFC 6749 §6.
    RefreshToken {
        /// The refresh token.
        refresh_token: Secret,
        /// A narrower scope.
        scope: Option<String>,
    },
    /// RFC 6749 §4.4.
    ClientCredentials {
        /// A narrower scope than the client registered.
        scope: Option<String>,
    },
    /// RFC 7523 §2.1 with an ID-JAG (MCP Enterprise-Managed Authorization).
    JwtBearer {
        /// The ID-JAG.
        assertion: Secret,
        /// A narrower scope than the assertion allows.
        scope: Option<String>,
    },
}

impl Grant {
    /// The grant's type, as clients register it.
    pub fn grant_type(&self) -> GrantType {
        match self {
            Grant::AuthorizationCode { .. } => GrantType::AuthorizationCode,
            Grant::RefreshToken { .. } => GrantType::RefreshToken,
            Grant::ClientCredentials { .. } => GrantType::ClientCredentials,
            Grant::JwtBearer { .. } => GrantType::JwtBearer,
        }
    }
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug)]
pub struct TokenResponse {
    /// The signed access token.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Lifetime of the access token in seconds.
    pub expires_in: i64,
    /// The granted scope.
    pub scope: ScopeSet,
    /// A refresh token, when one is issued.
    pub refresh_token: Option<Secret>,
    /// The id (`jti`) of the access token, for revocation.
    pub access_jti: String,
    /// Whom the tokens name (`sub`).
    pub subject: String,
    /// A fault met after the tokens were issued, while recording the client's first use: the
    /// tokens stand (failing the request would spend the code for nothing, and its retry would
    /// revoke them), the record is tried again at the client's next token, and the fault is for
    /// the log.
    pub bookkeeping_fault: Option<OAuthError>,
}

impl AuthorizationServer {
    /// Answers a token request: authenticates the client, then exchanges its grant. The clock
    /// is read once, here.
    pub async fn token(&self, request: TokenRequest) -> Result<TokenResponse, OAuthError> {
        let now = self.clock.now();
        let client = self.authenticate_client_at(&request.client, now).await?;
        let resource = request.resource.as_deref();
        let mut issued = match request.grant {
            Grant::AuthorizationCode {
                code,
                redirect_uri,
                code_verifier,
            } => {
                let presented = Presented {
                    redirect_uri: redirect_uri.as_deref(),
                    code_verifier: code_verifier.as_deref(),
                    resource,
                };
                self.exchange_code(&client, &code, presented, now).await
            }
            Grant::RefreshToken {
                refresh_token,
                scope,
            } => {
                self.refresh(&client, &refresh_token, scope.as_deref(), resource, now)
                    .await
            }
            Grant::ClientCredentials { scope } => {
                self.client_credentials(&client, scope.as_deref(), resource, now)
            }
            Grant::JwtBearer { assertion, scope } => {
                self.id_jag(&client, assertion.expose(), scope.as_deref(), resource, now)
                    .await
            }
        }?;
        if let Err(fault) = self.mark_used(&client, now).await {
            issued.bookkeeping_fault = Some(fault);
        }
        Ok(issued)
    }

    /// The `authorization_code` grant: takes the code (once) and checks every binding.
    async fn exchange_code(
        &self,
        client: &Client,
        code: &Secret,
        presented: Presented<'_>,
        now: UnixTime,
    ) -> Result<TokenResponse, OAuthError> {
        require_grant(client, GrantType::AuthorizationCode)?;
        let Presented {
            redirect_uri,
            code_verifier,
            resource,
        } = presented;
        let code_hash = code.hash();
        let Some(grant) = self.storage.take_code(&code_hash, now).await? else {
            return Err(self.refuse_code(&code_hash, now).await?);
        };
        if grant.client_id != client.client_id {
            return Err(
                OAuthError::invalid_grant("the code was issued to another client")
                    .because(Refusal::WrongClient),
            );
        }
        if self
            .grant_revoked(&grant.subject, grant.client_id.as_str(), grant.issued_at)
            .await?
        {
            return Err(OAuthError::invalid_grant(
                "the grant this code was issued for has been revoked",
            )
            .because(Refusal::Revoked));
        }
        match redirect_uri {
            Some(uri) if uri != grant.redirect_uri => {
                return Err(OAuthError::invalid_grant(
                    "redirect_uri differs from the authorization request's",
                )
                .because(Refusal::RedirectMismatch));
            }
            None if grant.redirect_uri_sent => {
                return Err(OAuthError::invalid_request(
                    "redirect_uri is required: the authorization request carried one",
                ));
            }
            _ => {}
        }
        match (&grant.code_challenge, code_verifier) {
            (Some(challenge), Some(verifier)) => challenge
                .verify(verifier)
                .map_err(|error| error.because(Refusal::InvalidPkce))?,
            (Some(_), None) => {
                return Err(
                    OAuthError::invalid_grant("code_verifier is required (PKCE)")
                        .because(Refusal::InvalidPkce),
                );
            }
            // RFC 9700 §2.1.1: a verifier without a challenge is a downgrade attempt.
            (None, Some(_)) => {
                return Err(OAuthError::invalid_grant(
                    "code_verifier sent, but the authorization request had no code_challenge",
                )
                .because(Refusal::InvalidPkce));
            }
            (None, None) => {}
        }
        self.check_same_resource(resource, &grant.resource)?;
        let refresh = client.allows_grant(GrantType::RefreshToken)
            || grant.scope.contains(Scope::OfflineAccess);
        let family = refresh.then(|| Secret::generate(16).expose().to_owned());
        let response = self
            .issue(
                client,
                &grant.subject,
                grant.scope,
                grant.resource,
                family.clone(),
                now,
            )
            .await?;
        let lifetime = if family.is_some() {
            self.config
                .refresh_token_ttl
                .max(self.config.access_token_ttl)
        } else {
            self.config.access_token_ttl
        };
        let used = CodeUse {
            code_hash,
            access_jti: response.access_jti.clone(),
            access_expires_at: now + self.config.access_token_ttl,
            family_id: family,
            used_at: now,
            expires_at: now + lifetime,
        };
        self.storage.record_code_use(&used).await?;
        Ok(response)
    }

    /// The `refresh_token` grant: rotates the token; a reused token revokes its whole family.
    /// With [`EngineConfig::refresh_reuse_grace`](super::EngineConfig), the previous token keeps
    /// working until its successor is first used (RFC 9700 §4.14.2): presenting it again replaces
    /// the unused successor, as when the client lost the response that carried it.
    async fn refresh(
        &self,
        client: &Client,
        refresh_token: &Secret,
        scope: Option<&str>,
        resource: Option<&str>,
        now: UnixTime,
    ) -> Result<TokenResponse, OAuthError> {
        let hash = refresh_token.hash();
        let invalid = || {
            OAuthError::invalid_grant("the refresh token is invalid, expired or revoked")
                .because(Refusal::UnknownRefresh)
        };
        let token = self
            .storage
            .refresh(&hash, now)
            .await?
            .ok_or_else(invalid)?;
        if token.client_id != client.client_id {
            return Err(OAuthError::invalid_grant(
                "the refresh token was issued to another client",
            )
            .because(Refusal::WrongClient));
        }
        if !client.allows_grant(GrantType::RefreshToken)
            && !token.scope.contains(Scope::OfflineAccess)
        {
            return Err(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                "the client did not register the refresh_token grant",
            ));
        }
        // The token that rotates: the one presented, or the successor it was rotated to when
        // that successor was never presented.
        let rotating = match token.state {
            RefreshState::Active => hash.clone(),
            RefreshState::Rotated if self.config.refresh_reuse_grace => {
                match self.storage.active_in_family(&token.family_id, now).await? {
                    Some(unused) if unused.parent.as_ref() == Some(&hash) => unused.token_hash,
                    _ => return Err(self.reused(&token.family_id).await?),
                }
            }
            _ => return Err(self.reused(&token.family_id).await?),
        };
        let narrowed = match scope.filter(|text| !text.trim().is_empty()) {
            Some(text) => {
                let requested: ScopeSet = text.parse()?;
                if !token.scope.is_superset(&requested) {
                    return Err(OAuthError::invalid_scope(
                        "a refresh may narrow the granted scope, never widen it",
                    ));
                }
                requested
            }
            None => token.scope.clone(),
        };
        self.check_same_resource(resource, &token.resource)?;

        let successor_secret = Secret::generate(32);
        let successor = RefreshToken {
            token_hash: successor_secret.hash(),
            issued_at: now,
            expires_at: now + self.config.refresh_token_ttl,
            state: RefreshState::Active,
            parent: Some(hash.clone()),
            ..token.clone()
        };
        if !self
            .storage
            .rotate_refresh(&rotating, &successor, now)
            .await?
        {
            // Another request rotated it first: this one is a replay.
            self.storage.revoke_family(&token.family_id).await?;
            return Err(invalid().because(Refusal::ReusedRefresh));
        }
        let mut response =
            self.issue_access(client, &token.subject, narrowed, token.resource, now)?;
        response.refresh_token = Some(successor_secret);
        response.bookkeeping_fault = self
            .grant_used(&token.subject, &client.client_id, now)
            .await
            .err();
        Ok(response)
    }

    /// The answer to a refresh token presented after its grace: every token of its family is
    /// revoked (RFC 9700 §4.14.2).
    async fn reused(&self, family_id: &str) -> Result<OAuthError, OAuthError> {
        self.storage.revoke_family(family_id).await?;
        Ok(OAuthError::invalid_grant(
            "the refresh token was already used; every token of its grant is now revoked",
        )
        .because(Refusal::ReusedRefresh))
    }

    /// The `client_credentials` grant: a token for the client itself, no refresh token.
    fn client_credentials(
        &self,
        client: &Client,
        scope: Option<&str>,
        resource: Option<&str>,
        now: UnixTime,
    ) -> Result<TokenResponse, OAuthError> {
        require_grant(client, GrantType::ClientCredentials)?;
        let scope = match scope.filter(|text| !text.trim().is_empty()) {
            Some(text) => {
                let requested: ScopeSet = text.parse()?;
                if requested.contains(Scope::OfflineAccess) || !client.scope.is_superset(&requested)
                {
                    return Err(OAuthError::invalid_scope(format!(
                        "the client may ask for at most '{}'",
                        client.scope
                    )));
                }
                requested
            }
            None => client.scope.clone(),
        };
        let resource = self.resolve_resource(resource)?;
        self.issue_access(client, client.client_id.as_str(), scope, resource, now)
    }

    /// The answer to a code that cannot be taken. A code that was already exchanged is a replay:
    /// every token issued for it is revoked (RFC 9700 §4.5.1).
    async fn refuse_code(
        &self,
        code_hash: &SecretHash,
        now: UnixTime,
    ) -> Result<OAuthError, OAuthError> {
        let Some(used) = self.storage.code_use(code_hash, now).await? else {
            return Ok(
                OAuthError::invalid_grant("the code is invalid, expired or used")
                    .because(Refusal::UnknownCode),
            );
        };
        self.storage
            .revoke_access(&used.access_jti, used.access_expires_at)
            .await?;
        self.revocations
            .put(used.access_jti.clone(), true, used.access_expires_at);
        self.verified.clear();
        if let Some(family) = &used.family_id {
            self.storage.revoke_family(family).await?;
        }
        Ok(OAuthError::invalid_grant(
            "the code was already used; every token issued for it is now revoked",
        )
        .because(Refusal::ReusedCode))
    }

    pub(super) fn check_same_resource(
        &self,
        requested: Option<&str>,
        bound: &str,
    ) -> Result<(), OAuthError> {
        match requested {
            Some(requested) if self.resolve_resource(Some(requested))? != bound => {
                Err(OAuthError::new(
                    ErrorCode::InvalidTarget,
                    "resource differs from the one the grant was issued for",
                ))
            }
            _ => Ok(()),
        }
    }

    /// Issues an access token and, with a `family`, the first refresh token of that family.
    async fn issue(
        &self,
        client: &Client,
        subject: &str,
        scope: ScopeSet,
        resource: String,
        family: Option<String>,
        now: UnixTime,
    ) -> Result<TokenResponse, OAuthError> {
        let mut response =
            self.issue_access(client, subject, scope.clone(), resource.clone(), now)?;
        if let Some(family_id) = family {
            let secret = Secret::generate(32);
            let token = RefreshToken {
                token_hash: secret.hash(),
                family_id,
                client_id: client.client_id.clone(),
                scope,
                resource,
                subject: subject.to_owned(),
                issued_at: now,
                expires_at: now + self.config.refresh_token_ttl,
                state: RefreshState::Active,
                parent: None,
            };
            self.storage.put_refresh(&token).await?;
            response.refresh_token = Some(secret);
        }
        Ok(response)
    }

    pub(super) fn issue_access(
        &self,
        client: &Client,
        subject: &str,
        scope: ScopeSet,
        resource: String,
        now: UnixTime,
    ) -> Result<TokenResponse, OAuthError> {
        let claims = AccessClaims {
            iss: self.config.issuer.clone(),
            sub: subject.to_owned(),
            aud: resource,
            exp: now + self.config.access_token_ttl,
            iat: now,
            jti: Secret::generate(16).expose().to_owned(),
            client_id: client.client_id.as_str().to_owned(),
            scope: scope.to_string(),
        };
        let access_token = self.signer.issue(&claims)?;
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: self.config.access_token_ttl,
            scope,
            refresh_token: None,
            access_jti: claims.jti,
            subject: claims.sub,
            bookkeeping_fault: None,
        })
    }
}

/// What an authorization-code token request must repeat from its authorization request.
struct Presented<'a> {
    redirect_uri: Option<&'a str>,
    code_verifier: Option<&'a str>,
    resource: Option<&'a str>,
}

pub(super) fn require_grant(client: &Client, grant: GrantType) -> Result<(), OAuthError> {
    if client.allows_grant(grant) {
        Ok(())
    } else {
        Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            format!("the client did not register the {} grant", grant.as_str()),
        ))
    }
}
