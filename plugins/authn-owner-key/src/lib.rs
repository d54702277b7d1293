#![doc = include_str!("../README.md")]

use std::sync::Arc;

use mcp_oauth_core::authenticator::{
    Authenticator, AuthenticatorContext, SignInField, SignInFields, User,
};
use mcp_oauth_core::registry::AuthenticatorPlugin;
use mcp_oauth_core::secret::SecretHash;
use mcp_oauth_core::{OAuthError, async_trait};

/// The name deployers choose this plugin by.
pub const NAME: &str = "owner-key";

/// The one field of its sign-in.
const FIELDS: &[SignInField] = &[SignInField {
    name: "api_key",
    label: "API key (MCP_API_KEY)",
    secret: true,
}];

/// The settings it reads.
#[derive(serde::Deserialize, mcp_oauth_core::schemars::JsonSchema)]
#[schemars(crate = "mcp_oauth_core::schemars")]
pub struct OwnerKeyConfig {
    /// The owner's API key: whoever presents it approves.
    #[serde(rename = "MCP_API_KEY")]
    pub api_key: Option<String>,
}

/// The owner, known by the API key.
pub struct OwnerKey {
    key: Option<SecretHash>,
}

impl OwnerKey {
    /// The owner, while a key is set: sessions end when the key changes.
    fn owner(&self) -> Option<User> {
        self.key
            .as_ref()
            .map(|key| User::owner(format!("owner-key/{}", key.as_str())))
    }
}

#[async_trait]
impl Authenticator for OwnerKey {
    fn name(&self) -> &'static str {
        NAME
    }

    fn fields(&self) -> &'static [SignInField] {
        FIELDS
    }

    fn refusal(&self) -> &'static str {
        "That API key is not correct."
    }

    async fn sign_in(&self, fields: &SignInFields) -> Result<Option<User>, OAuthError> {
        let proved = match (&self.key, fields.get("api_key")) {
            (Some(key), Some(presented)) => key.matches(presented),
            _ => false,
        };
        Ok(self.owner().filter(|_| proved))
    }

    async fn user(&self, subject: &str) -> Result<Option<User>, OAuthError> {
        Ok(self.owner().filter(|owner| owner.subject == subject))
    }
}

fn open(context: AuthenticatorContext) -> mcp_oauth_core::Result<Arc<dyn Authenticator>> {
    Ok(Arc::new(OwnerKey {
        key: context.owner_key,
    }))
}

mcp_oauth_core::inventory::submit! {
    AuthenticatorPlugin {
        name: NAME,
        summary: "The owner approves on the consent page with the API key (MCP_API_KEY)",
        config_schema: || mcp_oauth_core::schemars::schema_for!(OwnerKeyConfig),
        open,
    }
}
