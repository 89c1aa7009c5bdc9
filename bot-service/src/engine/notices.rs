//! What the customer is shown when something happens on the human side, in Chinese or
//! English: the place in the queue (or that the wait is unknown), a person joining (by
//! 工号), a transfer, and the close.

use std::time::Duration;

use crate::{
    handoff::{AgentCard, HumanClose, HumanEventKind},
    vocabulary::Language,
};

/// What the customer is told once queued: they are being connected, and where they
/// stand.
pub fn queued(language: Language, position: u32, wait: Option<Duration>, hotline: &str) -> String {
    let connecting = match language {
        Language::Zh => "正在为您转接人工客服。",
        Language::En => "Connecting you to a human agent. ",
    };
    format!("{connecting}{}", place(language, position, wait, hotline))
}

/// Where a queued customer stands. With no estimate (nobody available can take the
/// conversation) it says so honestly and offers what they can do instead: keep waiting
/// and leave a message the agent will read, or call the hotline.
pub fn place(language: Language, position: u32, wait: Option<Duration>, hotline: &str) -> String {
    let ahead = position.saturating_sub(1);
    match (language, wait) {
        (Language::Zh, Some(wait)) => format!(
            "您前面还有 {ahead} 位，预计等待约 {} 分钟，请稍候。",
            minutes(wait)
        ),
        (Language::Zh, None) => format!(
            "您前面还有 {ahead} 位。目前没有能接待您的人工客服在线，暂时无法估计等待时间。您可以继续排队并直接留言（客服接入后会看到并回复您），也可以拨打客服热线 {hotline}。"
        ),
        (Language::En, Some(wait)) => format!(
            "{} ahead of you; the estimated wait is about {} min.",
            people_ahead(ahead),
            minutes(wait)
        ),
        (Language::En, None) => format!(
            "{} ahead of you. No agent who can take your question is available right now, so we cannot estimate the wait. You can keep waiting and leave a message here (the agent will read it and reply), or call our hotline {hotline}.",
            people_ahead(ahead)
        ),
    }
}

fn minutes(wait: Duration) -> u64 {
    wait.as_secs().div_ceil(60).max(1)
}

fn people_ahead(n: u32) -> String {
    match n {
        1 => "There is 1 person".to_owned(),
        n => format!("There are {n} people"),
    }
}

/// The sentence for one human-side event (empty for messages, which speak for
/// themselves).
pub fn for_event(language: Language, kind: &HumanEventKind, hotline: &str) -> String {
    match kind {
        HumanEventKind::QueueStatus {
            position,
            estimated_wait,
        } => place(language, *position, *estimated_wait, hotline),
        HumanEventKind::AgentJoined(card) => match language {
            Language::Zh => format!("人工客服 {} 已接入，为您服务。", zh_card(card)),
            Language::En => format!("Agent {} has joined the conversation.", en_card(card)),
        },
        HumanEventKind::Transferred { to_agent } => match (language, to_agent) {
            (Language::Zh, Some(card)) => {
                format!("已为您转接至人工客服 {}，请稍候。", zh_card(card))
            }
            (Language::Zh, None) => "已为您转接至更合适的客服团队，请稍候。".to_owned(),
            (Language::En, Some(card)) => {
                format!(
                    "You are being transferred to agent {}; please hold on.",
                    en_card(card)
                )
            }
            (Language::En, None) => {
                "You are being transferred to the team best placed to help; please hold on."
                    .to_owned()
            }
        },
        HumanEventKind::Closed { reason, .. } => closed(language, *reason).to_owned(),
        HumanEventKind::AgentMessage { .. } | HumanEventKind::CustomerMessage { .. } => {
            String::new()
        }
    }
}

fn closed(language: Language, reason: HumanClose) -> &'static str {
    match (language, reason) {
        (Language::Zh, HumanClose::Resolved) => {
            "人工服务已结束，感谢您的耐心。欢迎为本次服务打分（1-5 星）。"
        }
        (Language::Zh, HumanClose::ReturnedToBot) => {
            "人工服务已结束，小蜜继续为您服务，有问题随时问我。欢迎为本次人工服务打分。"
        }
        (Language::Zh, HumanClose::CustomerIdle) => {
            "由于长时间未收到您的消息，本次人工服务已结束。如需帮助请重新发起咨询。"
        }
        (Language::Zh, HumanClose::CustomerLeft) => "您已离开人工服务。",
        (Language::En, HumanClose::Resolved) => {
            "The agent has closed the conversation. Thank you for your patience; you can rate the service from 1 to 5."
        }
        (Language::En, HumanClose::ReturnedToBot) => {
            "The agent has handed you back to me; ask me anything. You can rate the agent's service."
        }
        (Language::En, HumanClose::CustomerIdle) => {
            "The conversation with the agent was closed because we did not hear from you. Start a new one if you need help."
        }
        (Language::En, HumanClose::CustomerLeft) => "You left the conversation with the agent.",
    }
}

fn zh_card(card: &AgentCard) -> String {
    format!("工号{} {}", card.work_number, card.display_name)
}

fn en_card(card: &AgentCard) -> String {
    format!("No. {} ({})", card.work_number, card.display_name)
}
