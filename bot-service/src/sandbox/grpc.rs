//! The sandbox's `honeydesk.bot.v1.ActionService`: checks that the caller is a service,
//! decodes the request, and encodes the sandbox's answer (typed failures included).

use std::sync::Arc;

use honeydesk_proto::bot::v1::{self as pb, action_service_server::ActionService};
use server_kit::{Caller, Role};
use tonic::{Request, Response, Status};

use super::Sandbox;
use crate::{
    actions::{ActionBackend, ActionError, ActionRequest},
    vocabulary::Language,
};

/// The gRPC face of a [`Sandbox`].
pub struct SandboxApi {
    sandbox: Arc<Sandbox>,
}

impl SandboxApi {
    /// The API over `sandbox`.
    pub fn new(sandbox: Arc<Sandbox>) -> Self {
        Self { sandbox }
    }
}

fn failure(kind: pb::ActionFailureKind, text: String) -> pb::ExecuteResponse {
    pb::ExecuteResponse {
        outcome: Some(pb::execute_response::Outcome::Failure(pb::ActionFailure {
            kind: kind as i32,
            text,
        })),
    }
}

#[tonic::async_trait]
impl ActionService for SandboxApi {
    async fn execute(
        &self,
        request: Request<pb::ExecuteRequest>,
    ) -> Result<Response<pb::ExecuteResponse>, Status> {
        Caller::of(&request, &[Role::Service], "carry out tasks")?;
        let m = request.into_inner();
        if m.idempotency_key.trim().is_empty() {
            return Err(Status::invalid_argument("idempotency_key: is required"));
        }
        if m.task.trim().is_empty() {
            return Err(Status::invalid_argument("task: is required"));
        }
        let language = match pb::Language::try_from(m.language) {
            Ok(pb::Language::En) => Language::En,
            _ => Language::Zh,
        };
        let request = ActionRequest {
            task: m.task,
            slots: m.slots.into_iter().collect(),
            user_id: m.user_id,
            idempotency_key: m.idempotency_key,
            language,
        };
        let response = match self.sandbox.execute(&request).await {
            Ok(done) => pb::ExecuteResponse {
                outcome: Some(pb::execute_response::Outcome::Success(pb::ActionSuccess {
                    text: done.text,
                    data: done.data.into_iter().collect(),
                })),
            },
            Err(ActionError::Rejected(text)) => failure(pb::ActionFailureKind::Rejected, text),
            Err(ActionError::Unavailable(text)) => {
                failure(pb::ActionFailureKind::Unavailable, text)
            }
            Err(ActionError::Unknown(text)) => failure(pb::ActionFailureKind::Unknown, text),
        };
        Ok(Response::new(response))
    }
}
