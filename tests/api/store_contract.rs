//! The `Store` contract: every method, the same assertions on both backends.

use serde_json::json;

use crate::backend_test;
use crate::helpers::START;
use kassa::domain::event::{self, Event, EventContext};
use kassa::domain::keys::KeyKind;
use kassa::store::{
    Change, ChangeSet, CreatedRange, Cursor, IdempotencyRecord, ListQuery, NewApiKey, Scope, StoreError,
};

pub(crate) fn scope(app: &crate::helpers::TestApp) -> Scope {
    Scope { account_id: app.keys.account_id.clone(), livemode: false }
}

pub(crate) fn set(scope: &Scope, changes: Vec<Change>) -> ChangeSet {
    ChangeSet { scope: scope.clone(), changes, events: vec![], idempotency: None }
}

fn insert(id: &str, created: i64, tags: Vec<(String, String)>) -> Change {
    Change::Insert { id: id.into(), kind: "thing".into(), created, doc: json!({"id": id}).to_string(), tags }
}

/// An event `id` of `kind` about an empty object, created at `created`.
pub(crate) fn event_of(id: &str, kind: &str, created: i64) -> Event {
    let ctx = EventContext {
        api_version: kassa::domain::version::LATEST,
        livemode: false,
        now: created,
        request_id: None,
        idempotency_key: None,
        ids: &kassa::ids::RandomIds,
    };
    Event { id: id.into(), ..event::build(&ctx, kind, &json!({}), None) }
}

fn query(limit: usize) -> ListQuery {
    ListQuery {
        kind: "thing".into(),
        filters: vec![],
        created: CreatedRange::default(),
        cursor: None,
        limit,
        any_of: Vec::new(),
    }
}

backend_test!(store_inserts_gets_and_scopes_objects, |app| {
    let s = scope(&app);
    let store = &app.store;
    store.ping().await.unwrap();
    store.commit(set(&s, vec![insert("t_1", 5, vec![])])).await.unwrap();
    let got = store.get_object(&s, "t_1").await.unwrap().unwrap();
    assert_eq!((got.kind.as_str(), got.created, got.version, got.deleted), ("thing", 5, 1, false));
    let live = Scope { livemode: true, ..s.clone() };
    assert!(store.get_object(&live, "t_1").await.unwrap().is_none());
    let other = Scope { account_id: "acct_other".into(), livemode: false };
    assert!(store.get_object(&other, "t_1").await.unwrap().is_none());
    assert!(matches!(store.commit(set(&s, vec![insert("t_1", 5, vec![])])).await, Err(StoreError::Conflict)));
});

backend_test!(store_updates_are_conditional_on_version, |app| {
    let s = scope(&app);
    let store = &app.store;
    store.commit(set(&s, vec![insert("t_1", 5, vec![("color".into(), "red".into())])])).await.unwrap();
    let up = |v: i64, color: &str| Change::Update {
        id: "t_1".into(),
        expected_version: v,
        doc: json!({"id": "t_1", "c": color}).to_string(),
        tags: vec![("color".into(), color.into())],
    };
    store.commit(set(&s, vec![up(1, "blue")])).await.unwrap();
    assert!(matches!(store.commit(set(&s, vec![up(1, "green")])).await, Err(StoreError::Conflict)));
    let got = store.get_object(&s, "t_1").await.unwrap().unwrap();
    assert_eq!((got.version, got.doc().unwrap()["c"].as_str()), (2, Some("blue")));
    let mut q = query(10);
    q.filters = vec![("color".into(), "blue".into())];
    assert_eq!(store.list_objects(&s, &q).await.unwrap().items.len(), 1);
    q.filters = vec![("color".into(), "red".into())];
    assert_eq!(store.list_objects(&s, &q).await.unwrap().items.len(), 0);
});

backend_test!(store_deletes_leave_lists_but_stay_retrievable, |app| {
    let s = scope(&app);
    let store = &app.store;
    store.commit(set(&s, vec![insert("t_1", 5, vec![("k".into(), "v".into())])])).await.unwrap();
    store
        .commit(set(
            &s,
            vec![Change::Delete { id: "t_1".into(), expected_version: 1, doc: json!({"deleted": true}).to_string() }],
        ))
        .await
        .unwrap();
    let got = store.get_object(&s, "t_1").await.unwrap().unwrap();
    assert!(got.deleted);
    assert!(store.list_objects(&s, &query(10)).await.unwrap().items.is_empty());
    let again = Change::Delete { id: "t_1".into(), expected_version: 2, doc: json!({}).to_string() };
    assert!(matches!(store.commit(set(&s, vec![again])).await, Err(StoreError::Conflict)));
});

backend_test!(store_change_sets_are_all_or_nothing, |app| {
    let s = scope(&app);
    let store = &app.store;
    store.commit(set(&s, vec![insert("t_1", 5, vec![])])).await.unwrap();
    // The second change fails, so the first must not stay either.
    let r = store.commit(set(&s, vec![insert("t_2", 5, vec![]), insert("t_1", 5, vec![])])).await;
    assert!(matches!(r, Err(StoreError::Conflict)));
    assert!(store.get_object(&s, "t_2").await.unwrap().is_none());
    let with_event = ChangeSet {
        scope: s.clone(),
        changes: vec![insert("t_3", 6, vec![])],
        events: vec![event_of("evt_1", "thing.created", 6)],
        idempotency: None,
    };
    store.commit(with_event).await.unwrap();
    assert_eq!(store.get_object(&s, "evt_1").await.unwrap().unwrap().kind, "event");
});

backend_test!(store_lists_page_by_created_then_sequence, |app| {
    let s = scope(&app);
    let store = &app.store;
    for (i, created) in [10, 10, 10, 20, 5].iter().enumerate() {
        store.commit(set(&s, vec![insert(&format!("t_{i}"), *created, vec![])])).await.unwrap();
    }
    let all = store.list_objects(&s, &query(10)).await.unwrap();
    let ids: Vec<&str> = all.items.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["t_3", "t_2", "t_1", "t_0", "t_4"]);
    assert!(!all.has_more);
    let first = store.list_objects(&s, &query(2)).await.unwrap();
    assert!(first.has_more);
    let last = &first.items[1];
    let mut q = query(2);
    q.cursor = Some(Cursor::After { created: last.created, seq: last.seq });
    let next: Vec<String> = store.list_objects(&s, &q).await.unwrap().items.into_iter().map(|o| o.id).collect();
    assert_eq!(next, ["t_1", "t_0"]);
    let t0 = all.items[3].clone();
    q.cursor = Some(Cursor::Before { created: t0.created, seq: t0.seq });
    let page = store.list_objects(&s, &q).await.unwrap();
    let prev: Vec<String> = page.items.into_iter().map(|o| o.id).collect();
    assert_eq!(prev, ["t_2", "t_1"]);
    assert!(page.has_more);
    let mut q = query(10);
    q.created = CreatedRange { gte: Some(10), lt: Some(20), ..Default::default() };
    assert_eq!(store.list_objects(&s, &q).await.unwrap().items.len(), 3);
});

backend_test!(store_idempotency_records_commit_with_the_write_and_are_reaped, |app| {
    let s = scope(&app);
    let store = &app.store;
    // Timestamps after START: the app's own reaper must not touch them.
    let rec = |key: &str, created: i64| IdempotencyRecord {
        key: key.into(),
        fingerprint: "f".into(),
        status: 200,
        body: "{}".into(),
        created: START + created,
    };
    let mut cs = set(&s, vec![insert("t_1", 5, vec![])]);
    cs.idempotency = Some(rec("k1", 100));
    store.commit(cs).await.unwrap();
    assert_eq!(store.find_idempotency(&s, "k1").await.unwrap(), Some(rec("k1", 100)));
    // A duplicate key rolls back the whole change set.
    let mut dup = set(&s, vec![insert("t_2", 5, vec![])]);
    dup.idempotency = Some(rec("k1", 101));
    let r = store.commit(dup).await;
    assert!(matches!(r, Err(StoreError::DuplicateIdempotencyKey)), "{r:?}");
    assert!(store.get_object(&s, "t_2").await.unwrap().is_none());
    let live = Scope { livemode: true, ..s.clone() };
    assert!(store.find_idempotency(&live, "k1").await.unwrap().is_none());
    let mut later = set(&s, vec![]);
    later.idempotency = Some(rec("k2", 200));
    store.commit(later).await.unwrap();
    assert_eq!(store.reap_idempotency(START + 150).await.unwrap(), 1);
    assert!(store.find_idempotency(&s, "k1").await.unwrap().is_none());
    assert!(store.find_idempotency(&s, "k2").await.unwrap().is_some());
});

backend_test!(store_finds_api_keys_by_hash_only, |app| {
    let store = &app.store;
    let count = store.account_count().await.unwrap();
    assert_eq!(count, 1);
    let hash = kassa::domain::keys::hash(&app.state.pepper, &app.keys.sk);
    let rec = store.find_api_key(&hash).await.unwrap().unwrap();
    assert_eq!(rec.account_id, app.keys.account_id);
    assert!(!rec.livemode);
    assert!(store.find_api_key(&kassa::domain::keys::hash(&[0; 32], &app.keys.sk)).await.unwrap().is_none());
});

backend_test!(store_reads_accounts_and_adds_keys_once, |app| {
    let store = &app.store;
    let acct = store.get_account(&app.keys.account_id).await.unwrap().unwrap();
    assert_eq!((acct.id.as_str(), acct.name.as_str(), acct.created), (app.keys.account_id.as_str(), "test", START));
    assert!(store.get_account("acct_missing").await.unwrap().is_none());

    let key =
        NewApiKey {
            hash: "h".repeat(64), kind: KeyKind::Publishable, livemode: true, masked: "pk_live_…abcd".into()
        };
    store.add_api_key(&app.keys.account_id, &key, START + 5).await.unwrap();
    let rec = store.find_api_key(&key.hash).await.unwrap().unwrap();
    assert_eq!(
        (rec.account_id.as_str(), rec.kind, rec.livemode),
        (app.keys.account_id.as_str(), KeyKind::Publishable, true)
    );
    // Adding a stored hash again leaves it as it was, even for another account.
    store.add_api_key(&app.keys.account_id, &key, START + 6).await.unwrap();
    let other = app.other_account().await;
    let theirs = NewApiKey { kind: KeyKind::Secret, livemode: false, ..key.clone() };
    store.add_api_key(&other.id, &theirs, START + 7).await.unwrap();
    let rec = store.find_api_key(&key.hash).await.unwrap().unwrap();
    assert_eq!(
        (rec.account_id.as_str(), rec.kind, rec.livemode),
        (app.keys.account_id.as_str(), KeyKind::Publishable, true)
    );
    // A key needs an existing account.
    let stray = NewApiKey { hash: "s".repeat(64), ..key.clone() };
    assert!(matches!(store.add_api_key("acct_missing", &stray, START).await, Err(StoreError::NotFound)));
    assert!(store.find_api_key(&stray.hash).await.unwrap().is_none());
});

pub(crate) fn tagged(id: &str, kind: &str, tags: Vec<(String, String)>) -> Change {
    Change::Insert { id: id.into(), kind: kind.into(), created: 5, doc: json!({"id": id}).to_string(), tags }
}

backend_test!(store_ids_are_unique_per_account_and_mode, |app| {
    let s = scope(&app);
    let store = &app.store;
    let live = Scope { livemode: true, ..s.clone() };
    let other = Scope { account_id: "acct_other".into(), livemode: false };
    for (sc, who) in [(&s, "test"), (&live, "live"), (&other, "other")] {
        let doc = json!({"id": "SUMMER", "who": who});
        let change = Change::Insert {
            id: "SUMMER".into(),
            kind: "coupon".into(),
            created: 5,
            doc: doc.to_string(),
            tags: vec![],
        };
        store.commit(set(sc, vec![change])).await.unwrap();
    }
    for (sc, who) in [(&s, "test"), (&live, "live"), (&other, "other")] {
        assert_eq!(store.get_object(sc, "SUMMER").await.unwrap().unwrap().doc().unwrap()["who"], who);
    }
    // Only the same scope refuses the id.
    assert!(matches!(store.commit(set(&live, vec![insert("SUMMER", 5, vec![])])).await, Err(StoreError::Conflict)));
    // Updates and deletes reach their own scope's object only.
    let up = Change::Update {
        id: "SUMMER".into(),
        expected_version: 1,
        doc: json!({"who": "changed"}).to_string(),
        tags: vec![],
    };
    store.commit(set(&other, vec![up])).await.unwrap();
    let gone = Change::Delete { id: "SUMMER".into(), expected_version: 1, doc: json!({"deleted": true}).to_string() };
    store.commit(set(&live, vec![gone])).await.unwrap();
    let test = store.get_object(&s, "SUMMER").await.unwrap().unwrap();
    assert_eq!((test.version, test.deleted, test.doc().unwrap()["who"].as_str()), (1, false, Some("test")));
    assert!(store.get_object(&live, "SUMMER").await.unwrap().unwrap().deleted);
    assert_eq!(store.get_object(&other, "SUMMER").await.unwrap().unwrap().doc().unwrap()["who"], "changed");
    // Events are objects too: the same event id in two scopes.
    let evt = event_of("evt_same", "thing.created", 6);
    for sc in [&s, &other] {
        store
            .commit(ChangeSet { scope: sc.clone(), changes: vec![], events: vec![evt.clone()], idempotency: None })
            .await
            .unwrap();
    }
});

backend_test!(store_locates_one_kind_by_id_and_refuses_an_ambiguous_id, |app| {
    let s = scope(&app);
    let store = &app.store;
    let other = Scope { account_id: "acct_other".into(), livemode: true };
    store.commit(set(&s, vec![tagged("cs_1", "checkout_session", vec![])])).await.unwrap();
    // Another scope's object of another kind under the same id is not found.
    store.commit(set(&other, vec![tagged("cs_1", "product", vec![])])).await.unwrap();
    let (found_scope, found) = store.locate("checkout_session", "cs_1").await.unwrap().unwrap();
    assert_eq!((found_scope, found.kind.as_str()), (s.clone(), "checkout_session"));
    let (found_scope, _) = store.locate("product", "cs_1").await.unwrap().unwrap();
    assert_eq!(found_scope, other);
    assert!(store.locate("checkout_session", "cs_missing").await.unwrap().is_none());
    // One kind under one id in two scopes: ambiguous, so neither.
    store.commit(set(&other, vec![tagged("cs_2", "checkout_session", vec![])])).await.unwrap();
    store.commit(set(&s, vec![tagged("cs_2", "checkout_session", vec![])])).await.unwrap();
    assert!(store.locate("checkout_session", "cs_2").await.unwrap().is_none());
});

pub(crate) fn endpoint(id: &str, status: &str, events: &[&str]) -> Change {
    let ep: kassa::domain::webhook_endpoint::WebhookEndpoint = serde_json::from_value(json!({
        "id": id, "object": "webhook_endpoint", "api_version": null, "application": null, "created": START,
        "description": null, "enabled_events": events, "livemode": false, "metadata": {}, "status": status,
        "url": "https://example.com/hook", "secrets": [], "failing_since": null,
    }))
    .unwrap();
    Change::insert(&ep).unwrap()
}

backend_test!(store_commits_an_events_deliveries_in_its_transaction, |app| {
    let s = scope(&app);
    let store = &app.store;
    let endpoints = vec![
        endpoint("we_all", "enabled", &["*"]),
        endpoint("we_pi", "enabled", &["payment_intent.succeeded"]),
        endpoint("we_other", "enabled", &["charge.refunded"]),
        endpoint("we_off", "disabled", &["*"]),
    ];
    assert_eq!(store.commit_counted(set(&s, endpoints)).await.unwrap().deliveries, 0);
    // Far in the future, so no delivery worker takes them meanwhile.
    let at = START + 1_000_000_000;
    let event = |id: &str| event_of(id, "payment_intent.succeeded", at);
    let deliveries = |evt: &str| {
        let mut q = query(50);
        q.kind = "webhook_delivery".into();
        q.filters = vec![("event".into(), evt.into())];
        q
    };
    let with_event = ChangeSet { events: vec![event("evt_1")], ..set(&s, vec![insert("t_1", 5, vec![])]) };
    assert_eq!(store.commit_counted(with_event).await.unwrap().deliveries, 2);
    let mut to: Vec<String> = store
        .list_objects(&s, &deliveries("evt_1"))
        .await
        .unwrap()
        .items
        .iter()
        .map(|d| {
            assert_eq!(
                (d.doc().unwrap()["status"].as_str(), d.doc().unwrap()["next_retry_at"].as_i64()),
                (Some("pending"), Some(at))
            );
            d.doc().unwrap()["webhook_endpoint"].as_str().unwrap().to_owned()
        })
        .collect();
    to.sort();
    assert_eq!(to, ["we_all", "we_pi"]);
    assert_eq!(store.get_object(&s, "evt_1").await.unwrap().unwrap().doc().unwrap()["pending_webhooks"], 2);
    // A commit that fails writes no event and no delivery.
    let losing = ChangeSet { events: vec![event("evt_2")], ..set(&s, vec![insert("t_1", 5, vec![])]) };
    assert!(matches!(store.commit_counted(losing).await, Err(StoreError::Conflict)));
    assert!(store.get_object(&s, "evt_2").await.unwrap().is_none());
    assert!(store.list_objects(&s, &deliveries("evt_2")).await.unwrap().items.is_empty());
    // Another scope's endpoints get nothing of this one's events.
    let other = Scope { account_id: "acct_other".into(), livemode: false };
    let elsewhere = ChangeSet { events: vec![event("evt_3")], ..set(&other, vec![]) };
    assert_eq!(store.commit_counted(elsewhere).await.unwrap().deliveries, 0);
});
