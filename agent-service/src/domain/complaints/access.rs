//! Who may see and do what with complaints: customers their own (at the entrance they
//! use), services on a named customer's behalf, supervisors everything, agents the
//! decided complaints about themselves — and what each is shown.

use crate::domain::{
    DomainError, Entrance, Ticket,
    complaint::{Complaint, ComplaintStatus},
};

/// Who is asking, as far as complaints are concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Party {
    /// A shopper or seller for themselves, at the entrance they signed in through.
    Customer {
        /// Who.
        customer_id: String,
        /// Their entrance: tickets elsewhere are not theirs here.
        entrance: Entrance,
    },
    /// Another system (the phone hotline, bot-service) on a named customer's behalf.
    OnBehalf {
        /// The customer.
        customer_id: String,
    },
    /// A supervisor: reads everything, reviews.
    Supervisor,
    /// An agent: reads decided complaints about themselves, changes nothing.
    Agent {
        /// Who.
        agent_id: String,
    },
}

/// The caller: who (for the audit trail), in which role, acting as which party.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// The caller's id (user, service or agent).
    pub id: String,
    /// The caller's role name, as recorded in the audit trail.
    pub role: String,
    /// What the caller may do.
    pub party: Party,
}

impl Actor {
    /// The customer this actor files, withdraws and reads for; PERMISSION_DENIED for
    /// supervisors and agents, who cannot `action`.
    pub fn customer(&self, action: &str) -> Result<&str, DomainError> {
        match &self.party {
            Party::Customer { customer_id, .. } | Party::OnBehalf { customer_id } => {
                Ok(customer_id)
            }
            _ => Err(DomainError::Forbidden(format!(
                "role '{}' may not {action}; only the customer (or a service on their behalf) may",
                self.role
            ))),
        }
    }

    /// PERMISSION_DENIED unless the ticket is this customer's (and, for a customer
    /// themself, at their entrance).
    pub fn check_ticket(&self, ticket: &Ticket) -> Result<(), DomainError> {
        let customer = self.customer("complain about a conversation")?;
        if ticket.customer_id != customer {
            return Err(DomainError::Forbidden(format!(
                "ticket {} belongs to another customer",
                ticket.ticket_id
            )));
        }
        self.check_entrance(ticket.entrance, &ticket.ticket_id)
    }

    /// PERMISSION_DENIED unless this actor may read `complaint`.
    pub fn check_read(&self, complaint: &Complaint) -> Result<(), DomainError> {
        match &self.party {
            Party::Supervisor => Ok(()),
            Party::Agent { agent_id } => {
                if complaint.agent_id != *agent_id {
                    Err(DomainError::Forbidden(format!(
                        "complaint {} is not about you",
                        complaint.reference
                    )))
                } else if !complaint.status.is_decided() {
                    Err(DomainError::Forbidden(format!(
                        "complaint {} about you can be read once it is decided",
                        complaint.reference
                    )))
                } else {
                    Ok(())
                }
            }
            Party::Customer { customer_id, .. } | Party::OnBehalf { customer_id } => {
                if complaint.customer_id != *customer_id {
                    return Err(DomainError::Forbidden(format!(
                        "complaint {} belongs to another customer",
                        complaint.reference
                    )));
                }
                self.check_entrance(complaint.entrance, &complaint.reference)
            }
        }
    }

    /// A customer themself acts only at the entrance they signed in through.
    fn check_entrance(&self, entrance: Entrance, what: &str) -> Result<(), DomainError> {
        match &self.party {
            Party::Customer { entrance: own, .. } if *own != entrance => {
                Err(DomainError::Forbidden(format!(
                    "{what} belongs to the {entrance} entrance, not the {own} entrance you use"
                )))
            }
            _ => Ok(()),
        }
    }

    /// `complaint` as this actor is shown it: the agent's internal id only for
    /// supervisors, the customer's id not for agents.
    pub fn redact(&self, mut complaint: Complaint) -> Complaint {
        match &self.party {
            Party::Supervisor => {}
            Party::Agent { .. } => {
                complaint.agent_id.clear();
                complaint.agent.agent_id.clear();
                complaint.customer_id.clear();
            }
            Party::Customer { .. } | Party::OnBehalf { .. } => {
                complaint.agent_id.clear();
                complaint.agent.agent_id.clear();
            }
        }
        complaint
    }
}

/// The statuses an agent may see in a list: the decided ones among those asked for.
pub(super) fn decided_among(asked: Option<ComplaintStatus>) -> Vec<ComplaintStatus> {
    [ComplaintStatus::Resolved, ComplaintStatus::Rejected]
        .into_iter()
        .filter(|s| asked.is_none_or(|a| a == *s))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;
    use crate::domain::{AgentCard, complaint::Category};

    fn complaint(status: ComplaintStatus) -> Complaint {
        let now = SystemTime::now();
        Complaint {
            reference: "TS-20261125-000001".into(),
            ticket_id: "t-1".into(),
            customer_id: "c-1".into(),
            entrance: Entrance::Consumer,
            language: crate::domain::Language::Zh,
            agent_id: "a-1".into(),
            agent: AgentCard {
                agent_id: "a-1".into(),
                work_number: "1001".into(),
                display_name: "小美".into(),
            },
            category: Category::RudeAttitude,
            description: "态度差".into(),
            status,
            outcome: String::new(),
            filed_at: now,
            acknowledge_by: now,
            decide_by: now,
            evidence_digest: String::new(),
            evidence_messages: 0,
            highlighted_message_ids: vec![],
            audit: vec![],
        }
    }

    fn actor(party: Party) -> Actor {
        Actor {
            id: "x".into(),
            role: "test".into(),
            party,
        }
    }

    #[test]
    fn agents_read_only_decided_complaints_about_themselves() {
        let me = actor(Party::Agent {
            agent_id: "a-1".into(),
        });
        assert!(
            me.check_read(&complaint(ComplaintStatus::InReview))
                .is_err()
        );
        assert!(
            me.check_read(&complaint(ComplaintStatus::Withdrawn))
                .is_err()
        );
        assert!(me.check_read(&complaint(ComplaintStatus::Rejected)).is_ok());
        let other = actor(Party::Agent {
            agent_id: "a-2".into(),
        });
        assert!(
            other
                .check_read(&complaint(ComplaintStatus::Rejected))
                .is_err()
        );
        assert!(me.customer("file").is_err());
        let seen = me.redact(complaint(ComplaintStatus::Rejected));
        assert!(seen.customer_id.is_empty() && seen.agent_id.is_empty());
        assert_eq!(seen.agent.work_number, "1001");
        assert_eq!(decided_among(Some(ComplaintStatus::Received)), vec![]);
        assert_eq!(decided_among(None).len(), 2);
    }

    #[test]
    fn customers_read_their_own_at_their_entrance() {
        let c = complaint(ComplaintStatus::Received);
        let own = |entrance| {
            actor(Party::Customer {
                customer_id: "c-1".into(),
                entrance,
            })
        };
        assert!(own(Entrance::Consumer).check_read(&c).is_ok());
        assert!(own(Entrance::Merchant).check_read(&c).is_err());
        let on_behalf = actor(Party::OnBehalf {
            customer_id: "c-1".into(),
        });
        assert!(on_behalf.check_read(&c).is_ok());
        let stranger = actor(Party::OnBehalf {
            customer_id: "c-2".into(),
        });
        assert!(stranger.check_read(&c).is_err());
        assert_eq!(own(Entrance::Consumer).redact(c.clone()).customer_id, "c-1");
        assert!(
            own(Entrance::Consumer)
                .redact(c.clone())
                .agent_id
                .is_empty()
        );
        assert_eq!(actor(Party::Supervisor).redact(c).agent_id, "a-1");
    }
}
