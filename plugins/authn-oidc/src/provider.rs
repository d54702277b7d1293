//! The upstream OpenID provider: discovery (cached, refreshed hourly and when its keys change),
//! the authorization request (code, PKCE S256, state, nonce) and the answer (RFC 9207 `iss`,
//! the code exchanged, the id_token verified: signature, issuer, audience, expiry, nonce).

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mcp_oauth_core::secret::constant_time_eq;
use mcp_oauth_core::{ErrorCode, OAuthError};
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreClaimName, CoreClaimType,
    CoreClientAuthMethod, CoreErrorResponseType, CoreGenderClaim, CoreGrantType, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm,
    CoreResponseMode, CoreResponseType, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreSubjectIdentifierType, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AdditionalProviderMetadata, AuthType, AuthorizationCode, Client, ClientId,
    ClientSecret, CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    IdTokenFields, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, ProviderMetadata,
    RedirectUrl, RequestTokenError, Scope, StandardErrorResponse, StandardTokenResponse,
    UserInfoClaims, UserInfoError,
};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::http::Http;
use crate::policy::Claims;

/// How long discovery and the provider's keys are trusted before they are read again.
const DISCOVERY_LIFETIME: Duration = Duration::from_secs(3600);
/// The shortest time between two readings (a signature that does not verify asks for new keys,
/// but not on every request).
const REDISCOVERY_PAUSE: Duration = Duration::from_secs(30);

/// Claims beyond the standard ones (the groups claim is read from here).
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ExtraClaims {
    #[serde(flatten)]
    other: serde_json::Map<String, serde_json::Value>,
}

impl AdditionalClaims for ExtraClaims {}

/// Discovery fields beyond the core ones.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ExtraMetadata {
    /// RFC 9207: the provider names itself in its answers, so an answer without `iss` is refused.
    #[serde(default)]
    authorization_response_iss_parameter_supported: bool,
}

impl AdditionalProviderMetadata for ExtraMetadata {}

type Metadata = ProviderMetadata<
    ExtraMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

type Fields = IdTokenFields<
    ExtraClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

type OidcClient = Client<
    ExtraClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    StandardTokenResponse<Fields, CoreTokenType>,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// What a departure remembers until the browser comes back.
#[derive(Serialize, Deserialize)]
struct Pending {
    state: String,
    nonce: String,
    verifier: String,
}

/// The provider as last discovered.
struct Discovered {
    client: Arc<OidcClient>,
    iss_required: bool,
    at: Instant,
}

/// The upstream provider and this server's registration there.
pub struct Upstream {
    issuer: IssuerUrl,
    client_id: ClientId,
    client_secret: Option<ClientSecret>,
    scopes: Vec<Scope>,
    groups_claim: String,
    http: Http,
    discovered: Mutex<Option<Discovered>>,
}

impl Upstream {
    /// The provider at `issuer`, where this server is the client `client_id`; discovery happens
    /// at the first sign-in (the provider may start after this server).
    pub fn new(
        issuer: IssuerUrl,
        client_id: String,
        client_secret: Option<String>,
        scopes: Vec<String>,
        groups_claim: String,
        http: Http,
    ) -> Self {
        Self {
            issuer,
            client_id: ClientId::new(client_id),
            client_secret: client_secret.map(ClientSecret::new),
            scopes: scopes
                .into_iter()
                .filter(|scope| scope != "openid")
                .map(Scope::new)
                .collect(),
            groups_claim,
            http,
            discovered: Mutex::new(None),
        }
    }

    /// The provider's client, discovered again when the last reading is old or, with `fresh`,
    /// when it is more than a short pause old. `Err` when it cannot be reached.
    async fn client(&self, fresh: bool) -> Result<(Arc<OidcClient>, bool), OAuthError> {
        let mut discovered = self.discovered.lock().await;
        if let Some(known) = discovered.as_ref() {
            let age = known.at.elapsed();
            let stale = age > DISCOVERY_LIFETIME || (fresh && age > REDISCOVERY_PAUSE);
            if !stale {
                return Ok((known.client.clone(), known.iss_required));
            }
        }
        match Metadata::discover_async(self.issuer.clone(), &self.http).await {
            Ok(metadata) => {
                let iss_required = metadata
                    .additional_metadata()
                    .authorization_response_iss_parameter_supported;
                let basic =
                    metadata
                        .token_endpoint_auth_methods_supported()
                        .is_none_or(|methods| {
                            methods.contains(&CoreClientAuthMethod::ClientSecretBasic)
                        });
                let mut client = OidcClient::from_provider_metadata(
                    metadata,
                    self.client_id.clone(),
                    self.client_secret.clone(),
                );
                if !basic {
                    client = client.set_auth_type(AuthType::RequestBody);
                }
                let client = Arc::new(client);
                *discovered = Some(Discovered {
                    client: client.clone(),
                    iss_required,
                    at: Instant::now(),
                });
                Ok((client, iss_required))
            }
            // A provider briefly down keeps its last reading.
            Err(_) if discovered.is_some() => discovered
                .as_ref()
                .map(|known| (known.client.clone(), known.iss_required))
                .ok_or_else(|| unreachable_provider(&self.issuer)),
            Err(_) => Err(unreachable_provider(&self.issuer)),
        }
    }

    /// The authorization URL to send the browser to, and what to remember.
    pub async fn depart(&self, callback: &str) -> Result<(String, String), OAuthError> {
        let redirect = redirect_url(callback)?;
        let (client, _) = self.client(false).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (location, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scopes(self.scopes.iter().cloned())
            .set_pkce_challenge(challenge)
            .set_redirect_uri(Cow::Owned(redirect))
            .url();
        let pending = Pending {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            verifier: verifier.secret().clone(),
        };
        let pending = serde_json::to_string(&pending).map_err(|_| {
            OAuthError::new(ErrorCode::ServerError, "remembering the sign-in failed")
        })?;
        Ok((location.to_string(), pending))
    }

    /// What the provider's answer says about the person who signed in there.
    pub async fn arrive(
        &self,
        callback: &str,
        pending: &str,
        arrival: &mcp_oauth_core::authenticator::Arrival,
    ) -> Result<Claims, OAuthError> {
        let pending: Pending = serde_json::from_str(pending).map_err(|_| {
            OAuthError::invalid_request(
                "this sign-in was not started in this browser, or took longer than ten minutes; \
                 start again",
            )
        })?;
        let state = arrival.state.as_deref().unwrap_or_default();
        if !constant_time_eq(state.as_bytes(), pending.state.as_bytes()) {
            return Err(OAuthError::invalid_request(
                "this answer does not belong to the sign-in this browser started; start again",
            ));
        }
        if let Some(error) = &arrival.error {
            let said = arrival
                .error_description
                .as_deref()
                .map(|description| format!(": {}", printable(description)))
                .unwrap_or_default();
            return Err(OAuthError::new(
                ErrorCode::AccessDenied,
                format!("the sign-in provider said {}{said}", printable(error)),
            ));
        }
        let (client, iss_required) = self.client(false).await?;
        match arrival.iss.as_deref() {
            Some(iss) if iss != self.issuer.as_str() => {
                return Err(OAuthError::invalid_request(
                    "the answer comes from another issuer than this server's sign-in provider",
                ));
            }
            None if iss_required => {
                return Err(OAuthError::invalid_request(
                    "the answer does not name its issuer, which this provider always does",
                ));
            }
            _ => {}
        }
        let code = arrival
            .code
            .as_deref()
            .filter(|code| !code.is_empty())
            .ok_or_else(|| OAuthError::invalid_request("the answer carries no code"))?;
        let request = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|_| {
                OAuthError::new(
                    ErrorCode::TemporarilyUnavailable,
                    "the sign-in provider publishes no token endpoint",
                )
            })?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier))
            .set_redirect_uri(Cow::Owned(redirect_url(callback)?));
        let tokens = request
            .request_async(&self.http)
            .await
            .map_err(|error| match error {
                RequestTokenError::ServerResponse(_) => OAuthError::invalid_request(
                    "the sign-in provider did not accept this answer's code (used already or \
                 expired); start again",
                ),
                _ => unreachable_provider(&self.issuer),
            })?;
        let id_token = openidconnect::TokenResponse::id_token(&tokens)
            .ok_or_else(|| refused("the sign-in provider sent no id_token"))?;
        let nonce = Nonce::new(pending.nonce);
        let claims = match id_token
            .clone()
            .into_claims(&client.id_token_verifier(), &nonce)
        {
            Ok(claims) => claims,
            // New keys at the provider: read them, and try once more.
            Err(openidconnect::ClaimsVerificationError::SignatureVerification(_)) => {
                let (client, _) = self.client(true).await?;
                id_token
                    .clone()
                    .into_claims(&client.id_token_verifier(), &nonce)
                    .map_err(|error| refused(&format!("the id_token does not verify: {error}")))?
            }
            Err(error) => return Err(refused(&format!("the id_token does not verify: {error}"))),
        };
        let mut found = Claims {
            sub: claims.subject().as_str().to_owned(),
            email: claims.email().map(|email| email.as_str().to_owned()),
            email_verified: claims.email_verified(),
            preferred_username: claims
                .preferred_username()
                .map(|name| name.as_str().to_owned()),
            groups: groups(&claims.additional_claims().other, &self.groups_claim),
        };
        // Many providers keep the id_token thin and serve scope claims at the userinfo
        // endpoint (OpenID Connect Core §5.4): ask there for what the id_token left out.
        let thin = found.email.is_none()
            || found.preferred_username.is_none()
            || !claims
                .additional_claims()
                .other
                .contains_key(&self.groups_claim);
        if thin && client.user_info_url().is_some() {
            let request = client
                .user_info(
                    openidconnect::OAuth2TokenResponse::access_token(&tokens).clone(),
                    Some(claims.subject().clone()),
                )
                .map_err(|_| unreachable_provider(&self.issuer))?;
            let info: UserInfoClaims<ExtraClaims, CoreGenderClaim> = request
                .request_async(&self.http)
                .await
                .map_err(|error| match error {
                    UserInfoError::ClaimsVerification(error) => {
                        refused(&format!("the provider's userinfo does not match: {error}"))
                    }
                    _ => unreachable_provider(&self.issuer),
                })?;
            if found.email.is_none() {
                found.email = info.email().map(|email| email.as_str().to_owned());
                found.email_verified = info.email_verified();
            }
            if found.preferred_username.is_none() {
                found.preferred_username = info
                    .preferred_username()
                    .map(|name| name.as_str().to_owned());
            }
            if found.groups.is_empty() {
                found.groups = groups(&info.additional_claims().other, &self.groups_claim);
            }
        }
        Ok(found)
    }
}

/// The values of the groups claim `name` among `claims`: a list of strings, or one string.
fn groups(claims: &serde_json::Map<String, serde_json::Value>, name: &str) -> Vec<String> {
    match claims.get(name) {
        Some(serde_json::Value::Array(values)) => values
            .iter()
            .filter_map(|value| value.as_str().map(str::to_owned))
            .collect(),
        Some(serde_json::Value::String(group)) => vec![group.clone()],
        _ => Vec::new(),
    }
}

fn redirect_url(callback: &str) -> Result<RedirectUrl, OAuthError> {
    RedirectUrl::new(callback.to_owned())
        .map_err(|_| OAuthError::new(ErrorCode::ServerError, "the callback is not a URL"))
}

fn unreachable_provider(issuer: &IssuerUrl) -> OAuthError {
    OAuthError::new(
        ErrorCode::TemporarilyUnavailable,
        format!(
            "the sign-in provider {} cannot be reached; try again shortly",
            issuer.as_str()
        ),
    )
}

fn refused(why: &str) -> OAuthError {
    OAuthError::new(ErrorCode::AccessDenied, why.to_owned())
}

/// `text` cut to 200 characters without control characters, fit to show a person.
fn printable(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(200).collect()
}
