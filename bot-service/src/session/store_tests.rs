//! One suite for every [`SessionStore`]: each case runs against this process's memory
//! and against Redis (the server named by `HONEYDESK_TEST_REDIS_URL`, under a key
//! prefix of its own; skipped when the variable is unset, as the PostgreSQL store tests
//! are). Each case gets two handles on one store: the same registry twice in memory,
//! two independent connections (two replicas, as it were) in Redis.

use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use super::{
    CloseReason, Registry, Session, SessionState, SessionStore, SessionStoreError,
    redis::{RedisSessionSettings, RedisSessions, TEST_URL_ENV},
};
use crate::vocabulary::Entrance;

fn session(id: &str, user: &str, at: SystemTime) -> Session {
    Session::new(
        id.into(),
        user.into(),
        Entrance::Merchant,
        at,
        Duration::from_secs(600),
        10,
    )
}

/// A new session of user `u-1`, started now, added to `store`; its id.
async fn inserted(store: &Arc<dyn SessionStore>) -> String {
    let id = fresh_id("s");
    store
        .insert(session(&id, "u-1", SystemTime::now()), 0)
        .await
        .unwrap();
    id
}

fn fresh_id(name: &str) -> String {
    format!("{name}-{}", server_kit::request_id::new_id())
}

async fn a_session_round_trips_with_what_a_turn_needs(
    a: Arc<dyn SessionStore>,
    b: Arc<dyn SessionStore>,
) {
    let id = fresh_id("s");
    let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    a.insert(session(&id, "u-1", t0), 0).await.unwrap();
    assert_eq!(b.entrance(&id).await.unwrap(), Some(Entrance::Merchant));
    let mut s = a.lock(&id).await.unwrap().expect("the session is there");
    s.recognised_turns = 3;
    s.queue("ticket-1".into());
    s.last_sequence = 7;
    s.complaints.flag("ticket-1", "ticket-1-5");
    s.log(
        super::Speaker::Customer,
        "快递到哪了",
        t0,
        Some("logistics.tracking"),
    );
    s.commit().await.unwrap();

    let s = b
        .lock(&id)
        .await
        .unwrap()
        .expect("seen through the other handle");
    assert_eq!(s.recognised_turns, 3);
    assert_eq!(s.state, SessionState::Queued);
    assert_eq!(s.ticket_id.as_deref(), Some("ticket-1"));
    assert_eq!(s.last_sequence, 7);
    assert_eq!(
        s.complaints.flagged["ticket-1"],
        vec!["ticket-1-5".to_owned()]
    );
    assert_eq!(s.transcript.lines().last().unwrap().text, "快递到哪了");
    s.commit().await.unwrap();
    assert!(b.lock("no-such-session").await.unwrap().is_none());
    assert_eq!(a.entrance("no-such-session").await.unwrap(), None);
}

async fn a_user_holds_at_most_the_cap_of_open_sessions(
    a: Arc<dyn SessionStore>,
    b: Arc<dyn SessionStore>,
) {
    let now = SystemTime::now();
    let (user, other) = (fresh_id("u"), fresh_id("u"));
    let first = fresh_id("s");
    a.insert(session(&first, &user, now), 2).await.unwrap();
    b.insert(session(&fresh_id("s"), &user, now), 2)
        .await
        .unwrap();
    let refused = a.insert(session(&fresh_id("s"), &user, now), 2).await;
    assert!(
        matches!(refused, Err(SessionStoreError::TooMany { open: 2 })),
        "{refused:?}"
    );
    // Another user is not affected; a closed session frees a place.
    b.insert(session(&fresh_id("s"), &other, now), 2)
        .await
        .unwrap();
    let mut s = b.lock(&first).await.unwrap().unwrap();
    s.close(CloseReason::CustomerEnded);
    s.commit().await.unwrap();
    a.insert(session(&fresh_id("s"), &user, now), 2)
        .await
        .unwrap();
}

async fn a_session_past_its_idle_limit_is_due(a: Arc<dyn SessionStore>, b: Arc<dyn SessionStore>) {
    let id = fresh_id("s");
    let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    a.insert(session(&id, "u-1", t0), 0).await.unwrap();
    let later = t0 + Duration::from_secs(601);
    assert!(b.due(later).await.unwrap().contains(&id));
}

async fn two_concurrent_turns_on_one_session_are_serialised(
    a: Arc<dyn SessionStore>,
    b: Arc<dyn SessionStore>,
) {
    let id = inserted(&a).await;
    let turns = |store: Arc<dyn SessionStore>, id: String| async move {
        for _ in 0..20 {
            let mut s = store.lock(&id).await.unwrap().unwrap();
            let seen = s.recognised_turns;
            // A turn takes a while; another turn meanwhile would read the same count.
            tokio::time::sleep(Duration::from_millis(1)).await;
            s.recognised_turns = seen + 1;
            s.commit().await.unwrap();
        }
    };
    let (x, y) = tokio::join!(
        tokio::spawn(turns(a.clone(), id.clone())),
        tokio::spawn(turns(b.clone(), id.clone()))
    );
    x.unwrap();
    y.unwrap();
    let s = a.lock(&id).await.unwrap().unwrap();
    assert_eq!(s.recognised_turns, 40, "no turn's update was lost");
}

async fn a_call_dropped_without_commit_keeps_its_changes(
    a: Arc<dyn SessionStore>,
    b: Arc<dyn SessionStore>,
) {
    let id = inserted(&a).await;
    let mut s = a.lock(&id).await.unwrap().unwrap();
    s.fallbacks_in_a_row = 2;
    drop(s);
    let s = b.lock(&id).await.unwrap().unwrap();
    assert_eq!(
        s.fallbacks_in_a_row, 2,
        "the change of a cancelled call is kept"
    );
}

macro_rules! store_suite {
    ($($case:ident),+ $(,)?) => {
        mod memory {
            $(
                #[tokio::test]
                async fn $case() {
                    let store: std::sync::Arc<dyn super::SessionStore> =
                        std::sync::Arc::new(super::Registry::default());
                    super::$case(store.clone(), store).await;
                }
            )+
        }
        mod redis {
            $(
                #[tokio::test]
                async fn $case() {
                    let Some(prefix) = super::redis_prefix() else {
                        eprintln!("skipped: {} is not set", super::TEST_URL_ENV);
                        return;
                    };
                    super::$case(super::redis(&prefix), super::redis(&prefix)).await;
                    super::forget(&prefix).await;
                }
            )+
        }
    };
}

store_suite!(
    a_session_round_trips_with_what_a_turn_needs,
    a_user_holds_at_most_the_cap_of_open_sessions,
    a_session_past_its_idle_limit_is_due,
    two_concurrent_turns_on_one_session_are_serialised,
    a_call_dropped_without_commit_keeps_its_changes,
);

/// A key prefix of this test's own, when a test Redis is configured.
fn redis_prefix() -> Option<String> {
    test_url()?;
    Some(format!(
        "honeydesk-test-{}:",
        server_kit::request_id::new_id()
    ))
}

fn test_url() -> Option<String> {
    std::env::var(TEST_URL_ENV).ok().filter(|u| !u.is_empty())
}

fn settings(prefix: &str) -> RedisSessionSettings {
    RedisSessionSettings {
        url: test_url().expect("checked by redis_prefix"),
        key_prefix: prefix.to_owned(),
        lock_lease: Duration::from_secs(10),
        lock_wait: Duration::from_secs(10),
        timeout: Duration::from_secs(2),
    }
}

/// A handle of its own on the test Redis (a replica, as it were).
fn redis(prefix: &str) -> Arc<dyn SessionStore> {
    Arc::new(RedisSessions::new(&settings(prefix)).expect("a valid URL"))
}

/// Removes every key under `prefix`.
async fn forget(prefix: &str) {
    let client = ::redis::Client::open(test_url().unwrap()).unwrap();
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = ::redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut con)
        .await
        .unwrap();
    if !keys.is_empty() {
        let _: () = ::redis::cmd("DEL")
            .arg(keys)
            .query_async(&mut con)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn redis_closed_sessions_are_not_due_and_a_lost_lock_refuses_the_write() {
    let Some(prefix) = redis_prefix() else {
        eprintln!("skipped: {TEST_URL_ENV} is not set");
        return;
    };
    let short = RedisSessions::new(&RedisSessionSettings {
        lock_lease: Duration::from_millis(50),
        lock_wait: Duration::from_millis(20),
        ..settings(&prefix)
    })
    .unwrap();
    let id = fresh_id("s");
    let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    short.insert(session(&id, "u-1", t0), 0).await.unwrap();
    let held = short.lock(&id).await.unwrap().unwrap();
    assert!(
        matches!(short.lock(&id).await, Err(SessionStoreError::Busy(_))),
        "a held session makes the next call wait, then give up"
    );
    tokio::time::sleep(Duration::from_millis(80)).await;
    let mut other = short.lock(&id).await.unwrap().expect("the lease ran out");
    assert!(matches!(
        held.commit().await,
        Err(SessionStoreError::LockLost(_))
    ));
    other.close(CloseReason::IdleTimeout);
    other.commit().await.unwrap();
    let later = t0 + Duration::from_secs(10_000);
    assert!(!short.due(later).await.unwrap().contains(&id));
    forget(&prefix).await;
}
