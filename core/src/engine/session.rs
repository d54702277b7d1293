//! Browser sessions: after someone signs in on the consent page, a cookie says who they are, so
//! the next authorization within the session's lifetime asks nothing but consent. The cookie
//! holds the authenticator's name, the subject and the expiry, sealed with an HMAC that also
//! covers the person's current credential stamp: a new password, a new owner key or a removed
//! account ends the session. Nothing is stored; signing out removes the cookie.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::authenticator::User;
use crate::clock::UnixTime;

/// What a session cookie claims, before the person is looked up and the seal checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionClaim {
    /// The authenticator that signed them in.
    pub authenticator: String,
    /// Who signed in.
    pub subject: String,
    /// When the session ends.
    pub expires_at: UnixTime,
    mac: Vec<u8>,
}

/// Seals and opens session cookies with a server key (kept in the key store, so every replica
/// accepts the sessions of the others).
pub struct SessionSeal {
    key: Vec<u8>,
    lifetime: i64,
}

impl SessionSeal {
    /// A seal with `key`, for sessions of `lifetime` seconds.
    pub fn new(key: Vec<u8>, lifetime: i64) -> Self {
        Self { key, lifetime }
    }

    /// How long a session lasts, in seconds.
    pub fn lifetime(&self) -> i64 {
        self.lifetime
    }

    /// The cookie value for `user`, signed in by `authenticator` at `now`.
    pub fn seal(&self, authenticator: &str, user: &User, now: UnixTime) -> String {
        let expires_at = now + self.lifetime;
        let mac = self
            .mac(authenticator, &user.subject, expires_at, &user.stamp)
            .finalize()
            .into_bytes();
        format!(
            "{}.{}.{expires_at}.{}",
            URL_SAFE_NO_PAD.encode(authenticator),
            URL_SAFE_NO_PAD.encode(&user.subject),
            URL_SAFE_NO_PAD.encode(mac)
        )
    }

    /// What `cookie` claims, if it is shaped like a session and has not expired at `now`.
    pub fn claim(&self, cookie: &str, now: UnixTime) -> Option<SessionClaim> {
        let mut parts = cookie.split('.');
        let text = |part: Option<&str>| {
            URL_SAFE_NO_PAD
                .decode(part?)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
        };
        let authenticator = text(parts.next())?;
        let subject = text(parts.next())?;
        let expires_at: UnixTime = parts.next()?.parse().ok()?;
        let mac = URL_SAFE_NO_PAD.decode(parts.next()?).ok()?;
        if parts.next().is_some() || expires_at <= now || expires_at > now + self.lifetime {
            return None;
        }
        Some(SessionClaim {
            authenticator,
            subject,
            expires_at,
            mac,
        })
    }

    /// Whether `claim` was sealed by this key for `user` as they are now (compared in constant
    /// time).
    pub fn holds(&self, claim: &SessionClaim, user: &User) -> bool {
        user.subject == claim.subject
            && self
                .mac(
                    &claim.authenticator,
                    &claim.subject,
                    claim.expires_at,
                    &user.stamp,
                )
                .verify_slice(&claim.mac)
                .is_ok()
    }

    fn mac(
        &self,
        authenticator: &str,
        subject: &str,
        expires_at: UnixTime,
        stamp: &str,
    ) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        for part in [authenticator, subject, &expires_at.to_string(), stamp] {
            // Length-prefixed, so no two different tuples feed the same bytes.
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Role;

    fn alice(stamp: &str) -> User {
        User {
            subject: "alice".into(),
            role: Role::Writer,
            stamp: stamp.into(),
        }
    }

    #[test]
    fn a_session_holds_for_its_person_until_it_expires_or_their_credentials_change() {
        let seal = SessionSeal::new(b"key".to_vec(), 3600);
        let cookie = seal.seal("local", &alice("hash-1"), 1_000);
        let claim = seal.claim(&cookie, 1_100).expect("well formed");
        assert_eq!(
            (claim.authenticator.as_str(), claim.subject.as_str()),
            ("local", "alice")
        );
        assert!(seal.holds(&claim, &alice("hash-1")));
        assert!(
            !seal.holds(&claim, &alice("hash-2")),
            "a new password ends it"
        );
        let bob = User {
            subject: "bob".into(),
            ..alice("hash-1")
        };
        assert!(!seal.holds(&claim, &bob));
        assert!(seal.claim(&cookie, 1_000 + 3600).is_none(), "expired");
        let other = SessionSeal::new(b"other".to_vec(), 3600);
        assert!(!other.holds(&other.claim(&cookie, 1_100).unwrap(), &alice("hash-1")));
        for garbage in [
            "",
            "a.b.c",
            "a.b.c.d.e",
            "bG9jYWw.YWxpY2U.zz.AA",
            "....",
            "✓.✓.1.✓",
        ] {
            assert!(seal.claim(garbage, 1_100).is_none(), "{garbage}");
        }
    }
}
