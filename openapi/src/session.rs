//! Who the browser is: signing in with the authenticators' fields, and the session cookie that
//! remembers it (signed, `HttpOnly`, `SameSite=Lax`, `Secure` and `__Host-` on https).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mcp_oauth_core::OAuthError;
use mcp_oauth_core::authenticator::{Authenticator, SignInFields, User};
use poem::Request;
use poem::http::header;

use crate::state::AppState;

/// A cookie's name over plain HTTP (loopback development) and over https, where the `__Host-`
/// prefix makes browsers insist on `Secure`, `Path=/` and no `Domain`, so no other host or
/// subdomain can set it.
struct CookieName {
    plain: &'static str,
    secure: &'static str,
}

/// The session cookie.
const SESSION: CookieName = CookieName {
    plain: "mcp_session",
    secure: "__Host-mcp_session",
};
/// The cookie of a sign-in at another site under way.
const PENDING: CookieName = CookieName {
    plain: "mcp_sign_in",
    secure: "__Host-mcp_sign_in",
};
/// How long a sign-in at another site may take, in seconds (the consent seal's lifetime).
const PENDING_LIFETIME: i64 = 600;

/// A sign-in at another site under way in this browser: kept in a sealed cookie between the
/// departure and the callback.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PendingSignIn {
    /// The authenticator's name.
    pub authenticator: String,
    /// Where to go once signed in: `/oauth/authorize?…` or `/account` (always this server).
    pub resume: String,
    /// What the authenticator remembers (state, nonce, PKCE verifier).
    pub pending: String,
}

/// A person signed in, and the authenticator that knows them.
#[derive(Clone, Debug)]
pub struct SignedIn {
    /// The authenticator's name.
    pub authenticator: &'static str,
    /// The person.
    pub user: User,
}

impl AppState {
    /// Whether answers to `req` go over https (then the cookie is `Secure`).
    fn secure(&self, req: &Request) -> bool {
        self.site.issuer_for(req).starts_with("https://")
    }

    /// The authenticator called `name`, if it is in use.
    pub(crate) fn authenticator_named(&self, name: &str) -> Option<&dyn Authenticator> {
        self.authenticators
            .iter()
            .map(|a| a.as_ref())
            .find(|a| a.name() == name)
    }

    /// The person the request's session cookie names, when it is sealed by this server, not
    /// expired, and still matches who they are now.
    pub async fn session_user(&self, req: &Request) -> Result<Option<SignedIn>, OAuthError> {
        let now = self.engine.clock().now();
        let Some(claim) = cookie(req, self.cookie_name(req, &SESSION))
            .and_then(|value| self.sessions.claim(&value, now))
        else {
            return Ok(None);
        };
        let Some(authenticator) = self.authenticator_named(&claim.authenticator) else {
            return Ok(None);
        };
        let Some(user) = authenticator.user(&claim.subject).await? else {
            return Ok(None);
        };
        Ok(self.sessions.holds(&claim, &user).then(|| SignedIn {
            authenticator: authenticator.name(),
            user,
        }))
    }

    /// The person `fields` prove, by the first authenticator whose fields the form filled in;
    /// `None` for nobody.
    pub async fn sign_in(&self, fields: &SignInFields) -> Result<Option<SignedIn>, OAuthError> {
        for authenticator in &self.authenticators {
            let filled = authenticator
                .fields()
                .iter()
                .any(|field| fields.get(field.name).is_some_and(|v| !v.is_empty()));
            if !filled {
                continue;
            }
            if let Some(user) = authenticator.sign_in(fields).await? {
                return Ok(Some(SignedIn {
                    authenticator: authenticator.name(),
                    user,
                }));
            }
        }
        Ok(None)
    }

    /// The `Set-Cookie` value that starts a session for `signed_in`.
    pub fn session_cookie(&self, req: &Request, signed_in: &SignedIn) -> String {
        let now = self.engine.clock().now();
        let value = self
            .sessions
            .seal(signed_in.authenticator, &signed_in.user, now);
        self.cookie_header(req, &value, self.sessions.lifetime())
    }

    /// The `Set-Cookie` value that ends the session.
    pub fn cleared_session_cookie(&self, req: &Request) -> String {
        self.cookie_header(req, "", 0)
    }

    fn cookie_header(&self, req: &Request, value: &str, max_age: i64) -> String {
        self.named_cookie_header(req, self.cookie_name(req, &SESSION), value, max_age)
    }

    /// `name` as answers to `req` call it.
    fn cookie_name(&self, req: &Request, name: &CookieName) -> &'static str {
        if self.secure(req) {
            name.secure
        } else {
            name.plain
        }
    }

    /// A cookie only this server's pages read: `HttpOnly`, `SameSite=Lax` (sent on the
    /// top-level navigation back from another site, never on its subrequests), `Secure` on https.
    fn named_cookie_header(&self, req: &Request, name: &str, value: &str, max_age: i64) -> String {
        let secure = if self.secure(req) { "; Secure" } else { "" };
        format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly{secure}; SameSite=Lax")
    }

    /// The `Set-Cookie` value that remembers `pending` in this browser for ten minutes, sealed
    /// so that nothing but this server can make one.
    pub fn pending_sign_in_cookie(&self, req: &Request, pending: &PendingSignIn) -> String {
        let payload = serde_json::to_string(pending).unwrap_or_default();
        let now = self.engine.clock().now();
        let seal = self.consent_seal.seal(&pending_payload(&payload), now);
        let value = format!("{}.{seal}", URL_SAFE_NO_PAD.encode(payload));
        self.named_cookie_header(
            req,
            self.cookie_name(req, &PENDING),
            &value,
            PENDING_LIFETIME,
        )
    }

    /// The sign-in at another site this browser started, when its cookie is sealed by this
    /// server and less than ten minutes old.
    pub fn pending_sign_in(&self, req: &Request) -> Option<PendingSignIn> {
        let value = cookie(req, self.cookie_name(req, &PENDING))?;
        let (payload, seal) = value.split_once('.')?;
        let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
        let now = self.engine.clock().now();
        if !self
            .consent_seal
            .open(seal, &pending_payload(&payload), now)
        {
            return None;
        }
        serde_json::from_str(&payload).ok()
    }
}

/// What the pending sign-in's seal covers: marked, so no other sealed form can stand in for it.
fn pending_payload(payload: &str) -> String {
    format!("sign-in elsewhere\n{payload}")
}

/// The value of the cookie `name` the request carries.
fn cookie(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"').to_owned())
}

/// The sign-in fields a form carried: the `owner-key` authenticator's `api_key`, the `local`
/// one's `username` and `password`.
pub fn sign_in_fields(
    api_key: &Option<String>,
    username: &Option<String>,
    password: &Option<String>,
) -> SignInFields {
    let mut fields = SignInFields::default();
    for (name, value) in [
        ("api_key", api_key),
        ("username", username),
        ("password", password),
    ] {
        if let Some(value) = value {
            fields = fields.with(name, value.as_str());
        }
    }
    fields
}
