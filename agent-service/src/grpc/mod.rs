//! The gRPC adapter of agent-service: decodes and validates requests, calls the domain,
//! and maps results back. No business rules live here.

mod complaints;
pub(crate) mod convert;
mod desk;
mod events;
mod feedback;
mod status;
mod supervisor;
mod tickets;

pub use complaints::ComplaintApi;
pub use desk::DeskApi;
pub use feedback::FeedbackApi;
pub use supervisor::SupervisorApi;
pub use tickets::TicketApi;

use std::sync::Arc;

use server_kit::{Shutdown, clock::SharedClock};

use crate::{
    domain::{
        chat::Conversation,
        complaints::Complaints,
        feedback::RobotFeedback,
        flags::Flags,
        hub::Hub,
        intake::Intake,
        roster::Roster,
        routing::{Dispatcher, RoutingSettings},
        stats::Supervision,
        streams::Streams,
    },
    metrics::AgentMetrics,
    store::Store,
};

/// The domain services the gRPC layer calls.
#[derive(Clone)]
pub struct Services {
    /// Escalation intake.
    pub intake: Intake,
    /// Agents' profiles.
    pub roster: Roster,
    /// Routing.
    pub dispatcher: Dispatcher,
    /// Messages, history, ratings.
    pub conversation: Conversation,
    /// Live streams.
    pub streams: Streams,
    /// Supervisors' figures.
    pub supervision: Supervision,
    /// Abusive-language flags, live.
    pub flags: Flags,
    /// Complaint intake and review.
    pub complaints: Complaints,
    /// The server's shutdown: open streams end with UNAVAILABLE when it drains.
    pub shutdown: Shutdown,
    /// The robot's feedback figures.
    pub feedback: RobotFeedback,
}

impl Services {
    /// Wires the domain over `store` and `clock`; streams end when `shutdown` drains.
    /// Routing starts empty: call `dispatcher.rebuild()` before serving.
    pub fn new(
        store: Arc<dyn Store>,
        clock: SharedClock,
        routing: RoutingSettings,
        shutdown: Shutdown,
    ) -> Self {
        Self::observed(store, clock, routing, shutdown, AgentMetrics::disabled())
    }

    /// [`Services::new`], recording routing and stream figures into `metrics`.
    pub fn observed(
        store: Arc<dyn Store>,
        clock: SharedClock,
        routing: RoutingSettings,
        shutdown: Shutdown,
        metrics: AgentMetrics,
    ) -> Self {
        let dispatcher =
            Dispatcher::observed(store.clone(), clock.clone(), Hub::new(), routing, metrics);
        let flags = Flags::new(shutdown.clone());
        Self {
            intake: Intake::new(store.clone(), clock.clone(), dispatcher.clone()),
            roster: Roster::new(store.clone(), clock.clone()),
            conversation: Conversation::new(store.clone(), clock.clone(), dispatcher.clone())
                .with_flags(flags.clone()),
            streams: Streams::new(store.clone(), dispatcher.clone(), shutdown.clone()),
            shutdown,
            flags,
            complaints: Complaints::new(store.clone(), clock.clone()),
            feedback: RobotFeedback::new(store.clone(), clock.clone()),
            supervision: Supervision::new(store, clock, dispatcher.clone()),
            dispatcher,
        }
    }
}
