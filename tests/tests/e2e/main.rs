//! honeydesk's end-to-end tests, in one binary: each module starts the real services on
//! ephemeral ports and talks to them over gRPC. One binary links once and shares its
//! compiled generics, where one binary per file cost the build a link each; the tracing
//! test stays apart (`tests/traces.rs`) because it installs a process-global subscriber.

mod authorisation;
mod check_message;
mod cluster;
mod complaint_chat;
mod complaint_offers;
mod complaint_status;
mod complaints;
mod conversation;
mod desk_stream;
mod empty_queues;
mod flags;
mod foundation;
mod handoff;
mod health;
mod hostile_input;
mod limits;
mod localisation;
mod metrics;
mod privacy;
mod queues;
mod recovery;
mod relay;
mod replica_routing;
mod replicas;
mod robot_answers;
mod robot_feedback;
mod roster;
mod satisfaction;
mod session_entrance;
mod session_replicas;
mod session_rules;
mod shutdown;
mod skills;
mod tasks;
mod time_bounds;
mod tls;
mod tokens;
