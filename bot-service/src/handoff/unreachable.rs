//! A human side that is never reachable: every call fails at once as UNAVAILABLE. For
//! running the robot on its own (benchmarks of turns and session memory, engine tests)
//! without an agent-service, and without waiting out connection attempts.

use async_trait::async_trait;

use super::{
    Escalation, HandoffError, HumanDesk, HumanEvent, HumanEvents, OpenConversation, QueuePlace,
};
use crate::vocabulary::Entrance;

/// The desk that is never there.
#[derive(Clone, Copy, Debug, Default)]
pub struct UnreachableDesk;

fn down<T>() -> Result<T, HandoffError> {
    Err(HandoffError::Unavailable(
        "no agent-service in this set-up".into(),
    ))
}

#[async_trait]
impl HumanDesk for UnreachableDesk {
    async fn escalate(&self, _: &Escalation) -> Result<QueuePlace, HandoffError> {
        down()
    }
    async fn place(&self, _: &str, _: &str) -> Result<QueuePlace, HandoffError> {
        down()
    }
    async fn open_conversation(
        &self,
        _: &str,
        _: Entrance,
    ) -> Result<Option<OpenConversation>, HandoffError> {
        down()
    }
    async fn cancel(&self, _: &str, _: &str) -> Result<(), HandoffError> {
        down()
    }
    async fn relay(&self, _: &str, _: &str, _: &str, _: &str) -> Result<u64, HandoffError> {
        down()
    }
    async fn follow(&self, _: &str, _: &str, _: u64) -> Result<HumanEvents, HandoffError> {
        down()
    }
    async fn catch_up(&self, _: &str, _: &str, _: u64) -> Result<Vec<HumanEvent>, HandoffError> {
        down()
    }
    async fn rate(&self, _: &str, _: &str, _: u32, _: &str) -> Result<(), HandoffError> {
        down()
    }
}
