//! The token endpoint (RFC 6749 §3.2): form-encoded requests, client authentication by
//! `client_secret_basic`, `client_secret_post` or `none`.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use mcp_oauth_core::engine::{ClientCredentials, TokenResponse};
use mcp_oauth_core::secret::Secret;
use mcp_oauth_core::{ErrorCode, OAuthError};
use poem::Request;
use poem_openapi::payload::{Form, Json};
use poem_openapi::{ApiResponse, Object, OpenApi, SecurityScheme};
use serde::Deserialize;

use crate::error::ErrorResponse;
use crate::state::AppState;
use crate::tags::ApiTags;

/// A token request (RFC 6749 §4.1.3, §4.4.2, §6). Which fields apply depends on `grant_type`.
#[derive(Debug, Object, Deserialize)]
pub struct TokenForm {
    /// `authorization_code`, `refresh_token` or `client_credentials`.
    pub grant_type: Option<String>,
    /// The authorization code (authorization_code).
    pub code: Option<String>,
    /// The redirect URI of the authorization request (authorization_code).
    pub redirect_uri: Option<String>,
    /// The PKCE verifier (authorization_code).
    pub code_verifier: Option<String>,
    /// The refresh token (refresh_token).
    pub refresh_token: Option<String>,
    /// A narrower scope (refresh_token, client_credentials).
    pub scope: Option<String>,
    /// RFC 8707 resource indicator.
    pub resource: Option<String>,
    /// The client id (`client_secret_post` and `none`).
    pub client_id: Option<String>,
    /// The client secret (`client_secret_post`).
    pub client_secret: Option<String>,
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

/// HTTP Basic client authentication (`client_secret_basic`).
#[derive(SecurityScheme)]
#[oai(rename = "client_secret_basic", ty = "basic")]
pub struct ClientBasic(poem_openapi::auth::Basic);

/// Client authentication on the token endpoint: Basic, or credentials in the form.
#[derive(SecurityScheme)]
pub enum ClientAuth {
    /// `client_secret_basic`.
    Basic(ClientBasic),
    /// `client_secret_post` or `none`: the credentials are in the form.
    #[oai(fallback)]
    InForm,
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
        let form = form.0;
        let issued = self.grant(req, auth, &form).await.map_err(|error| {
            tracing::info!(error = %error.code, grant_type = ?form.grant_type, "token request refused");
            self.state.fail(error)
        })?;
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

impl TokenApi {
    async fn grant(
        &self,
        req: &Request,
        auth: ClientAuth,
        form: &TokenForm,
    ) -> Result<TokenResponse, OAuthError> {
        let engine = &self.state.engine;
        let grant_type = form
            .grant_type
            .as_deref()
            .ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?;
        if !matches!(
            grant_type,
            "authorization_code" | "refresh_token" | "client_credentials"
        ) {
            return Err(OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                "grant_type must be authorization_code, refresh_token or client_credentials",
            ));
        }
        let in_form = FormCredentials {
            client_id: form.client_id.clone(),
            client_secret: form.client_secret.clone(),
        };
        let credentials = client_credentials(req, auth, &in_form)?;
        let client = engine.authenticate_client(&credentials).await?;
        let required = |value: &Option<String>, name: &str| {
            value
                .clone()
                .ok_or_else(|| OAuthError::invalid_request(format!("{name} is required")))
        };
        let resource = form.resource.as_deref();
        match grant_type {
            "authorization_code" => {
                let code = required(&form.code, "code")?;
                engine
                    .exchange_code(
                        &client,
                        &code,
                        form.redirect_uri.as_deref(),
                        form.code_verifier.as_deref(),
                        resource,
                    )
                    .await
            }
            "refresh_token" => {
                let token = required(&form.refresh_token, "refresh_token")?;
                engine
                    .refresh(&client, &token, form.scope.as_deref(), resource)
                    .await
            }
            _ => {
                engine
                    .client_credentials(&client, form.scope.as_deref(), resource)
                    .await
            }
        }
    }
}

/// The client credentials a form may carry (`client_secret_post`, `none`).
pub(crate) struct FormCredentials {
    /// `client_id`.
    pub client_id: Option<String>,
    /// `client_secret`.
    pub client_secret: Option<String>,
}

/// The client's credentials from Basic auth or the form; using both is `invalid_request`
/// (RFC 6749 §2.3: one method per request).
pub(crate) fn client_credentials(
    req: &Request,
    auth: ClientAuth,
    form: &FormCredentials,
) -> Result<ClientCredentials, OAuthError> {
    let basic = match auth {
        ClientAuth::Basic(ClientBasic(basic)) => Some(basic),
        ClientAuth::InForm
            if req
                .headers()
                .contains_key(poem::http::header::AUTHORIZATION) =>
        {
            return Err(basic_header_error(req));
        }
        ClientAuth::InForm => None,
    };
    match basic {
        Some(basic) => {
            if form.client_secret.is_some() {
                return Err(OAuthError::invalid_request(
                    "send the client secret in the Authorization header or in the form, not both",
                ));
            }
            // RFC 6749 §2.3.1: id and secret are form-urlencoded before base64.
            let client_id = form_decode(&basic.username)?;
            if form.client_id.as_ref().is_some_and(|id| *id != client_id) {
                return Err(OAuthError::invalid_request(
                    "client_id in the form differs from the Authorization header",
                ));
            }
            Ok(ClientCredentials {
                client_id,
                secret: Some(Secret::new(form_decode(&basic.password)?)),
            })
        }
        None => {
            let client_id = form.client_id.clone().ok_or_else(|| {
                OAuthError::invalid_client("client authentication failed: no client_id")
            })?;
            let secret = form.client_secret.clone().map(Secret::new);
            Ok(ClientCredentials { client_id, secret })
        }
    }
}

/// Why an Authorization header that is not valid Basic auth was refused.
fn basic_header_error(req: &Request) -> OAuthError {
    let value = req.headers().get(poem::http::header::AUTHORIZATION);
    let is_basic = value
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.len() >= 6 && v[..6].eq_ignore_ascii_case("basic "));
    if is_basic {
        let decodable = value
            .and_then(|v| v.to_str().ok())
            .and_then(|v| STANDARD.decode(v[6..].trim()).ok())
            .is_some_and(|bytes| String::from_utf8(bytes).is_ok_and(|s| s.contains(':')));
        if !decodable {
            return OAuthError::invalid_client("the Basic credentials are malformed");
        }
    }
    OAuthError::invalid_client("client authentication must use HTTP Basic or the form")
}

/// Undoes the `application/x-www-form-urlencoded` encoding of a Basic credential.
fn form_decode(text: &str) -> Result<String, OAuthError> {
    percent_encoding::percent_decode_str(&text.replace('+', " "))
        .decode_utf8()
        .map(|decoded| decoded.into_owned())
        .map_err(|_| OAuthError::invalid_client("the Basic credentials are malformed"))
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::form_decode;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Basic credentials are form-encoded before base64 (RFC 6749 §2.3.1): whatever text a
        /// client encodes, including `+`, `%`, `:` and non-ASCII, decodes to the same text.
        #[test]
        fn basic_credentials_round_trip(text in "\\PC{0,40}") {
            let encoded: String = url::form_urlencoded::byte_serialize(text.as_bytes()).collect();
            prop_assert_eq!(form_decode(&encoded).expect("decodes"), text);
        }

        /// Decoding never panics, and a literal `+` means a space: a `+` in the result can only
        /// come from an encoded `%2B`.
        #[test]
        fn decoding_never_panics(text in "[%0-9A-Fa-f+ a-z\\u{80}-\\u{ff}]{0,60}") {
            if let Ok(decoded) = form_decode(&text) {
                let encoded_plus = text.to_ascii_lowercase().matches("%2b").count();
                prop_assert!(decoded.matches('+').count() <= encoded_plus);
            }
        }
    }
}
