//! Token revocation (RFC 7009) and introspection (RFC 7662).

use std::sync::Arc;

use mcp_oauth_core::OAuthError;
use mcp_oauth_core::engine::{Introspector, TokenHint};
use mcp_oauth_core::model::{AuditKind, Client, Scope};
use poem::Request;
use poem_openapi::payload::{Form, Json};
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;

use crate::auth::authenticate;
use crate::client_auth::{ClientAuth, FormCredentials, client_credentials};
use crate::error::ErrorResponse;
use crate::state::AppState;
use crate::tags::ApiTags;

/// A revocation or introspection request.
#[derive(Debug, Object, Deserialize)]
pub struct TokenQuery {
    /// The token.
    pub token: Option<String>,
    /// `access_token` or `refresh_token`; a hint only.
    pub token_type_hint: Option<String>,
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

/// Answers of the revocation endpoint.
#[derive(Debug, ApiResponse)]
pub enum RevokeResponse {
    /// Revoked, or unknown to this server: the answer is the same (RFC 7009 §2.2).
    #[oai(status = 200)]
    Done,
}

/// What introspection tells (RFC 7662 §2.2); only `active` for inactive tokens.
#[derive(Debug, Default, Object)]
pub struct IntrospectionBody {
    /// Whether the token is active: issued here, unexpired, unrevoked.
    pub active: bool,
    /// `access_token` or `refresh_token`.
    #[oai(skip_serializing_if_is_none)]
    pub token_type: Option<String>,
    /// The client it was issued to.
    #[oai(skip_serializing_if_is_none)]
    pub client_id: Option<String>,
    /// Its scope.
    #[oai(skip_serializing_if_is_none)]
    pub scope: Option<String>,
    /// Its subject.
    #[oai(skip_serializing_if_is_none)]
    pub sub: Option<String>,
    /// Its audience.
    #[oai(skip_serializing_if_is_none)]
    pub aud: Option<String>,
    /// This server.
    #[oai(skip_serializing_if_is_none)]
    pub iss: Option<String>,
    /// Issue time.
    #[oai(skip_serializing_if_is_none)]
    pub iat: Option<i64>,
    /// Expiry.
    #[oai(skip_serializing_if_is_none)]
    pub exp: Option<i64>,
    /// The access token's id.
    #[oai(skip_serializing_if_is_none)]
    pub jti: Option<String>,
}

/// Revocation and introspection.
pub struct RevokeApi {
    /// Shared state.
    pub state: Arc<AppState>,
}

#[OpenApi(tag = "ApiTags::OAuth")]
impl RevokeApi {
    /// Revoke a token (RFC 7009)
    ///
    /// A refresh token is revoked with its whole family; an access token until it expires (this
    /// server's resource endpoints then refuse it). Unknown tokens, and tokens of other clients,
    /// get the same 200.
    #[oai(path = "/oauth/revoke", method = "post")]
    async fn revoke(
        &self,
        req: &Request,
        auth: ClientAuth,
        form: Form<TokenQuery>,
    ) -> Result<RevokeResponse, ErrorResponse> {
        let form = form.0;
        let engine = &self.state.engine;
        let credentials = FormCredentials {
            client_id: form.client_id.clone(),
            client_secret: form.client_secret.clone(),
            client_assertion_type: form.client_assertion_type.clone(),
            client_assertion: form.client_assertion.clone(),
        };
        let result = async {
            let client = engine
                .authenticate_client(&client_credentials(req, auth, &credentials)?)
                .await?;
            let token = form
                .token
                .as_deref()
                .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
            engine
                .revoke(
                    &client,
                    token,
                    TokenHint::parse(form.token_type_hint.as_deref()),
                )
                .await?;
            Ok::<_, OAuthError>(client.client_id)
        };
        let client_id = result.await.map_err(|e| self.state.fail(e))?;
        self.state.metrics.revoked();
        tracing::info!(target: "oauth", %client_id, "token revoked");
        self.state.audit.note(AuditKind::TokenRevoked, |event| {
            event.client(client_id.as_str())
        });
        Ok(RevokeResponse::Done)
    }

    /// Introspect a token (RFC 7662)
    ///
    /// For confidential clients (HTTP Basic, `client_secret_post` or `private_key_jwt`), who learn
    /// about their own tokens only (another client's reads `{"active":false}`, RFC 7662 §4), and
    /// the owner (`admin` bearer token or API key), who learns about every token.
    #[oai(path = "/oauth/introspect", method = "post")]
    async fn introspect(
        &self,
        req: &Request,
        auth: ClientAuth,
        form: Form<TokenQuery>,
    ) -> Result<Json<IntrospectionBody>, ErrorResponse> {
        let form = form.0;
        let caller = self
            .introspecting_client(req, auth, &form)
            .await
            .map_err(|e| self.state.fail(e))?;
        let asker = match &caller {
            Some(client) => Introspector::Client(client),
            None => Introspector::Owner,
        };
        let token = form.token.as_deref().ok_or_else(|| {
            self.state
                .fail(OAuthError::invalid_request("token is required"))
        })?;
        let hint = TokenHint::parse(form.token_type_hint.as_deref());
        let found = self
            .state
            .engine
            .introspect(token, hint, asker)
            .await
            .map_err(|e| self.state.fail(e))?;
        Ok(Json(match found {
            Some(token) => IntrospectionBody {
                active: true,
                token_type: Some(token.token_type.to_owned()),
                client_id: Some(token.client_id),
                scope: Some(token.scope),
                sub: Some(token.sub),
                aud: Some(token.aud),
                iss: Some(self.state.issuer().to_owned()),
                iat: Some(token.iat),
                exp: Some(token.exp),
                jti: token.jti,
            },
            None => IntrospectionBody::default(),
        }))
    }
}

impl RevokeApi {
    /// Who may introspect: the owner (a bearer with `admin`, or the API key), `None`; or the
    /// authenticated confidential client.
    async fn introspecting_client(
        &self,
        req: &Request,
        auth: ClientAuth,
        form: &TokenQuery,
    ) -> Result<Option<Client>, OAuthError> {
        // The owner's credentials, as on every protected route: a bearer token or the API key
        // in its header (Basic is a client's).
        let owner =
            crate::auth::bearer_token(req).is_some() || req.headers().contains_key("x-api-key");
        if owner {
            let principal = authenticate(req, &self.state).await?;
            return principal.require(Scope::Admin).map(|()| None);
        }
        let credentials = FormCredentials {
            client_id: form.client_id.clone(),
            client_secret: form.client_secret.clone(),
            client_assertion_type: form.client_assertion_type.clone(),
            client_assertion: form.client_assertion.clone(),
        };
        let client = self
            .state
            .engine
            .authenticate_client(&client_credentials(req, auth, &credentials)?)
            .await?;
        if client.is_public() {
            return Err(OAuthError::invalid_client(
                "introspection needs a confidential client or the owner",
            ));
        }
        Ok(Some(client))
    }
}
