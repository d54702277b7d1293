#![doc = include_str!("../README.md")]

mod http;
mod policy;
mod provider;

use std::collections::BTreeSet;
use std::sync::Arc;

use mcp_oauth_core::authenticator::{
    Arrival, Authenticator, AuthenticatorContext, Departure, RedirectSignIn, SignInField,
    SignInFields, User,
};
use mcp_oauth_core::model::Role;
use mcp_oauth_core::registry::AuthenticatorPlugin;
use mcp_oauth_core::{Error, ErrorCode, OAuthError, PluginSettings, async_trait};
use openidconnect::IssuerUrl;

use crate::policy::{Policy, SubjectClaim};
use crate::provider::Upstream;

/// The name deployers choose this plugin by.
pub const NAME: &str = "oidc";

/// The settings it reads.
#[derive(serde::Deserialize, mcp_oauth_core::schemars::JsonSchema)]
#[schemars(crate = "mcp_oauth_core::schemars")]
pub struct OidcConfig {
    /// The provider's issuer, as its discovery document says it (e.g.
    /// `https://accounts.google.com`); https, or http on a loopback address.
    #[serde(rename = "MCP_OIDC_ISSUER")]
    pub issuer: String,
    /// This server's client ID at the provider.
    #[serde(rename = "MCP_OIDC_CLIENT_ID")]
    pub client_id: String,
    /// Its client secret (unset: a public client, PKCE only).
    #[serde(rename = "MCP_OIDC_CLIENT_SECRET")]
    pub client_secret: Option<String>,
    /// Scopes asked for, space or comma separated (default `openid email profile`).
    #[serde(rename = "MCP_OIDC_SCOPES")]
    pub scopes: Option<String>,
    /// The claim naming people: `email` (default), `preferred_username` or `sub`.
    #[serde(rename = "MCP_OIDC_SUBJECT_CLAIM")]
    pub subject_claim: Option<String>,
    /// Emails let in, comma separated; `*` lets in everyone the provider signs in.
    #[serde(rename = "MCP_OIDC_ALLOWED_EMAILS")]
    pub allowed_emails: Option<String>,
    /// Email domains let in, comma separated (`example.com`).
    #[serde(rename = "MCP_OIDC_ALLOWED_DOMAINS")]
    pub allowed_domains: Option<String>,
    /// Groups let in, comma separated, as the groups claim names them.
    #[serde(rename = "MCP_OIDC_ALLOWED_GROUPS")]
    pub allowed_groups: Option<String>,
    /// The claim listing a person's groups (default `groups`).
    #[serde(rename = "MCP_OIDC_GROUPS_CLAIM")]
    pub groups_claim: Option<String>,
    /// People (by the subject claim) who are administrators, comma separated.
    #[serde(rename = "MCP_OIDC_ADMINS")]
    pub admins: Option<String>,
    /// Everyone else's role: `reader`, `writer` (default) or `admin`.
    #[serde(rename = "MCP_OIDC_ROLE")]
    pub role: Option<String>,
    /// The sign-in button's label (default "Sign in with" and the provider's host).
    #[serde(rename = "MCP_OIDC_LABEL")]
    pub label: Option<String>,
}

/// The fields of its sign-in: none, it happens at the provider.
const FIELDS: &[SignInField] = &[];

/// People signed in by an upstream OpenID provider.
pub struct OpenIdConnect {
    label: String,
    upstream: Upstream,
    policy: Policy,
}

#[async_trait]
impl Authenticator for OpenIdConnect {
    fn name(&self) -> &'static str {
        NAME
    }

    fn fields(&self) -> &'static [SignInField] {
        FIELDS
    }

    fn refusal(&self) -> &'static str {
        "That sign-in was not accepted."
    }

    async fn sign_in(&self, _fields: &SignInFields) -> Result<Option<User>, OAuthError> {
        Ok(None)
    }

    async fn user(&self, subject: &str) -> Result<Option<User>, OAuthError> {
        Ok(self.policy.recall(subject))
    }

    fn redirect_sign_in(&self) -> Option<&dyn RedirectSignIn> {
        Some(self)
    }
}

#[async_trait]
impl RedirectSignIn for OpenIdConnect {
    fn label(&self) -> &str {
        &self.label
    }

    async fn depart(&self, callback: &str) -> Result<Departure, OAuthError> {
        let (location, pending) = self.upstream.depart(callback).await?;
        Ok(Departure { location, pending })
    }

    async fn arrive(
        &self,
        callback: &str,
        pending: &str,
        arrival: &Arrival,
    ) -> Result<User, OAuthError> {
        let claims = self.upstream.arrive(callback, pending, arrival).await?;
        self.policy
            .admit(&claims)
            .map_err(|why| OAuthError::new(ErrorCode::AccessDenied, why))
    }
}

/// A comma or space separated list.
fn list(value: Option<&str>, lower: bool) -> BTreeSet<String> {
    value
        .unwrap_or_default()
        .split([',', ' ', '\n', '\t'])
        .filter(|item| !item.is_empty())
        .map(|item| {
            if lower {
                item.to_ascii_lowercase()
            } else {
                item.to_owned()
            }
        })
        .collect()
}

fn setting(variable: &str, got: &str, expected: &str) -> Error {
    Error::Config {
        variable: variable.into(),
        got: got.into(),
        expected: expected.into(),
    }
}

/// The provider's issuer: https, or http on a loopback address (a provider on this machine).
fn issuer(value: &str) -> mcp_oauth_core::Result<IssuerUrl> {
    let expected = "an https URL of the provider's issuer (http only on a loopback address)";
    let url = url::Url::parse(value).map_err(|_| setting("MCP_OIDC_ISSUER", value, expected))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(host)) => host == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    let secure = url.scheme() == "https" || (url.scheme() == "http" && loopback);
    if !secure || url.query().is_some() || url.fragment().is_some() {
        return Err(setting("MCP_OIDC_ISSUER", value, expected));
    }
    IssuerUrl::new(value.trim_end_matches('/').to_owned())
        .map_err(|_| setting("MCP_OIDC_ISSUER", value, expected))
}

/// The authenticator the settings describe; an error names the first setting it cannot use.
pub fn from_settings(settings: &PluginSettings) -> mcp_oauth_core::Result<OpenIdConnect> {
    let required = |name: &str| {
        settings
            .get(name)
            .filter(|value| !value.is_empty())
            .ok_or_else(|| setting(name, "unset", "a value: the oidc authenticator needs it"))
    };
    let issuer = issuer(required("MCP_OIDC_ISSUER")?)?;
    let client_id = required("MCP_OIDC_CLIENT_ID")?.to_owned();
    let subject_claim = match settings.get("MCP_OIDC_SUBJECT_CLAIM") {
        None | Some("") => SubjectClaim::Email,
        Some(other) => SubjectClaim::parse(other).ok_or_else(|| {
            setting(
                "MCP_OIDC_SUBJECT_CLAIM",
                other,
                "email, preferred_username or sub",
            )
        })?,
    };
    let role = match settings.get("MCP_OIDC_ROLE") {
        None | Some("") => Role::Writer,
        Some(other) => other
            .parse()
            .map_err(|_| setting("MCP_OIDC_ROLE", other, "reader, writer or admin"))?,
    };
    let emails = list(settings.get("MCP_OIDC_ALLOWED_EMAILS"), true);
    let domains = list(settings.get("MCP_OIDC_ALLOWED_DOMAINS"), true);
    let groups = list(settings.get("MCP_OIDC_ALLOWED_GROUPS"), false);
    if emails.is_empty() && domains.is_empty() && groups.is_empty() {
        return Err(setting(
            "MCP_OIDC_ALLOWED_EMAILS",
            "unset",
            "who may sign in: emails here, or MCP_OIDC_ALLOWED_DOMAINS or MCP_OIDC_ALLOWED_GROUPS \
             (`*` here lets in everyone the provider signs in)",
        ));
    }
    let admins = list(
        settings.get("MCP_OIDC_ADMINS"),
        subject_claim == SubjectClaim::Email,
    );
    let scopes = settings
        .get("MCP_OIDC_SCOPES")
        .filter(|value| !value.is_empty())
        .unwrap_or("openid email profile");
    let label = settings
        .get("MCP_OIDC_LABEL")
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| {
            let host = url::Url::parse(issuer.as_str())
                .ok()
                .and_then(|url| url.host_str().map(str::to_owned))
                .unwrap_or_default();
            format!("Sign in with {host}")
        });
    let http = http::Http::new()
        .map_err(|error| Error::signing_caused("building the provider's HTTP client", error))?;
    let policy = Policy::new(
        subject_claim,
        emails,
        domains,
        groups,
        admins,
        role,
        &format!("{}\n{client_id}", issuer.as_str()),
    );
    let upstream = Upstream::new(
        issuer,
        client_id,
        settings
            .get("MCP_OIDC_CLIENT_SECRET")
            .filter(|value| !value.is_empty())
            .map(str::to_owned),
        list(Some(scopes), false).into_iter().collect(),
        settings
            .get("MCP_OIDC_GROUPS_CLAIM")
            .filter(|value| !value.is_empty())
            .unwrap_or("groups")
            .to_owned(),
        http,
    );
    Ok(OpenIdConnect {
        label,
        upstream,
        policy,
    })
}

fn open(context: AuthenticatorContext) -> mcp_oauth_core::Result<Arc<dyn Authenticator>> {
    Ok(Arc::new(from_settings(&context.settings)?))
}

mcp_oauth_core::inventory::submit! {
    AuthenticatorPlugin {
        name: NAME,
        summary: "People sign in with an upstream OpenID Connect provider (Google, Entra, Okta, Keycloak, …)",
        config_schema: || mcp_oauth_core::schemars::schema_for!(OidcConfig),
        open,
    }
}
