//! Enterprise-Managed Authorization (MCP ext-auth): the JWT bearer grant (RFC 7523 §2.1) with an
//! Identity Assertion JWT Authorization Grant (ID-JAG) that a trusted enterprise identity
//! provider signed for one person, one client and this server. No one is asked: the enterprise
//! decided. The assertion is checked like every RFC 7521 §5.2 grant (issuer, audience, expiry,
//! single use) and as the profile asks (`typ` `oauth-id-jag+jwt`, `client_id` the authenticated
//! client, `resource` this server's); the scope is what the client registered, the assertion
//! allows and the request asks, all at once; no refresh token is issued (the client asks the
//! identity provider again).

use sha2::{Digest, Sha256};

use super::AuthorizationServer;
use super::token::TokenResponse;
use crate::assertion::{LEEWAY_SECONDS, header_type, unverified_issuer};
use crate::clock::UnixTime;
use crate::error::{ErrorCode, OAuthError};
use crate::model::{Client, Scope, ScopeSet};

/// The JWT `typ` of an ID-JAG.
pub const ID_JAG_TYPE: &str = "oauth-id-jag+jwt";
/// The grant profile advertised in the metadata (`authorization_grant_profiles_supported`).
pub const ID_JAG_PROFILE: &str = "urn:ietf:params:oauth:grant-profile:id-jag";
/// Longest subject accepted.
const MAX_SUBJECT: usize = 256;

/// An enterprise identity provider whose ID-JAGs this server accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedIssuer {
    /// Its issuer identifier, exactly as its assertions' `iss` says it.
    pub issuer: String,
    /// Where its signing keys are published (a JWK set).
    pub jwks_uri: String,
}

fn refused(why: &str) -> OAuthError {
    OAuthError::invalid_grant(format!("the assertion {why}"))
}

impl AuthorizationServer {
    /// Accepts ID-JAGs from `issuers` (needs client assertions, whose key fetching and
    /// verification it shares).
    pub fn with_trusted_issuers(mut self, issuers: Vec<TrustedIssuer>) -> Self {
        self.trusted_issuers = issuers;
        self
    }

    /// Whether the JWT bearer grant with ID-JAGs is accepted.
    pub fn accepts_id_jag(&self) -> bool {
        !self.trusted_issuers.is_empty() && self.assertions.is_some()
    }

    /// The JWT bearer grant: an access token for the person the ID-JAG names.
    pub(super) async fn id_jag(
        &self,
        client: &Client,
        assertion: &str,
        scope: Option<&str>,
        resource: Option<&str>,
        now: UnixTime,
    ) -> Result<TokenResponse, OAuthError> {
        let assertions = match self.assertions.as_ref() {
            Some(assertions) if !self.trusted_issuers.is_empty() => assertions,
            _ => {
                return Err(OAuthError::new(
                    ErrorCode::UnsupportedGrantType,
                    "this server trusts no enterprise identity provider (MCP_OAUTH_ID_JAG_ISSUERS)",
                ));
            }
        };
        super::token::require_grant(client, crate::model::GrantType::JwtBearer)?;
        let issuer = unverified_issuer(assertion)
            .and_then(|iss| self.trusted_issuers.iter().find(|t| t.issuer == iss))
            .ok_or_else(|| refused("is not a JWT from an identity provider this server trusts"))?;
        let verify = |jwks: &serde_json::Value| {
            assertions.verifier.verify(assertion, jwks).map_err(|_| {
                refused(
                    "is not signed by a key of its identity provider, or lacks iss, sub, \
                         aud, exp or jti",
                )
            })
        };
        let keys = assertions
            .fetched_keys(&issuer.jwks_uri, false, now)
            .await
            .map_err(|_| unreachable_keys())?;
        let claims = match verify(&keys) {
            Ok(claims) => claims,
            Err(_) => {
                let keys = assertions
                    .fetched_keys(&issuer.jwks_uri, true, now)
                    .await
                    .map_err(|_| unreachable_keys())?;
                verify(&keys)?
            }
        };
        if header_type(assertion).as_deref() != Some(ID_JAG_TYPE) {
            return Err(refused("must have the JWT type oauth-id-jag+jwt"));
        }
        if !claims
            .aud
            .iter()
            .any(|aud| self.config.issuers().any(|issuer| issuer == aud))
        {
            return Err(refused(
                "is for another audience (it must name this server's issuer)",
            ));
        }
        if claims.client_id.as_deref() != Some(client.client_id.as_str()) {
            return Err(refused("was issued to another client"));
        }
        if claims.iat.is_none() {
            return Err(refused("needs iat"));
        }
        claims.check_lifetime(now).map_err(refused)?;
        let subject = claims
            .email
            .as_deref()
            .map(str::to_ascii_lowercase)
            .unwrap_or_else(|| claims.sub.clone());
        if subject.is_empty()
            || subject.len() > MAX_SUBJECT
            || subject.chars().any(char::is_control)
        {
            return Err(refused("names nobody (sub or email)"));
        }
        let Some(bound) = claims.resource.as_deref() else {
            return Err(refused("needs the resource it is for"));
        };
        let bound = self
            .resolve_resource(Some(bound))
            .map_err(|_| refused("is for another resource"))?;
        self.check_same_resource(resource, &bound)?;
        let scope = granted_scope(client, claims.scope.as_deref(), scope)?;
        let digest = Sha256::new()
            .chain_update(&issuer.issuer)
            .chain_update([0])
            .chain_update(&claims.jti)
            .finalize();
        let key = format!("id-jag/{}", crate::secret::hex(&digest));
        if !self
            .storage
            .use_once(&key, claims.exp.max(now) + LEEWAY_SECONDS, now)
            .await?
        {
            return Err(refused("was already used (its jti is single use)"));
        }
        self.issue_access(client, &subject, scope, bound, now)
    }
}

fn unreachable_keys() -> OAuthError {
    OAuthError::new(
        ErrorCode::TemporarilyUnavailable,
        "the identity provider's keys cannot be fetched now",
    )
}

/// What the client registered, the assertion allows (all it registered when it says nothing) and
/// the request asks (everything left when it asks nothing), without `offline_access`: this grant
/// has no refresh token.
fn granted_scope(
    client: &Client,
    allowed: Option<&str>,
    requested: Option<&str>,
) -> Result<ScopeSet, OAuthError> {
    let parse = |text: Option<&str>| -> Result<Option<ScopeSet>, OAuthError> {
        match text.filter(|text| !text.trim().is_empty()) {
            Some(text) => text
                .split_whitespace()
                .filter_map(|name| name.parse::<Scope>().ok())
                .map(Ok)
                .collect::<Result<ScopeSet, OAuthError>>()
                .map(Some),
            None => Ok(None),
        }
    };
    let mut scope: ScopeSet = client
        .scope
        .iter()
        .filter(|scope| *scope != Scope::OfflineAccess)
        .collect();
    // Scopes the identity provider names that this server does not know are not granted.
    if let Some(allowed) = parse(allowed)? {
        scope = scope.iter().filter(|s| allowed.contains(*s)).collect();
    }
    if let Some(text) = requested.filter(|text| !text.trim().is_empty()) {
        let asked: ScopeSet = text.parse()?;
        scope = scope.iter().filter(|s| asked.contains(*s)).collect();
    }
    if scope.is_empty() {
        return Err(OAuthError::invalid_scope(
            "nothing the client registered, the assertion allows and the request asks for \
             remains",
        ));
    }
    Ok(scope)
}
