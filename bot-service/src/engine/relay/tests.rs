//! How a session follows its ticket: replayed events skipped, each close reason, idling.
use std::time::{Duration, SystemTime};

use super::*;
use crate::{handoff::AgentCard, vocabulary::Entrance};

fn queued() -> Session {
    let mut s = Session::new(
        "s-1".into(),
        "u-1".into(),
        Entrance::Consumer,
        SystemTime::UNIX_EPOCH,
        Duration::from_secs(600),
        40,
    );
    s.queue("t-1".into());
    s
}

fn event(sequence: u64, kind: HumanEventKind) -> HumanEvent {
    HumanEvent {
        sequence,
        at: SystemTime::UNIX_EPOCH,
        kind,
    }
}

fn joined() -> HumanEventKind {
    HumanEventKind::AgentJoined(AgentCard {
        work_number: "1024".into(),
        display_name: "小美".into(),
    })
}

fn closed(reason: HumanClose) -> HumanEventKind {
    HumanEventKind::Closed {
        reason,
        notice: String::new(),
    }
}

#[test]
fn the_session_follows_its_ticket_and_skips_replayed_events() {
    let mut s = queued();
    assert!(apply(&mut s, "t-1", &event(2, joined())));
    assert_eq!(s.state, SessionState::WithAgent);
    assert_eq!(s.agent.as_ref().unwrap().work_number, "1024");
    // A replayed older event changes nothing.
    let transfer = HumanEventKind::Transferred { to_agent: None };
    assert!(apply(&mut s, "t-1", &event(2, transfer.clone())));
    assert_eq!(s.state, SessionState::WithAgent);
    assert!(apply(&mut s, "t-1", &event(3, transfer)));
    assert_eq!((s.state, s.last_sequence), (SessionState::Queued, 3));
    assert!(!apply(
        &mut s,
        "t-1",
        &event(5, closed(HumanClose::ReturnedToBot))
    ));
    assert_eq!(s.state, SessionState::Bot);
    assert_eq!(s.ticket_id, None);
    assert_eq!(s.last_ticket.as_deref(), Some("t-1"), "kept for rating");
    // Events of a ticket that is no longer the session's are ignored.
    assert!(!apply(&mut s, "t-1", &event(6, joined())));
    assert_eq!(s.state, SessionState::Bot);
}

#[test]
fn each_close_reason_lands_the_session_where_the_customer_expects() {
    for (reason, state, close) in [
        (
            HumanClose::Resolved,
            SessionState::Closed,
            Some(CloseReason::Resolved),
        ),
        (
            HumanClose::CustomerIdle,
            SessionState::Closed,
            Some(CloseReason::IdleTimeout),
        ),
        (
            HumanClose::CustomerLeft,
            SessionState::Closed,
            Some(CloseReason::CustomerEnded),
        ),
        (HumanClose::ReturnedToBot, SessionState::Bot, None),
    ] {
        let mut s = queued();
        apply(&mut s, "t-1", &event(2, joined()));
        assert!(!apply(&mut s, "t-1", &event(3, closed(reason))));
        assert_eq!((s.state, s.close_reason), (state, close), "{reason:?}");
    }
}

#[test]
fn only_a_session_with_the_robot_idles_out_waiting_in_a_queue_is_not_idleness() {
    let mut s = queued();
    let later = SystemTime::UNIX_EPOCH + Duration::from_secs(601);
    assert!(
        !s.is_idle(later),
        "a customer waiting in a queue is not idle"
    );
    apply(&mut s, "t-1", &event(2, joined()));
    assert!(!s.is_idle(later), "agent-service's idle rule decides");
    s.back_to_bot();
    assert!(s.is_idle(later));
}
