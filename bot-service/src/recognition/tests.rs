//! Recognition over the default catalogue: typical questions in both languages land on
//! the right intent confidently, unrelated ones fall below the threshold, and results are
//! limited to the entrance asked about.

use std::sync::LazyLock;

use super::*;
use crate::catalogue::Catalogue;

static RECOGNIZER: LazyLock<Recognizer> =
    LazyLock::new(|| Recognizer::new(&Catalogue::load_default().expect("default catalogue")));

fn top(entrance: Entrance, text: &str) -> Classification {
    RECOGNIZER.classify(entrance, text, 3)
}

#[track_caller]
fn assert_recognised(entrance: Entrance, text: &str, expected: &str) {
    let result = top(entrance, text);
    assert!(result.confident, "{text}: not confident: {result:?}");
    assert_eq!(result.ranked[0].name, expected, "{text}: {result:?}");
}

#[test]
fn recognises_chinese_questions() {
    assert_recognised(
        Entrance::Consumer,
        "我买的衣服拍下三天了卖家还没发货",
        "order.not_shipped",
    );
    assert_recognised(Entrance::Consumer, "快递到哪儿了", "logistics.tracking");
    assert_recognised(Entrance::Consumer, "退款什么时候到账", "aftersale.refund");
    assert_recognised(Entrance::Consumer, "我要转人工", "handoff.human");
    assert_recognised(Entrance::Merchant, "保证金怎么退", "merchant.deposit");
    assert_recognised(Entrance::Merchant, "投诉小蜜", "complaint.bot");
}

#[test]
fn recognises_english_questions() {
    assert_recognised(
        Entrance::Consumer,
        "where is my parcel",
        "logistics.tracking",
    );
    assert_recognised(
        Entrance::Consumer,
        "I can't log into my account",
        "account.login",
    );
    assert_recognised(
        Entrance::Merchant,
        "when do I get my payout",
        "merchant.settlement",
    );
    assert_recognised(Entrance::Consumer, "thanks!", "chitchat.thanks");
}

#[test]
fn full_width_and_mixed_input_is_understood() {
    assert_recognised(
        Entrance::Consumer,
        "ｗｈｅｒｅ ｉｓ ｍｙ ｐａｃｋａｇｅ？",
        "logistics.tracking",
    );
    assert_recognised(
        Entrance::Consumer,
        "我的order怎么还没发货",
        "order.not_shipped",
    );
}

#[test]
fn out_of_scope_questions_are_not_confident() {
    for text in [
        "推荐一部电影",
        "what's the capital of France",
        "股票怎么买",
        "",
        "？？？",
        "2024061512345678",
    ] {
        let result = top(Entrance::Consumer, text);
        assert!(!result.confident, "{text}: {result:?}");
        assert!(result.best().is_none());
    }
}

#[test]
fn results_are_ranked_bounded_and_limited_to_the_entrance() {
    let result = RECOGNIZER.classify(Entrance::Merchant, "怎么退款", 5);
    assert!(result.ranked.len() <= 5);
    assert!(result.ranked.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(result.ranked.iter().all(|s| (0.0..=1.0).contains(&s.score)));
    assert!(
        !result
            .ranked
            .iter()
            .any(|s| s.name.starts_with("aftersale."))
    );
    assert!(
        RECOGNIZER
            .classify(Entrance::Consumer, "退款", 0)
            .ranked
            .is_empty()
    );
}

#[test]
fn language_and_threshold_are_reported() {
    let result = top(Entrance::Consumer, "where is my order");
    assert_eq!(result.language, Language::En);
    assert_eq!(result.threshold, DEFAULT_THRESHOLD);
    assert_eq!(top(Entrance::Consumer, "订单").language, Language::Zh);
    let strict = Recognizer::new(&Catalogue::load_default().unwrap()).with_threshold(1.0);
    let result = strict.classify(Entrance::Consumer, "where is my parcel", 1);
    assert!(!result.confident);
    assert_eq!(result.threshold, 1.0);
}

#[test]
fn recognizer_can_be_shared_across_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Recognizer>();
}

#[test]
fn a_clause_that_names_whom_beats_the_bare_complaint_after_it() {
    for entrance in Entrance::ALL {
        assert_recognised(
            entrance,
            "the agent was very rude, i want to complain",
            "complaint.agent",
        );
    }
    assert_recognised(
        Entrance::Consumer,
        "that seller sent me a fake, i want to complain",
        "complaint.seller",
    );
    assert_recognised(Entrance::Consumer, "i want to complain", "complaint.whom");
    assert_recognised(Entrance::Merchant, "投诉", "merchant.complaint_whom");
    let bare = top(
        Entrance::Consumer,
        "the agent was very rude, i want to complain",
    );
    assert_eq!(bare.ranked[1].name, "complaint.whom", "{bare:?}");
}
