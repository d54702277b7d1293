//! Authentication of people: who approves an authorization on the consent page. The third plugin
//! kind, beside signers and storage: a plugin says which fields its sign-in asks for and which
//! person filled-in fields prove; core and the HTTP layer decide the rest (consent, grants).

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;

use crate::error::OAuthError;
use crate::model::{OWNER, Role};
use crate::secret::{Secret, SecretHash};
use crate::store::AccountStore;

/// A field of the consent page's sign-in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignInField {
    /// The form field's name, e.g. `api_key`.
    pub name: &'static str,
    /// What the page calls it.
    pub label: &'static str,
    /// Whether the value is a secret (a password field) or not (a user name).
    pub secret: bool,
}

/// The sign-in fields a form carried, by name; their values are secrets (never logged).
#[derive(Debug, Default)]
pub struct SignInFields(HashMap<String, Secret>);

impl SignInFields {
    /// Adds the value of the field `name`.
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.0.insert(name.to_owned(), Secret::new(value.into()));
        self
    }

    /// The value of the field `name`, if the form carried it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(Secret::expose)
    }
}

/// A person the sign-in proved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// Who they are: the `sub` of the grants they approve.
    pub subject: String,
    /// What they may grant, and whether they see everyone's connected apps.
    pub role: Role,
    /// A value that changes whenever their credentials change (a new password, a new owner
    /// key): a browser session made before the change ends. Never shown; may be a hash.
    pub stamp: String,
}

impl User {
    /// The owner of the API key: an administrator.
    pub fn owner(stamp: impl Into<String>) -> Self {
        Self {
            subject: OWNER.into(),
            role: Role::Admin,
            stamp: stamp.into(),
        }
    }
}

/// Tells who is approving, from the consent page's sign-in fields.
#[async_trait]
pub trait Authenticator: Send + Sync {
    /// The plugin's name (`MCP_OAUTH_AUTHENTICATOR`), recorded in browser sessions.
    fn name(&self) -> &'static str;

    /// The fields the sign-in asks for, in the order shown.
    fn fields(&self) -> &'static [SignInField];

    /// The line the consent page shows after a sign-in that proved nobody, e.g. "That API key
    /// is not correct." It must not say which field was wrong.
    fn refusal(&self) -> &'static str;

    /// The person `fields` prove; `None` when they prove nobody (wrong or missing values), which
    /// the caller budgets as a failed credential. An authenticator that budgets guesses itself
    /// (per account, say) answers a spent budget with an error carrying `Retry-After`. No input
    /// may panic.
    async fn sign_in(&self, fields: &SignInFields) -> Result<Option<User>, OAuthError>;

    /// The person `subject` names as they are now, for a browser session that says they signed
    /// in earlier; `None` when they no longer exist (a removed account).
    async fn user(&self, subject: &str) -> Result<Option<User>, OAuthError>;

    /// For a sign-in that happens at another site (an OpenID provider): how to send the browser
    /// there and read its answer. `None` (the default) for sign-ins with fields only.
    fn redirect_sign_in(&self) -> Option<&dyn RedirectSignIn> {
        None
    }
}

/// Where a sign-in at another site begins.
#[derive(Debug)]
pub struct Departure {
    /// Where the browser goes: the other site's authorization URL.
    pub location: String,
    /// What the authenticator needs back when the browser returns (its state, nonce and PKCE
    /// verifier). The caller keeps it in a signed, `HttpOnly` cookie for the browser that left,
    /// so only that browser can finish the sign-in.
    pub pending: String,
}

/// What the other site's answer carried when the browser came back (the callback's query).
#[derive(Clone, Debug, Default)]
pub struct Arrival {
    /// The authorization code.
    pub code: Option<String>,
    /// The state sent with the departure.
    pub state: Option<String>,
    /// The answering issuer (RFC 9207), when the other site names it.
    pub iss: Option<String>,
    /// An error code instead of a code (`access_denied`, …).
    pub error: Option<String>,
    /// The error's description.
    pub error_description: Option<String>,
}

/// A sign-in at another site: the consent page shows a button that sends the browser there; its
/// answer comes back to the server's callback, which asks the authenticator who it proves.
#[async_trait]
pub trait RedirectSignIn: Send + Sync {
    /// The button's label, e.g. "Sign in with Keycloak".
    fn label(&self) -> &str;

    /// Starts a sign-in; the other site must send the browser back to `callback` (an absolute
    /// URL of this server). An error says the other site cannot be reached.
    async fn depart(&self, callback: &str) -> Result<Departure, OAuthError>;

    /// The person the answer proves, given the `pending` of the departure this browser made.
    /// A refusal is an error whose description the person reads (`access_denied`: the other
    /// site or the allow list said no; `invalid_request`: the answer does not belong to this
    /// browser's departure or was used already; `temporarily_unavailable`: the other site cannot
    /// be reached). No input may panic.
    async fn arrive(
        &self,
        callback: &str,
        pending: &str,
        arrival: &Arrival,
    ) -> Result<User, OAuthError>;
}

/// What an authenticator plugin is opened with.
#[derive(Clone)]
pub struct AuthenticatorContext {
    /// The `MCP_*` settings.
    pub settings: crate::PluginSettings,
    /// The hash of the owner's API key (`MCP_API_KEY`), when one is set.
    pub owner_key: Option<SecretHash>,
    /// Where local accounts are kept.
    pub accounts: Arc<dyn AccountStore>,
}
