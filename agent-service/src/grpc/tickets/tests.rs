//! The ticket API's contract: roles, status codes and the wire shape of intake.

use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use server_kit::{FakeClock, time::to_timestamp};
use tonic::Code;

use super::*;
use crate::store::testing::TestDatabase;

async fn api() -> (TicketApi, TestDatabase) {
    let db = TestDatabase::sqlite().await;
    let clock = Arc::new(FakeClock::starting_now());
    let services = Services::new(
        Arc::new(db.store.clone()),
        clock,
        crate::domain::routing::RoutingSettings::default(),
        server_kit::Shutdown::new(),
    );
    (TicketApi::new(services), db)
}

fn as_role<T>(message: T, role: Role) -> Request<T> {
    let mut request = Request::new(message);
    request.extensions_mut().insert(Caller {
        subject: "bot-service".into(),
        role,
        phone: None,
        expires_at: u64::MAX,
    });
    request
}

fn create_request(key: &str, customer: &str) -> pb::CreateTicketRequest {
    pb::CreateTicketRequest {
        idempotency_key: key.into(),
        customer_id: customer.into(),
        entrance: pb::Entrance::Consumer as i32,
        skill: "orders".into(),
        priority: 2,
        reason: "customer asked for a person".into(),
        intent: "order.not_shipped".into(),
        bot_session_id: "s-1".into(),
        transcript: vec![pb::TranscriptEntry {
            sender: pb::Sender::Customer as i32,
            text: "转人工".into(),
            at: Some(to_timestamp(
                SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            )),
            intent: "handoff.human".into(),
        }],
    }
}

async fn create(
    api: &TicketApi,
    message: pb::CreateTicketRequest,
) -> Result<pb::CreateTicketResponse, Status> {
    api.create_ticket(as_role(message, Role::Service))
        .await
        .map(Response::into_inner)
}

#[tokio::test]
async fn only_services_may_call() {
    let (api, _db) = api().await;
    let err = api
        .create_ticket(as_role(create_request("k", "u-1"), Role::Consumer))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = api
        .get_ticket(Request::new(pb::GetTicketRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn intake_over_the_wire() {
    let (api, _db) = api().await;
    let first = create(&api, create_request("k-1", "u-1")).await.unwrap();
    assert!(first.created);
    let ticket = first.ticket.clone().unwrap();
    assert_eq!(ticket.status, pb::TicketStatus::Queued as i32);
    assert_eq!((ticket.priority, ticket.last_sequence), (2, 1));
    let queue = first.queue_status.unwrap();
    assert_eq!((queue.position, queue.waiting), (1, 1));
    assert_eq!(
        queue.estimated_wait, None,
        "nobody can take it: no made-up wait"
    );

    let retry = create(&api, create_request("k-1", "u-1")).await.unwrap();
    assert!(!retry.created);
    assert_eq!(retry.ticket, first.ticket);
    let mut changed = create_request("k-1", "u-1");
    changed.priority = 3;
    let err = create(&api, changed).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert!(
        err.message().contains("idempotency_key"),
        "{}",
        err.message()
    );
}

#[tokio::test]
async fn bad_input_names_the_field() {
    let (api, _db) = api().await;
    type Spoiler = (&'static str, fn(&mut pb::CreateTicketRequest));
    let spoilers: [Spoiler; 5] = [
        ("entrance", |r| r.entrance = 0),
        ("priority", |r| r.priority = 10),
        ("transcript[0].sender", |r| r.transcript[0].sender = 0),
        ("transcript[0].at", |r| r.transcript[0].at = None),
        ("customer_id", |r| r.customer_id.clear()),
    ];
    for (field, spoil) in spoilers {
        let mut request = create_request("k-1", "u-1");
        spoil(&mut request);
        let err = create(&api, request).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{field}");
        assert!(
            err.message().starts_with(field),
            "{field}: {}",
            err.message()
        );
    }
}

#[tokio::test]
async fn get_and_cancel_respect_the_owner() {
    let (api, _db) = api().await;
    let id = create(&api, create_request("k-1", "u-1"))
        .await
        .unwrap()
        .ticket
        .unwrap()
        .ticket_id;
    let get = |ticket_id: &str, customer_id: &str| {
        api.get_ticket(as_role(
            pb::GetTicketRequest {
                ticket_id: ticket_id.into(),
                customer_id: customer_id.into(),
            },
            Role::Service,
        ))
    };
    assert_eq!(
        get("missing", "u-1").await.unwrap_err().code(),
        Code::NotFound
    );
    assert_eq!(
        get(&id, "u-2").await.unwrap_err().code(),
        Code::PermissionDenied
    );
    let seen = get(&id, "u-1").await.unwrap().into_inner();
    assert_eq!(seen.queue_status.map(|q| q.position), Some(1));

    let cancel = || {
        api.cancel_ticket(as_role(
            pb::CancelTicketRequest {
                ticket_id: id.clone(),
                customer_id: "u-1".into(),
            },
            Role::Service,
        ))
    };
    let closed = cancel().await.unwrap().into_inner().ticket.unwrap();
    assert_eq!(closed.status, pb::TicketStatus::Closed as i32);
    assert_eq!(closed.close_reason, pb::CloseReason::CustomerLeft as i32);
    assert_eq!(cancel().await.unwrap().into_inner().ticket.unwrap(), closed);
    assert_eq!(
        get(&id, "u-1").await.unwrap().into_inner().queue_status,
        None
    );
}

#[tokio::test]
async fn empty_relay_requests_name_the_field() {
    let (api, _db) = api().await;
    let send = api
        .send_customer_message(as_role(
            pb::SendCustomerMessageRequest::default(),
            Role::Service,
        ))
        .await
        .unwrap_err();
    let watch = api
        .watch_ticket(as_role(pb::WatchTicketRequest::default(), Role::Service))
        .await
        .err()
        .unwrap();
    let rate = api
        .rate_ticket(as_role(pb::RateTicketRequest::default(), Role::Service))
        .await
        .unwrap_err();
    for (status, field) in [
        (send, "client_message_id"),
        (watch, "ticket_id"),
        (rate, "score"),
    ] {
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert!(status.message().contains(field), "{status:?}");
    }
}
