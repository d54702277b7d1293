//! Access-token verification for this server's own resource endpoints.

use super::AuthorizationServer;
use crate::error::OAuthError;
use crate::model::{Scope, ScopeSet};
use crate::signer::Expectations;

/// Who is calling a protected endpoint, and with which scopes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The token's subject, or `owner` for the API key.
    pub subject: String,
    /// The client the token was issued to; `None` for the API key.
    pub client_id: Option<String>,
    /// The scopes granted.
    pub scopes: ScopeSet,
}

impl Principal {
    /// The owner, authenticated by the API key: every scope.
    pub fn owner() -> Self {
        Self {
            subject: "owner".into(),
            client_id: None,
            scopes: [Scope::Read, Scope::Write, Scope::Admin]
                .into_iter()
                .collect(),
        }
    }

    /// Succeeds when the principal holds `scope`; otherwise `insufficient_scope` naming it.
    pub fn require(&self, scope: Scope) -> Result<(), OAuthError> {
        if self.scopes.contains(scope) {
            Ok(())
        } else {
            Err(OAuthError::insufficient_scope(scope.as_str()))
        }
    }
}

impl AuthorizationServer {
    /// Verifies an access token presented to one of this server's resource endpoints: signature,
    /// expiry, issuer and audience.
    pub async fn verify_access_token(&self, token: &str) -> Result<Principal, OAuthError> {
        let expectations = Expectations {
            issuer: &self.config.issuer,
            audiences: self.audiences(),
            now: self.clock.now(),
        };
        let claims = expectations.verify(self.signer.as_ref(), token)?;
        if self.is_token_revoked(&claims).await? {
            return Err(OAuthError::invalid_token("the access token was revoked"));
        }
        let scopes = claims
            .scope
            .parse()
            .map_err(|_| OAuthError::invalid_token("the access token carries an unknown scope"))?;
        Ok(Principal {
            subject: claims.sub,
            client_id: Some(claims.client_id),
            scopes,
        })
    }
}
