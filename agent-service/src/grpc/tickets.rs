//! `honeydesk.agent.v1.TicketService`: escalation intake and the customer's view of a
//! ticket, called by bot-service with its `service` identity for the customer it names.

use honeydesk_proto::agent::v1::{self as pb, ticket_service_server::TicketService};
use server_kit::{Caller, Role, shutdown::ServerStream};
use tonic::{Request, Response, Status};

use futures_util::StreamExt;

use super::{
    Services,
    convert::{entrance_from_pb, escalation_from_pb, queue_status_to_pb, ticket_to_pb},
    events::{event_to_pb, message_to_pb, watch_item_to_pb},
};
use crate::domain::intake::TicketView;

/// The ticket API: intake, the customer's messages, watch and rating.
pub struct TicketApi {
    services: Services,
}

impl TicketApi {
    /// A ticket API over the domain `services`.
    pub fn new(services: Services) -> Self {
        Self { services }
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

type WatchStream = ServerStream<pb::WatchTicketResponse>;

#[tonic::async_trait]
impl TicketService for TicketApi {
    async fn create_ticket(
        &self,
        request: Request<pb::CreateTicketRequest>,
    ) -> Result<Response<pb::CreateTicketResponse>, Status> {
        service(&request, "create tickets")?;
        let escalation = escalation_from_pb(request.into_inner())?;
        let intaken = self.services.intake.create(&escalation).await?;
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
        let view = self
            .services
            .intake
            .get(&r.ticket_id, &r.customer_id)
            .await?;
        let (ticket, queue_status) = view_to_pb(&view);
        Ok(Response::new(pb::GetTicketResponse {
            ticket,
            queue_status,
        }))
    }

    async fn find_open_ticket(
        &self,
        request: Request<pb::FindOpenTicketRequest>,
    ) -> Result<Response<pb::FindOpenTicketResponse>, Status> {
        service(&request, "find open tickets")?;
        let r = request.get_ref();
        let entrance = entrance_from_pb(r.entrance, "entrance")?;
        let found = self
            .services
            .intake
            .find_open(&r.customer_id, entrance)
            .await?;
        let (ticket, queue_status) = found.as_ref().map(view_to_pb).unwrap_or_default();
        Ok(Response::new(pb::FindOpenTicketResponse {
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
        let ticket = self
            .services
            .intake
            .cancel(&r.ticket_id, &r.customer_id)
            .await?;
        Ok(Response::new(pb::CancelTicketResponse {
            ticket: Some(ticket_to_pb(&ticket)),
        }))
    }

    async fn send_customer_message(
        &self,
        request: Request<pb::SendCustomerMessageRequest>,
    ) -> Result<Response<pb::SendCustomerMessageResponse>, Status> {
        service(&request, "relay customer messages")?;
        let r = request.into_inner();
        let event = self
            .services
            .conversation
            .customer_message(&r.ticket_id, &r.customer_id, &r.client_message_id, &r.text)
            .await?;
        Ok(Response::new(pb::SendCustomerMessageResponse {
            message: message_to_pb(&self.services.dispatcher, &event).await,
            sequence: event.sequence,
        }))
    }

    type WatchTicketStream = WatchStream;

    async fn watch_ticket(
        &self,
        request: Request<pb::WatchTicketRequest>,
    ) -> Result<Response<Self::WatchTicketStream>, Status> {
        service(&request, "watch tickets")?;
        let r = request.into_inner();
        let items = self
            .services
            .streams
            .watch_ticket(&r.ticket_id, &r.customer_id, r.after_sequence)
            .await?;
        let dispatcher = self.services.dispatcher.clone();
        let stream = items.then(move |item| {
            let (dispatcher, ticket_id) = (dispatcher.clone(), r.ticket_id.clone());
            async move {
                match item {
                    Ok(item) => Ok(watch_item_to_pb(&dispatcher, &ticket_id, &item).await),
                    Err(e) => Err(Status::from(e)),
                }
            }
        });
        Ok(Response::new(self.services.shutdown.end_on_drain(stream)))
    }

    async fn list_ticket_events(
        &self,
        request: Request<pb::ListTicketEventsRequest>,
    ) -> Result<Response<pb::ListTicketEventsResponse>, Status> {
        service(&request, "read tickets")?;
        let r = request.get_ref();
        let (view, events) = self
            .services
            .intake
            .events_since(&r.ticket_id, &r.customer_id, r.after_sequence)
            .await?;
        let (ticket, queue_status) = view_to_pb(&view);
        let dispatcher = &self.services.dispatcher;
        let mut wire = Vec::with_capacity(events.len());
        for event in &events {
            wire.push(event_to_pb(dispatcher, event).await);
        }
        Ok(Response::new(pb::ListTicketEventsResponse {
            ticket,
            events: wire,
            queue_status,
        }))
    }

    async fn rate_ticket(
        &self,
        request: Request<pb::RateTicketRequest>,
    ) -> Result<Response<pb::RateTicketResponse>, Status> {
        service(&request, "rate tickets")?;
        let r = request.into_inner();
        self.services
            .conversation
            .rate(&r.ticket_id, &r.customer_id, r.score, &r.comment)
            .await?;
        Ok(Response::new(pb::RateTicketResponse {}))
    }
}

#[cfg(test)]
mod tests;
