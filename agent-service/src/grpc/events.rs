//! Ticket events, offers and stream items on the wire. Agent cards (工号 and name) are
//! looked up as events are converted; the agent id itself never reaches the customer.

use honeydesk_proto::agent::v1 as pb;
use server_kit::time::to_timestamp;

use super::convert::{
    agent_to_pb, card_to_pb, close_reason_to_pb, queue_status_to_pb, sender_to_pb, ticket_to_pb,
};
use crate::domain::{
    EventKind, TicketEvent, TranscriptLine,
    flags::Flag,
    routing::Dispatcher,
    streams::{DeskItem, OfferView, WatchItem},
};

/// A message's public id: the ticket and its sequence number.
pub fn message_id(event: &TicketEvent) -> String {
    event.message_id()
}

async fn card(dispatcher: &Dispatcher, agent_id: &str) -> Option<pb::AgentCard> {
    dispatcher.card(agent_id).await.as_ref().map(card_to_pb)
}

/// A stored event on the wire.
pub async fn event_to_pb(dispatcher: &Dispatcher, event: &TicketEvent) -> pb::TicketEvent {
    use pb::ticket_event::Kind;
    let kind = match &event.kind {
        EventKind::Queued { skill, priority } => Kind::Queued(pb::TicketQueued {
            skill: skill.clone(),
            priority: u32::from(*priority),
        }),
        EventKind::AgentJoined { agent_id } => Kind::AgentJoined(pb::AgentJoined {
            agent: card(dispatcher, agent_id).await,
        }),
        EventKind::Message {
            sender,
            text,
            agent_id,
            flagged_terms,
            ..
        } => Kind::Message(pb::ChatMessage {
            message_id: message_id(event),
            sender: sender_to_pb(*sender) as i32,
            text: text.clone(),
            agent: match agent_id {
                Some(a) => card(dispatcher, a).await,
                None => None,
            },
            flagged: !flagged_terms.is_empty(),
            flagged_terms: flagged_terms.clone(),
        }),
        EventKind::Transferred {
            from_skill,
            to_skill,
            to_agent_id,
            note,
        } => Kind::Transferred(pb::TicketTransferred {
            from_skill: from_skill.clone(),
            to_skill: to_skill.clone(),
            to_agent: match to_agent_id {
                Some(a) => card(dispatcher, a).await,
                None => None,
            },
            note: note.clone(),
        }),
        EventKind::Closed { reason, notice } => Kind::Closed(pb::TicketClosed {
            reason: close_reason_to_pb(*reason) as i32,
            notice: notice.clone(),
        }),
    };
    pb::TicketEvent {
        ticket_id: event.ticket_id.clone(),
        sequence: event.sequence,
        at: Some(to_timestamp(event.at)),
        kind: Some(kind),
    }
}

/// The chat message inside a message event.
pub async fn message_to_pb(
    dispatcher: &Dispatcher,
    event: &TicketEvent,
) -> Option<pb::ChatMessage> {
    match event_to_pb(dispatcher, event).await.kind {
        Some(pb::ticket_event::Kind::Message(m)) => Some(m),
        _ => None,
    }
}

/// A robot transcript line on the wire.
pub fn transcript_to_pb(line: &TranscriptLine) -> pb::TranscriptEntry {
    pb::TranscriptEntry {
        sender: sender_to_pb(line.sender) as i32,
        text: line.text.clone(),
        at: Some(to_timestamp(line.at)),
        intent: line.intent.clone(),
    }
}

fn offer_to_pb(view: &OfferView) -> pb::Offer {
    pb::Offer {
        offer_id: view.offer.offer_id.clone(),
        ticket: Some(ticket_to_pb(&view.ticket)),
        expires_at: Some(to_timestamp(view.offer.expires_at)),
        transcript: view.transcript.iter().map(transcript_to_pb).collect(),
    }
}

/// One item of the customer's watch on the wire.
pub async fn watch_item_to_pb(
    dispatcher: &Dispatcher,
    ticket_id: &str,
    item: &WatchItem,
) -> pb::WatchTicketResponse {
    let event = match item {
        WatchItem::Event(e) => event_to_pb(dispatcher, e).await,
        WatchItem::Queue(q) => pb::TicketEvent {
            ticket_id: ticket_id.to_owned(),
            sequence: 0,
            // Not stored: dated when it is sent, as the customer reads it.
            at: Some(to_timestamp(dispatcher.now())),
            kind: Some(pb::ticket_event::Kind::QueueStatus(queue_status_to_pb(q))),
        },
    };
    pb::WatchTicketResponse { event: Some(event) }
}

/// One item of the desk stream on the wire.
pub async fn desk_item_to_pb(dispatcher: &Dispatcher, item: &DeskItem) -> pb::StreamDeskResponse {
    use pb::stream_desk_response::Kind;
    let kind = match item {
        DeskItem::Offer(view) => Kind::Offer(offer_to_pb(view)),
        DeskItem::Withdrawn { offer_id, reason } => Kind::OfferWithdrawn(pb::OfferWithdrawn {
            offer_id: offer_id.clone(),
            reason: reason.clone(),
        }),
        DeskItem::Event(e) => Kind::TicketEvent(event_to_pb(dispatcher, e).await),
        DeskItem::Agent(a) => {
            let mut agent = agent_to_pb(a);
            agent.active_chats = dispatcher.chats_of(&a.profile.agent_id).await.len() as u32;
            Kind::Agent(agent)
        }
    };
    pb::StreamDeskResponse { kind: Some(kind) }
}

/// A flagged agent message on the supervisors' stream.
pub async fn flag_to_pb(dispatcher: &Dispatcher, flag: &Flag) -> pb::FlaggedMessage {
    pb::FlaggedMessage {
        ticket_id: flag.event.ticket_id.clone(),
        agent_id: flag.agent_id.clone(),
        agent: card(dispatcher, &flag.agent_id).await,
        message: message_to_pb(dispatcher, &flag.event).await,
        at: Some(to_timestamp(flag.event.at)),
    }
}
