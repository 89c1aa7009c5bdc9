//! The overflow and wait-estimate rules: a ticket nobody of its skill takes goes to the
//! entrance's fallback skill after the configured wait (not before, not to another
//! entrance, not when it was sent to a named agent), and the wait is unknown, not made
//! up, when nobody available can take it.

use std::time::{Duration, SystemTime};

use super::*;
use crate::domain::{
    AgentProfile,
    routing::{Routing, Waiting},
};

const OVERFLOW: Duration = Duration::from_secs(120);

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

fn load(id: &str, skill: &str, entrance: Entrance, presence: Presence) -> AgentLoad {
    let agent = Agent {
        profile: AgentProfile {
            agent_id: id.into(),
            work_number: id.into(),
            display_name: id.into(),
            skills: vec![skill.into()],
            entrances: vec![entrance],
            capacity: 2,
        },
        presence,
        presence_since: t0(),
    };
    AgentLoad::new(agent, t0())
}

fn orders_ticket(target: Option<&str>) -> Waiting {
    Waiting {
        ticket_id: "t-1".into(),
        entrance: Entrance::Consumer,
        skill: "orders".into(),
        priority: 0,
        since: t0(),
        target: target.map(str::to_owned),
    }
}

#[test]
fn a_ticket_overflows_only_after_the_configured_wait() {
    let ticket = orders_ticket(None);
    let just_before = t0() + OVERFLOW - Duration::from_secs(1);
    assert!(!overflowing(&ticket, just_before, Some(OVERFLOW)));
    assert!(overflowing(&ticket, t0() + OVERFLOW, Some(OVERFLOW)));
    assert!(
        !overflowing(&ticket, t0() + OVERFLOW * 10, None),
        "overflow off"
    );
    let named = orders_ticket(Some("a-9"));
    assert!(!overflowing(&named, t0() + OVERFLOW, Some(OVERFLOW)));
}

#[test]
fn an_overflowing_ticket_may_go_to_the_fallback_skill_of_its_own_entrance_only() {
    let ticket = orders_ticket(None);
    let general = load("g", FALLBACK_SKILL, Entrance::Consumer, Presence::Available);
    let merchant_general = load("m", FALLBACK_SKILL, Entrance::Merchant, Presence::Available);
    let payments = load("p", "payments", Entrance::Consumer, Presence::Available);
    let away_general = load("a", FALLBACK_SKILL, Entrance::Consumer, Presence::Away);
    assert!(!eligible(&general, &ticket, false));
    assert!(eligible(&general, &ticket, true));
    assert!(!eligible(&merchant_general, &ticket, true));
    assert!(!eligible(&payments, &ticket, true));
    assert!(!eligible(&away_general, &ticket, true));
}

#[test]
fn routing_offers_to_the_fallback_skill_once_the_wait_has_passed() {
    let mut routing = Routing::new(Duration::from_secs(30)).with_overflow(Some(OVERFLOW));
    let general = load("g", FALLBACK_SKILL, Entrance::Consumer, Presence::Available);
    routing.upsert_agent(&general.agent, t0());
    routing.enqueue(orders_ticket(None));
    let mut n = 0;
    let mut ids = || {
        n += 1;
        format!("o-{n}")
    };
    assert!(
        routing
            .plan(t0() + Duration::from_secs(60), &mut ids)
            .is_empty()
    );
    let offers = routing.plan(t0() + OVERFLOW, &mut ids);
    assert_eq!(offers.len(), 1);
    assert_eq!(
        (offers[0].ticket_id.as_str(), offers[0].agent_id.as_str()),
        ("t-1", "g")
    );
}

#[test]
fn the_wait_is_unknown_when_nobody_available_can_take_the_ticket() {
    let away = [load("o", "orders", Entrance::Consumer, Presence::Away)];
    let slots = serving_slots(away.iter(), Entrance::Consumer, "orders");
    assert_eq!(slots, 0);
    assert_eq!(estimate_wait(1, Duration::from_secs(180), slots), None);

    // Nobody of the skill, but the fallback skill is there: overflow will serve it.
    let general = [load(
        "g",
        FALLBACK_SKILL,
        Entrance::Consumer,
        Presence::Available,
    )];
    assert_eq!(
        serving_slots(general.iter(), Entrance::Consumer, "orders"),
        2
    );
}

#[test]
fn the_estimate_is_shared_among_slots_and_rounded_up_to_whole_minutes() {
    let three_minutes = Duration::from_secs(180);
    assert_eq!(estimate_wait(1, three_minutes, 1), Some(three_minutes));
    // 3 × 180 s / 2 slots = 270 s, which a person reads as "about 5 minutes".
    assert_eq!(
        estimate_wait(3, three_minutes, 2),
        Some(Duration::from_secs(300))
    );
    assert_eq!(
        estimate_wait(1, Duration::from_millis(100_123), 1),
        Some(Duration::from_secs(120))
    );
    assert_eq!(estimate_wait(0, three_minutes, 5), Some(Duration::ZERO));
}
