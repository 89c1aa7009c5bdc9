//! Satisfaction ratings totalled for supervisors, in the shared store suite: per agent
//! and per queue of the rated ticket, only those given since the asked instant.

use super::chat::{agents, at, ticket};
use crate::{
    domain::Entrance,
    store::{Rating, RatingTotal, Store},
};

async fn ratings_are_totalled_per_agent_and_queue_since_an_instant(store: &dyn Store) {
    agents(store, &["a-1", "a-2"]).await;
    assert!(store.rating_totals(at(0)).await.unwrap().is_empty());
    for (customer, agent, score, secs) in [
        ("u-1", "a-1", 5, 10),
        ("u-2", "a-1", 2, 20),
        ("u-3", "a-2", 4, 30),
    ] {
        let ticket_id = ticket(store, customer, secs).await;
        let rating = Rating {
            ticket_id,
            agent_id: agent.into(),
            score,
            comment: String::new(),
            rated_at: at(secs),
        };
        store.rate_ticket(&rating).await.unwrap();
    }
    let total = |agent_id: &str, count, sum| RatingTotal {
        agent_id: agent_id.into(),
        entrance: Entrance::Consumer,
        skill: "orders".into(),
        count,
        sum,
    };
    assert_eq!(
        store.rating_totals(at(0)).await.unwrap(),
        [total("a-1", 2, 7), total("a-2", 1, 4)]
    );
    assert_eq!(
        store.rating_totals(at(20)).await.unwrap(),
        [total("a-1", 1, 2), total("a-2", 1, 4)]
    );
    assert!(store.rating_totals(at(31)).await.unwrap().is_empty());
}

store_suite!(ratings_are_totalled_per_agent_and_queue_since_an_instant);
