//! Plumbing that both honeydesk services share and that is no one's domain: bearer-token
//! auth, telemetry (logs, traces, metrics) and request ids, an injectable clock, config-file loading,
//! personal-data masking for what operators and logs see, and the gRPC server start-up
//! with health, reflection and a bounded graceful drain.

pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod corpus;
pub mod deadline;
pub mod decode_errors;
pub mod keys;
pub mod limits;
pub mod metrics;
pub mod net;
pub mod pem;
pub mod privacy;
pub mod request_id;
pub mod rpc_metrics;
pub mod server;
pub mod shutdown;
pub mod telemetry;
pub mod text;
pub mod time;
pub mod tls;
pub mod token_cache;
pub mod token_rules;
pub mod trace_context;
pub mod watch;

pub use auth::{Caller, Hs256Tokens, Role, TokenVerifier};
pub use clock::{Clock, FakeClock, SystemClock};
pub use shutdown::Shutdown;

/// The memory allocator the service binaries install (`#[global_allocator]`): a gRPC
/// server allocates for every frame, header and message, and mimalloc does that for
/// much less CPU than the system allocator.
pub type Allocator = mimalloc::MiMalloc;

/// The [`Allocator`], for `#[global_allocator] static A: Allocator = ALLOCATOR;`.
pub const ALLOCATOR: Allocator = mimalloc::MiMalloc;
