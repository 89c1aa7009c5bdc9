//! Routing rules, example by example, and a seeded property test: thousands of random
//! accepts, declines, timeouts, presence changes, closes and transfers, after each of
//! which no ticket is with two agents (or offered while held), no agent is over capacity,
//! every waiting ticket's position matches a scan of the queue in service order, and
//! every offer made went to an agent who was allowed to get it.

use std::time::{Duration, SystemTime};

use super::*;
use crate::domain::{AgentProfile, Entrance, Presence, routing::plan::eligible};

const TIMEOUT: Duration = Duration::from_secs(30);

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

fn agent(id: &str, skills: &[&str], entrances: &[Entrance], capacity: u32) -> Agent {
    Agent {
        profile: AgentProfile {
            agent_id: id.into(),
            work_number: id.trim_start_matches("a-").into(),
            display_name: id.into(),
            skills: skills.iter().map(|s| (*s).to_owned()).collect(),
            entrances: entrances.to_vec(),
            capacity,
        },
        presence: Presence::Available,
        presence_since: t0(),
    }
}

fn waiting(id: &str, skill: &str, priority: u8, secs: u64) -> Waiting {
    Waiting {
        ticket_id: id.into(),
        entrance: Entrance::Consumer,
        skill: skill.into(),
        priority,
        since: t0() + Duration::from_secs(secs),
        target: None,
    }
}

fn ids() -> impl FnMut() -> String {
    let mut n = 0;
    move || {
        n += 1;
        format!("o-{n}")
    }
}

fn pairs(offers: &[Offer]) -> Vec<(&str, &str)> {
    offers
        .iter()
        .map(|o| (o.ticket_id.as_str(), o.agent_id.as_str()))
        .collect()
}

#[test]
fn priority_then_age_goes_to_the_least_loaded_agent() {
    let mut r = Routing::new(TIMEOUT);
    let consumer = [Entrance::Consumer];
    r.upsert_agent(&agent("a-1", &["orders"], &consumer, 3), t0());
    r.upsert_agent(&agent("a-2", &["orders"], &consumer, 3), t0());
    r.hold("busy", "a-1", t0());
    r.enqueue(waiting("old", "orders", 0, 0));
    r.enqueue(waiting("urgent", "orders", 5, 10));
    let offers = r.plan(t0(), ids());
    // The urgent ticket first, to the agent with fewer chats; the old one to the other.
    assert_eq!(pairs(&offers), [("urgent", "a-2"), ("old", "a-1")]);
    assert_eq!(r.position("old"), Some((2, 2)));
    r.check().unwrap();
}

#[test]
fn skills_entrances_presence_and_capacity_are_respected() {
    let mut r = Routing::new(TIMEOUT);
    r.upsert_agent(&agent("a-1", &["payments"], &[Entrance::Consumer], 3), t0());
    r.upsert_agent(&agent("a-2", &["orders"], &[Entrance::Merchant], 3), t0());
    let mut away = agent("a-3", &["orders"], &[Entrance::Consumer], 3);
    away.presence = Presence::Away;
    r.upsert_agent(&away, t0());
    r.upsert_agent(&agent("a-4", &["orders"], &[Entrance::Consumer], 1), t0());
    r.hold("busy", "a-4", t0());
    r.enqueue(waiting("t-1", "orders", 0, 0));
    assert!(r.plan(t0(), ids()).is_empty());
    r.release("busy", t0());
    assert_eq!(pairs(&r.plan(t0(), ids())), [("t-1", "a-4")]);
}

#[test]
fn a_decline_or_a_timeout_moves_the_ticket_on_and_two_misses_mean_away() {
    let mut r = Routing::new(TIMEOUT);
    let consumer = [Entrance::Consumer];
    r.upsert_agent(&agent("a-1", &["orders"], &consumer, 3), t0());
    r.upsert_agent(
        &agent("a-2", &["orders"], &consumer, 3),
        t0() + Duration::from_secs(1),
    );
    r.enqueue(waiting("t-1", "orders", 0, 0));
    r.enqueue(waiting("t-2", "orders", 0, 1));
    let first = r.plan(t0(), ids());
    assert_eq!(pairs(&first), [("t-1", "a-1"), ("t-2", "a-2")]);
    r.decline(&first[0].offer_id, t0());
    assert_eq!(
        r.check_offer("a-1", &first[0].offer_id),
        Err(OfferProblem::Ended("it was declined".into()))
    );
    // a-1 is not offered t-1 again right away, and a-2 is busy with an offer.
    assert!(r.plan(t0(), ids()).is_empty());
    let later = t0() + TIMEOUT;
    let lapsed = r.expire(later);
    assert_eq!(lapsed.withdrawn.len(), 1);
    let again = r.plan(later, ids());
    assert_eq!(pairs(&again), [("t-1", "a-1")]);
    let t2 = r.plan(later, ids());
    assert!(
        t2.is_empty(),
        "a-1 has one offer at a time; a-2 passed on t-2"
    );
    let lapsed = r.expire(later + TIMEOUT);
    assert!(lapsed.now_away.is_empty(), "a-1 missed once");
    let third = r.plan(later + TIMEOUT, ids());
    assert_eq!(third.len(), 2);
    let mut lapsed = r.expire(later + TIMEOUT * 2);
    lapsed.now_away.sort();
    // Both missed twice in a row now (a-2 missed t-2 before).
    assert_eq!(lapsed.now_away, ["a-1", "a-2"]);
    assert_eq!(r.agent("a-1").unwrap().agent.presence, Presence::Away);
    r.check().unwrap();
}

#[test]
fn a_named_transfer_waits_for_that_agent_until_they_pass() {
    let mut r = Routing::new(TIMEOUT);
    let consumer = [Entrance::Consumer];
    r.upsert_agent(&agent("a-1", &["orders"], &consumer, 3), t0());
    r.upsert_agent(&agent("a-2", &["orders"], &consumer, 3), t0());
    let mut named = waiting("t-1", "orders", 0, 0);
    named.target = Some("a-2".into());
    r.enqueue(named);
    let offers = r.plan(t0(), ids());
    assert_eq!(pairs(&offers), [("t-1", "a-2")]);
    let lapsed = r.decline(&offers[0].offer_id, t0());
    assert_eq!(lapsed.untargeted, vec!["t-1".to_string()]);
    assert_eq!(pairs(&r.plan(t0(), ids())), [("t-1", "a-1")]);
}

/// xorshift64*: deterministic randomness without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const SKILLS: [&str; 3] = ["orders", "payments", "logistics"];

fn random_agent(rng: &mut Rng, i: usize) -> Agent {
    let skills: Vec<&str> = SKILLS
        .iter()
        .copied()
        .filter(|_| rng.below(2) == 0)
        .collect();
    let entrances = match rng.below(3) {
        0 => vec![Entrance::Consumer],
        1 => vec![Entrance::Merchant],
        _ => vec![Entrance::Consumer, Entrance::Merchant],
    };
    let capacity = 1 + rng.below(3) as u32;
    let skills = if skills.is_empty() {
        vec!["orders"]
    } else {
        skills
    };
    agent(&format!("a-{i}"), &skills, &entrances, capacity)
}

#[test]
fn random_operations_never_break_the_rules() {
    for seed in 1..=40u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut r = Routing::new(TIMEOUT);
        let mut now = t0();
        let agents: Vec<Agent> = (0..6).map(|i| random_agent(&mut rng, i)).collect();
        for a in &agents {
            r.upsert_agent(a, now);
        }
        let mut next_ticket = 0;
        let mut offer_ids = 0;
        let mut accepting: Vec<Offer> = Vec::new();
        for step in 0..400 {
            match rng.below(9) {
                0 | 1 => {
                    next_ticket += 1;
                    let mut w = waiting(
                        &format!("t-{next_ticket}"),
                        SKILLS[rng.below(3)],
                        rng.below(10) as u8,
                        step,
                    );
                    if rng.below(2) == 0 {
                        w.entrance = Entrance::Merchant;
                    }
                    if rng.below(8) == 0 {
                        w.target = Some(format!("a-{}", rng.below(6)));
                    }
                    r.enqueue(w);
                }
                2 => {
                    let a = &agents[rng.below(agents.len())];
                    if let Some(offer) = r.offer_for_agent(&a.profile.agent_id).cloned() {
                        if rng.below(2) == 0 {
                            r.accepted(&offer.offer_id, now);
                        } else {
                            // Accepted; the store write finishes some steps later.
                            r.begin_accept(&offer.offer_id);
                            accepting.push(offer);
                        }
                    } else if !accepting.is_empty() {
                        let offer = accepting.swap_remove(rng.below(accepting.len()));
                        if r.offer(&offer.offer_id).is_some() {
                            r.assigned(&offer, now);
                        } else {
                            r.lost(&offer, None);
                        }
                    }
                }
                3 => {
                    let a = &agents[rng.below(agents.len())];
                    if let Some(offer) = r.offer_for_agent(&a.profile.agent_id).cloned() {
                        r.decline(&offer.offer_id, now);
                    }
                }
                4 => now += Duration::from_secs(rng.below(40) as u64),
                5 => {
                    let mut a = agents[rng.below(agents.len())].clone();
                    a.presence =
                        [Presence::Available, Presence::Away, Presence::Offline][rng.below(3)];
                    r.upsert_agent(&a, now);
                }
                6 => {
                    let held: Vec<String> = r.chats().map(|(t, _)| t.clone()).collect();
                    if !held.is_empty() {
                        r.release(&held[rng.below(held.len())], now);
                    }
                }
                7 => {
                    let held: Vec<String> = r.chats().map(|(t, _)| t.clone()).collect();
                    if !held.is_empty() {
                        let t = held[rng.below(held.len())].clone();
                        r.release(&t, now);
                        r.enqueue(waiting(&t, SKILLS[rng.below(3)], 0, step));
                    }
                }
                _ => {
                    let queued: Vec<String> = r.queued().map(|w| w.ticket_id.clone()).collect();
                    if !queued.is_empty() {
                        r.remove(&queued[rng.below(queued.len())]);
                    }
                }
            }
            r.expire(now);
            // Who may get what, judged before the plan runs.
            let before: HashMap<String, AgentLoad> = r
                .agents()
                .map(|a| (a.agent.profile.agent_id.clone(), a.clone()))
                .collect();
            let queued: HashMap<String, Waiting> = r
                .queued()
                .map(|w| (w.ticket_id.clone(), w.clone()))
                .collect();
            let offers = r.plan(now, || {
                offer_ids += 1;
                format!("o-{offer_ids}")
            });

            for o in &offers {
                assert!(
                    eligible(&before[&o.agent_id], &queued[&o.ticket_id], false),
                    "seed {seed} step {step}: {o:?} broke the rules"
                );
            }
            if let Err(e) = r.check() {
                panic!("seed {seed} step {step}: {e}");
            }
        }
    }
}
