//! Who is calling a protected endpoint: a bearer access token or the owner's API key, carried as
//! `Authorization: Bearer`, `X-API-Key` or `?api_key=`. One extractor, [`Auth`], documents all
//! carriers in the spec (plus the OAuth2 authorization-code flow for Swagger UI's Authorize button)
//! and does the checking; handlers then demand a scope with [`Principal::require`].

use std::sync::Arc;

use mcp_oauth_core::engine::Principal;
use mcp_oauth_core::model::Scope;
use mcp_oauth_core::{ErrorCode, OAuthError};
use poem::{IntoResponse, Request, RequestBody};
use poem_openapi::registry::{
    MetaOAuthFlow, MetaOAuthFlows, MetaOAuthScope, MetaSecurityScheme, Registry,
};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions, OAuthScopes};

use crate::state::AppState;

/// The scopes, as declared on each operation of the spec.
#[derive(Debug, Clone, Copy, OAuthScopes)]
pub enum ApiScope {
    /// Read your memories
    #[oai(rename = "read")]
    Read,
    /// Store, change and delete your memories
    #[oai(rename = "write")]
    Write,
    /// Administer the memory service and its OAuth clients
    #[oai(rename = "admin")]
    Admin,
}

/// An authenticated caller of a protected endpoint.
#[derive(Debug, Clone)]
pub struct Auth(pub Principal);

impl Auth {
    /// Succeeds when the caller holds `scope`; otherwise `insufficient_scope`.
    pub fn require(&self, scope: Scope) -> Result<&Principal, OAuthError> {
        self.0.require(scope).map(|()| &self.0)
    }
}

/// The security schemes' names in the spec.
pub(crate) const OAUTH2: &str = "oauth2";
pub(crate) const BEARER: &str = "bearer";
pub(crate) const API_KEY_HEADER: &str = "api_key_header";
pub(crate) const API_KEY_QUERY: &str = "api_key_query";

/// The token of an `Authorization: Bearer <token>` header value; `None` for any other value.
fn bearer(value: &poem::http::HeaderValue) -> Option<&str> {
    let (scheme, token) = value.to_str().ok()?.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The address of the client that sent `req` (the peer), when it has one.
pub(crate) fn client_ip(req: &Request) -> Option<std::net::IpAddr> {
    match req
        .extensions()
        .get::<crate::client_address::ClientAddress>()
    {
        Some(client) => Some(client.0),
        None => req.remote_addr().as_socket_addr().map(|addr| addr.ip()),
    }
}

/// The request's bearer token, if it carries `Authorization: Bearer <token>`.
pub(crate) fn bearer_token(req: &Request) -> Option<&str> {
    req.headers()
        .get(poem::http::header::AUTHORIZATION)
        .and_then(bearer)
}

/// Authenticates a request from any carrier; the principal or `invalid_token`. A failed
/// credential spends from its address's budget, shared by every route; an address that spent
/// it gets `429` before its credential is looked at, unless the credential is an access token
/// this server signed (which cannot be guessed): behind a proxy every client shares one address,
/// and a guesser must not lock out the OAuth clients.
pub async fn authenticate(req: &Request, state: &AppState) -> Result<Principal, OAuthError> {
    let address = client_ip(req);
    let signed_here =
        || bearer_token(req).is_some_and(|token| state.engine.signer().decode(token).is_ok());
    if let Err(blocked) = state
        .credential_failures
        .admit(address, ErrorCode::InvalidRequest)
        && !signed_here()
    {
        return Err(blocked);
    }
    let outcome = check_credentials(req, state).await;
    if let Err(Failure::Guess(_)) = &outcome {
        state.credential_failures.failed(address);
    }
    outcome.map_err(Failure::into_error)
}

/// Why credentials were refused: a wrong guess (counted), or one that guesses nothing (no
/// credentials, or a token this server issued that expired or was revoked: a real client's).
enum Failure {
    Guess(OAuthError),
    Other(OAuthError),
}

impl Failure {
    fn into_error(self) -> OAuthError {
        match self {
            Self::Guess(error) | Self::Other(error) => error,
        }
    }
}

async fn check_credentials(req: &Request, state: &AppState) -> Result<Principal, Failure> {
    if let Some(value) = req.headers().get(poem::http::header::AUTHORIZATION) {
        let token = bearer(value).ok_or_else(|| {
            Failure::Guess(OAuthError::invalid_token(
                "the Authorization header must be 'Bearer <token>'",
            ))
        })?;
        // A token presented again is found in the verified-token cache first: hashing a long
        // token to compare it with the API key cost as much as the cached check itself.
        if let Some(principal) = state.engine.recently_verified(token) {
            return Ok(principal);
        }
        if state.is_api_key(token) {
            return Ok(Principal::owner());
        }
        return state
            .engine
            .verify_access_token(token)
            .await
            .map_err(|error| match state.engine.signer().decode(token) {
                Ok(_) => Failure::Other(error),
                Err(_) if error.fault.is_some() => Failure::Other(error),
                Err(_) => Failure::Guess(error),
            });
    }
    let from_query = || match query_api_key(req) {
        Some(_) if !state.api_key_in_query => Err(Failure::Other(OAuthError::invalid_token(
            "this server takes the API key in the X-API-Key header, not in the URL \
             (MCP_ALLOW_API_KEY_IN_QUERY=false)",
        ))),
        key => Ok(key),
    };
    let key = match req.headers().get("x-api-key") {
        Some(value) => Some(value.to_str().unwrap_or_default().to_owned()),
        None => from_query()?,
    };
    match key {
        Some(key) if state.is_api_key(&key) => Ok(Principal::owner()),
        Some(_) => Err(Failure::Guess(
            OAuthError::invalid_token("the API key is not valid")
                .because(mcp_oauth_core::Refusal::BadApiKey),
        )),
        None if state.allow_anonymous => Ok(Principal {
            subject: "anonymous".into(),
            client_id: None,
            scopes: [Scope::Read, Scope::Write].into_iter().collect(),
        }),
        None => Err(Failure::Other(OAuthError::credentials_missing(
            "authentication required: send a bearer access token or the API key",
        ))),
    }
}

/// The `api_key` of the request's query, if it has one.
pub(crate) fn query_api_key(req: &Request) -> Option<String> {
    url::form_urlencoded::parse(req.uri().query()?.as_bytes())
        .find(|(name, _)| name == "api_key")
        .map(|(_, value)| value.into_owned())
}

impl<'a> ApiExtractor<'a> for Auth {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        let scopes = <ApiScope as OAuthScopes>::meta()
            .into_iter()
            .map(|scope| MetaOAuthScope {
                name: scope.name,
                description: scope.description,
            })
            .collect();
        registry.create_security_scheme(
            OAUTH2,
            MetaSecurityScheme {
                ty: "oauth2",
                description: Some(
                    "Authorization code with PKCE (S256) against this very server, as the built-in public \
                     client `swagger-ui` (preset in Swagger UI's Authorize dialog), which \
                     redirects to `{origin}/docs/oauth-receiver.html`.",
                ),
                name: None,
                key_in: None,
                scheme: None,
                bearer_format: None,
                flows: Some(MetaOAuthFlows {
                    implicit: None,
                    password: None,
                    client_credentials: None,
                    authorization_code: Some(MetaOAuthFlow {
                        authorization_url: Some("/oauth/authorize"),
                        token_url: Some("/oauth/token"),
                        refresh_url: Some("/oauth/token"),
                        scopes,
                    }),
                }),
                openid_connect_url: None,
            },
        );
        registry.create_security_scheme(
            BEARER,
            MetaSecurityScheme {
                ty: "http",
                description: Some(
                    "An access token from /oauth/token, or the API key (MCP_API_KEY)",
                ),
                name: None,
                key_in: None,
                scheme: Some("bearer"),
                bearer_format: Some("JWT"),
                flows: None,
                openid_connect_url: None,
            },
        );
        for (scheme_name, key_in, key_name) in [
            (API_KEY_HEADER, "header", "X-API-Key"),
            (API_KEY_QUERY, "query", "api_key"),
        ] {
            registry.create_security_scheme(
                scheme_name,
                MetaSecurityScheme {
                    ty: "apiKey",
                    description: Some("The owner's API key (MCP_API_KEY): every scope"),
                    name: Some(key_name),
                    key_in: Some(key_in),
                    scheme: None,
                    bearer_format: None,
                    flows: None,
                    openid_connect_url: None,
                },
            );
        }
    }

    fn security_schemes() -> Vec<&'static str> {
        vec![OAUTH2, BEARER, API_KEY_HEADER, API_KEY_QUERY]
    }

    async fn from_request(
        req: &'a Request,
        _body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let state = req.data::<Arc<AppState>>().ok_or_else(|| {
            poem::Error::from_status(poem::http::StatusCode::INTERNAL_SERVER_ERROR)
        })?;
        authenticate(req, state)
            .await
            .map(Auth)
            .map_err(|error| poem::Error::from_response(state.fail(error).into_response()))
    }
}
