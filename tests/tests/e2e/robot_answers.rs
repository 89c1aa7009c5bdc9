//! What the robot answers over real gRPC to questions it used to get wrong: reporting a
//! seller (and the bare 投诉, which asks whom at either entrance, a seller choosing among
//! agent, buyer, platform ruling and robot; an earlier clause that names the agent makes
//! it a complaint about the agent; "agent" alone is not a complaint), teasing
//! and jokes, the sellers' everyday questions (payouts, shipping deadlines and penalties,
//! returns, promotions), and an English top-up whose number is written in the message
//! while the caller's token carries another.

use std::{net::SocketAddr, time::Duration};

use honeydesk::{
    TestApp,
    chat::Chat,
    sandbox::{DEMO_BACKENDS, RunningSandbox},
    testing::{Options, TEST_SECRET},
};
use honeydesk_proto::bot::v1 as pb;
use server_kit::{Role, auth::claims_for};

fn intent(reply: &pb::BotReply) -> &str {
    reply.intent.as_ref().map_or("", |i| i.name.as_str())
}

fn fell_back(reply: &pb::BotReply) -> bool {
    reply
        .intent
        .as_ref()
        .is_none_or(|i| i.kind == pb::IntentKind::Fallback as i32)
}

#[tokio::test]
async fn reporting_a_seller_and_the_bare_word_complaint_asks_whom() {
    let app = TestApp::spawn().await;
    let mut chat = Chat::named(&app, "shopper-seller").await;
    let seller = chat.say("我要投诉卖家").await;
    assert_eq!(intent(&seller), "complaint.seller");
    for words in ["订单", "证据", "平台介入"] {
        assert!(seller.text.contains(words), "{words}: {}", seller.text);
    }
    let shop = chat.say("report this shop").await;
    assert_eq!(intent(&shop), "complaint.seller");
    assert!(shop.text.contains("evidence"), "{}", shop.text);

    let whom = chat.say("投诉").await;
    assert_eq!(intent(&whom), "complaint.whom");
    assert!(whom.text.contains("你想投诉谁"), "{}", whom.text);
    assert_eq!(
        whom.quick_replies,
        ["投诉人工客服", "投诉卖家", "对小蜜的回答不满意"]
    );
    let tapped = chat.say(&whom.quick_replies[1]).await;
    assert_eq!(intent(&tapped), "complaint.seller");
    let tapped = chat.say(&whom.quick_replies[2]).await;
    assert_eq!(intent(&tapped), "complaint.bot");

    // "agent" alone asks for a person; it does not start a complaint about one (and,
    // with a person on offer by now, the typed request queues the customer).
    let agent = chat.say("agent").await;
    assert_eq!(intent(&agent), "handoff.human");
    assert_eq!(chat.session().await.state, pb::SessionState::Queued as i32);
    app.stop().await;
}

#[tokio::test]
async fn a_bare_complaint_at_the_merchant_entrance_asks_a_seller_whom() {
    let app = TestApp::spawn().await;
    let (mut chat, _) =
        Chat::open(&app, "seller-whom", Role::Merchant, pb::Entrance::Merchant).await;
    let whom = chat.say("投诉").await;
    assert_eq!(intent(&whom), "merchant.complaint_whom");
    for words in ["你想投诉谁", "人工客服", "买家", "申诉", "机器人"] {
        assert!(whom.text.contains(words), "{words}: {}", whom.text);
    }
    assert!(!whom.text.contains("卖家或店铺"), "{}", whom.text);
    assert_eq!(
        whom.quick_replies,
        [
            "投诉人工客服",
            "投诉买家",
            "申诉平台的处理结果",
            "对万象的回答不满意"
        ]
    );
    for (tap, expected) in [
        (1, "merchant.dispute"),
        (2, "merchant.dispute"),
        (3, "complaint.bot"),
    ] {
        let tapped = chat.say(&whom.quick_replies[tap]).await;
        assert_eq!(intent(&tapped), expected, "{}", whom.quick_replies[tap]);
    }
    let tapped = chat.say(&whom.quick_replies[0]).await;
    assert_eq!(intent(&tapped), "complaint.agent");

    let english = chat.say("I want to complain").await;
    assert_eq!(intent(&english), "merchant.complaint_whom");
    assert!(english.text.contains("a buyer"), "{}", english.text);
    assert_eq!(english.quick_replies[1], "Complain about a buyer");
    app.stop().await;
}

#[tokio::test]
async fn a_complaint_whose_first_clause_names_the_agent_is_about_the_agent() {
    let app = TestApp::spawn().await;
    let mut chat = Chat::named(&app, "shopper-rude").await;
    let reply = chat
        .say("the agent was very rude, i want to complain")
        .await;
    assert_eq!(intent(&reply), "complaint.agent", "{}", reply.text);
    let (mut seller, _) =
        Chat::open(&app, "seller-rude", Role::Merchant, pb::Entrance::Merchant).await;
    let reply = seller.say("那个人工客服态度很差，我要投诉").await;
    assert_eq!(intent(&reply), "complaint.agent", "{}", reply.text);
    app.stop().await;
}

#[tokio::test]
async fn teasing_gets_a_good_humoured_answer_and_jokes_are_told() {
    let app = TestApp::spawn().await;
    let mut chat = Chat::named(&app, "shopper-tease").await;
    for text in ["你是不是傻", "小蜜你真蠢", "are you stupid or what"] {
        let reply = chat.say(text).await;
        assert_eq!(intent(&reply), "chitchat.tease", "{text}");
        assert!(!fell_back(&reply), "{text}");
    }
    let joke = chat.say("讲个笑话").await;
    assert_eq!(intent(&joke), "chitchat.joke");
    assert!(
        joke.text.contains('～') || joke.text.contains("笑"),
        "{}",
        joke.text
    );
    let joke = chat.say("tell me a joke").await;
    assert_eq!(intent(&joke), "chitchat.joke");
    assert_eq!(joke.language, pb::Language::En as i32);
    app.stop().await;
}

#[tokio::test]
async fn sellers_everyday_questions_are_answered() {
    let app = TestApp::spawn().await;
    let (mut chat, _) = Chat::open(&app, "seller-1", Role::Merchant, pb::Entrance::Merchant).await;
    for (text, expected) in [
        ("my payout hasn't arrived", "merchant.settlement"),
        ("卖家发货超时会被扣分吗", "merchant.shipping"),
        ("what's the penalty if I ship late", "merchant.shipping"),
        ("买家退货寄回来了我要怎么处理", "merchant.returns"),
        ("双十一的活动在哪里报名", "merchant.promotions"),
        ("how do I register for the 618 sale", "merchant.promotions"),
    ] {
        let reply = chat.say(text).await;
        assert_eq!(intent(&reply), expected, "{text}: {}", reply.text);
        assert!(!fell_back(&reply), "{text}");
    }
    app.stop().await;
}

#[tokio::test]
async fn an_english_top_up_uses_the_number_in_the_message_over_the_tokens() {
    let sandbox = RunningSandbox::start(SocketAddr::from(([127, 0, 0, 1], 0)), TEST_SECRET)
        .await
        .expect("sandbox starts");
    let url = sandbox.url();
    let app = TestApp::spawn_with(Options {
        bot: Some(Box::new(move |s| {
            s.actions
                .backends
                .extend(DEMO_BACKENDS.map(|name| (name.to_owned(), url.clone())));
        })),
        ..Options::default()
    })
    .await;
    let claims = claims_for(
        "shopper-own",
        Role::Consumer,
        Duration::from_secs(600),
        Some("13600001234".to_owned()),
    );
    let mut chat = Chat::with_token(&app, app.tokens().mint_claims(&claims)).await;
    let confirm = chat.say("top up my phone 13812345678 with 20 yuan").await;
    assert_eq!(confirm.text, "Top up 138****5678 with 20 yuan. Confirm?");
    chat.say("yes").await;
    let own = chat.say("充本机50元").await;
    assert_eq!(own.text, "给 136****1234 充值 50 元，确认吗？");
    chat.say("确认").await;
    let ledger = sandbox.sandbox.top_ups();
    let charged: Vec<(&str, u32)> = ledger
        .iter()
        .map(|t| (t.phone.as_str(), t.amount))
        .collect();
    assert_eq!(charged, [("13812345678", 20), ("13600001234", 50)]);
    app.stop().await;
    sandbox.stop().await.unwrap();
}
