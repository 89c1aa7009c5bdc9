//! The task dialogue against the shipped catalogue's top-up and weather tasks.

use super::*;
use crate::catalogue::{Catalogue, Intent};

fn catalogue() -> Catalogue {
    Catalogue::load_default().expect("the shipped catalogue is valid")
}

fn ctx<'a>(c: &'a Catalogue, intent: &'a Intent, phone: Option<&'a str>) -> Context<'a> {
    Context {
        title: &intent.title,
        spec: intent.task.as_ref().expect("a task spec"),
        cities: c.cities(),
        profile_phone: phone,
        other_intent: false,
    }
}

fn said(step: &Step) -> (&str, Option<&ActiveTask>) {
    match step {
        Step::Say { text, task, .. } => (text, task.as_ref()),
        other => panic!("expected a reply, got {other:?}"),
    }
}

#[test]
fn top_up_from_one_message_asks_for_confirmation_then_runs() {
    let c = catalogue();
    let topup = c.intent("topup.phone").unwrap();
    let cx = ctx(&c, topup, None);
    let step = start(
        "topup.phone",
        1,
        "帮我给13812345678充50块",
        Language::Zh,
        &cx,
    );
    let (text, task) = said(&step);
    assert_eq!(text, "给 138****5678 充值 50 元，确认吗？");
    let task = task.unwrap();
    assert_eq!(task.stage, Stage::Confirming);
    let Step::Run(run) = advance(task, "确认", &cx) else {
        panic!("a yes runs the task")
    };
    assert_eq!(run.slots["phone"], "13812345678");
    assert_eq!(run.slots["amount"], "50");
    assert_eq!(run.idempotency_key("s1"), "s1:task-1");
}

#[test]
fn slots_are_asked_one_at_a_time_and_bad_values_are_re_asked() {
    let c = catalogue();
    let topup = c.intent("topup.phone").unwrap();
    let cx = ctx(&c, topup, None);
    let step = start("topup.phone", 1, "充话费", Language::Zh, &cx);
    let (text, task) = said(&step);
    assert!(text.contains("哪个手机号"), "{text}");
    let step = advance(task.unwrap(), "1381234567", &cx);
    let (text, task) = said(&step);
    assert!(
        text.contains("不是有效的大陆手机号") && text.contains("哪个手机号"),
        "{text}"
    );
    let step = advance(task.unwrap(), "13812345678", &cx);
    let (text, task) = said(&step);
    assert!(text.contains("充多少元"), "{text}");
    let step = advance(task.unwrap(), "15", &cx);
    let (text, task) = said(&step);
    assert!(text.contains("暂不支持 15 元"), "{text}");
    let step = advance(task.unwrap(), "一百块", &cx);
    let (text, task) = said(&step);
    assert_eq!(text, "给 138****5678 充值 100 元，确认吗？");
    let step = advance(task.unwrap(), "嗯不对", &cx);
    let (text, _) = said(&step);
    assert!(text.starts_with("请回复“确认”"), "{text}");
}

#[test]
fn cancel_and_no_end_the_task_without_charging() {
    let c = catalogue();
    let topup = c.intent("topup.phone").unwrap();
    let cx = ctx(&c, topup, None);
    let step = start(
        "topup.phone",
        1,
        "Top up 13812345678 with 50 yuan",
        Language::En,
        &cx,
    );
    let (text, task) = said(&step);
    assert_eq!(text, "Top up 138****5678 with 50 yuan. Confirm?");
    let step = advance(task.unwrap(), "no", &cx);
    let (text, task) = said(&step);
    assert!(
        text.contains("nothing was charged") && task.is_none(),
        "{text}"
    );
    let step = start("topup.phone", 2, "充话费", Language::Zh, &cx);
    let step = advance(said(&step).1.unwrap(), "取消", &cx);
    let (text, task) = said(&step);
    assert!(text.contains("已取消") && task.is_none(), "{text}");
}

#[test]
fn own_number_comes_from_the_profile_when_there_is_one() {
    let c = catalogue();
    let topup = c.intent("topup.phone").unwrap();
    let with = ctx(&c, topup, Some("13900001111"));
    let step = start(
        "topup.phone",
        1,
        "给我自己的号码充30元",
        Language::Zh,
        &with,
    );
    assert_eq!(said(&step).0, "给 139****1111 充值 30 元，确认吗？");
    let without = ctx(&c, topup, None);
    let step = start(
        "topup.phone",
        1,
        "给我自己的号码充30元",
        Language::Zh,
        &without,
    );
    assert!(said(&step).0.contains("没有您本机的号码"));
}

#[test]
fn weather_runs_without_confirmation_once_city_and_day_are_known() {
    let c = catalogue();
    let weather = c.intent("weather.query").unwrap();
    let cx = ctx(&c, weather, None);
    assert!(matches!(
        start("weather.query", 1, "明天杭州会下雨吗", Language::Zh, &cx),
        Step::Run(_)
    ));
    let step = start(
        "weather.query",
        1,
        "What's the weather like today?",
        Language::En,
        &cx,
    );
    let (text, task) = said(&step);
    assert!(text.contains("Which city"), "{text}");
    let step = advance(task.unwrap(), "Atlantis", &cx);
    let (text, task) = said(&step);
    assert!(text.contains("I can't look that city up"), "{text}");
    let Step::Run(run) = advance(task.unwrap(), "xi'an", &cx) else {
        panic!("city filled: runs")
    };
    assert_eq!(run.slots["city"], "xian");
    assert_eq!(run.slots["day"], "today");
}

#[test]
fn another_question_drops_the_task_and_unknown_outcomes_can_be_retried() {
    let c = catalogue();
    let topup = c.intent("topup.phone").unwrap();
    let mut cx = ctx(&c, topup, None);
    let step = start("topup.phone", 1, "充话费", Language::Zh, &cx);
    let task = said(&step).1.unwrap().clone();
    cx.other_intent = true;
    assert_eq!(advance(&task, "我的快递到哪了", &cx), Step::Unrelated);
    let unknown = ActiveTask {
        stage: Stage::Unknown,
        ..task
    };
    assert!(matches!(advance(&unknown, "重试", &cx), Step::Run(_)));
    assert_eq!(advance(&unknown, "我的快递到哪了", &cx), Step::Unrelated);
}

#[test]
fn a_number_written_in_the_message_wins_over_the_callers_own() {
    let c = catalogue();
    let topup = c.intent("topup.phone").unwrap();
    let cx = ctx(&c, topup, Some("13600001234"));
    let step = start(
        "topup.phone",
        1,
        "top up my phone 13812345678 with 20 yuan",
        Language::En,
        &cx,
    );
    let (text, _) = said(&step);
    assert!(text.contains("138****5678"), "{text}");
    let step = start("topup.phone", 1, "充本机50元", Language::Zh, &cx);
    let (text, _) = said(&step);
    assert_eq!(text, "给 136****1234 充值 50 元，确认吗？");
}
