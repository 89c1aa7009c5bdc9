//! [`ActionBackend`] over gRPC: calls a back end's `honeydesk.bot.v1.ActionService` over a
//! [`ServiceLink`] (bot-service's `service` identity, pooled channels, a deadline, the
//! request id forwarded). Calls that were surely not carried out are retried with
//! backoff (the idempotency key makes that safe); a call that runs out of time is not,
//! so the customer hears "unknown" after one deadline, not several.

use async_trait::async_trait;
use honeydesk_proto::bot::v1::{self as pb, action_service_client::ActionServiceClient};
use tonic::Code;

use super::{ActionBackend, ActionDone, ActionError, ActionRequest};
use crate::{
    link::{LinkError, LinkSettings, ServiceLink},
    vocabulary::Language,
};

/// One action back end.
pub struct ActionClient {
    link: ServiceLink,
}

impl ActionClient {
    /// A client for the back end at `settings.url` (connected lazily), its connections
    /// counted in `sockets`.
    pub fn new(
        settings: LinkSettings,
        tokens: std::sync::Arc<dyn server_kit::auth::Minter>,
        sockets: server_kit::net::SocketAudit,
    ) -> Result<Self, tonic::transport::Error> {
        Ok(Self {
            link: ServiceLink::new(
                LinkSettings {
                    retry_timeouts: false,
                    ..settings
                },
                tokens,
                sockets,
            )?,
        })
    }
}

fn request_to_pb(r: &ActionRequest) -> pb::ExecuteRequest {
    pb::ExecuteRequest {
        task: r.task.clone(),
        slots: r.slots.clone().into_iter().collect(),
        user_id: r.user_id.clone(),
        idempotency_key: r.idempotency_key.clone(),
        language: match r.language {
            Language::Zh => pb::Language::Zh,
            Language::En => pb::Language::En,
        } as i32,
    }
}

/// What a status from the back end means for the customer.
fn from_link(error: LinkError) -> ActionError {
    match error {
        LinkError::Unavailable(m) => ActionError::Unavailable(m),
        LinkError::Timeout(d) => ActionError::Unknown(format!("no answer within {d:?}")),
        LinkError::Broken(m) => ActionError::Unknown(m),
        LinkError::Refused { code, message } => match code {
            // Refused before doing anything: a contract or configuration problem.
            Code::InvalidArgument
            | Code::FailedPrecondition
            | Code::NotFound
            | Code::AlreadyExists
            | Code::PermissionDenied
            | Code::Unauthenticated
            | Code::OutOfRange => ActionError::Unavailable(format!("{code:?}: {message}")),
            _ => ActionError::Unknown(format!("{code:?}: {message}")),
        },
    }
}

#[async_trait]
impl ActionBackend for ActionClient {
    async fn execute(&self, request: &ActionRequest) -> Result<ActionDone, ActionError> {
        let message = request_to_pb(request);
        let response = self
            .link
            .call("action", || {
                let request = self.link.request(message.clone());
                let mut client = ActionServiceClient::new(self.link.channel());
                async move { client.execute(request).await }
            })
            .await
            .map_err(from_link)?;
        match response.outcome {
            Some(pb::execute_response::Outcome::Success(s)) => Ok(ActionDone {
                text: s.text,
                data: s.data.into_iter().collect(),
            }),
            Some(pb::execute_response::Outcome::Failure(f)) => {
                Err(match pb::ActionFailureKind::try_from(f.kind) {
                    Ok(pb::ActionFailureKind::Rejected) => ActionError::Rejected(f.text),
                    Ok(pb::ActionFailureKind::Unavailable) => ActionError::Unavailable(f.text),
                    _ => ActionError::Unknown(f.text),
                })
            }
            None => Err(ActionError::Unknown(
                "Execute answered without an outcome".to_owned(),
            )),
        }
    }
}
