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
        Ok(())
    }
}
