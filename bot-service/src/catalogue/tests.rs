//! Tests of catalogue loading: the shipped default catalogue is complete, and every kind
//! of broken catalogue is refused with a message that says where the problem is.

use super::*;
use crate::vocabulary::{Entrance, IntentKind, Language};

/// Every intent name DESIGN.md promises (a contract with callers).
const DESIGN_INTENTS: &[(&str, &[Entrance])] = &[
    ("order.not_shipped", &[Entrance::Consumer]),
    ("order.status", &[Entrance::Consumer]),
    ("logistics.tracking", &[Entrance::Consumer]),
    ("aftersale.refund", &[Entrance::Consumer]),
    ("aftersale.return", &[Entrance::Consumer]),
    ("payment.failed", &[Entrance::Consumer]),
    ("account.login", &[Entrance::Consumer]),
    ("invoice.request", &[Entrance::Consumer]),
    ("topup.phone", &[Entrance::Consumer]),
    ("weather.query", &[Entrance::Consumer]),
    ("merchant.settlement", &[Entrance::Merchant]),
    ("merchant.listing_violation", &[Entrance::Merchant]),
    ("merchant.shop_rating", &[Entrance::Merchant]),
    ("merchant.dispute", &[Entrance::Merchant]),
    ("merchant.deposit", &[Entrance::Merchant]),
    ("chitchat.greeting", &Entrance::ALL),
    ("chitchat.thanks", &Entrance::ALL),
    ("chitchat.goodbye", &Entrance::ALL),
    ("chitchat.tease", &Entrance::ALL),
    ("handoff.human", &Entrance::ALL),
    ("complaint.agent", &Entrance::ALL),
    ("complaint.bot", &Entrance::ALL),
    ("complaint.channels", &Entrance::ALL),
];

const SKILLS: &[&str] = &[
    "orders",
    "logistics",
    "aftersale",
    "payments",
    "account",
    "invoice",
    "merchant_settlement",
    "merchant_compliance",
    "merchant_disputes",
    "general",
    "complaints",
];

/// Intents added since DESIGN.md's list (issue 11): complaint status and reporting a
/// seller, the "whom?" question for a bare 投诉 (at each entrance: a seller's choices
/// differ), jokes, and sellers' everyday questions.
const ADDED_INTENTS: &[(&str, &[Entrance])] = &[
    (
        "complaint.status",
        &[Entrance::Consumer, Entrance::Merchant],
    ),
    ("complaint.seller", &[Entrance::Consumer]),
    ("complaint.whom", &[Entrance::Consumer]),
    ("merchant.complaint_whom", &[Entrance::Merchant]),
    ("chitchat.joke", &[Entrance::Consumer, Entrance::Merchant]),
    ("merchant.shipping", &[Entrance::Merchant]),
    ("merchant.returns", &[Entrance::Merchant]),
    ("merchant.promotions", &[Entrance::Merchant]),
];

#[test]
fn default_catalogue_has_every_design_intent_at_its_entrances() {
    let catalogue = Catalogue::load_default().unwrap();
    for (name, entrances) in DESIGN_INTENTS.iter().chain(ADDED_INTENTS) {
        let intent = catalogue
            .intent(name)
            .unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!(intent.entrances.as_slice(), *entrances, "{name}");
    }
    assert_eq!(
        catalogue.intents().len(),
        DESIGN_INTENTS.len() + ADDED_INTENTS.len()
    );
    assert_eq!(catalogue.skills(), SKILLS);
    let kind = |name: &str| catalogue.intent(name).unwrap().kind;
    assert_eq!(kind("topup.phone"), IntentKind::Task);
    assert_eq!(kind("weather.query"), IntentKind::Task);
    assert_eq!(kind("handoff.human"), IntentKind::Handoff);
    assert_eq!(kind("complaint.bot"), IntentKind::Complaint);
    assert_eq!(catalogue.intent("topup.phone").unwrap().skill, "payments");
    assert_eq!(catalogue.intents_for(Entrance::Merchant).count(), 19);
    for entrance in Entrance::ALL {
        assert_eq!(catalogue.entrance(entrance).default_skill, "general");
    }
}

#[test]
fn default_catalogue_has_enough_examples_and_answers() {
    let catalogue = Catalogue::load_default().unwrap();
    for intent in catalogue.intents() {
        let name = &intent.name;
        assert!(
            intent.examples(Language::Zh).len() >= 40,
            "{name}: zh examples"
        );
        assert!(
            intent.examples(Language::En).len() >= 25,
            "{name}: en examples"
        );
        if intent.kind == IntentKind::Chitchat {
            assert!(
                intent.answers(Language::Zh).len() >= 3,
                "{name}: varied answers"
            );
        }
    }
    let fallback = &catalogue.fallback().examples;
    assert!(fallback.zh.len() >= 30 && fallback.en.len() >= 30);
    assert!(
        catalogue
            .fallback()
            .other_services
            .iter()
            .any(|s| s == "抖音")
    );
    assert!(
        catalogue
            .slang()
            .iter()
            .any(|(from, to)| from == "肿么办" && to == "怎么办")
    );
    let channels = catalogue.intent("complaint.channels").unwrap();
    assert!(channels.answers(Language::Zh)[0].contains(HOTLINE_PLACEHOLDER));
    assert!(render(&channels.answers(Language::En)[0], "400-000-0000").contains("400-000-0000"));
}

const MINIMAL: &str = r#"
skills = ["orders", "general"]

[entrances.consumer]
greeting_zh = "你好"
greeting_en = "Hi"
default_skill = "general"

[entrances.merchant]
greeting_zh = "你好"
greeting_en = "Hi"
default_skill = "general"

[fallback]
answers_zh = ["没听懂"]
answers_en = ["Sorry?"]
ask_problem_zh = "什么问题？"
ask_problem_en = "What is the problem?"

[[intent]]
name = "order.status"
entrances = ["consumer"]
kind = "faq"
skill = "orders"
title_zh = "订单状态"
title_en = "Order status"
examples_zh = ["订单状态"]
examples_en = ["order status"]
answers_zh = ["在我的订单里看"]
answers_en = ["See My Orders"]
"#;

/// The minimal valid catalogue with one line replaced, and the error it gives.
fn broken(from: &str, to: &str) -> String {
    assert!(MINIMAL.contains(from), "{from}");
    match Catalogue::parse(&MINIMAL.replace(from, to), "test") {
        Ok(_) => panic!("replacing {from:?} with {to:?} was accepted"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn minimal_catalogue_loads() {
    let catalogue = Catalogue::parse(MINIMAL, "test").unwrap();
    assert_eq!(catalogue.origin(), "test");
    assert_eq!(catalogue.intents_for(Entrance::Consumer).count(), 1);
    assert_eq!(catalogue.intents_for(Entrance::Merchant).count(), 0);
    assert!(catalogue.intent("order.status").is_some());
    assert!(catalogue.intent("order.missing").is_none());
}

#[test]
fn intent_problems_name_the_intent() {
    let cases = [
        (
            r#"skill = "orders""#,
            r#"skill = "ordrs""#,
            "intent 'order.status': unknown skill 'ordrs'",
        ),
        (
            r#"entrances = ["consumer"]"#,
            r#"entrances = ["shop"]"#,
            "intent 'order.status': unknown entrance 'shop'",
        ),
        (
            r#"entrances = ["consumer"]"#,
            "entrances = []",
            "intent 'order.status': entrances is missing",
        ),
        (
            r#"answers_en = ["See My Orders"]"#,
            "",
            "intent 'order.status': answers_en is missing",
        ),
        (
            r#"answers_zh = ["在我的订单里看"]"#,
            r#"answers_zh = [" "]"#,
            "intent 'order.status': answers_zh has a blank entry",
        ),
        (
            r#"examples_zh = ["订单状态"]"#,
            "examples_zh = []",
            "intent 'order.status': examples_zh is missing",
        ),
        (
            r#"kind = "faq""#,
            r#"kind = "question""#,
            "intent 'order.status': unknown kind 'question'",
        ),
        (
            r#"title_en = "Order status""#,
            "",
            "intent 'order.status': title_en is missing",
        ),
        (
            r#"name = "order.status""#,
            r#"name = "Order Status""#,
            "intent 'Order Status': 'Order Status' must be made of",
        ),
        (
            r#"answers_en = ["See My Orders"]"#,
            r#"answers_en = ["Call {phone}"]"#,
            "intent 'order.status': answers_en uses unknown placeholder '{phone}'",
        ),
        (
            r#"name = "order.status""#,
            r#"name = """#,
            "intent #1 (no name): name is missing",
        ),
    ];
    for (from, to, expected) in cases {
        let message = broken(from, to);
        assert!(
            message.contains(expected),
            "{message}\n  should contain {expected}"
        );
    }
}

#[test]
fn duplicate_and_conflicting_intents_are_refused() {
    let intent = &MINIMAL[MINIMAL.find("[[intent]]").unwrap()..];
    let twice = format!("{MINIMAL}\n{intent}");
    let message = Catalogue::parse(&twice, "test").unwrap_err().to_string();
    assert!(
        message.contains("intent 'order.status': is defined more than once"),
        "{message}"
    );

    let other = intent.replace(r#"name = "order.status""#, r#"name = "order.where""#);
    let shared = format!("{MINIMAL}\n{other}");
    let error = Catalogue::parse(&shared, "test").unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains(
            "intent 'order.where': example '订单状态' is also an example of intent 'order.status'"
        ),
        "{message}"
    );
    assert_eq!(error.problems().len(), 2, "one per language: {message}");
}

#[test]
fn clarifies_must_name_other_intents() {
    let message = broken(
        r#"answers_en = ["See My Orders"]"#,
        "answers_en = [\"See My Orders\"]\nclarifies = [\"order.where\", \"order.status\"]",
    );
    for unknown in ["order.where", "order.status"] {
        assert!(
            message.contains(&format!(
                "intent 'order.status': clarifies names '{unknown}', which is not another intent"
            )),
            "{message}"
        );
    }
    let catalogue = Catalogue::load_default().unwrap();
    let whom = |name: &str| catalogue.intent(name).unwrap().clarifies.clone();
    assert_eq!(
        whom("complaint.whom"),
        ["complaint.agent", "complaint.seller", "complaint.bot"]
    );
    assert_eq!(
        whom("merchant.complaint_whom"),
        ["complaint.agent", "merchant.dispute", "complaint.bot"]
    );
}

#[test]
fn section_problems_name_the_section() {
    let message = broken(r#"default_skill = "general""#, r#"default_skill = "sales""#);
    assert!(
        message.contains("[entrances.consumer]: unknown skill 'sales'"),
        "{message}"
    );
    let message = broken("[entrances.merchant]", "[entrances.unused]");
    assert!(message.contains("cannot be decoded"), "{message}");
    let message = broken(r#"ask_problem_en = "What is the problem?""#, "");
    assert!(
        message.contains("[fallback]: ask_problem_en is missing"),
        "{message}"
    );
    let message = broken(
        r#"skills = ["orders", "general"]"#,
        r#"skills = ["orders", "general", "orders"]"#,
    );
    assert!(
        message.contains("skills: skill 'orders' is listed more than once"),
        "{message}"
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = MINIMAL
        .replace(r#"skill = "orders""#, r#"skill = "ordrs""#)
        .replace(r#"answers_en = ["See My Orders"]"#, "");
    let error = Catalogue::parse(&text, "test").unwrap_err();
    assert_eq!(error.problems().len(), 2, "{error}");
    assert!(
        error
            .to_string()
            .starts_with("intent catalogue test is invalid: ")
    );
}

#[test]
fn slang_entries_are_folded_and_blank_ones_refused() {
    let text = format!("{MINIMAL}\n[slang]\n\"ＴＨＸ\" = \"謝謝\"\n");
    let catalogue = Catalogue::parse(&text, "test").unwrap();
    assert_eq!(catalogue.slang(), [("thx".to_owned(), "谢谢".to_owned())]);
    let text = format!("{MINIMAL}\n[slang]\n\" \" = \"x\"\n");
    let error = Catalogue::parse(&text, "test").unwrap_err();
    assert!(
        error
            .to_string()
            .contains("[slang]: slang has a blank entry"),
        "{error}"
    );
}

#[test]
fn load_names_the_missing_file() {
    let error = Catalogue::load("/nonexistent/catalogue.toml").unwrap_err();
    assert!(
        error.to_string().contains("/nonexistent/catalogue.toml"),
        "{error}"
    );
}

#[test]
fn the_shipped_catalogue_is_compiled_in_for_a_binary_away_from_its_build_directory() {
    let gone = std::path::Path::new("/nonexistent/honeydesk/catalogue/default.toml");
    let bytes = super::read_or_shipped(gone, gone).expect("the compiled-in copy");
    assert_eq!(&*bytes, super::SHIPPED_CATALOGUE.as_bytes());
    let other = std::path::Path::new("/nonexistent/operator.toml");
    assert!(matches!(
        super::read_or_shipped(other, gone),
        Err(CatalogueError::Read { .. })
    ));
}
