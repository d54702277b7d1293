//! The settings of the PASETO signers: none.

use mcp_oauth_core::schemars::JsonSchema;
use serde::Deserialize;

/// The PASETO signers read no settings: their keys are generated and kept in the key ring.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(crate = "mcp_oauth_core::schemars")]
pub struct PasetoConfig {}
