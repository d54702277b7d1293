//! The token endpoint (RFC 6749 §3.2): form-encoded requests, client authentication by
//! `client_secret_basic`, `client_secret_post` or `none`.

use std::sync::Arc;

use mcp_oauth_core::OAuthError;
use mcp_oauth_core::engine::{Grant, TokenRequest};
use mcp_oauth_core::model::{AuditKind, GrantType};
use mcp_oauth_core::secret::Secret;
use poem::Request;
use poem_openapi::payload::{Form, Json};
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;

use crate::client_auth::{ClientAuth, FormCredentials, client_credentials};
use crate::error::ErrorResponse;
use crate::state::AppState;
use crate::tags::ApiTags;

/// A token request (RFC 6749 §4.1.3, §4.4.2, §6). Which fields apply depends on `grant_type`.
#[derive(Debug, Object, Deserialize)]
pub struct TokenForm {
    /// `authorization_code`, `refresh_token`, `client_credentials`, or
    /// `urn:ietf:params:oauth:grant-type:jwt-bearer` with an ID-JAG (MCP Enterprise-Managed
    /// Authorization, when trusted identity providers are configured).
    pub grant_type: Option<String>,
    /// The authorization code (authorization_code).
    pub code: Option<String>,
    /// The redirect URI of the authorization request (authorization_code).
    pub redirect_uri: Option<String>,
    /// The PKCE verifier (authorization_code).
    pub code_verifier: Option<String>,
    /// The refresh token (refresh_token).
    pub refresh_token: Option<String>,
    /// A narrower scope (refresh_token, client_credentials, jwt-bearer).
    pub scope: Option<String>,
    /// The ID-JAG (jwt-bearer): a JWT of type `oauth-id-jag+jwt` signed by a trusted identity
    /// provider, naming this server's issuer as `aud`, the authenticating client as `client_id`
    /// and this server's resource.
    pub assertion: Option<String>,
    /// RFC 8707 resource indicator.
    pub resource: Option<String>,
    /// The client id (`client_secret_post` and `none`).
    pub client_id: Option<String>,
    /// The client secret (`client_secret_post`).
    pub client_secret: Option<String>,
    /// `urn:ietf:params:oauth:client-assertion-type:jwt-bearer` (`private_key_jwt`).
    pub client_assertion_type: Option<String>,
    /// A JWT signed with the client's key (`private_key_jwt`, RFC 7523 §2.2): `iss` and `sub` the
    /// client id, `aud` this server's issuer or token endpoint, `exp` within an hour, a fresh
    /// `jti`.
    pub client_assertion: Option<String>,
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Object)]
pub struct TokenBody {
    /// The access token.
    pub access_token: String,
    /// `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// The granted scope.
    pub scope: String,
    /// A refresh token, when one is issued; it rotates on every use.
    #[oai(skip_serializing_if_is_none)]
    pub refresh_token: Option<String>,
}

/// Answers of the token endpoint.
#[derive(Debug, ApiResponse)]
pub enum TokenEndpointResponse {
    /// Tokens issued.
    #[oai(status = 200)]
    Issued(
        Json<TokenBody>,
        #[oai(header = "Cache-Control")] String,
        #[oai(header = "Pragma")] String,
    ),
}

/// The token endpoint.
pub struct TokenApi {
    /// Shared state.
    pub state: Arc<AppState>,
}

#[OpenApi(tag = "ApiTags::OAuth")]
impl TokenApi {
    /// Issue tokens
    ///
    /// Form-encoded only. Grants: `authorization_code` (with the PKCE verifier when a challenge was
    /// sent), `refresh_token` (rotated on every use; reuse revokes the family), `client_credentials`.
    #[oai(path = "/oauth/token", method = "post")]
    async fn token(
        &self,
        req: &Request,
        auth: ClientAuth,
        form: Form<TokenForm>,
    ) -> Result<TokenEndpointResponse, ErrorResponse> {
        let issued = async {
            let request = token_request(req, auth, form.0)?;
            let grant_type = request.grant.grant_type();
            let client_id = request.client.client_id.clone();
            match self.state.engine.token(request).await {
                Ok(issued) => Ok((grant_type, client_id, issued)),
                Err(error) => {
                    if error.fault.is_none() {
                        tracing::info!(target: "oauth", error = %error.code, reason = error.reason_label(), grant_type = grant_type.as_str(), %client_id, "token request refused");
                    }
                    Err(error)
                }
            }
        };
        let (grant_type, client_id, issued) =
            issued.await.map_err(|error| self.state.fail(error))?;
        self.state
            .metrics
            .token_issued(grant_type.as_str(), self.state.signing.name());
        tracing::info!(target: "oauth", grant_type = grant_type.as_str(), %client_id, scope = %issued.scope, refresh = issued.refresh_token.is_some(), "token issued");
        let kind = if grant_type == GrantType::RefreshToken {
            AuditKind::TokenRefreshed
        } else {
            AuditKind::TokenIssued
        };
        self.state.audit.note(kind, |event| {
            event
                .client(client_id.as_str())
                .subject(issued.subject.as_str())
                .detail(format!("{} {}", grant_type.as_str(), issued.scope))
        });
        if let Some(fault) = &issued.bookkeeping_fault {
            crate::error::log_fault(fault);
        }
        Ok(TokenEndpointResponse::Issued(
            Json(TokenBody {
                access_token: issued.access_token,
                token_type: issued.token_type.to_owned(),
                expires_in: issued.expires_in,
                scope: issued.scope.to_string(),
                refresh_token: issued.refresh_token.map(|s| s.expose().to_owned()),
            }),
            "no-store".into(),
            "no-cache".into(),
        ))
    }
}

/// The form read once into a typed request: the grant with its own fields, and the client's
/// credentials from the form or the Authorization header.
fn token_request(
    req: &Request,
    auth: ClientAuth,
    form: TokenForm,
) -> Result<TokenRequest, OAuthError> {
    let grant_type = form
        .grant_type
        .as_deref()
        .ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?;
    let grant_type = GrantType::requested(grant_type)?;
    let credentials = FormCredentials {
        client_id: form.client_id,
        client_secret: form.client_secret,
        client_assertion_type: form.client_assertion_type,
        client_assertion: form.client_assertion,
    };
    let client = client_credentials(req, auth, &credentials)?;
    let required = |value: Option<String>, name: &str| {
        value
            .map(Secret::new)
            .ok_or_else(|| OAuthError::invalid_request(format!("{name} is required")))
    };
    let grant = match grant_type {
        GrantType::AuthorizationCode => Grant::AuthorizationCode {
            code: required(form.code, "code")?,
            redirect_uri: form.redirect_uri,
            code_verifier: form.code_verifier,
        },
        GrantType::RefreshToken => Grant::RefreshToken {
            refresh_token: required(form.refresh_token, "refresh_token")?,
            scope: form.scope,
        },
        GrantType::ClientCredentials => Grant::ClientCredentials { scope: form.scope },
        GrantType::JwtBearer => Grant::JwtBearer {
            assertion: required(form.assertion, "assertion")?,
            scope: form.scope,
        },
    };
    Ok(TokenRequest {
        client,
        grant,
        resource: form.resource,
    })
}
