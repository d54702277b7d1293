//! Registered clients (RFC 7591 metadata) and their identifiers.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::clock::UnixTime;
use crate::error::OAuthError;
use crate::model::{RedirectKind, RedirectUri, ScopeSet};
use crate::secret::{Secret, SecretHash};

/// A client identifier: `mcp_client_` followed by 128 random bits, base64url.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientId(String);

impl ClientId {
    /// A fresh random identifier.
    pub fn generate() -> Self {
        Self(format!("mcp_client_{}", Secret::generate(16).expose()))
    }

    /// Wraps an identifier received from a client or storage.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The identifier's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The `grant_type` of the JWT bearer grant (RFC 7523 §2.1).
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// The grant types a client may register (RFC 7591 §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    /// RFC 6749 §4.1, with PKCE.
    AuthorizationCode,
    /// RFC 6749 §6, with rotation.
    RefreshToken,
    /// RFC 6749 §4.4.
    ClientCredentials,
    /// RFC 7523 §2.1 with an Identity Assertion JWT Authorization Grant (ID-JAG) from a trusted
    /// enterprise identity provider (MCP Enterprise-Managed Authorization).
    #[serde(rename = "urn:ietf:params:oauth:grant-type:jwt-bearer")]
    JwtBearer,
}

impl GrantType {
    /// The grant type's wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
            Self::JwtBearer => JWT_BEARER_GRANT,
        }
    }

    /// The grant type a token request names; `unsupported_grant_type` for any other
    /// (RFC 6749 §5.2).
    pub fn requested(name: &str) -> Result<Self, OAuthError> {
        GrantType::ALL
            .into_iter()
            .find(|grant| grant.as_str() == name)
            .ok_or_else(|| {
                OAuthError::new(
                    crate::error::ErrorCode::UnsupportedGrantType,
                    "grant_type must be authorization_code, refresh_token, client_credentials or \
                     urn:ietf:params:oauth:grant-type:jwt-bearer",
                )
            })
    }

    /// Every grant type this server supports.
    pub const ALL: [GrantType; 4] = [
        GrantType::AuthorizationCode,
        GrantType::RefreshToken,
        GrantType::ClientCredentials,
        GrantType::JwtBearer,
    ];
}

impl FromStr for GrantType {
    type Err = OAuthError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        GrantType::ALL
            .into_iter()
            .find(|grant| grant.as_str() == name)
            .ok_or_else(|| {
                OAuthError::invalid_client_metadata(format!(
                    "grant type {:?} is not supported; use authorization_code, refresh_token, \
                 client_credentials or urn:ietf:params:oauth:grant-type:jwt-bearer",
                    name.chars().take(40).collect::<String>()
                ))
            })
    }
}

/// How a client authenticates at the token endpoint (RFC 7591 §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// A public client: no secret; PKCE protects its codes.
    None,
    /// HTTP Basic with the client id and secret (RFC 6749 §2.3.1).
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body (RFC 6749 §2.3.1).
    ClientSecretPost,
    /// A JWT the client signs with its own key (RFC 7523 §2.2): the client holds no secret of
    /// this server, and publishes its public keys (`jwks` or `jwks_uri`).
    PrivateKeyJwt,
}

impl AuthMethod {
    /// The method's wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::PrivateKeyJwt => "private_key_jwt",
        }
    }

    /// Whether the client authenticates with a secret this server issues.
    pub const fn uses_secret(self) -> bool {
        matches!(self, Self::ClientSecretBasic | Self::ClientSecretPost)
    }

    /// Every method this server supports.
    pub const ALL: [AuthMethod; 4] = [
        AuthMethod::None,
        AuthMethod::ClientSecretBasic,
        AuthMethod::ClientSecretPost,
        AuthMethod::PrivateKeyJwt,
    ];
}

impl FromStr for AuthMethod {
    type Err = OAuthError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        AuthMethod::ALL.into_iter().find(|method| method.as_str() == name).ok_or_else(|| {
            OAuthError::invalid_client_metadata(
                "token_endpoint_auth_method must be none, client_secret_basic, client_secret_post \
                 or private_key_jwt",
            )
        })
    }
}

/// The kind of application a client is (OpenID Connect Dynamic Client Registration §2; the MCP
/// authorization spec of 2026-07-28, SEP-837, has clients send it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationType {
    /// Hosted: its redirect URIs are all https.
    Web,
    /// On the person's machine: loopback http or private-use redirect URIs (and possibly claimed
    /// https ones, RFC 8252 §7.2).
    Native,
}

impl ApplicationType {
    /// The type's wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Web => "web",
            Self::Native => "native",
        }
    }

    /// The type a client with `redirect_uris` is recorded as, given the one it `declared`: a
    /// client with a loopback or private-use redirect URI runs on the person's machine, so it is
    /// `native` even when it declared `web` (Cursor registers `web` with `http://localhost` and
    /// `cursor://` URIs; refusing it would leave it unable to connect). Otherwise the declared
    /// type, `web` by default.
    pub fn recorded(declared: Option<ApplicationType>, redirect_uris: &[RedirectUri]) -> Self {
        let on_machine = redirect_uris.iter().any(|uri| {
            matches!(
                uri.kind(),
                RedirectKind::Loopback | RedirectKind::PrivateUse
            )
        });
        if on_machine {
            Self::Native
        } else {
            declared.unwrap_or(Self::Web)
        }
    }
}

impl FromStr for ApplicationType {
    type Err = OAuthError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "web" => Ok(Self::Web),
            "native" => Ok(Self::Native),
            _ => Err(OAuthError::invalid_client_metadata(
                "application_type must be web or native",
            )),
        }
    }
}

/// Where the public keys of a `private_key_jwt` client are (RFC 7591 §2: `jwks` or `jwks_uri`,
/// never both).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientKeys {
    /// The JWK set itself (RFC 7517 §5), as the client sent it, serialized.
    Jwks(String),
    /// The https URL the client publishes its JWK set at, fetched when needed.
    JwksUri(String),
}

impl ClientKeys {
    /// The keys of client metadata carrying `jwks` or `jwks_uri`: exactly one of them (RFC 7591
    /// §2), a JWK set of at most 8 KB. What the keys are worth is judged where they are used.
    pub fn from_metadata(
        jwks: Option<&serde_json::Value>,
        jwks_uri: Option<&str>,
    ) -> Result<Self, &'static str> {
        match (jwks, jwks_uri) {
            (Some(_), Some(_)) => Err("jwks and jwks_uri must not both be given"),
            (None, None) => Err("private_key_jwt needs jwks or jwks_uri"),
            (Some(jwks), None) => {
                let text = jwks.to_string();
                if !jwks.is_object() || text.len() > 8 * 1024 {
                    return Err("jwks must be a JWK set of at most 8 KB");
                }
                Ok(Self::Jwks(text))
            }
            (None, Some(uri)) => Ok(Self::JwksUri(uri.to_owned())),
        }
    }
}

/// Descriptive metadata a client registers (RFC 7591 §2), echoed back and shown on the consent page.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientProfile {
    /// Human-readable name.
    pub client_name: Option<String>,
    /// Home page of the client.
    pub client_uri: Option<String>,
    /// Logo of the client.
    pub logo_uri: Option<String>,
    /// Contact addresses of the people responsible for the client.
    pub contacts: Vec<String>,
    /// Identifier of the client software, the same for every instance.
    pub software_id: Option<String>,
    /// Version of the client software.
    pub software_version: Option<String>,
    /// The kind of application, as recorded at registration; absent on clients stored before it
    /// was kept (see [`Client::application_type`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_type: Option<ApplicationType>,
}

/// A registered client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    /// The client's identifier.
    pub client_id: ClientId,
    /// The hash of the client secret; `None` for public clients.
    pub secret_hash: Option<SecretHash>,
    /// Where authorization responses may be sent.
    pub redirect_uris: Vec<RedirectUri>,
    /// Grants the client may use at the token endpoint.
    pub grant_types: Vec<GrantType>,
    /// How the client authenticates at the token endpoint.
    pub auth_method: AuthMethod,
    /// The widest scope the client may be granted.
    pub scope: ScopeSet,
    /// Descriptive metadata.
    pub profile: ClientProfile,
    /// When the client registered.
    pub issued_at: UnixTime,
    /// The hash of the registration access token that manages this client (RFC 7592); `None` for
    /// clients that cannot manage themselves (built-in clients, clients stored before RFC 7592).
    #[serde(default)]
    pub registration_token_hash: Option<SecretHash>,
    /// When a token was first issued to the client; `None` while it never completed a grant. A
    /// registered client that stays unused is removed after `MCP_OAUTH_UNUSED_CLIENT_TTL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_at: Option<UnixTime>,
    /// The public keys the client signs its authentication assertions with (`private_key_jwt`);
    /// `None` for every other client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<ClientKeys>,
}

impl Client {
    /// Whether the client registered `grant`.
    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    /// Whether `token` is this client's registration access token (hashes compared in constant
    /// time).
    pub fn has_registration_token(&self, token: &str) -> bool {
        self.registration_token_hash
            .as_ref()
            .is_some_and(|hash| hash.matches(token))
    }

    /// The kind of application the client is: as recorded, or for clients stored before it was
    /// kept, what its redirect URIs say.
    pub fn application_type(&self) -> ApplicationType {
        self.profile
            .application_type
            .unwrap_or_else(|| ApplicationType::recorded(None, &self.redirect_uris))
    }

    /// Whether the owner approved this client before: it completed a grant. Only such clients get
    /// authorization errors redirected to them when the owner approves requests (see
    /// `engine::Approval`).
    pub fn approved_before(&self) -> bool {
        self.used_at.is_some()
    }

    /// Whether the client is public: it holds no credential (no secret, no key of its own).
    pub fn is_public(&self) -> bool {
        self.secret_hash.is_none() && self.auth_method != AuthMethod::PrivateKeyJwt
    }

    /// The registered redirect URI that `requested` designates, if any.
    pub fn redirect_uri_for(&self, requested: &str) -> Option<&RedirectUri> {
        self.redirect_uris.iter().find(|uri| uri.matches(requested))
    }

    /// The response types implied by the grant types: `code` exactly when the client may use the
    /// authorization code grant.
    pub fn response_types(&self) -> Vec<&'static str> {
        if self.allows_grant(GrantType::AuthorizationCode) {
            vec!["code"]
        } else {
            vec![]
        }
    }
}
