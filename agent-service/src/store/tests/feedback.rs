//! The robot's feedback figures in the shared store suite: unanswered questions counted
//! per entrance and text and ranked, answer ratings moved by deltas and never below zero.

use std::time::{Duration, SystemTime};

use crate::{
    domain::Entrance,
    store::{ReplyRatingCount, Store},
};

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
}

async fn unanswered_questions_are_counted_and_ranked(store: &dyn Store) {
    assert!(store.top_unanswered(None, 10).await.unwrap().is_empty());
    for (entrance, text, secs) in [
        (Entrance::Consumer, "钱的问题", 1),
        (Entrance::Consumer, "钱的问题", 5),
        (Entrance::Consumer, "东西坏了", 3),
        (Entrance::Merchant, "钱的问题", 4),
    ] {
        store
            .record_unanswered(entrance, text, at(secs))
            .await
            .unwrap();
    }
    let all = store.top_unanswered(None, 10).await.unwrap();
    let ranked: Vec<(Entrance, &str, u64)> = all
        .iter()
        .map(|u| (u.entrance, u.text.as_str(), u.count))
        .collect();
    assert_eq!(
        ranked,
        [
            (Entrance::Consumer, "钱的问题", 2),
            (Entrance::Merchant, "钱的问题", 1),
            (Entrance::Consumer, "东西坏了", 1),
        ]
    );
    assert_eq!(all[0].last_seen, at(5));
    let merchant = store
        .top_unanswered(Some(Entrance::Merchant), 10)
        .await
        .unwrap();
    assert_eq!(merchant.len(), 1);
    assert_eq!(store.top_unanswered(None, 1).await.unwrap().len(), 1);
}

async fn reply_ratings_move_by_deltas(store: &dyn Store) {
    store.add_reply_rating("order.status", 1, 0).await.unwrap();
    store.add_reply_rating("order.status", 1, 0).await.unwrap();
    store.add_reply_rating("order.status", -1, 1).await.unwrap();
    store
        .add_reply_rating("aftersale.refund", -1, 1)
        .await
        .unwrap();
    let count = |intent: &str, helpful, not_helpful| ReplyRatingCount {
        intent: intent.into(),
        helpful,
        not_helpful,
    };
    assert_eq!(
        store.reply_ratings().await.unwrap(),
        [count("aftersale.refund", 0, 1), count("order.status", 1, 1)]
    );
}

store_suite!(
    unanswered_questions_are_counted_and_ranked,
    reply_ratings_move_by_deltas
);
