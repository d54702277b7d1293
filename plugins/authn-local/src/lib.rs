#![doc = include_str!("../README.md")]

mod password;

pub use password::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, check_password, hash_password};

use std::sync::Arc;

use mcp_oauth_core::authenticator::{
    Authenticator, AuthenticatorContext, SignInField, SignInFields, User,
};
use mcp_oauth_core::budget::FailureBudget;
use mcp_oauth_core::model::{Account, MAX_ACCOUNT_NAME};
use mcp_oauth_core::registry::AuthenticatorPlugin;
use mcp_oauth_core::{AccountStore, ErrorCode, OAuthError, async_trait};

/// The name deployers choose this plugin by.
pub const NAME: &str = "local";

/// The fields of its sign-in.
const FIELDS: &[SignInField] = &[
    SignInField {
        name: "username",
        label: "User name",
        secret: false,
    },
    SignInField {
        name: "password",
        label: "Password",
        secret: true,
    },
];

/// The settings it reads: none; accounts are made with `memory users`.
#[derive(serde::Deserialize, mcp_oauth_core::schemars::JsonSchema)]
#[schemars(crate = "mcp_oauth_core::schemars")]
pub struct LocalConfig {}

/// People with accounts in the storage.
pub struct LocalAccounts {
    accounts: Arc<dyn AccountStore>,
    /// Failed sign-ins per account name.
    failures: FailureBudget<String>,
}

impl LocalAccounts {
    /// The person an account is.
    fn user(account: &Account) -> User {
        User {
            subject: account.name.clone(),
            role: account.role,
            // The hash changes with every new password (a new salt each time).
            stamp: account.password_hash.clone(),
        }
    }
}

#[async_trait]
impl Authenticator for LocalAccounts {
    fn name(&self) -> &'static str {
        NAME
    }

    fn fields(&self) -> &'static [SignInField] {
        FIELDS
    }

    fn refusal(&self) -> &'static str {
        "That user name or password is not correct."
    }

    async fn sign_in(&self, fields: &SignInFields) -> Result<Option<User>, OAuthError> {
        let (Some(name), Some(presented)) = (fields.get("username"), fields.get("password")) else {
            return Ok(None);
        };
        let name = name.trim();
        if name.is_empty() || name.len() > MAX_ACCOUNT_NAME || presented.len() > MAX_PASSWORD_CHARS
        {
            return Ok(None);
        }
        // Budgeted by account as people type it, case and all: guesses spread over many
        // addresses still meet this budget.
        let key = name.to_owned();
        self.failures
            .admit(&key, ErrorCode::TemporarilyUnavailable, "this account")?;
        let account = self.accounts.account(name).await?;
        let hash = account.as_ref().map(|a| a.password_hash.clone());
        let presented = presented.to_owned();
        let matches =
            tokio::task::spawn_blocking(move || password::verify(hash.as_deref(), &presented))
                .await
                .map_err(|_| {
                    OAuthError::new(ErrorCode::ServerError, "checking the password failed")
                })?;
        match account.filter(|_| matches) {
            Some(account) => Ok(Some(Self::user(&account))),
            None => {
                self.failures.failed(key);
                Ok(None)
            }
        }
    }

    async fn user(&self, subject: &str) -> Result<Option<User>, OAuthError> {
        if subject.is_empty() || subject.len() > MAX_ACCOUNT_NAME {
            return Ok(None);
        }
        Ok(self
            .accounts
            .account(subject)
            .await?
            .as_ref()
            .map(Self::user))
    }
}

fn open(context: AuthenticatorContext) -> mcp_oauth_core::Result<Arc<dyn Authenticator>> {
    Ok(Arc::new(LocalAccounts {
        accounts: context.accounts,
        failures: FailureBudget::default(),
    }))
}

mcp_oauth_core::inventory::submit! {
    AuthenticatorPlugin {
        name: NAME,
        summary: "People sign in with accounts kept in the storage (memory users add NAME --role ROLE)",
        config_schema: || mcp_oauth_core::schemars::schema_for!(LocalConfig),
        open,
    }
}
