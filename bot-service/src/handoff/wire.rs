//! Conversions between agent-service's ticket messages and the hand-off port's types.

use std::time::Duration;

use honeydesk_proto::agent::v1::{self as pb, ticket_event::Kind};
use server_kit::time::{from_duration, from_timestamp, to_timestamp};

use super::{
    AgentCard, Escalation, HandoffError, HumanClose, HumanEvent, HumanEventKind, OpenConversation,
    QueuePlace,
};
use crate::{
    session::Speaker,
    vocabulary::{Entrance, Language},
};

/// agent-service's entrance enum.
pub fn entrance_to_pb(e: Entrance) -> pb::Entrance {
    match e {
        Entrance::Consumer => pb::Entrance::Consumer,
        Entrance::Merchant => pb::Entrance::Merchant,
    }
}

/// An entrance agent-service reported; `None` for one this build does not know.
pub fn entrance_from_pb(e: i32) -> Option<Entrance> {
    match pb::Entrance::try_from(e).ok()? {
        pb::Entrance::Consumer => Some(Entrance::Consumer),
        pb::Entrance::Merchant => Some(Entrance::Merchant),
        pb::Entrance::Unspecified => None,
    }
}

/// agent-service's language enum: what it writes for the customer comes in this one.
pub fn language_to_pb(l: Language) -> pb::Language {
    match l {
        Language::Zh => pb::Language::Zh,
        Language::En => pb::Language::En,
    }
}

/// The CreateTicket request for an escalation.
pub fn escalation_to_pb(e: &Escalation) -> pb::CreateTicketRequest {
    pb::CreateTicketRequest {
        idempotency_key: e.idempotency_key.clone(),
        customer_id: e.customer_id.clone(),
        entrance: entrance_to_pb(e.entrance) as i32,
        skill: e.skill.clone(),
        priority: e.priority,
        reason: e.reason.clone(),
        intent: e.intent.clone(),
        bot_session_id: e.session_id.clone(),
        transcript: e
            .transcript
            .iter()
            .map(|line| pb::TranscriptEntry {
                sender: match line.speaker {
                    Speaker::Customer => pb::Sender::Customer,
                    Speaker::Bot => pb::Sender::Bot,
                } as i32,
                text: line.text.clone(),
                at: Some(to_timestamp(line.at)),
                intent: line.intent.clone().unwrap_or_default(),
            })
            .collect(),
    }
}

/// The place a ticket answer describes.
pub fn queue_place(
    ticket: Option<pb::Ticket>,
    status: Option<pb::QueueStatus>,
) -> Result<QueuePlace, HandoffError> {
    let ticket = ticket
        .ok_or_else(|| HandoffError::Refused("agent-service answered without a ticket".into()))?;
    let status = status.unwrap_or_default();
    Ok(QueuePlace {
        known_events: 0,
        ticket_id: ticket.ticket_id,
        position: status.position,
        estimated_wait: wait(status.estimated_wait.as_ref()),
    })
}

/// The open conversation a FindOpenTicket answer describes (`None` without a ticket).
pub fn open_conversation(
    ticket: Option<pb::Ticket>,
    status: Option<pb::QueueStatus>,
) -> Result<Option<OpenConversation>, HandoffError> {
    let Some(ticket) = ticket else {
        return Ok(None);
    };
    let agent = match pb::TicketStatus::try_from(ticket.status) {
        Ok(pb::TicketStatus::WithAgent) => card(ticket.agent.clone()),
        _ => None,
    };
    Ok(Some(OpenConversation {
        place: queue_place(Some(ticket), status)?,
        agent,
    }))
}

fn card(card: Option<pb::AgentCard>) -> Option<AgentCard> {
    card.map(|c| AgentCard {
        work_number: c.work_number,
        display_name: c.display_name,
    })
}

/// An estimated wait; unset means agent-service cannot estimate it (nobody available).
fn wait(d: Option<&prost_types::Duration>) -> Option<Duration> {
    d.and_then(from_duration)
}

/// A ticket event from agent-service (`None` for the stored "queued" marker, which the
/// customer already knows from the hand-off reply), or why it cannot be understood.
pub fn event_from_pb(event: Option<pb::TicketEvent>) -> Result<Option<HumanEvent>, HandoffError> {
    let bad = |what: &str| HandoffError::Refused(format!("agent-service sent {what}"));
    let event = event.ok_or_else(|| bad("an empty ticket event"))?;
    let at = event
        .at
        .as_ref()
        .map_or(std::time::UNIX_EPOCH, from_timestamp);
    let kind = match event
        .kind
        .ok_or_else(|| bad("a ticket event without a kind"))?
    {
        Kind::QueueStatus(q) => HumanEventKind::QueueStatus {
            position: q.position,
            estimated_wait: wait(q.estimated_wait.as_ref()),
        },
        Kind::AgentJoined(j) => HumanEventKind::AgentJoined(
            card(j.agent).ok_or_else(|| bad("an agent-joined event without the agent"))?,
        ),
        Kind::Message(m) => match pb::Sender::try_from(m.sender) {
            Ok(pb::Sender::Customer) => HumanEventKind::CustomerMessage {
                message_id: m.message_id,
                text: m.text,
            },
            _ => HumanEventKind::AgentMessage {
                message_id: m.message_id,
                text: m.text,
                agent: card(m.agent),
                flagged: m.flagged,
            },
        },
        Kind::Transferred(t) => HumanEventKind::Transferred {
            to_agent: card(t.to_agent),
        },
        Kind::Queued(_) => return Ok(None),
        Kind::Closed(c) => HumanEventKind::Closed {
            reason: match pb::CloseReason::try_from(c.reason) {
                Ok(pb::CloseReason::ReturnedToBot) => HumanClose::ReturnedToBot,
                Ok(pb::CloseReason::CustomerLeft) => HumanClose::CustomerLeft,
                Ok(pb::CloseReason::CustomerIdle) => HumanClose::CustomerIdle,
                _ => HumanClose::Resolved,
            },
            notice: c.notice,
        },
    };
    Ok(Some(HumanEvent {
        sequence: event.sequence,
        at,
        kind,
    }))
}
