//! Metadata documents of well-known clients, pinned in the binary as `shared/CLIENTS.md` records
//! them (`core/pinned/*.json`). One is used only when its host does not serve the live document
//! and no copy of it is cached: a server offline, or one whose address the host refuses (claude.ai's
//! document host may refuse datacenter addresses), can still serve these clients. The live
//! document always wins when it can be had.

/// The pinned documents, by client id.
const PINNED: [(&str, &str); 3] = [
    (
        "https://claude.ai/oauth/mcp-oauth-client-metadata",
        include_str!("../../pinned/claude.ai.json"),
    ),
    (
        "https://chatgpt.com/oauth/client.json",
        include_str!("../../pinned/chatgpt.com.json"),
    ),
    (
        "https://vscode.dev/oauth/client-metadata.json",
        include_str!("../../pinned/vscode.dev.json"),
    ),
];

/// The pinned document of `client_id`, if it is a well-known client.
pub(crate) fn document(client_id: &str) -> Option<&'static str> {
    PINNED
        .iter()
        .find(|(id, _)| *id == client_id)
        .map(|(_, document)| *document)
}
