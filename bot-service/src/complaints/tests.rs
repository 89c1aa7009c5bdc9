//! The complaint dialogue's rules, without gRPC: choosing the conversation (button,
//! number, 工号), describing, the kind of problem said or inferred, confirming, and
//! cancelling at every stage.

use std::time::{Duration, SystemTime};

use super::*;

fn choices() -> Vec<Complainable> {
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_564_800);
    vec![
        Complainable {
            ticket_id: "t-2".into(),
            agent: AgentCard {
                work_number: "1025".into(),
                display_name: "阿强".into(),
            },
            started_at: at,
            summary: "退款".into(),
        },
        Complainable {
            ticket_id: "t-1".into(),
            agent: AgentCard {
                work_number: "3001".into(),
                display_name: "Lily".into(),
            },
            started_at: at - Duration::from_secs(86_400),
            summary: "物流".into(),
        },
    ]
}

fn said(step: Step) -> (String, Vec<String>, Option<Draft>) {
    match step {
        Step::Say {
            text,
            quick_replies,
            draft,
        } => (text, quick_replies, draft),
        other => panic!("expected something to say, got {other:?}"),
    }
}

fn started(text: &str, language: Language) -> (String, Vec<String>, Draft) {
    let (text, buttons, draft) = said(start(1, choices(), text, language, "95188"));
    (text, buttons, draft.expect("a draft"))
}

#[test]
fn no_human_conversation_means_the_robot_explains_itself() {
    let (text, buttons, draft) = said(start(1, vec![], "投诉客服", Language::Zh, "95188"));
    assert!(draft.is_none());
    assert!(text.contains("机器人") && text.contains("95188"), "{text}");
    assert_eq!(buttons, ["转人工"]);
    let (text, _, _) = said(start(1, vec![], "complain", Language::En, "95188"));
    assert!(text.contains("robot"), "{text}");
}

#[test]
fn the_whole_dialogue_in_chinese() {
    let (text, buttons, draft) = started("投诉客服", Language::Zh);
    assert!(text.contains("选择"), "{text}");
    assert_eq!(buttons.len(), 3);
    assert!(buttons[0].starts_with("工号1025 阿强 · "), "{buttons:?}");
    assert_eq!(buttons[2], "取消投诉");
    let (text, _, draft) = said(advance(&draft, &buttons[0], false));
    let draft = draft.unwrap();
    assert_eq!(draft.chosen.as_ref().unwrap().ticket_id, "t-2");
    assert!(text.contains("发生了什么"), "{text}");
    // No kind of problem in the words: asked for.
    let (_, categories, draft) = said(advance(&draft, "问题也没解决就走了", false));
    let draft = draft.unwrap();
    assert_eq!(draft.stage, Stage::Categorising);
    assert_eq!(categories.len(), 5);
    let (text, confirm, draft) = said(advance(&draft, "态度恶劣", false));
    let draft = draft.unwrap();
    assert_eq!(draft.category, Some(Category::RudeAttitude));
    assert!(text.contains("确认") && text.contains("工号1025"), "{text}");
    assert_eq!(
        advance(&draft, &confirm[0], false),
        Step::File(draft.clone())
    );
    assert_eq!(advance(&draft, "确认", false), Step::File(draft.clone()));
    assert_eq!(draft.idempotency_key("s-1"), "s-1:complaint-1");
}

#[test]
fn the_kind_of_problem_is_inferred_when_it_is_clear() {
    let (_, _, draft) = started("客服骂人", Language::Zh);
    assert_eq!(draft.category, Some(Category::AbusiveLanguage));
    let (_, _, draft) = said(advance(&draft, "1", false));
    let (_, _, draft) = said(advance(&draft.unwrap(), "他说我是傻子", false));
    assert_eq!(draft.unwrap().stage, Stage::Confirming);

    let (_, _, draft) = started("I want to complain about the agent", Language::En);
    assert_eq!(draft.category, None);
    let (_, _, draft) = said(advance(&draft, "agent 3001", false));
    let draft = draft.unwrap();
    assert_eq!(draft.chosen.as_ref().unwrap().ticket_id, "t-1");
    let (text, buttons, draft) = said(advance(&draft, "She was rude and hung up", false));
    let draft = draft.unwrap();
    assert_eq!(draft.category, Some(Category::RudeAttitude));
    assert!(text.contains("Shall I file it?"), "{text}");
    assert_eq!(buttons, ["Yes, file it", "Cancel"]);
    assert!(matches!(advance(&draft, "yes", false), Step::File(_)));
}

#[test]
fn cancel_works_at_every_stage_but_not_inside_a_long_description() {
    let (_, buttons, choosing) = started("投诉客服", Language::Zh);
    let cancelled = |d: &Draft, text: &str| {
        let (reply, _, left) = said(advance(d, text, false));
        assert!(left.is_none(), "{text:?} left {left:?}");
        reply
    };
    assert!(cancelled(&choosing, &buttons[2]).contains("已取消"));
    let (_, _, describing) = said(advance(&choosing, "第2个", false));
    let describing = describing.unwrap();
    assert!(cancelled(&describing, "算了").contains("已取消"));
    let (_, _, kept) = said(advance(
        &describing,
        "他说算了不给退就下线了，我等了很久",
        false,
    ));
    assert_eq!(
        kept.unwrap().stage,
        Stage::Categorising,
        "a long description is kept"
    );
    let (_, _, confirming) = said(advance(&describing, "骂人", false));
    let confirming = confirming.unwrap();
    assert!(cancelled(&confirming, "不").contains("已取消"));
    assert!(cancelled(&confirming, "cancel").contains("cancelled"));
}

#[test]
fn unclear_answers_are_asked_again_and_other_questions_leave_the_dialogue() {
    let (_, _, draft) = started("投诉客服", Language::Zh);
    let (text, _, kept) = said(advance(&draft, "9", false));
    assert!(text.contains("没有找到"), "{text}");
    assert_eq!(kept.unwrap().stage, Stage::Choosing);
    assert_eq!(advance(&draft, "我的快递到哪了", true), Step::Unrelated);
}

#[test]
fn offers_name_their_ticket() {
    let uuid = "0199a5c0-1234-7abc-8def-0123456789ab";
    assert_eq!(offer_ticket(&format!("{uuid}-7")), Some(uuid));
    assert_eq!(offer_ticket("nonsense"), None);
    assert_eq!(offer_ticket(&format!("{uuid}-x")), None);
    let mut state = ComplaintState::default();
    state.flag("t-1", "t-1-3");
    state.flag("t-1", "t-1-3");
    state.flag("t-1", "t-1-5");
    assert_eq!(state.flagged["t-1"], ["t-1-3", "t-1-5"]);
}
