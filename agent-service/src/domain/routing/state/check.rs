//! The invariants of the routing state, checked after every step of the property test
//! (and available to any caller that wants to assert them).

use std::collections::HashMap;

use super::Routing;

impl Routing {
    /// Checks the invariants the property test relies on; describes the first broken one.
    pub fn check(&self) -> Result<(), String> {
        let mut holders: HashMap<&str, &str> = HashMap::new();
        for slot in self.agents.values() {
            let id = slot.agent.profile.agent_id.as_str();
            if slot.active.len() > slot.agent.profile.capacity as usize {
                return Err(format!("{id} holds more than their capacity"));
            }
            for t in &slot.active {
                if let Some(other) = holders.insert(t, id) {
                    return Err(format!("ticket {t} is with {other} and {id}"));
                }
                if self.keys.contains_key(t) || self.offered.contains_key(t) {
                    return Err(format!("ticket {t} is held by {id} and still queued"));
                }
            }
            if let Some(o) = &slot.offer
                && self.offers.get(o).is_none_or(|o| o.agent_id != id)
            {
                return Err(format!("{id} points at a stale offer {o}"));
            }
        }
        for (t, chat) in &self.chats {
            if holders.get(t.as_str()) != Some(&chat.agent_id.as_str()) {
                return Err(format!("chat {t} and its agent disagree"));
            }
        }
        for offer in self.offers.values() {
            if !self.keys.contains_key(&offer.ticket_id) {
                return Err(format!(
                    "offer {} is for a ticket not queued",
                    offer.offer_id
                ));
            }
            if self.offered.get(&offer.ticket_id) != Some(&offer.offer_id) {
                return Err(format!("ticket {} has two offers", offer.ticket_id));
            }
        }
        self.check_positions()
    }

    /// Every waiting ticket's position, as the sorted lines give it, matches a scan of
    /// the whole queue in service order.
    fn check_positions(&self) -> Result<(), String> {
        let mut seen: HashMap<(crate::domain::Entrance, &str), u32> = HashMap::new();
        let mut expected = Vec::new();
        for w in self.queue.values() {
            let n = seen.entry((w.entrance, w.skill.as_str())).or_default();
            *n += 1;
            expected.push((w, *n));
        }
        for (w, position) in expected {
            let waiting = seen[&(w.entrance, w.skill.as_str())];
            let got = self.position(&w.ticket_id);
            if got != Some((position, waiting)) {
                return Err(format!(
                    "ticket {} is at {position} of {waiting} but positions say {got:?}",
                    w.ticket_id
                ));
            }
        }
        let listed = self.positions().count();
        if listed != self.queue.len() {
            return Err(format!(
                "{listed} positions listed for {} waiting tickets",
                self.queue.len()
            ));
        }
        Ok(())
    }
}
