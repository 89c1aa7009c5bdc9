//! Conversions between the wire types of `honeydesk.bot.v1` and the engine's types.

use honeydesk_proto::bot::v1 as pb;
use server_kit::time::{to_duration, to_timestamp};

use crate::{
    complaints::Filed,
    engine::{BotError, CustomerEvent},
    handoff::{AgentCard, HumanClose, HumanEventKind},
    session::{CloseReason, Reply, SessionState, SessionView},
    vocabulary::{Entrance, IntentKind, Language},
};

pub fn entrance_from_pb(raw: i32) -> Result<Entrance, BotError> {
    match pb::Entrance::try_from(raw) {
        Ok(pb::Entrance::Consumer) => Ok(Entrance::Consumer),
        Ok(pb::Entrance::Merchant) => Ok(Entrance::Merchant),
        _ => Err(BotError::invalid(
            "entrance",
            "must be ENTRANCE_CONSUMER or ENTRANCE_MERCHANT",
        )),
    }
}

pub fn entrance_to_pb(e: Entrance) -> pb::Entrance {
    match e {
        Entrance::Consumer => pb::Entrance::Consumer,
        Entrance::Merchant => pb::Entrance::Merchant,
    }
}

pub fn language_from_pb(raw: i32) -> Result<Language, BotError> {
    match pb::Language::try_from(raw) {
        Ok(pb::Language::Unspecified) | Ok(pb::Language::Zh) => Ok(Language::Zh),
        Ok(pb::Language::En) => Ok(Language::En),
        Err(_) => Err(BotError::invalid(
            "language",
            "must be LANGUAGE_ZH or LANGUAGE_EN",
        )),
    }
}

pub fn language_to_pb(l: Language) -> pb::Language {
    match l {
        Language::Zh => pb::Language::Zh,
        Language::En => pb::Language::En,
    }
}

pub fn kind_to_pb(k: IntentKind) -> pb::IntentKind {
    match k {
        IntentKind::Faq => pb::IntentKind::Faq,
        IntentKind::Task => pb::IntentKind::Task,
        IntentKind::Chitchat => pb::IntentKind::Chitchat,
        IntentKind::Handoff => pb::IntentKind::Handoff,
        IntentKind::Complaint => pb::IntentKind::Complaint,
    }
}

pub fn session_to_pb(s: &SessionView) -> pb::Session {
    pb::Session {
        session_id: s.id.clone(),
        entrance: entrance_to_pb(s.entrance) as i32,
        state: match s.state {
            SessionState::Bot => pb::SessionState::Bot,
            SessionState::Queued => pb::SessionState::Queued,
            SessionState::WithAgent => pb::SessionState::WithAgent,
            SessionState::Closed => pb::SessionState::Closed,
        } as i32,
        user_id: s.user_id.clone(),
        created_at: Some(to_timestamp(s.created_at)),
        last_activity_at: Some(to_timestamp(s.last_activity)),
        idle_timeout: Some(to_duration(s.idle_timeout)),
        agent_offered: s.agent_offered,
        ticket_id: s.ticket_id.clone().unwrap_or_default(),
        close_reason: match s.close_reason {
            None => pb::CloseReason::Unspecified,
            Some(CloseReason::CustomerEnded) => pb::CloseReason::CustomerEnded,
            Some(CloseReason::IdleTimeout) => pb::CloseReason::IdleTimeout,
            Some(CloseReason::Resolved) => pb::CloseReason::Resolved,
        } as i32,
    }
}

pub fn reply_to_pb(r: &Reply) -> pb::BotReply {
    pb::BotReply {
        reply_id: r.reply_id.clone(),
        text: r.text.clone(),
        language: language_to_pb(r.language) as i32,
        intent: match (&r.intent, r.fallback) {
            (Some(i), _) => Some(pb::IntentMatch {
                name: i.name.clone(),
                kind: kind_to_pb(i.kind) as i32,
                confidence: i.confidence,
            }),
            (None, true) => Some(pb::IntentMatch {
                name: "fallback".to_owned(),
                kind: pb::IntentKind::Fallback as i32,
                confidence: 0.0,
            }),
            (None, false) => None,
        },
        quick_replies: r.quick_replies.clone(),
        suggestions: r
            .suggestions
            .iter()
            .map(|s| pb::Suggestion {
                intent: s.intent.clone(),
                question: s.question.clone(),
                score: s.score,
            })
            .collect(),
        agent_offered: r.agent_offered,
        created_at: Some(to_timestamp(r.at)),
        complaint: r.complaint.as_deref().map(filed_to_pb),
    }
}

/// A filed complaint as the customer's channel shows it.
pub fn filed_to_pb(f: &Filed) -> pb::FiledComplaint {
    pb::FiledComplaint {
        reference: f.reference.clone(),
        acknowledge_by: Some(to_timestamp(f.acknowledge_by)),
        decide_by: Some(to_timestamp(f.decide_by)),
        agent: f.agent.as_ref().map(card_to_pb),
        highlighted_message_ids: f.highlighted_message_ids.clone(),
        created: f.created,
    }
}

fn card_to_pb(card: &AgentCard) -> pb::AgentCard {
    pb::AgentCard {
        work_number: card.work_number.clone(),
        display_name: card.display_name.clone(),
    }
}

/// A human-side event as the customer's stream carries it.
pub fn event_to_pb(e: &CustomerEvent) -> pb::SessionEvent {
    use pb::session_event::Kind;
    let kind = match &e.event.kind {
        HumanEventKind::QueueStatus {
            position,
            estimated_wait,
        } => Kind::QueueStatus(pb::QueueStatus {
            position: *position,
            estimated_wait: estimated_wait.map(to_duration),
        }),
        HumanEventKind::AgentJoined(card) => Kind::AgentJoined(pb::AgentJoined {
            agent: Some(card_to_pb(card)),
            notice: e.notice.clone(),
        }),
        HumanEventKind::AgentMessage {
            message_id,
            text,
            agent,
            flagged,
        } => Kind::AgentMessage(pb::AgentMessage {
            message_id: message_id.clone(),
            text: text.clone(),
            agent: agent.as_ref().map(card_to_pb),
            flagged: *flagged,
            complaint_offer: e.offer.as_ref().map(|o| pb::ComplaintOffer {
                offer_id: o.offer_id.clone(),
                text: o.text.clone(),
                action: o.action.clone(),
            }),
        }),
        HumanEventKind::CustomerMessage { message_id, text } => {
            Kind::CustomerMessage(pb::CustomerMessage {
                message_id: message_id.clone(),
                text: text.clone(),
            })
        }
        HumanEventKind::Transferred { .. } => Kind::Transferred(pb::Transferred {
            notice: e.notice.clone(),
        }),
        // Only the robot's own notice, in the conversation's language: agent-service's
        // close note is the agent's internal note (or a desk default), never for customers.
        HumanEventKind::Closed { reason, .. } => Kind::Closed(pb::HumanConversationClosed {
            notice: e.notice.clone(),
            back_to_bot: *reason == HumanClose::ReturnedToBot,
            can_rate: *reason != HumanClose::CustomerLeft,
        }),
    };
    pb::SessionEvent {
        sequence: e.event.sequence,
        at: Some(to_timestamp(e.event.at)),
        kind: Some(kind),
    }
}
