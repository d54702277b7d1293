//! The storage conformance suite.

use futures::future::join_all;

use crate::model::{
    Account, AuthMethod, AuthorizationCode, Client, ClientId, ClientKeys, ClientProfile, CodeUse,
    Consent, GrantType, Memory, MemoryQuery, RedirectUri, RefreshState, RefreshToken, Role, Scope,
    StoredBy, content_hash,
};
use crate::secret::{Secret, SecretHash};
use crate::store::Storage;

const NOW: i64 = 1_800_000_000;
/// Concurrent callers in the race checks.
const RACERS: usize = 16;

/// Runs every rule on `storage`, which must be empty.
pub async fn run(storage: &dyn Storage) {
    clients(storage).await;
    codes(storage).await;
    refresh_tokens(storage).await;
    one_time_ids(storage).await;
    keys(storage).await;
    memories(storage).await;
    accounts(storage).await;
    consents(storage).await;
    grant_tokens(storage).await;
    audit(storage).await;
}

/// Audit events come back from a time on, in the order appended (also within one second and
/// across batches), with every field, at most `limit` of them.
async fn audit(storage: &dyn Storage) {
    use crate::model::{AuditEvent, AuditKind};
    assert!(
        storage
            .audit_since(0, 10)
            .await
            .expect("an empty trail")
            .is_empty()
    );
    let first = vec![
        AuditEvent::new(AuditKind::ClientRegistered, NOW - 10).client("client-a"),
        AuditEvent::new(AuditKind::ConsentApproved, NOW)
            .client("client-a")
            .subject("alice"),
        AuditEvent::new(AuditKind::TokenIssued, NOW)
            .client("client-a")
            .subject("alice")
            .detail("authorization_code read write «test»"),
    ];
    storage.append_audit(&first).await.expect("append a batch");
    storage.append_audit(&[]).await.expect("an empty batch");
    let second = vec![AuditEvent::new(AuditKind::TokenRefreshed, NOW).client("client-a")];
    storage.append_audit(&second).await.expect("append another");
    let all = storage.audit_since(0, 100).await.expect("read the trail");
    let expected: Vec<_> = first.iter().chain(&second).cloned().collect();
    assert_eq!(all, expected, "every event, in the order appended");
    let recent = storage
        .audit_since(NOW, 100)
        .await
        .expect("read from a time");
    assert_eq!(
        recent,
        expected[1..].to_vec(),
        "only events at or after `since`"
    );
    let two = storage.audit_since(NOW, 2).await.expect("read a page");
    assert_eq!(
        two,
        expected[1..3].to_vec(),
        "at most `limit`, oldest first"
    );
}

fn client(id: &str) -> Client {
    Client {
        client_id: ClientId::new(id),
        secret_hash: Some(Secret::new("s3cret").hash()),
        redirect_uris: vec![RedirectUri::parse("https://example.com/cb").expect("valid")],
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        auth_method: AuthMethod::ClientSecretBasic,
        scope: [Scope::Read, Scope::Write].into_iter().collect(),
        profile: ClientProfile {
            client_name: Some("Conformance «test» client".into()),
            contacts: vec!["ops@example.com".into()],
            ..ClientProfile::default()
        },
        issued_at: NOW,
        registration_token_hash: Some(Secret::new("registration").hash()),
        used_at: None,
        keys: Some(ClientKeys::JwksUri("https://example.com/jwks.json".into())),
    }
}

async fn clients(storage: &dyn Storage) {
    let stored = client("client-a");
    storage
        .insert_client(&stored)
        .await
        .expect("insert a client");
    let read = storage
        .client(&stored.client_id)
        .await
        .expect("read a client");
    assert_eq!(
        read.as_ref(),
        Some(&stored),
        "a client reads back exactly as stored"
    );
    assert!(
        storage.insert_client(&stored).await.is_err(),
        "inserting a client id twice must fail, not overwrite"
    );
    assert!(
        storage
            .client(&ClientId::new("nobody"))
            .await
            .expect("read")
            .is_none()
    );

    // Any text a request can carry as a client id is a lookup that finds nothing, never an error:
    // an empty id, and ids a query language could choke on.
    for odd in [
        "",
        " ",
        "⟩",
        "a'b\"c`d",
        "client:x",
        "x; DELETE oauth_client",
        "\u{0}",
    ] {
        let id = ClientId::new(odd);
        assert_eq!(
            storage.client(&id).await.ok(),
            Some(None),
            "client id {odd:?} finds no client"
        );
        assert_eq!(
            storage.delete_client(&id).await.ok(),
            Some(false),
            "client id {odd:?} deletes nothing"
        );
        assert!(
            storage.revoke_client_tokens(&id).await.is_ok(),
            "revoking the tokens of client id {odd:?} is no error"
        );
    }

    // Updates replace an existing client and never create one.
    let mut changed = stored.clone();
    changed.profile.client_name = Some("Renamed".into());
    changed.redirect_uris = vec![RedirectUri::parse("https://example.org/cb").expect("valid")];
    assert!(storage.update_client(&changed).await.expect("update"));
    assert_eq!(
        storage.client(&stored.client_id).await.expect("read"),
        Some(changed),
        "an updated client reads back as updated"
    );
    let ghost = client("client-ghost");
    assert!(
        !storage.update_client(&ghost).await.expect("update"),
        "updating an unknown client reports it"
    );
    assert!(
        storage
            .client(&ghost.client_id)
            .await
            .expect("read")
            .is_none(),
        "an update creates no client"
    );

    // Unused clients: registered before the cutoff, with a registration access token, never
    // issued a token. Every other client stays.
    let unused = Client {
        issued_at: NOW - 100,
        ..client("client-unused")
    };
    let used = Client {
        issued_at: NOW - 100,
        used_at: Some(NOW - 50),
        ..client("client-used")
    };
    let recent = client("client-recent");
    let first_party = Client {
        issued_at: NOW - 100,
        registration_token_hash: None,
        ..client("client-first-party")
    };
    for each in [&unused, &used, &recent, &first_party] {
        storage.insert_client(each).await.expect("insert");
    }
    let listed = storage.clients().await.expect("list clients");
    for each in [&unused, &used, &recent, &first_party] {
        assert!(
            listed.contains(each),
            "the listing holds {} as stored",
            each.client_id
        );
    }
    assert!(
        listed.is_sorted_by_key(|client| client.issued_at),
        "clients are listed oldest registration first"
    );
    assert_eq!(
        storage
            .delete_unused_clients(NOW - 10)
            .await
            .expect("prune"),
        1,
        "exactly the unused client registered before the cutoff goes"
    );
    assert!(
        storage
            .client(&unused.client_id)
            .await
            .expect("read")
            .is_none()
    );
    for kept in [&used, &recent, &first_party] {
        assert_eq!(
            storage
                .client(&kept.client_id)
                .await
                .expect("read")
                .as_ref(),
            Some(kept),
            "{} stays",
            kept.client_id
        );
        storage
            .delete_client(&kept.client_id)
            .await
            .expect("clean up");
    }

    // Deletion.
    let doomed = client("client-doomed");
    storage.insert_client(&doomed).await.expect("insert");
    assert!(
        storage
            .delete_client(&doomed.client_id)
            .await
            .expect("delete")
    );
    assert!(
        storage
            .client(&doomed.client_id)
            .await
            .expect("read")
            .is_none(),
        "a deleted client is gone"
    );
    assert!(
        !storage
            .delete_client(&doomed.client_id)
            .await
            .expect("delete"),
        "deleting twice reports nothing to delete"
    );
}

fn code(secret: &Secret, expires_at: i64) -> AuthorizationCode {
    AuthorizationCode {
        code_hash: secret.hash(),
        client_id: ClientId::new("client-a"),
        redirect_uri: "https://example.com/cb".into(),
        redirect_uri_sent: true,
        scope: [Scope::Read].into_iter().collect(),
        resource: "https://auth.example/mcp".into(),
        code_challenge: None,
        subject: "owner".into(),
        issued_at: NOW,
        expires_at,
    }
}

async fn codes(storage: &dyn Storage) {
    let secret = Secret::generate(32);
    let stored = code(&secret, NOW + 600);
    storage.put_code(&stored).await.expect("put a code");
    let takes = join_all((0..RACERS).map(|_| storage.take_code(&stored.code_hash, NOW))).await;
    let winners: Vec<_> = takes.into_iter().filter_map(|r| r.expect("take")).collect();
    assert_eq!(
        winners,
        vec![stored.clone()],
        "of {RACERS} concurrent takes exactly one wins"
    );
    assert!(
        storage
            .take_code(&stored.code_hash, NOW)
            .await
            .expect("take")
            .is_none()
    );

    let expired = code(&Secret::generate(32), NOW + 600);
    storage.put_code(&expired).await.expect("put a code");
    assert!(
        storage
            .take_code(&expired.code_hash, NOW + 600)
            .await
            .expect("take")
            .is_none(),
        "a code is never returned at or after its expiry"
    );
    let unknown = SecretHash::of(b"unknown");
    assert!(
        storage
            .take_code(&unknown, NOW)
            .await
            .expect("take")
            .is_none()
    );

    // What a code was exchanged for outlives the code, until its own expiry.
    let used = CodeUse {
        code_hash: stored.code_hash.clone(),
        access_jti: "jti-of-code".into(),
        access_expires_at: NOW + 3600,
        family_id: Some("family-of-code".into()),
        used_at: NOW,
        expires_at: NOW + 7200,
    };
    storage.record_code_use(&used).await.expect("record");
    assert_eq!(
        storage
            .code_use(&stored.code_hash, NOW + 10)
            .await
            .expect("read"),
        Some(used.clone())
    );
    assert!(
        storage
            .code_use(&unknown, NOW)
            .await
            .expect("read")
            .is_none()
    );
    assert!(
        storage
            .code_use(&stored.code_hash, NOW + 7200)
            .await
            .expect("read")
            .is_none(),
        "expired"
    );
}

fn refresh(secret: &Secret, family: &str) -> RefreshToken {
    RefreshToken {
        token_hash: secret.hash(),
        family_id: family.into(),
        client_id: ClientId::new("client-a"),
        scope: [Scope::Read, Scope::OfflineAccess].into_iter().collect(),
        resource: "https://auth.example/mcp".into(),
        subject: "owner".into(),
        issued_at: NOW,
        expires_at: NOW + 3600,
        state: RefreshState::Active,
        parent: None,
    }
}

async fn refresh_tokens(storage: &dyn Storage) {
    let first = refresh(&Secret::generate(32), "family-1");
    storage
        .put_refresh(&first)
        .await
        .expect("put a refresh token");
    assert_eq!(
        storage.refresh(&first.token_hash, NOW).await.expect("read"),
        Some(first.clone())
    );
    assert!(
        storage
            .refresh(&first.token_hash, first.expires_at)
            .await
            .expect("read")
            .is_none(),
        "an expired refresh token is never returned"
    );

    // Concurrent rotations of one token: exactly one succeeds.
    let successors: Vec<_> = (0..RACERS)
        .map(|_| refresh(&Secret::generate(32), "family-1"))
        .collect();
    let outcomes = join_all(
        successors
            .iter()
            .map(|next| storage.rotate_refresh(&first.token_hash, next, NOW)),
    )
    .await;
    let won: Vec<_> = outcomes
        .iter()
        .map(|r| *r.as_ref().expect("rotate"))
        .collect();
    assert_eq!(
        won.iter().filter(|w| **w).count(),
        1,
        "exactly one of {RACERS} rotations wins"
    );
    let winner = &successors[won.iter().position(|w| *w).expect("one winner")];
    let old = storage
        .refresh(&first.token_hash, NOW)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(
        old.state,
        RefreshState::Rotated,
        "the rotated token is kept, marked rotated"
    );
    let current = storage
        .refresh(&winner.token_hash, NOW)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(current.state, RefreshState::Active);
    for loser in successors
        .iter()
        .zip(&won)
        .filter(|(_, w)| !**w)
        .map(|(s, _)| s)
    {
        assert!(
            storage
                .refresh(&loser.token_hash, NOW)
                .await
                .expect("read")
                .is_none(),
            "a losing rotation stores nothing"
        );
    }
    let again = refresh(&Secret::generate(32), "family-1");
    assert!(
        !storage
            .rotate_refresh(&first.token_hash, &again, NOW)
            .await
            .expect("rotate")
    );
    // The family's one active token is the winner, its parent kept.
    let head = storage
        .active_in_family("family-1", NOW)
        .await
        .expect("read")
        .expect("an active token");
    assert_eq!(head.token_hash, winner.token_hash);
    let child = RefreshToken {
        parent: Some(winner.token_hash.clone()),
        ..refresh(&Secret::generate(32), "family-1")
    };
    assert!(
        storage
            .rotate_refresh(&winner.token_hash, &child, NOW)
            .await
            .expect("rotate")
    );
    assert_eq!(
        storage
            .active_in_family("family-1", NOW)
            .await
            .expect("read"),
        Some(child.clone()),
        "the successor, with its parent, is the family's active token"
    );
    assert!(
        storage
            .active_in_family("family-1", child.expires_at)
            .await
            .expect("read")
            .is_none(),
        "an expired token is no family's active token"
    );
    assert!(
        storage
            .active_in_family("no-such-family", NOW)
            .await
            .expect("read")
            .is_none()
    );

    // Revoking the family reaches every member, and no other family.
    let other = refresh(&Secret::generate(32), "family-2");
    storage.put_refresh(&other).await.expect("put");
    storage.revoke_family("family-1").await.expect("revoke");
    for member in [&first.token_hash, &winner.token_hash] {
        let state = storage
            .refresh(member, NOW)
            .await
            .expect("read")
            .expect("kept")
            .state;
        assert_eq!(
            state,
            RefreshState::Revoked,
            "every member of a revoked family is revoked"
        );
    }
    let next = refresh(&Secret::generate(32), "family-1");
    assert!(
        !storage
            .rotate_refresh(&winner.token_hash, &next, NOW)
            .await
            .expect("rotate"),
        "a revoked token cannot rotate"
    );
    let untouched = storage
        .refresh(&other.token_hash, NOW)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(
        untouched.state,
        RefreshState::Active,
        "other families are untouched"
    );

    // Revoking a client's tokens reaches all of its families and no other client's.
    let mut foreign = refresh(&Secret::generate(32), "family-3");
    foreign.client_id = ClientId::new("client-b");
    storage.put_refresh(&foreign).await.expect("put");
    let own = refresh(&Secret::generate(32), "family-4");
    storage.put_refresh(&own).await.expect("put");
    storage
        .revoke_client_tokens(&ClientId::new("client-a"))
        .await
        .expect("revoke a client's tokens");
    for (token, expected) in [
        (&own, RefreshState::Revoked),
        (&other, RefreshState::Revoked),
        (&foreign, RefreshState::Active),
    ] {
        let state = storage
            .refresh(&token.token_hash, NOW)
            .await
            .expect("read")
            .expect("kept")
            .state;
        assert_eq!(state, expected, "family {}", token.family_id);
    }

    // Revoked access-token ids, until the token would have expired anyway.
    storage
        .revoke_access("jti-revoked", NOW + 60)
        .await
        .expect("revoke");
    storage
        .revoke_access("jti-revoked", NOW + 60)
        .await
        .expect("revoking twice is fine");
    assert!(
        storage
            .is_access_revoked("jti-revoked", NOW)
            .await
            .expect("read")
    );
    assert!(
        !storage
            .is_access_revoked("jti-other", NOW)
            .await
            .expect("read")
    );
    assert!(
        !storage
            .is_access_revoked("jti-revoked", NOW + 60)
            .await
            .expect("read"),
        "an entry past the token's expiry is never returned"
    );

    // The listings a backup reads: every unexpired token in its state, every revocation in force.
    let listed = storage.refresh_tokens(NOW).await.expect("list");
    for token in [&first, winner, &child, &other, &foreign, &own] {
        let stored = storage
            .refresh(&token.token_hash, NOW)
            .await
            .expect("read")
            .expect("kept");
        assert!(
            listed.contains(&stored),
            "family {} is listed as stored",
            token.family_id
        );
    }
    assert!(
        storage
            .refresh_tokens(first.expires_at)
            .await
            .expect("list")
            .iter()
            .all(|token| token.expires_at > first.expires_at),
        "expired tokens are not listed"
    );
    assert!(
        storage
            .access_revocations(NOW)
            .await
            .expect("list")
            .contains(&("jti-revoked".to_owned(), NOW + 60))
    );
    assert!(
        !storage
            .access_revocations(NOW + 60)
            .await
            .expect("list")
            .iter()
            .any(|(jti, _)| jti == "jti-revoked"),
        "a revocation past the token's expiry is not listed"
    );
}

/// One-time identifiers (client assertion ids): used once until they expire, whoever races.
async fn one_time_ids(storage: &dyn Storage) {
    assert!(
        storage
            .use_once("once/a", NOW + 60, NOW)
            .await
            .expect("use"),
        "a new id is recorded"
    );
    assert!(
        !storage
            .use_once("once/a", NOW + 600, NOW + 30)
            .await
            .expect("use"),
        "an id in use is refused"
    );
    assert!(
        storage
            .use_once("once/b", NOW + 60, NOW)
            .await
            .expect("use"),
        "other ids are independent"
    );
    assert!(
        storage
            .use_once("once/a", NOW + 200, NOW + 60)
            .await
            .expect("use"),
        "an expired record no longer counts"
    );
    assert!(
        !storage
            .use_once("once/a", NOW + 300, NOW + 100)
            .await
            .expect("use"),
        "the renewed record counts until its own expiry"
    );
    let racers = join_all((0..RACERS).map(|_| storage.use_once("once/race", NOW + 60, NOW))).await;
    let winners = racers
        .into_iter()
        .map(|outcome| outcome.expect("race"))
        .filter(|won| *won)
        .count();
    assert_eq!(winners, 1, "exactly one concurrent use of an id succeeds");
}

async fn keys(storage: &dyn Storage) {
    let first = storage
        .get_or_create_key("signer/test", b"candidate-1")
        .await
        .expect("create");
    assert_eq!(first, b"candidate-1");
    let second = storage
        .get_or_create_key("signer/test", b"candidate-2")
        .await
        .expect("read");
    assert_eq!(
        second, b"candidate-1",
        "an existing key is kept, the candidate dropped"
    );
    let racers = join_all((0..RACERS).map(|i| async move {
        let candidate = format!("racer-{i}");
        storage
            .get_or_create_key("signer/race", candidate.as_bytes())
            .await
    }))
    .await;
    let keys: Vec<_> = racers.into_iter().map(|r| r.expect("race")).collect();
    assert!(
        keys.windows(2).all(|pair| pair[0] == pair[1]),
        "racing creators agree on one key"
    );

    assert_eq!(
        storage.key("signer/test").await.expect("read"),
        Some(b"candidate-1".to_vec())
    );
    assert_eq!(storage.key("signer/none").await.expect("read"), None);
    assert!(
        !storage
            .replace_key("signer/test", b"stale", b"next")
            .await
            .expect("cas"),
        "a replacement against a stale value fails"
    );
    assert!(
        !storage
            .replace_key("signer/none", b"", b"next")
            .await
            .expect("cas")
    );
    let swaps = join_all((0..RACERS).map(|i| async move {
        let next = format!("next-{i}");
        storage
            .replace_key("signer/test", b"candidate-1", next.as_bytes())
            .await
    }))
    .await;
    let won = swaps
        .into_iter()
        .filter(|r| *r.as_ref().expect("cas"))
        .count();
    assert_eq!(
        won, 1,
        "of {RACERS} concurrent replacements of one value exactly one wins"
    );
    let now = storage
        .key("signer/test")
        .await
        .expect("read")
        .expect("kept");
    assert!(now.starts_with(b"next-"));
    let listed = storage.keys().await.expect("list");
    let names: Vec<_> = listed.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["signer/race", "signer/test"], "every key, by name");
    assert_eq!(listed[1].1, now, "with its current value");
}

fn memory(content: &str, tags: &[&str], kind: Option<&str>, at: i64) -> Memory {
    Memory {
        content_hash: content_hash(content),
        content: content.into(),
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        memory_type: kind.map(str::to_owned),
        metadata: serde_json::json!({"source": "testkit", "n": 1})
            .as_object()
            .cloned()
            .unwrap_or_default(),
        created_at: at,
        updated_at: at,
        stored_by: Some(StoredBy {
            subject: "testkit".into(),
            client_id: Some("client-1".into()),
        }),
    }
}

async fn memories(storage: &dyn Storage) {
    for odd in ["", " ", "⟩", "a'b\"c"] {
        assert_eq!(
            storage.memory(odd).await.ok(),
            Some(None),
            "content hash {odd:?} finds no memory"
        );
        assert_eq!(
            storage.delete_memory(odd).await.ok(),
            Some(false),
            "content hash {odd:?} deletes nothing"
        );
    }
    let coffee = memory(
        "The team prefers coffee over tea",
        &["team", "drinks"],
        Some("note"),
        NOW,
    );
    let deploy = memory(
        "Deploy on Tuesdays, never on Fridays",
        &["team", "ops"],
        Some("decision"),
        NOW + 1,
    );
    let mut rust = memory("Rust 1.95 is the toolchain", &["ops"], None, NOW + 2);
    rust.stored_by = Some(StoredBy {
        subject: "ana".into(),
        client_id: None,
    });
    for m in [&coffee, &deploy, &rust] {
        assert!(
            storage.put_memory(m).await.expect("put"),
            "a new memory is reported as new"
        );
    }
    let mut changed = coffee.clone();
    changed.tags.push("preferences".into());
    assert!(
        !storage.put_memory(&changed).await.expect("put"),
        "same hash replaces"
    );
    assert_eq!(
        storage.memory(&coffee.content_hash).await.expect("get"),
        Some(changed.clone())
    );

    let all = storage
        .list_memories(&MemoryQuery {
            limit: 10,
            ..Default::default()
        })
        .await
        .expect("list");
    assert_eq!(all.total, 3);
    let order: Vec<_> = all
        .memories
        .iter()
        .map(|m| m.content_hash.clone())
        .collect();
    assert_eq!(
        order,
        vec![
            rust.content_hash.clone(),
            deploy.content_hash.clone(),
            changed.content_hash.clone()
        ],
        "newest first"
    );

    let page = storage
        .list_memories(&MemoryQuery {
            offset: 1,
            limit: 1,
            ..Default::default()
        })
        .await
        .expect("list");
    assert_eq!((page.total, page.memories.len()), (3, 1));
    assert_eq!(
        page.memories[0].content_hash, deploy.content_hash,
        "paging skips offset"
    );

    let team = MemoryQuery {
        tags: vec!["team".into()],
        limit: 10,
        ..Default::default()
    };
    assert_eq!(storage.list_memories(&team).await.expect("list").total, 2);
    let both = MemoryQuery {
        tags: vec!["team".into(), "ops".into()],
        match_all: true,
        limit: 10,
        ..Default::default()
    };
    let both = storage.list_memories(&both).await.expect("list");
    assert_eq!(
        both.memories
            .iter()
            .map(|m| &m.content_hash)
            .collect::<Vec<_>>(),
        vec![&deploy.content_hash]
    );
    let notes = MemoryQuery {
        memory_type: Some("note".into()),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(storage.list_memories(&notes).await.expect("list").total, 1);

    let hits = storage
        .search_memories("fridays deploy", 5, None)
        .await
        .expect("search");
    assert_eq!(
        hits.first().map(|h| &h.memory.content_hash),
        Some(&deploy.content_hash),
        "best hit first"
    );
    assert!(hits.iter().all(|h| (0.0..=1.0).contains(&h.score)));
    assert!(
        storage
            .search_memories("zebra", 5, None)
            .await
            .expect("search")
            .is_empty(),
        "no match, no hits"
    );

    let tags = storage.tags(None).await.expect("tags");
    let summary: Vec<_> = tags.iter().map(|t| (t.tag.as_str(), t.count)).collect();
    assert_eq!(
        summary,
        vec![("ops", 2), ("team", 2), ("drinks", 1), ("preferences", 1)]
    );

    // A per-person space: each query sees only what its owner stored.
    let owned = |owner: &str| MemoryQuery {
        limit: 10,
        owner: Some(owner.into()),
        ..Default::default()
    };
    let anas = storage.list_memories(&owned("ana")).await.expect("list");
    assert_eq!(
        (anas.total, anas.memories[0].content_hash.as_str()),
        (1, rust.content_hash.as_str()),
        "an owner's listing holds their memories only"
    );
    assert_eq!(
        storage
            .list_memories(&owned("testkit"))
            .await
            .expect("list")
            .total,
        2
    );
    assert_eq!(
        storage
            .list_memories(&owned("nobody"))
            .await
            .expect("list")
            .total,
        0
    );
    assert!(
        storage
            .search_memories("fridays deploy", 5, Some("ana"))
            .await
            .expect("search")
            .is_empty(),
        "a search finds nothing of another owner's"
    );
    assert_eq!(
        storage
            .search_memories("fridays deploy", 5, Some("testkit"))
            .await
            .expect("search")
            .first()
            .map(|h| &h.memory.content_hash),
        Some(&deploy.content_hash)
    );
    let anas_tags: Vec<_> = storage
        .tags(Some("ana"))
        .await
        .expect("tags")
        .into_iter()
        .map(|t| (t.tag, t.count))
        .collect();
    assert_eq!(anas_tags, vec![("ops".to_owned(), 1)]);

    assert!(
        storage
            .delete_memory(&rust.content_hash)
            .await
            .expect("delete")
    );
    assert!(
        !storage
            .delete_memory(&rust.content_hash)
            .await
            .expect("delete"),
        "deleting twice reports false"
    );
    assert!(
        storage
            .memory(&rust.content_hash)
            .await
            .expect("get")
            .is_none()
    );
}

fn account(name: &str, role: Role) -> Account {
    Account {
        name: name.into(),
        role,
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA${name}"),
        created_at: NOW,
    }
}

async fn accounts(storage: &dyn Storage) {
    assert!(storage.accounts().await.expect("list").is_empty());
    let bob = account("bob", Role::Reader);
    let alice = account("alice@example.com", Role::Admin);
    storage.insert_account(&bob).await.expect("insert");
    storage.insert_account(&alice).await.expect("insert");
    assert!(
        matches!(
            storage.insert_account(&account("bob", Role::Admin)).await,
            Err(crate::Error::Conflict(_))
        ),
        "a taken name is a conflict"
    );
    assert_eq!(
        storage.account("bob").await.expect("read"),
        Some(bob.clone()),
        "the first account of a name is kept"
    );
    assert_eq!(
        storage.accounts().await.expect("list"),
        vec![alice.clone(), bob.clone()],
        "accounts are listed by name"
    );
    let promoted = Account {
        role: Role::Writer,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$new".into(),
        ..bob.clone()
    };
    assert!(storage.update_account(&promoted).await.expect("update"));
    assert_eq!(storage.account("bob").await.expect("read"), Some(promoted));
    assert!(
        !storage
            .update_account(&account("carol", Role::Reader))
            .await
            .expect("update"),
        "an update creates no account"
    );
    assert_eq!(storage.account("carol").await.expect("read"), None);
    for odd in [
        "",
        "a\0b",
        "x'; DELETE oauth_account; --",
        &"n".repeat(5000),
    ] {
        assert_eq!(storage.account(odd).await.expect("read"), None, "{odd:?}");
        assert!(!storage.delete_account(odd).await.expect("delete"));
    }
    assert!(storage.delete_account("bob").await.expect("delete"));
    assert!(!storage.delete_account("bob").await.expect("delete"));
    assert_eq!(storage.accounts().await.expect("list"), vec![alice]);
}

fn consent(subject: &str, client: &str) -> Consent {
    Consent {
        subject: subject.into(),
        client_id: ClientId::new(client),
        scope: [Scope::Read, Scope::OfflineAccess].into_iter().collect(),
        redirect_hosts: ["claude.ai".to_owned()].into(),
        granted_at: NOW,
        last_used_at: NOW,
        revoked_at: None,
    }
}

async fn consents(storage: &dyn Storage) {
    assert!(storage.consents(None).await.expect("list").is_empty());
    let alice_a = consent("alice", "client-a");
    let alice_b = consent("alice", "https://app.example/client.json");
    let bob_a = consent("bob", "client-a");
    for each in [&bob_a, &alice_b, &alice_a] {
        storage.put_consent(each).await.expect("put");
    }
    assert_eq!(
        storage
            .consent("alice", &ClientId::new("client-a"))
            .await
            .expect("read"),
        Some(alice_a.clone())
    );
    assert_eq!(
        storage
            .consent("carol", &ClientId::new("client-a"))
            .await
            .expect("read"),
        None
    );
    let mut expected_alice = vec![alice_a.clone(), alice_b.clone()];
    expected_alice.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    assert_eq!(
        storage.consents(Some("alice")).await.expect("list"),
        expected_alice,
        "one subject's consents, by client"
    );
    assert_eq!(storage.consents(None).await.expect("list").len(), 3);
    let revoked = Consent {
        revoked_at: Some(NOW + 10),
        last_used_at: NOW + 5,
        ..alice_a.clone()
    };
    storage.put_consent(&revoked).await.expect("replace");
    assert_eq!(
        storage
            .consent("alice", &ClientId::new("client-a"))
            .await
            .expect("read"),
        Some(revoked),
        "a consent is replaced, not duplicated"
    );
    assert_eq!(storage.consents(None).await.expect("list").len(), 3);
    assert_eq!(
        storage.consents(Some("bob")).await.expect("list"),
        vec![bob_a]
    );
    // Parallel first authorizations of one client by one person all record the approval: a
    // write that loses the race to the same record is not an error.
    let racers = join_all((0..RACERS).map(|i| {
        let approval = Consent {
            last_used_at: NOW + i as i64,
            ..consent("dave", "client-a")
        };
        async move { storage.put_consent(&approval).await }
    }))
    .await;
    assert!(
        racers.iter().all(Result::is_ok),
        "concurrent writes of one consent: {racers:?}"
    );
    assert_eq!(storage.consents(Some("dave")).await.expect("list").len(), 1);
}

async fn grant_tokens(storage: &dyn Storage) {
    let of = |subject: &str, client: &str| RefreshToken {
        subject: subject.into(),
        client_id: ClientId::new(client),
        ..refresh(&Secret::generate(32), &format!("grant-{subject}-{client}"))
    };
    let alice_a = of("alice", "grant-client-a");
    let alice_b = of("alice", "grant-client-b");
    let bob_a = of("bob", "grant-client-a");
    for token in [&alice_a, &alice_b, &bob_a] {
        storage.put_refresh(token).await.expect("put");
    }
    storage
        .revoke_grant_tokens(&ClientId::new("grant-client-a"), "alice")
        .await
        .expect("revoke");
    let state = |token: RefreshToken| async move {
        storage
            .refresh(&token.token_hash, NOW)
            .await
            .expect("read")
            .expect("kept")
            .state
    };
    assert_eq!(state(alice_a).await, RefreshState::Revoked);
    assert_eq!(
        state(alice_b).await,
        RefreshState::Active,
        "the person's other grants stay"
    );
    assert_eq!(
        state(bob_a).await,
        RefreshState::Active,
        "other people's grants of the client stay"
    );
}
