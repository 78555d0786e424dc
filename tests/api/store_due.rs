//! The due sweeps (`Store::due`, `Store::due_grouped`) on both backends,
//! and the index they read: since migration 0011 it holds only schedule
//! tags (`store::schedule`), and a sweep uses it only by naming its
//! predicate.

use serde_json::json;

use crate::backend_test;
use crate::helpers::{test_db, Backend};
use crate::store_contract::{scope, set, tagged};
use kassa::store::sql::{self, Arg, Dialect};
use kassa::store::{Change, DueQuery, Scope, StoreError};

backend_test!(store_due_grouped_reads_each_group_on_its_own, |app| {
    let s = scope(&app);
    let store = &app.store;
    let other = Scope { account_id: "acct_other".into(), livemode: true };
    let due = |group: &str, at: i64| vec![(format!("due:{group}"), format!("{at:020}")), ("x".into(), "y".into())];
    // A backlog of 50 in group a, older than anything else.
    let backlog: Vec<Change> = (0..50).map(|i| tagged(&format!("a_{i:02}"), "job", due("a", i))).collect();
    store.commit(set(&s, backlog)).await.unwrap();
    store
        .commit(set(&other, vec![tagged("b_1", "job", due("b", 100)), tagged("b_2", "job", due("b", 101))]))
        .await
        .unwrap();
    store
        .commit(set(&s, vec![tagged("c_1", "job", due("c", 500)), tagged("d_1", "job", due("d", 900))]))
        .await
        .unwrap();
    // Same tag names on another kind are not this query's.
    store.commit(set(&s, vec![tagged("e_1", "other_kind", due("e", 1))])).await.unwrap();
    let query = |skip: Vec<&str>, per_group: usize| kassa::store::GroupedDue {
        kind: "job".into(),
        prefix: "due:".into(),
        up_to: format!("{:020}", 600),
        skip: skip.into_iter().map(str::to_owned).collect(),
        per_group,
    };
    let got = store.due_grouped(&query(vec![], 3)).await.unwrap();
    let seen: Vec<(&str, &str)> = got.iter().map(|i| (i.group.as_str(), i.object.id.as_str())).collect();
    assert_eq!(
        seen,
        [("a", "a_00"), ("a", "a_01"), ("a", "a_02"), ("b", "b_1"), ("b", "b_2"), ("c", "c_1")],
        "each group's lowest, none past up_to"
    );
    assert_eq!((got[3].scope.clone(), got[3].due.as_str()), (other.clone(), format!("{:020}", 100).as_str()));
    let skipped = store.due_grouped(&query(vec!["a", "c"], 1)).await.unwrap();
    let ids: Vec<&str> = skipped.iter().map(|i| i.object.id.as_str()).collect();
    assert_eq!(ids, ["b_1"], "a group at its cap is left out");
    // A claimed item moves past up_to and leaves its group's queue.
    let claim =
        Change::Update { id: "b_1".into(), expected_version: 1, doc: json!({}).to_string(), tags: due("b", 10_000) };
    store.commit(set(&other, vec![claim])).await.unwrap();
    let ids: Vec<String> =
        store.due_grouped(&query(vec!["a"], 5)).await.unwrap().into_iter().map(|i| i.object.id).collect();
    assert_eq!(ids, ["b_2", "c_1"]);
});

backend_test!(store_due_sweeps_find_schedules_and_refuse_other_tags, |app| {
    let s = scope(&app);
    let store = &app.store;
    let other = Scope { account_id: "acct_other".into(), livemode: true };
    let job = |id: &str, at: i64| {
        tagged(id, "job", vec![("open_until".into(), format!("{at:020}")), ("status".into(), "open".into())])
    };
    store.commit(set(&s, vec![job("j_2", 20), job("j_9", 900)])).await.unwrap();
    store.commit(set(&other, vec![job("j_1", 10)])).await.unwrap();
    let up_to = format!("{:020}", 100);
    // The lowest `limit`, in no promised order.
    let ids = |found: Vec<(Scope, kassa::store::StoredObject)>| {
        let mut ids: Vec<String> = found.into_iter().map(|(_, o)| o.id).collect();
        ids.sort();
        ids
    };
    let all = store.due(&DueQuery::new("job", "open_until", &up_to, 10)).await.unwrap();
    assert_eq!(ids(all), ["j_1", "j_2"], "every account's, none past up_to");
    let lowest = store.due(&DueQuery::new("job", "open_until", &format!("{:020}", 1000), 1)).await.unwrap();
    assert_eq!(ids(lowest), ["j_1"]);
    let mine = store.due(&DueQuery::new("job", "open_until", &up_to, 10).within(Some(&s))).await.unwrap();
    assert_eq!(ids(mine), ["j_2"]);
    // Only schedules are in the index the sweeps read: any other tag is refused, never an empty answer.
    let refused = store.due(&DueQuery::new("job", "status", "open", 10)).await;
    assert!(matches!(&refused, Err(StoreError::Backend(m)) if m.contains("not a schedule")), "{refused:?}");
    let grouped =
        kassa::store::GroupedDue { kind: "job".into(), prefix: "q:".into(), up_to, skip: vec![], per_group: 1 };
    assert!(store.due_grouped(&grouped).await.is_err());
});

/// PostgreSQL proves a query may use a partial index from the query's text
/// alone when its plan is generic (sqlx prepares its statements, and after
/// five runs PostgreSQL may keep a generic plan). Each sweep is planned
/// that way here, with sequential scans priced out, so a sweep that no
/// longer names the predicate shows as a read of another index (or a scan).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_sweeps_read_the_schedule_index_in_a_generic_plan() {
    let Some(db) = test_db(Backend::Postgres).await else { return };
    kassa::store::open(&db.url).await.unwrap();
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    sqlx::raw_sql("SET plan_cache_mode = force_generic_plan; SET enable_seqscan = off")
        .execute(&mut *conn)
        .await
        .unwrap();
    let scoped = Scope { account_id: "acct_1".into(), livemode: false };
    // (text, parameter types, whether only the schedule index can serve it)
    let mut sweeps: Vec<(String, Vec<&str>, bool)> = Vec::new();
    for q in [DueQuery::new("k", "open_until", "1", 5), DueQuery::new("k", "due_at", "1", 5).within(Some(&scoped))] {
        let built = sql::due(&q, Dialect::Postgres);
        let types = built
            .args
            .iter()
            .map(|a| match a {
                Arg::Text(_) => "text",
                Arg::Int(_) => "bigint",
                Arg::Bool(_) => "boolean",
            })
            .collect();
        // Within one account, the table's own key may serve as well.
        sweeps.push((built.text, types, q.scope.is_none()));
    }
    sweeps.push((sql::due_grouped_postgres().to_owned(), vec!["text", "text", "bigint", "text", "text[]"], true));
    for (i, (text, types, across)) in sweeps.iter().enumerate() {
        let prepare = format!("PREPARE sweep{i}({}) AS {text}", types.join(", "));
        sqlx::raw_sql(&prepare).execute(&mut *conn).await.unwrap();
        let nulls = vec!["NULL"; types.len()].join(", ");
        let plan: Vec<String> =
            sqlx::query_scalar(&format!("EXPLAIN EXECUTE sweep{i}({nulls})")).fetch_all(&mut *conn).await.unwrap();
        let plan = plan.join("\n");
        assert!(!plan.contains("Seq Scan on object_tags"), "{text}\n{plan}");
        // A sweep without the predicate would walk the table's key from end
        // to end instead (sequential scans being priced out): every read of
        // object_tags in a cross-account sweep must be the schedule index's.
        if *across {
            assert!(plan.contains("object_tags_due"), "{text}\n{plan}");
            assert!(!plan.contains("object_tags_pkey") && !plan.contains("object_tags_seq"), "{text}\n{plan}");
        }
    }
}
