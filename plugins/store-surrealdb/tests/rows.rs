//! Rows the plugin did not write itself: a malformed value is an error for that row only, and the
//! sweep deletes expired grants.

use mcp_oauth_core::model::ClientId;
use mcp_oauth_core::{ClientStore, Error, MemoryStore};
use mcp_oauth_store_surrealdb::{SurrealConfig, SurrealStorage};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(8 << 20)
        .build()
        .unwrap()
}

async fn storage() -> SurrealStorage {
    SurrealStorage::connect(SurrealConfig {
        url: Some("mem://".into()),
        ..SurrealConfig::default()
    })
    .await
    .unwrap()
}

#[test]
fn a_malformed_row_is_an_error_for_that_row_only() {
    runtime().block_on(async {
        let storage = storage().await;
        storage
            .execute(
                "CREATE oauth_client:broken SET doc = { client_id: 42, redirect_uris: 'nope' };",
            )
            .await
            .unwrap();
        storage
            .execute("CREATE memory:bad SET content = 7, tags = 'x';")
            .await
            .unwrap();
        let error = storage.client(&ClientId::new("broken")).await.unwrap_err();
        assert!(
            matches!(error, Error::Storage { ref context, cause: Some(_) } if context.contains("unreadable client")),
            "{error}"
        );
        assert!(
            storage
                .client(&ClientId::new("absent"))
                .await
                .unwrap()
                .is_none(),
            "other rows still read"
        );
        assert!(storage.memory("bad").await.is_err());
        assert!(storage.memory("other").await.unwrap().is_none());
    });
}

#[test]
fn the_sweep_deletes_expired_codes_and_refresh_tokens() {
    runtime().block_on(async {
        let storage = storage().await;
        storage
            .execute(
                "CREATE oauth_code:old SET expires_at = 100, doc = {}; CREATE oauth_code:new SET expires_at = 300, doc = {};
                 CREATE oauth_refresh:old SET expires_at = 100, family = 'f', doc = {};",
            )
            .await
            .unwrap();
        storage.sweep(200).await.unwrap();
        let left = storage.execute("SELECT VALUE meta::id(id) FROM oauth_code; SELECT VALUE meta::id(id) FROM oauth_refresh;").await.unwrap();
        assert_eq!(left, vec![serde_json::json!(["new"]), serde_json::json!([])]);
    });
}
