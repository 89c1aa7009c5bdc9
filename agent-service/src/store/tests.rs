//! The one suite every store implementation must pass: run against SQLite always, and
//! against PostgreSQL when `HONEYDESK_TEST_POSTGRES_URL` names a server.

use std::time::{Duration, SystemTime};

use super::{Store, StoreError};
use crate::domain::{AgentProfile, Entrance, Presence};

fn profile(id: &str, work_number: &str) -> AgentProfile {
    AgentProfile {
        agent_id: id.into(),
        work_number: work_number.into(),
        display_name: format!("agent {work_number}"),
        skills: vec!["orders".into(), "logistics".into()],
        entrances: vec![Entrance::Consumer, Entrance::Merchant],
        capacity: 3,
    }
}

async fn agents_round_trip(store: &dyn Store) {
    let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let a = store
        .upsert_agent(&profile("a-1", "1001"), t0)
        .await
        .unwrap();
    assert_eq!(a.presence, Presence::Offline);
    assert_eq!(a.profile, profile("a-1", "1001"));
    let mut changed = profile("a-1", "1001");
    changed.capacity = 5;
    changed.skills = vec!["aftersale".into()];
    let a = store.upsert_agent(&changed, t0).await.unwrap();
    assert_eq!(a.profile.capacity, 5);
    assert_eq!(a.profile.skills, vec!["aftersale".to_string()]);
    store
        .upsert_agent(&profile("a-0", "0999"), t0)
        .await
        .unwrap();
    let all = store.agents().await.unwrap();
    let numbers: Vec<_> = all.iter().map(|a| a.profile.work_number.as_str()).collect();
    assert_eq!(numbers, ["0999", "1001"]);
    assert!(store.agent("nobody").await.unwrap().is_none());
}

async fn work_numbers_are_unique(store: &dyn Store) {
    let now = SystemTime::now();
    store
        .upsert_agent(&profile("a-1", "1001"), now)
        .await
        .unwrap();
    let err = store
        .upsert_agent(&profile("a-2", "1001"), now)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
}

async fn presence_changes_are_stored(store: &dyn Store) {
    let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    store
        .upsert_agent(&profile("a-1", "1001"), t0)
        .await
        .unwrap();
    let t1 = t0 + Duration::from_secs(60);
    let a = store
        .set_presence("a-1", Presence::Available, t1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((a.presence, a.presence_since), (Presence::Available, t1));
    // Setting the same presence again keeps the original "since".
    let a = store
        .set_presence("a-1", Presence::Available, t1 + Duration::from_secs(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.presence_since, t1);
    assert!(
        store
            .set_presence("ghost", Presence::Away, t1)
            .await
            .unwrap()
            .is_none()
    );
}

macro_rules! store_suite {
    ($($case:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $case() {
                    let db = crate::store::testing::TestDatabase::sqlite().await;
                    super::$case(&db.store).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $case() {
                    let Some(db) = crate::store::testing::TestDatabase::postgres().await else {
                        eprintln!("skipped: {} is not set", crate::store::testing::POSTGRES_ENV);
                        return;
                    };
                    super::$case(&db.store).await;
                    db.drop().await;
                }
            )+
        }
    };
}

store_suite!(
    agents_round_trip,
    work_numbers_are_unique,
    presence_changes_are_stored
);

mod chat;
mod complaints;
mod feedback;
mod offers;
mod ratings;
mod tickets;
