//! Redirect URIs: what registration accepts (OAuth 2.1 §2.3.1, RFC 8252 §7) and how an authorization
//! request's `redirect_uri` is matched against the registered ones.

use std::fmt;

use serde::{Deserialize, Serialize};
use url::{Host, Url};

use crate::error::{ErrorCode, OAuthError};

/// Schemes that can run code or read local data in a browser, or are not redirect targets at all.
const FORBIDDEN_SCHEMES: &[&str] = &[
    "javascript",
    "data",
    "file",
    "vbscript",
    "about",
    "blob",
    "filesystem",
    "ws",
    "wss",
    "ftp",
];

/// Where a redirect URI leads, which tells the person at the consent page who receives the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedirectKind {
    /// An `https` URI: a web application.
    Web,
    /// An `http` URI on a loopback host: a program running on the person's own machine.
    Loopback,
    /// A private-use scheme (`cursor://…`): a native application on the person's machine.
    PrivateUse,
}

/// A registered redirect URI, validated at registration and kept exactly as the client sent it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RedirectUri(String);

impl RedirectUri {
    /// Validates a redirect URI for registration.
    ///
    /// Accepted: `https` URIs; `http` URIs whose host is a loopback (`localhost`, `127.0.0.1`,
    /// `[::1]`, RFC 8252 §7.3); private-use schemes of native apps (RFC 8252 §7.1). Refused:
    /// relative URIs, fragments (RFC 6749 §3.1.2), wildcards, embedded credentials, plain `http` to
    /// other hosts, and schemes such as `javascript:`, `data:` and `file:`.
    pub fn parse(text: &str) -> Result<Self, OAuthError> {
        let refuse = |why: &str| {
            Err(OAuthError::new(
                ErrorCode::InvalidRedirectUri,
                format!("redirect URI {:?} {why}", excerpt(text)),
            ))
        };
        if text.len() > 2048 {
            return refuse("is longer than 2048 characters");
        }
        let Ok(url) = Url::parse(text) else {
            return refuse("is not an absolute URI");
        };
        if text.contains('#') {
            return refuse("must not contain a fragment");
        }
        if text.contains('*') {
            return refuse("must not contain wildcards");
        }
        if !url.username().is_empty() || url.password().is_some() {
            return refuse("must not contain credentials");
        }
        match url.scheme() {
            "https" if url.host().is_some() => Ok(Self(text.to_owned())),
            "https" => refuse("has no host"),
            "http" if is_loopback(&url) => Ok(Self(text.to_owned())),
            "http" => refuse("must use https unless its host is localhost, 127.0.0.1 or [::1]"),
            scheme if FORBIDDEN_SCHEMES.contains(&scheme) => {
                refuse("uses a scheme that is not allowed for redirects")
            }
            _ => Ok(Self(text.to_owned())),
        }
    }

    /// The URI as registered.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Where the URI leads.
    pub fn kind(&self) -> RedirectKind {
        match Url::parse(&self.0).as_ref().map(Url::scheme) {
            Ok("https") => RedirectKind::Web,
            Ok("http") => RedirectKind::Loopback,
            _ => RedirectKind::PrivateUse,
        }
    }

    /// Whether an authorization request's `redirect_uri` designates this registered URI.
    ///
    /// The comparison is exact, character for character, except for `http` loopback URIs, which
    /// match on any port (RFC 8252 §7.3): native clients such as Claude Code listen on a random
    /// port and register the URI without one. Host, path and query must still be identical.
    pub fn matches(&self, requested: &str) -> bool {
        if self.0 == requested {
            return true;
        }
        let (Ok(registered), Ok(requested)) = (Url::parse(&self.0), Url::parse(requested)) else {
            return false;
        };
        if registered.scheme() != "http" || !is_loopback(&registered) {
            return false;
        }
        let without_port = |url: &Url| {
            let mut url = url.clone();
            let _ = url.set_port(None);
            url
        };
        requested.fragment().is_none()
            && requested.username().is_empty()
            && requested.password().is_none()
            && without_port(&registered).as_str() == without_port(&requested).as_str()
    }

    /// The host a user will be sent to, for the consent page.
    pub fn host(&self) -> String {
        Url::parse(&self.0)
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned))
            .unwrap_or_else(|| self.0.split(':').next().unwrap_or_default().to_owned())
    }
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether the URL's host is a loopback name or address.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A short, printable excerpt of client input for an error description.
fn excerpt(text: &str) -> String {
    text.chars().take(80).filter(|c| !c.is_control()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_https_loopback_http_and_private_use_schemes() {
        for uri in [
            "https://example.com/callback",
            "http://localhost/callback",
            "http://127.0.0.1:33418/",
            "http://[::1]:8080/cb",
            "cursor://anysphere.cursor-retrieval/oauth/callback",
            "com.example.app:/oauth2redirect",
        ] {
            assert!(RedirectUri::parse(uri).is_ok(), "{uri} should be accepted");
        }
    }

    #[test]
    fn refuses_dangerous_or_malformed_uris() {
        for uri in [
            "http://example.com/callback",
            "https://example.com/cb#frag",
            "https://*.example.com/cb",
            "https://user:pass@example.com/cb",
            "javascript:alert(1)",
            "data:text/html,hi",
            "file:///etc/passwd",
            "/relative/path",
            "",
            "http://localhost.evil.com/cb",
        ] {
            let error = RedirectUri::parse(uri).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidRedirectUri, "{uri}");
        }
    }

    #[test]
    fn matching_is_exact_except_loopback_ports() {
        let https = RedirectUri::parse("https://example.com/callback").unwrap();
        assert!(https.matches("https://example.com/callback"));
        assert!(!https.matches("https://example.com/callback/"));
        assert!(!https.matches("https://example.com/callback?x=1"));
        assert!(!https.matches("https://EXAMPLE.com/callback"));
        assert!(!https.matches("https://example.com:8443/callback"));

        let loopback = RedirectUri::parse("http://localhost/callback").unwrap();
        assert!(loopback.matches("http://localhost:54321/callback"));
        assert!(loopback.matches("http://localhost/callback"));
        assert!(!loopback.matches("http://127.0.0.1:54321/callback"));
        assert!(!loopback.matches("http://localhost:54321/other"));
        assert!(!loopback.matches("http://localhost:54321/callback#x"));
        assert!(!loopback.matches("https://localhost:54321/callback"));

        let with_port = RedirectUri::parse("http://127.0.0.1:3000/cb").unwrap();
        assert!(with_port.matches("http://127.0.0.1:4000/cb"));
    }
}
