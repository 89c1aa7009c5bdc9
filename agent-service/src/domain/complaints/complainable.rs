//! The conversations a customer is offered to complain about: their recent tickets at
//! one entrance that a person took, newest first, with the agent's public card.

use super::{Actor, Complaints, Party};
use crate::domain::{AgentCard, DomainError, Entrance, Sender, Ticket};

/// How many recent conversations a customer is offered to complain about.
const COMPLAINABLE: u32 = 10;
/// Longest summary of a complainable conversation, in characters.
const SUMMARY_CHARS: usize = 60;

/// A recent conversation with a person the customer could complain about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Complainable {
    /// The ticket.
    pub ticket_id: String,
    /// The agent who served it last.
    pub agent: AgentCard,
    /// When the person joined (or the ticket was stored).
    pub started_at: std::time::SystemTime,
    /// What it was about, from the customer's own words.
    pub summary: String,
}

impl Complaints {
    /// The customer's recent conversations with a person at `entrance` (the customer's
    /// own entrance when they ask themselves), newest first.
    pub async fn complainable(
        &self,
        actor: &Actor,
        entrance: Option<Entrance>,
    ) -> Result<Vec<Complainable>, DomainError> {
        let customer_id = actor.customer("list complainable conversations")?;
        let entrance = match (&actor.party, entrance) {
            (Party::Customer { entrance: own, .. }, Some(asked)) if asked != *own => {
                return Err(DomainError::Forbidden(format!(
                    "you use the {own} entrance, so you cannot list {asked} conversations"
                )));
            }
            (Party::Customer { entrance: own, .. }, _) => *own,
            (_, Some(asked)) => asked,
            (_, None) => return Err(DomainError::invalid("entrance", "is required")),
        };
        let tickets = self
            .store
            .served_tickets(customer_id, entrance, COMPLAINABLE)
            .await?;
        let mut out = Vec::with_capacity(tickets.len());
        for ticket in tickets {
            let Some(agent) = ticket.agent.clone() else {
                continue;
            };
            out.push(Complainable {
                summary: self.summary(&ticket).await?,
                ticket_id: ticket.ticket_id,
                agent: AgentCard {
                    agent_id: String::new(),
                    ..agent
                },
                started_at: ticket.assigned_at.unwrap_or(ticket.created_at),
            });
        }
        Ok(out)
    }

    /// The customer's last words to the robot before the hand-off, else the reason.
    async fn summary(&self, ticket: &Ticket) -> Result<String, DomainError> {
        let transcript = self.store.transcript(&ticket.ticket_id).await?;
        let words = transcript
            .iter()
            .rev()
            .find(|l| l.sender == Sender::Customer)
            .map_or(ticket.reason.as_str(), |l| l.text.as_str());
        Ok(words.chars().take(SUMMARY_CHARS).collect())
    }
}
