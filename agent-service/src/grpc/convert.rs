//! Conversions between the wire types of `honeydesk.agent.v1` and the domain.

use honeydesk_proto::agent::v1 as pb;
use server_kit::time::{from_timestamp, to_duration, to_timestamp};

use crate::domain::{
    Agent, AgentCard, CloseReason, DomainError, Entrance, Escalation, Language, Presence, Sender,
    Ticket, TicketStatus, TranscriptLine, intake::QueueStatus, roster::ProfilePatch,
};

pub fn entrance_to_pb(e: Entrance) -> pb::Entrance {
    match e {
        Entrance::Consumer => pb::Entrance::Consumer,
        Entrance::Merchant => pb::Entrance::Merchant,
    }
}

pub fn entrance_from_pb(raw: i32, field: &str) -> Result<Entrance, DomainError> {
    match pb::Entrance::try_from(raw) {
        Ok(pb::Entrance::Consumer) => Ok(Entrance::Consumer),
        Ok(pb::Entrance::Merchant) => Ok(Entrance::Merchant),
        _ => Err(DomainError::invalid(
            field,
            "must be ENTRANCE_CONSUMER or ENTRANCE_MERCHANT",
        )),
    }
}

pub fn language_to_pb(l: Language) -> pb::Language {
    match l {
        Language::Zh => pb::Language::Zh,
        Language::En => pb::Language::En,
    }
}

/// UNSPECIFIED reads as Chinese, the platform's default; a value outside the enum is
/// refused, naming the field.
pub fn language_from_pb(raw: i32, field: &str) -> Result<Language, DomainError> {
    match pb::Language::try_from(raw) {
        Ok(pb::Language::Unspecified | pb::Language::Zh) => Ok(Language::Zh),
        Ok(pb::Language::En) => Ok(Language::En),
        Err(_) => Err(DomainError::invalid(
            field,
            "must be LANGUAGE_ZH, LANGUAGE_EN or unset",
        )),
    }
}

pub fn presence_to_pb(p: Presence) -> pb::Presence {
    match p {
        Presence::Available => pb::Presence::Available,
        Presence::Away => pb::Presence::Away,
        Presence::Offline => pb::Presence::Offline,
    }
}

pub fn presence_from_pb(raw: i32, field: &str) -> Result<Presence, DomainError> {
    match pb::Presence::try_from(raw) {
        Ok(pb::Presence::Available) => Ok(Presence::Available),
        Ok(pb::Presence::Away) => Ok(Presence::Away),
        Ok(pb::Presence::Offline) => Ok(Presence::Offline),
        _ => Err(DomainError::invalid(
            field,
            "must be PRESENCE_AVAILABLE, PRESENCE_AWAY or PRESENCE_OFFLINE",
        )),
    }
}

pub fn agent_to_pb(a: &Agent) -> pb::Agent {
    let p = &a.profile;
    pb::Agent {
        agent_id: p.agent_id.clone(),
        work_number: p.work_number.clone(),
        display_name: p.display_name.clone(),
        skills: p.skills.clone(),
        entrances: p
            .entrances
            .iter()
            .map(|e| entrance_to_pb(*e) as i32)
            .collect(),
        capacity: p.capacity,
        presence: presence_to_pb(a.presence) as i32,
        active_chats: 0,
        presence_since: Some(to_timestamp(a.presence_since)),
        flagged_messages: 0,
        csat_average: 0.0,
        csat_ratings: 0,
    }
}

/// The profile fields of an UpsertAgent request: those `mask` names, or with no mask
/// the ones the request fills in. INVALID_ARGUMENT naming the field for an unknown
/// path or entrance.
pub fn patch_from_pb(
    a: pb::Agent,
    mask: Option<prost_types::FieldMask>,
) -> Result<ProfilePatch, DomainError> {
    const FIELDS: [&str; 5] = [
        "work_number",
        "display_name",
        "skills",
        "entrances",
        "capacity",
    ];
    let named: Vec<String> = match mask.filter(|m| !m.paths.is_empty()) {
        Some(m) => m.paths,
        None => FIELDS
            .iter()
            .zip([
                !a.work_number.is_empty(),
                !a.display_name.is_empty(),
                !a.skills.is_empty(),
                !a.entrances.is_empty(),
                a.capacity != 0,
            ])
            .filter(|(_, filled)| *filled)
            .map(|(f, _)| (*f).to_owned())
            .collect(),
    };
    let mut patch = ProfilePatch::default();
    for path in named {
        match path.strip_prefix("agent.").unwrap_or(&path) {
            "work_number" => patch.work_number = Some(a.work_number.clone()),
            "display_name" => patch.display_name = Some(a.display_name.clone()),
            "skills" => patch.skills = Some(a.skills.clone()),
            "entrances" => {
                let entrances = a
                    .entrances
                    .iter()
                    .map(|e| entrance_from_pb(*e, "agent.entrances"))
                    .collect::<Result<Vec<_>, _>>()?;
                patch.entrances = Some(entrances);
            }
            "capacity" => patch.capacity = Some(a.capacity),
            other => {
                return Err(DomainError::invalid(
                    "update_mask",
                    format!(
                        "names '{other}'; the fields that can change are {}",
                        FIELDS.join(", ")
                    ),
                ));
            }
        }
    }
    Ok(patch)
}

/// The wire form of who wrote a line.
pub fn sender_to_pb(s: Sender) -> pb::Sender {
    match s {
        Sender::Customer => pb::Sender::Customer,
        Sender::Bot => pb::Sender::Bot,
        Sender::Agent => pb::Sender::Agent,
        Sender::System => pb::Sender::System,
    }
}

/// Who wrote a line, or INVALID_ARGUMENT naming `field`.
pub fn sender_from_pb(raw: i32, field: &str) -> Result<Sender, DomainError> {
    [Sender::Customer, Sender::Bot, Sender::Agent, Sender::System]
        .into_iter()
        .find(|s| sender_to_pb(*s) as i32 == raw)
        .ok_or_else(|| {
            DomainError::invalid(
                field,
                "must be SENDER_CUSTOMER, SENDER_BOT, SENDER_AGENT or SENDER_SYSTEM",
            )
        })
}

/// The wire form of a ticket's status.
pub fn ticket_status_to_pb(s: TicketStatus) -> pb::TicketStatus {
    match s {
        TicketStatus::Queued => pb::TicketStatus::Queued,
        TicketStatus::WithAgent => pb::TicketStatus::WithAgent,
        TicketStatus::Closed => pb::TicketStatus::Closed,
    }
}

/// The wire form of why a ticket closed.
pub fn close_reason_to_pb(r: CloseReason) -> pb::CloseReason {
    match r {
        CloseReason::Resolved => pb::CloseReason::Resolved,
        CloseReason::ReturnedToBot => pb::CloseReason::ReturnedToBot,
        CloseReason::CustomerLeft => pb::CloseReason::CustomerLeft,
        CloseReason::CustomerIdle => pb::CloseReason::CustomerIdle,
    }
}

/// What the customer sees of an agent.
pub fn card_to_pb(c: &AgentCard) -> pb::AgentCard {
    pb::AgentCard {
        work_number: c.work_number.clone(),
        display_name: c.display_name.clone(),
    }
}

/// A ticket on the wire.
pub fn ticket_to_pb(t: &Ticket) -> pb::Ticket {
    pb::Ticket {
        ticket_id: t.ticket_id.clone(),
        customer_id: t.customer_id.clone(),
        entrance: entrance_to_pb(t.entrance) as i32,
        skill: t.skill.clone(),
        priority: u32::from(t.priority),
        reason: t.reason.clone(),
        intent: t.intent.clone(),
        status: ticket_status_to_pb(t.status) as i32,
        agent: t.agent.as_ref().map(card_to_pb),
        created_at: Some(to_timestamp(t.created_at)),
        assigned_at: t.assigned_at.map(to_timestamp),
        closed_at: t.closed_at.map(to_timestamp),
        close_reason: t
            .close_reason
            .map_or(pb::CloseReason::Unspecified, close_reason_to_pb) as i32,
        bot_session_id: t.bot_session_id.clone(),
        last_sequence: t.last_sequence,
    }
}

/// A queue status on the wire.
pub fn queue_status_to_pb(q: &QueueStatus) -> pb::QueueStatus {
    pb::QueueStatus {
        position: q.position,
        estimated_wait: q.estimated_wait.map(to_duration),
        waiting: q.waiting,
    }
}

/// The escalation a CreateTicket request asks for (range checks are the domain's).
pub fn escalation_from_pb(r: pb::CreateTicketRequest) -> Result<Escalation, DomainError> {
    let transcript = r
        .transcript
        .into_iter()
        .enumerate()
        .map(|(i, line)| {
            Ok(TranscriptLine {
                sender: sender_from_pb(line.sender, &format!("transcript[{i}].sender"))?,
                at: line.at.as_ref().map(from_timestamp).ok_or_else(|| {
                    DomainError::invalid(format!("transcript[{i}].at"), "is required")
                })?,
                text: line.text,
                intent: line.intent,
            })
        })
        .collect::<Result<Vec<_>, DomainError>>()?;
    Ok(Escalation {
        idempotency_key: r.idempotency_key,
        customer_id: r.customer_id,
        entrance: entrance_from_pb(r.entrance, "entrance")?,
        skill: r.skill,
        priority: u8::try_from(r.priority).unwrap_or(u8::MAX),
        reason: r.reason,
        intent: r.intent,
        bot_session_id: r.bot_session_id,
        transcript,
    })
}
