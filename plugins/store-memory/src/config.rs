//! The settings of the `memory` storage: none.

use mcp_oauth_core::schemars::JsonSchema;
use serde::Deserialize;

/// The `memory` storage reads no settings.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(crate = "mcp_oauth_core::schemars")]
pub struct MemoryStoreConfig {}
