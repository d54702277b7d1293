//! `local` passes the authenticator conformance suite, and budgets guesses per account.

use std::sync::Arc;

use mcp_oauth_core::authenticator::{AuthenticatorContext, SignInFields};
use mcp_oauth_core::model::{Account, Role};
use mcp_oauth_core::testkit;
use mcp_oauth_core::{AccountStore, PluginSettings, registry};
use mcp_oauth_store_memory::InMemoryStorage;

async fn opened() -> (Arc<dyn mcp_oauth_core::Authenticator>, Arc<InMemoryStorage>) {
    let storage = Arc::new(InMemoryStorage::default());
    storage
        .insert_account(&Account {
            name: "alice".into(),
            role: Role::Writer,
            password_hash: mcp_oauth_authn_local::hash_password("alice's long password").unwrap(),
            created_at: 0,
        })
        .await
        .unwrap();
    let plugin = registry::authenticator(mcp_oauth_authn_local::NAME).expect("registered");
    let authenticator = (plugin.open)(AuthenticatorContext {
        settings: PluginSettings::default(),
        owner_key: None,
        accounts: storage.clone(),
    })
    .expect("opens");
    (authenticator, storage)
}

fn fields(name: &str, password: &str) -> SignInFields {
    SignInFields::default()
        .with("username", name)
        .with("password", password)
}

#[tokio::test]
async fn local_passes_the_authenticator_conformance_suite() {
    let (authenticator, _) = opened().await;
    testkit::authenticator::run(
        authenticator.as_ref(),
        fields("alice", "alice's long password"),
    )
    .await;
}

#[tokio::test]
async fn a_person_is_their_account_with_its_role_and_a_new_password_is_a_new_stamp() {
    let (authenticator, storage) = opened().await;
    let user = authenticator
        .sign_in(&fields(" alice ", "alice's long password"))
        .await
        .unwrap()
        .expect("signed in");
    assert_eq!((user.subject.as_str(), user.role), ("alice", Role::Writer));
    let mut account = storage.account("alice").await.unwrap().unwrap();
    account.password_hash = mcp_oauth_authn_local::hash_password("a brand new one").unwrap();
    storage.update_account(&account).await.unwrap();
    let now = authenticator.user("alice").await.unwrap().unwrap();
    assert_ne!(now.stamp, user.stamp, "sessions made before end");
    storage.delete_account("alice").await.unwrap();
    assert_eq!(authenticator.user("alice").await.unwrap(), None);
}

#[tokio::test]
async fn ten_wrong_passwords_lock_the_account_and_no_other() {
    let (authenticator, storage) = opened().await;
    storage
        .insert_account(&Account {
            name: "bob".into(),
            role: Role::Reader,
            password_hash: mcp_oauth_authn_local::hash_password("bob's long password").unwrap(),
            created_at: 0,
        })
        .await
        .unwrap();
    for _ in 0..10 {
        assert_eq!(
            authenticator
                .sign_in(&fields("alice", "wrong guess"))
                .await
                .unwrap(),
            None
        );
    }
    let refused = authenticator
        .sign_in(&fields("alice", "alice's long password"))
        .await
        .expect_err("the account's budget is spent, even for the right password");
    assert!(
        refused.retry_after.is_some_and(|wait| wait >= 1),
        "{refused:?}"
    );
    assert!(
        authenticator
            .sign_in(&fields("bob", "bob's long password"))
            .await
            .unwrap()
            .is_some(),
        "other accounts are not locked"
    );
}
