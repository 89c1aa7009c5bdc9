//! The offers port, used only when several agent-service replicas share one database:
//! the routing replica records the offers it makes, and any replica accepts or declines
//! one with a guarded statement, so exactly one accept wins wherever it lands. Every
//! change is announced to the other replicas inside its transaction (see [`super::feed`]).

use std::time::SystemTime;

use async_trait::async_trait;

use super::{OpenTicket, StoreError, Transition};
use crate::domain::routing::{Offer, OfferProblem};

/// What a guarded accept did.
#[derive(Clone, Debug)]
pub enum Taken {
    /// The offer could not be acted on.
    Refused(OfferProblem),
    /// The offer was open and the agent's: the ticket as it is now, with the
    /// `agent_joined` event when the agent got it (`None` for an unknown ticket).
    Accepted(Offer, Box<Option<Transition>>),
}

/// Offers kept in the shared database.
#[async_trait]
pub trait OfferStore: Send + Sync + 'static {
    /// Records offers just made.
    async fn record_offers(&self, offers: &[Offer], at: SystemTime) -> Result<(), StoreError>;
    /// Ends each offer that is still open, with why; returns how many were.
    async fn end_offers(
        &self,
        ended: &[(Offer, String)],
        at: SystemTime,
    ) -> Result<usize, StoreError>;
    /// Ends every open offer (a new routing replica took over and offers afresh).
    async fn end_open_offers(&self, reason: &str, at: SystemTime) -> Result<usize, StoreError>;
    /// The open offers, for a replica that starts or rebuilds.
    async fn open_offers(&self) -> Result<Vec<Offer>, StoreError>;
    /// The agent takes the offer: only while it is open, theirs and unexpired at `at`,
    /// and the ticket goes to them only while it still waits (both in one transaction).
    async fn accept_offer(
        &self,
        offer_id: &str,
        agent_id: &str,
        at: SystemTime,
    ) -> Result<Taken, StoreError>;
    /// The agent passes on the offer, if it is open and theirs.
    async fn decline_offer(
        &self,
        offer_id: &str,
        agent_id: &str,
        reason: &str,
        at: SystemTime,
    ) -> Result<Result<Offer, OfferProblem>, StoreError>;
    /// The ticket as routing needs it (with the agent a transfer named), to follow a
    /// change another replica made.
    async fn routed_ticket(&self, ticket_id: &str) -> Result<Option<OpenTicket>, StoreError>;
    /// Tells the other replicas that an agent's presence or profile changed.
    async fn announce_agent(&self, agent_id: &str) -> Result<(), StoreError>;
}
