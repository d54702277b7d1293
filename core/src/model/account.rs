//! People: local accounts (the `local` authenticator's), their roles, and the grants people
//! approved for clients (remembered consent and the connected-apps list).

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::clock::UnixTime;
use crate::model::{ClientId, Scope, ScopeSet};

/// The subject of everything the owner does with the API key (`MCP_API_KEY`), and of grants
/// the `owner-key` authenticator approves. No account may take this name.
pub const OWNER: &str = "owner";

/// What a person may grant to the applications they connect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Read memories.
    Reader,
    /// Read, store, change and delete memories.
    Writer,
    /// Everything, administration included; sees every person's connected apps.
    Admin,
}

impl Role {
    /// Every role, least first.
    pub const ALL: [Role; 3] = [Role::Reader, Role::Writer, Role::Admin];

    /// The role's name, as the CLI and settings write it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Reader => "reader",
            Self::Writer => "writer",
            Self::Admin => "admin",
        }
    }

    /// The scopes a person with this role may grant: staying connected (`offline_access`)
    /// always, and the memory scopes up to the role's.
    pub fn grantable(self) -> ScopeSet {
        let top = match self {
            Self::Reader => Scope::Read,
            Self::Writer => Scope::Write,
            Self::Admin => Scope::Admin,
        };
        Scope::ALL
            .into_iter()
            .filter(|scope| top.grants(*scope) || *scope == Scope::OfflineAccess)
            .collect()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(name: &str) -> std::result::Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == name)
            .ok_or_else(|| format!("unknown role '{name}': one of reader, writer, admin"))
    }
}

/// Longest account name.
pub const MAX_ACCOUNT_NAME: usize = 64;

/// A local account: a person who signs in with a name and a password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The name they sign in with, and the `sub` of the grants they approve.
    pub name: String,
    /// What they may grant.
    pub role: Role,
    /// The password's argon2id hash, as a PHC string; never the password.
    pub password_hash: String,
    /// When the account was made.
    pub created_at: UnixTime,
}

impl Account {
    /// Checks a proposed account name (the error says what is wrong): 1 to 64 letters, digits and `.`, `_`, `-`, `@`, not
    /// starting with a punctuation mark, and not the owner's name.
    pub fn check_name(name: &str) -> Result<(), String> {
        let refuse = |why: &str| format!("account name '{name}' {why}");
        if name.is_empty() || name.len() > MAX_ACCOUNT_NAME {
            return Err(refuse("must be 1 to 64 characters long"));
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
        {
            return Err(refuse(
                "may hold only letters, digits and the characters . _ - @",
            ));
        }
        if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(refuse("must start with a letter or a digit"));
        }
        if name.eq_ignore_ascii_case(OWNER) {
            return Err(refuse("is reserved for the API key's owner"));
        }
        Ok(())
    }
}

/// What one person approved for one client: the consent the server remembers, and a line of
/// their connected apps. Revoking it ends every token of the grant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// Who approved.
    pub subject: String,
    /// The client they approved.
    pub client_id: ClientId,
    /// Every scope they approved for it.
    pub scope: ScopeSet,
    /// The hosts of the redirect URIs they approved it for.
    pub redirect_hosts: BTreeSet<String>,
    /// When this grant was first approved (after a revocation, approved anew). Access tokens
    /// issued before it belong to an earlier, revoked grant.
    pub granted_at: UnixTime,
    /// When a token was last issued for it.
    pub last_used_at: UnixTime,
    /// When it was revoked; a revoked grant's tokens are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<UnixTime>,
}

impl Consent {
    /// Whether the person approved `scope` for answers going to `redirect_host` already, so
    /// they need not be asked again.
    pub fn covers(&self, scope: &ScopeSet, redirect_host: &str) -> bool {
        self.revoked_at.is_none()
            && self.scope.is_superset(scope)
            && self.redirect_hosts.contains(redirect_host)
    }

    /// Whether an access token of this grant issued at `issued_at` is refused: the grant is
    /// revoked, or the token is from an earlier grant that was revoked.
    pub fn refuses_token_issued_at(&self, issued_at: UnixTime) -> bool {
        self.revoked_at.is_some() || issued_at < self.granted_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_grant_up_to_their_scope() {
        assert_eq!(Role::Reader.grantable().to_string(), "read offline_access");
        assert_eq!(
            Role::Writer.grantable().to_string(),
            "read write offline_access"
        );
        assert_eq!(
            Role::Admin.grantable().to_string(),
            "read write admin offline_access"
        );
        assert_eq!("writer".parse::<Role>(), Ok(Role::Writer));
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn account_names() {
        for good in ["alice", "bob.smith", "carol@example.com", "d_e-f", "7"] {
            assert!(Account::check_name(good).is_ok(), "{good}");
        }
        let long = "a".repeat(65);
        for bad in ["", "owner", "Owner", ".x", "a b", "é", "a/b", long.as_str()] {
            assert!(Account::check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_consent_covers_its_scopes_and_hosts_until_revoked() {
        let mut consent = Consent {
            subject: "alice".into(),
            client_id: ClientId::new("c"),
            scope: "read write".parse().unwrap(),
            redirect_hosts: ["claude.ai".to_owned()].into(),
            granted_at: 100,
            last_used_at: 100,
            revoked_at: None,
        };
        assert!(consent.covers(&"read".parse().unwrap(), "claude.ai"));
        assert!(!consent.covers(&"read admin".parse().unwrap(), "claude.ai"));
        assert!(!consent.covers(&"read".parse().unwrap(), "evil.example"));
        assert!(consent.refuses_token_issued_at(99));
        assert!(!consent.refuses_token_issued_at(100));
        consent.revoked_at = Some(200);
        assert!(!consent.covers(&"read".parse().unwrap(), "claude.ai"));
        assert!(consent.refuses_token_issued_at(300));
    }
}
