//! The memory tools of the MCP endpoint. Each tool checks the caller's scope (storing and deleting
//! need `write`), on top of the HTTP-level check in [`super::guard`] that answers 403 with a
//! step-up challenge before the call reaches here.

use std::sync::Arc;

use mcp_oauth_core::engine::Principal;
use mcp_oauth_core::memories::{
    DEFAULT_SEARCH_RESULTS, Listing, MAX_PAGE_SIZE, MAX_SEARCH_RESULTS, NewMemory, Stored,
};
use mcp_oauth_core::model::{Memory, Scope};
use mcp_oauth_core::{ErrorCode, OAuthError};
use mcp_oauth_openapi::AppState;
use rmcp::handler::server::common::Extension;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, Implementation, ServerCapabilities, ServerConfig};
use rmcp::{ErrorData, ServerHandler, schemars, tool, tool_handler, tool_router};
use serde::Deserialize;
use serde_json::{Value, json};

/// Arguments of `store_memory`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct StoreArgs {
    /// The text to remember.
    pub content: String,
    /// Tags to find it by.
    #[serde(default)]
    pub tags: Vec<String>,
    /// A free-form type, e.g. `note`, `decision`.
    pub memory_type: Option<String>,
    /// A JSON object of free-form metadata.
    pub metadata: Option<serde_json::Map<String, Value>>,
}

/// Arguments of `retrieve_memory`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct RetrieveArgs {
    /// Words to look for.
    pub query: String,
    /// Most results (default 5, at most 100).
    pub n_results: Option<u32>,
}

/// Arguments of `search_by_tag`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct TagArgs {
    /// Tags to look for.
    pub tags: Vec<String>,
    /// Require every tag (default: any).
    pub match_all: Option<bool>,
}

/// Arguments of `list_memories`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ListArgs {
    /// Page number, from 1 (default 1).
    pub page: Option<u32>,
    /// Memories per page, 1 to 100 (default 10).
    pub page_size: Option<u32>,
    /// Only memories with this tag.
    pub tag: Option<String>,
    /// Only memories of this type.
    pub memory_type: Option<String>,
}

/// Arguments of `delete_memory`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct DeleteArgs {
    /// The memory's content hash.
    pub content_hash: String,
}

/// The scope a tool needs; `None` for an unknown tool (rmcp answers it).
pub fn required_scope(tool: &str) -> Option<Scope> {
    match tool {
        "store_memory" | "delete_memory" => Some(Scope::Write),
        "retrieve_memory" | "search_by_tag" | "list_memories" | "check_database_health" => {
            Some(Scope::Read)
        }
        _ => None,
    }
}

/// The memory tools, over the shared state.
#[derive(Clone)]
pub struct MemoryTools {
    state: Arc<AppState>,
    tool_router: ToolRouter<Self>,
}

impl MemoryTools {
    /// The tools over `state`.
    pub fn new(state: Arc<AppState>) -> Self {
        Self {
            state,
            tool_router: Self::tool_router(),
        }
    }
}

type ToolResult = Result<CallToolResult, ErrorData>;

/// The principal the HTTP guard authenticated.
fn caller(parts: &http::request::Parts) -> Result<&Principal, ErrorData> {
    parts
        .extensions
        .get::<Principal>()
        .ok_or_else(|| ErrorData::invalid_request("not authenticated", None))
}

fn json_result(value: Value) -> ToolResult {
    Ok(CallToolResult::success(vec![ContentBlock::text(
        value.to_string(),
    )]))
}

/// A protocol error as a tool error the model can read; internal faults stay opaque.
fn tool_error(error: impl Into<OAuthError>) -> ToolResult {
    let error = error.into();
    mcp_oauth_openapi::log_fault(&error);
    if matches!(error.code, ErrorCode::ServerError) {
        return Err(ErrorData::internal_error(
            "the server met an internal error",
            None,
        ));
    }
    Ok(CallToolResult::error(vec![ContentBlock::text(format!(
        "{}: {}",
        error.code, error.description
    ))]))
}

fn memory_json(memory: &Memory) -> Value {
    json!({
        "content_hash": memory.content_hash,
        "content": memory.content,
        "tags": memory.tags,
        "memory_type": memory.memory_type,
        "metadata": memory.metadata,
        "created_at": memory.created_at,
        "updated_at": memory.updated_at,
        "stored_by": memory.stored_by,
    })
}

#[tool_router]
impl MemoryTools {
    /// Stores a memory.
    #[tool(
        description = "Store a memory (text with optional tags, type and metadata). Needs the write scope."
    )]
    async fn store_memory(
        &self,
        Extension(parts): Extension<http::request::Parts>,
        Parameters(args): Parameters<StoreArgs>,
    ) -> ToolResult {
        let new = NewMemory {
            content: args.content,
            tags: args.tags,
            memory_type: args.memory_type,
            metadata: args.metadata.map(Value::Object),
        };
        match self.state.memories.store(caller(&parts)?, new).await {
            Ok(Stored::Created(memory)) => {
                json_result(json!({"stored": true, "memory": memory_json(&memory)}))
            }
            Ok(Stored::AlreadyStored(existing)) => json_result(
                json!({"stored": false, "message": "already stored", "memory": memory_json(&existing)}),
            ),
            Err(error) => tool_error(error),
        }
    }

    /// Finds memories by text relevance.
    #[tool(
        description = "Find memories relevant to a text query, best first. Needs the read scope."
    )]
    async fn retrieve_memory(
        &self,
        Extension(parts): Extension<http::request::Parts>,
        Parameters(args): Parameters<RetrieveArgs>,
    ) -> ToolResult {
        // A model's out-of-range number is brought into range rather than refused.
        let limit = args
            .n_results
            .map_or(DEFAULT_SEARCH_RESULTS, |n| n as usize)
            .clamp(1, MAX_SEARCH_RESULTS);
        let hits = self
            .state
            .memories
            .search(caller(&parts)?, &args.query, Some(limit));
        match hits.await {
            Ok(hits) => json_result(json!({
                "query": args.query,
                "results": hits.iter().map(|hit| json!({"memory": memory_json(&hit.memory), "similarity_score": hit.score})).collect::<Vec<_>>(),
            })),
            Err(error) => tool_error(error),
        }
    }

    /// Finds memories by tags.
    #[tool(
        description = "Find memories carrying any (or, with match_all, every) of the tags. Needs the read scope."
    )]
    async fn search_by_tag(
        &self,
        Extension(parts): Extension<http::request::Parts>,
        Parameters(args): Parameters<TagArgs>,
    ) -> ToolResult {
        let match_all = args.match_all.unwrap_or(false);
        let found = self
            .state
            .memories
            .by_tags(caller(&parts)?, args.tags, match_all);
        match found.await {
            Ok(found) => json_result(
                json!({"memories": found.memories.iter().map(memory_json).collect::<Vec<_>>(), "total": found.total}),
            ),
            Err(error) => tool_error(error),
        }
    }

    /// Lists memories, newest first.
    #[tool(description = "List memories, newest first, a page at a time. Needs the read scope.")]
    async fn list_memories(
        &self,
        Extension(parts): Extension<http::request::Parts>,
        Parameters(args): Parameters<ListArgs>,
    ) -> ToolResult {
        let page = args.page.unwrap_or(1).max(1) as usize;
        let page_size = args.page_size.unwrap_or(10).clamp(1, MAX_PAGE_SIZE as u32) as usize;
        let listing = Listing {
            tag: args.tag,
            memory_type: args.memory_type,
            page,
            page_size,
        };
        match self.state.memories.list(caller(&parts)?, listing).await {
            Ok(found) => json_result(json!({
                "memories": found.memories.iter().map(memory_json).collect::<Vec<_>>(),
                "total": found.total,
                "page": page,
                "page_size": page_size,
                "has_more": page * page_size < found.total,
            })),
            Err(error) => tool_error(error),
        }
    }

    /// Deletes a memory.
    #[tool(description = "Delete a memory by its content hash. Needs the write scope.")]
    async fn delete_memory(
        &self,
        Extension(parts): Extension<http::request::Parts>,
        Parameters(args): Parameters<DeleteArgs>,
    ) -> ToolResult {
        let deleted = self
            .state
            .memories
            .delete(caller(&parts)?, &args.content_hash);
        match deleted.await {
            Ok(deleted) => {
                json_result(json!({"deleted": deleted, "content_hash": args.content_hash}))
            }
            Err(error) => tool_error(error),
        }
    }

    /// Reports the storage's health.
    #[tool(description = "Check that the memory storage answers. Needs the read scope.")]
    async fn check_database_health(
        &self,
        Extension(parts): Extension<http::request::Parts>,
    ) -> ToolResult {
        let storage = self.state.storage_name.clone();
        match self.state.memories.tags(caller(&parts)?).await {
            Ok(tags) => {
                json_result(json!({"status": "healthy", "storage": storage, "tags": tags.len()}))
            }
            Err(error) if error.fault.is_some() => {
                mcp_oauth_openapi::log_fault(&error);
                json_result(
                    json!({"status": "unhealthy", "storage": storage, "error": error.description}),
                )
            }
            Err(error) => tool_error(error),
        }
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for MemoryTools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(
                "mcp-memory-service",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(
                "Long-term memory: store_memory to remember, retrieve_memory to recall.",
            )
    }
}
