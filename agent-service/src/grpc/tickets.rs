//! `honeydesk.agent.v1.TicketService`: escalation intake and the customer's view of a
//! ticket, called by bot-service with its `service` identity for the customer it names.

use std::pin::Pin;

use honeydesk_proto::agent::v1::{self as pb, ticket_service_server::TicketService};
use server_kit::{Caller, Role};
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use super::{
    convert::{escalation_from_pb, queue_status_to_pb, ticket_to_pb},
    not_yet,
};
use crate::domain::intake::{Intake, TicketView};

/// The ticket API over escalation intake.
pub struct TicketApi {
    intake: Intake,
}

impl TicketApi {
    /// A ticket API for `intake`.
    pub fn new(intake: Intake) -> Self {
        Self { intake }
    }
}

fn service<T>(request: &Request<T>, action: &str) -> Result<Caller, Status> {
    Caller::of(request, &[Role::Service], action)
}

fn view_to_pb(view: &TicketView) -> (Option<pb::Ticket>, Option<pb::QueueStatus>) {
    (
        Some(ticket_to_pb(&view.ticket)),
        view.queue.as_ref().map(queue_status_to_pb),
    )
}

type WatchStream = Pin<Box<dyn Stream<Item = Result<pb::WatchTicketResponse, Status>> + Send>>;

#[tonic::async_trait]
impl TicketService for TicketApi {
    async fn create_ticket(
        &self,
        request: Request<pb::CreateTicketRequest>,
    ) -> Result<Response<pb::CreateTicketResponse>, Status> {
        service(&request, "create tickets")?;
        let escalation = escalation_from_pb(request.into_inner())?;
        let intaken = self.intake.create(&escalation).await?;
        let (ticket, queue_status) = view_to_pb(&intaken.view);
        Ok(Response::new(pb::CreateTicketResponse {
            ticket,
            created: intaken.created,
            queue_status,
        }))
    }

    async fn get_ticket(
        &self,
        request: Request<pb::GetTicketRequest>,
    ) -> Result<Response<pb::GetTicketResponse>, Status> {
        service(&request, "read tickets")?;
        let r = request.get_ref();
        let view = self.intake.get(&r.ticket_id, &r.customer_id).await?;
        let (ticket, queue_status) = view_to_pb(&view);
        Ok(Response::new(pb::GetTicketResponse {
            ticket,
            queue_status,
        }))
    }

    async fn cancel_ticket(
        &self,
        request: Request<pb::CancelTicketRequest>,
    ) -> Result<Response<pb::CancelTicketResponse>, Status> {
        service(&request, "cancel tickets")?;
        let r = request.get_ref();
        let ticket = self.intake.cancel(&r.ticket_id, &r.customer_id).await?;
        Ok(Response::new(pb::CancelTicketResponse {
            ticket: Some(ticket_to_pb(&ticket)),
        }))
    }

    async fn send_customer_message(
        &self,
        request: Request<pb::SendCustomerMessageRequest>,
    ) -> Result<Response<pb::SendCustomerMessageResponse>, Status> {
        service(&request, "relay customer messages")?;
        Err(not_yet("relaying customer messages"))
    }

    type WatchTicketStream = WatchStream;

    async fn watch_ticket(
        &self,
        request: Request<pb::WatchTicketRequest>,
    ) -> Result<Response<Self::WatchTicketStream>, Status> {
        service(&request, "watch tickets")?;
        Err(not_yet("watching a ticket"))
    }

    async fn rate_ticket(
        &self,
        request: Request<pb::RateTicketRequest>,
    ) -> Result<Response<pb::RateTicketResponse>, Status> {
        service(&request, "rate tickets")?;
        Err(not_yet("rating a ticket"))
    }
}

#[cfg(test)]
mod tests;
