//! Scopes (RFC 6749 §3.3): the fixed set this server grants, and space-delimited sets of them.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::OAuthError;

/// A scope this server understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Read memories.
    Read,
    /// Create, change and delete memories.
    Write,
    /// Administer the server (client records, introspection).
    Admin,
    /// Ask for a refresh token (OpenID Connect's convention, used by MCP clients).
    OfflineAccess,
}

impl Scope {
    /// Every scope, in the order metadata lists them.
    pub const ALL: [Scope; 4] = [
        Scope::Read,
        Scope::Write,
        Scope::Admin,
        Scope::OfflineAccess,
    ];

    /// The scope's wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Admin => "admin",
            Self::OfflineAccess => "offline_access",
        }
    }

    /// Whether holding this scope grants `other`: scopes form the hierarchy `admin ⊇ write ⊇
    /// read` (the MCP authorization spec of 2026-07-28 asks servers to account for it), so a
    /// token with `write` may read. `offline_access` grants only itself.
    pub const fn grants(self, other: Scope) -> bool {
        matches!(
            (self, other),
            (Self::Admin, Self::Admin | Self::Write | Self::Read)
                | (Self::Write, Self::Write | Self::Read)
                | (Self::Read, Self::Read)
                | (Self::OfflineAccess, Self::OfflineAccess)
        )
    }

    /// A one-line description, shown on the consent page and in the OpenAPI spec.
    pub const fn description(self) -> &'static str {
        match self {
            Self::Read => "Read your memories",
            Self::Write => "Store, change and delete your memories",
            Self::Admin => "Administer the memory service and its OAuth clients",
            Self::OfflineAccess => "Stay connected: receive a refresh token",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = OAuthError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == name)
            .ok_or_else(|| {
                OAuthError::invalid_scope(format!("unknown scope '{}'", printable(name)))
            })
    }
}

/// A set of scopes, written as space-delimited names (RFC 6749 §3.3).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ScopeSet(BTreeSet<Scope>);

impl ScopeSet {
    /// The empty set.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Whether the set has `scope`.
    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    /// Whether a holder of this set may do what needs `scope`, by the hierarchy of
    /// [`Scope::grants`]. Every check of a caller's permission asks this; [`contains`](Self::contains)
    /// is for what a token literally carries.
    pub fn grants(&self, scope: Scope) -> bool {
        self.iter().any(|held| held.grants(scope))
    }

    /// Whether every scope of `other` is in this set.
    pub fn is_superset(&self, other: &ScopeSet) -> bool {
        self.0.is_superset(&other.0)
    }

    /// Whether the set has no scope.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The scopes, in canonical order.
    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }

    /// This set without `scope`.
    pub fn without(&self, scope: Scope) -> ScopeSet {
        self.iter().filter(|s| *s != scope).collect()
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl FromStr for ScopeSet {
    type Err = OAuthError;

    /// Parses space-delimited scope names; an unknown name or a character outside RFC 6749's
    /// `NQCHAR` is `invalid_scope`. Runs of spaces are tolerated.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Some(bad) = text.chars().find(|c| !(*c == ' ' || is_nqchar(*c))) {
            return Err(OAuthError::invalid_scope(format!(
                "scope contains the character {bad:?}, which RFC 6749 §3.3 does not allow"
            )));
        }
        text.split(' ')
            .filter(|name| !name.is_empty())
            .map(Scope::from_str)
            .collect()
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, scope) in self.iter().enumerate() {
            if index > 0 {
                f.write_str(" ")?;
            }
            f.write_str(scope.as_str())?;
        }
        Ok(())
    }
}

impl Serialize for ScopeSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ScopeSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// RFC 6749 Appendix A: `NQCHAR = %x21 / %x23-5B / %x5D-7E`.
fn is_nqchar(c: char) -> bool {
    matches!(c, '\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e')
}

/// `text` cut to a short, printable excerpt for an error description.
fn printable(text: &str) -> String {
    text.chars().take(40).filter(|c| !c.is_control()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_canonically() {
        let set: ScopeSet = "write  read".parse().unwrap();
        assert_eq!(set.to_string(), "read write");
        assert!(set.contains(Scope::Read));
        assert!(!set.contains(Scope::Admin));
    }

    #[test]
    fn admin_grants_write_and_read_and_write_grants_read() {
        let write: ScopeSet = "write".parse().unwrap();
        assert!(write.grants(Scope::Read) && write.grants(Scope::Write));
        assert!(!write.grants(Scope::Admin) && !write.grants(Scope::OfflineAccess));
        let admin: ScopeSet = "admin".parse().unwrap();
        assert!(Scope::ALL[..3].iter().all(|scope| admin.grants(*scope)));
        let read: ScopeSet = "read offline_access".parse().unwrap();
        assert!(read.grants(Scope::Read) && !read.grants(Scope::Write));
        assert!(!ScopeSet::empty().grants(Scope::Read));
    }

    #[test]
    fn refuses_unknown_names_and_bad_characters() {
        assert!("read delete".parse::<ScopeSet>().is_err());
        assert!("read\"".parse::<ScopeSet>().is_err());
        assert!("read\twrite".parse::<ScopeSet>().is_err());
        assert!("".parse::<ScopeSet>().unwrap().is_empty());
    }

    #[test]
    fn supersets() {
        let wide: ScopeSet = "read write admin".parse().unwrap();
        let narrow: ScopeSet = "read".parse().unwrap();
        assert!(wide.is_superset(&narrow));
        assert!(!narrow.is_superset(&wide));
    }
}
