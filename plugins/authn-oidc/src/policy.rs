//! Who may sign in, and as what: the allow list (emails, email domains, groups), the claim that
//! names a person, and the role each person gets.

use std::collections::BTreeSet;

use mcp_oauth_core::authenticator::User;
use mcp_oauth_core::model::Role;
use mcp_oauth_core::secret::SecretHash;

/// Longest subject accepted from a provider.
const MAX_SUBJECT: usize = 256;

/// The claim that names a person in tokens, grants and memories.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubjectClaim {
    /// `email`, lower-cased (the default): people read it, and allow lists are written in it.
    Email,
    /// `preferred_username` (Entra's user principal name, Keycloak's user name).
    PreferredUsername,
    /// `sub`: stable at the provider, unreadable to people.
    Sub,
}

impl SubjectClaim {
    /// The claim called `name`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "email" => Some(Self::Email),
            "preferred_username" => Some(Self::PreferredUsername),
            "sub" => Some(Self::Sub),
            _ => None,
        }
    }
}

/// What the provider said about a person, as far as the policy reads it.
#[derive(Debug, Default)]
pub struct Claims {
    /// `sub`.
    pub sub: String,
    /// `email`.
    pub email: Option<String>,
    /// `email_verified`, when the provider sends it.
    pub email_verified: Option<bool>,
    /// `preferred_username`.
    pub preferred_username: Option<String>,
    /// The groups claim's values.
    pub groups: Vec<String>,
}

/// Who may sign in, and as what.
#[derive(Debug)]
pub struct Policy {
    /// The claim naming people.
    pub subject_claim: SubjectClaim,
    /// Emails let in (lower-cased); `*` lets in everyone the provider signs in.
    pub emails: BTreeSet<String>,
    /// Email domains let in (lower-cased).
    pub domains: BTreeSet<String>,
    /// Groups let in.
    pub groups: BTreeSet<String>,
    /// Subjects who are administrators.
    pub admins: BTreeSet<String>,
    /// Everyone else's role.
    pub role: Role,
    /// Changes whenever the policy or the provider changes: sessions made before end.
    pub stamp: String,
}

impl Policy {
    /// A policy; its stamp covers every rule and `provider` (issuer and client).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        subject_claim: SubjectClaim,
        emails: BTreeSet<String>,
        domains: BTreeSet<String>,
        groups: BTreeSet<String>,
        admins: BTreeSet<String>,
        role: Role,
        provider: &str,
    ) -> Self {
        let stamp = SecretHash::of(
            format!("{provider}\n{subject_claim:?}\n{emails:?}\n{domains:?}\n{groups:?}\n{admins:?}\n{role}")
                .as_bytes(),
        )
        .as_str()
        .to_owned();
        Self {
            subject_claim,
            emails,
            domains,
            groups,
            admins,
            role,
            stamp,
        }
    }

    /// The person `claims` describe, or why they may not sign in (read by the person).
    pub fn admit(&self, claims: &Claims) -> Result<User, String> {
        let email = claims.email.as_deref().map(str::to_ascii_lowercase);
        if email.is_some() && claims.email_verified == Some(false) {
            return Err(
                "the provider says your email address is not verified; verify it there and try again"
                    .into(),
            );
        }
        let subject = match self.subject_claim {
            SubjectClaim::Email => email.clone(),
            SubjectClaim::PreferredUsername => claims.preferred_username.clone(),
            SubjectClaim::Sub => Some(claims.sub.clone()),
        }
        .filter(|subject| plausible(subject))
        .ok_or_else(|| {
            format!(
                "the provider did not say who you are (no usable {} claim)",
                match self.subject_claim {
                    SubjectClaim::Email => "email",
                    SubjectClaim::PreferredUsername => "preferred_username",
                    SubjectClaim::Sub => "sub",
                }
            )
        })?;
        let by_email = email
            .as_deref()
            .is_some_and(|email| self.email_allowed(email));
        let by_group = claims
            .groups
            .iter()
            .any(|group| self.groups.contains(group));
        if !(by_email || by_group) {
            return Err(format!(
                "{subject} is not on this server's list of people who may sign in; ask its \
                 administrator"
            ));
        }
        Ok(self.user(subject))
    }

    /// The person a browser session names, as far as the policy can tell without the provider:
    /// an email or domain still on the list. People let in by a group are taken on trust until
    /// the session ends (groups are read at sign-in only).
    pub fn recall(&self, subject: &str) -> Option<User> {
        if !plausible(subject) {
            return None;
        }
        let allowed = match self.subject_claim {
            SubjectClaim::Email => self.email_allowed(subject) || !self.groups.is_empty(),
            SubjectClaim::PreferredUsername | SubjectClaim::Sub => {
                self.emails.contains("*") || !self.groups.is_empty() || {
                    // Only an email list can be checked again; domains need an email.
                    self.emails.contains(&subject.to_ascii_lowercase())
                }
            }
        };
        allowed.then(|| self.user(subject.to_owned()))
    }

    fn email_allowed(&self, email: &str) -> bool {
        let email = email.to_ascii_lowercase();
        if self.emails.contains("*") || self.emails.contains(&email) {
            return true;
        }
        email
            .rsplit_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && self.domains.contains(domain))
    }

    fn user(&self, subject: String) -> User {
        let role = if self.admins.contains(&subject) {
            Role::Admin
        } else {
            self.role
        };
        User {
            subject,
            role,
            stamp: self.stamp.clone(),
        }
    }
}

/// Whether `subject` can name a person: not empty, not too long, no control characters.
fn plausible(subject: &str) -> bool {
    !subject.is_empty() && subject.len() <= MAX_SUBJECT && !subject.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|item| item.to_string()).collect()
    }

    fn policy() -> Policy {
        Policy::new(
            SubjectClaim::Email,
            set(&["boss@else.test"]),
            set(&["example.test"]),
            set(&["engineering"]),
            set(&["boss@else.test"]),
            Role::Writer,
            "https://id.example.test",
        )
    }

    fn claims(email: &str, groups: &[&str]) -> Claims {
        Claims {
            sub: "s-1".into(),
            email: Some(email.into()),
            email_verified: Some(true),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            ..Claims::default()
        }
    }

    #[test]
    fn people_are_let_in_by_email_domain_or_group_and_named_by_lower_cased_email() {
        let policy = policy();
        let ann = policy.admit(&claims("Ann@Example.test", &[])).unwrap();
        assert_eq!(
            (ann.subject.as_str(), ann.role),
            ("ann@example.test", Role::Writer)
        );
        let boss = policy.admit(&claims("boss@else.test", &[])).unwrap();
        assert_eq!(boss.role, Role::Admin);
        assert!(
            policy
                .admit(&claims("eve@elsewhere.test", &["engineering"]))
                .is_ok()
        );
        let refused = policy
            .admit(&claims("eve@elsewhere.test", &["sales"]))
            .unwrap_err();
        assert!(
            refused.contains("eve@elsewhere.test is not on"),
            "{refused}"
        );
        // A domain is matched whole: a look-alike suffix is not the domain.
        assert!(policy.admit(&claims("x@badexample.test", &[])).is_err());
        assert!(policy.admit(&claims("@example.test", &[])).is_err());
    }

    #[test]
    fn an_unverified_email_or_a_missing_subject_is_refused_with_the_reason() {
        let policy = policy();
        let mut unverified = claims("ann@example.test", &[]);
        unverified.email_verified = Some(false);
        assert!(
            policy
                .admit(&unverified)
                .unwrap_err()
                .contains("not verified")
        );
        let nameless = Claims {
            sub: "s-1".into(),
            ..Claims::default()
        };
        assert!(
            policy
                .admit(&nameless)
                .unwrap_err()
                .contains("no usable email claim")
        );
    }

    #[test]
    fn a_session_is_recalled_while_its_email_is_still_allowed() {
        let policy = Policy::new(
            SubjectClaim::Email,
            BTreeSet::new(),
            set(&["example.test"]),
            BTreeSet::new(),
            BTreeSet::new(),
            Role::Reader,
            "https://id.example.test",
        );
        let ann = policy.admit(&claims("ann@example.test", &[])).unwrap();
        assert_eq!(policy.recall("ann@example.test"), Some(ann));
        assert_eq!(policy.recall("eve@elsewhere.test"), None);
        assert_eq!(policy.recall(""), None);
        assert_eq!(policy.recall("a\nb@example.test"), None);
    }

    #[test]
    fn the_stamp_changes_with_the_rules() {
        let before = policy();
        let after = Policy::new(
            SubjectClaim::Email,
            set(&["boss@else.test"]),
            set(&["example.test"]),
            BTreeSet::new(),
            set(&["boss@else.test"]),
            Role::Writer,
            "https://id.example.test",
        );
        assert_ne!(before.stamp, after.stamp);
    }
}
