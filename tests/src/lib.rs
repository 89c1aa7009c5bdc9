//! The whole honeydesk pair in one process: [`Stack`] starts agent-service and
//! bot-service (the dev launcher and the end-to-end tests both use it), and [`TestApp`]
//! is the `spawn_app` helper that starts them on ephemeral ports with temporary storage,
//! a fake clock and token minting.

pub mod bot_side;
pub mod chat;
pub mod desk;
pub mod launch;
pub mod raw;
pub mod sandbox;
pub mod scrape;
pub mod stack;
pub mod testing;

pub use stack::Stack;
pub use testing::TestApp;
