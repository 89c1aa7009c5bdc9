//! Task intents in a turn: continue the task under way, start one when a task intent is
//! recognised, and carry a filled task out through its action back end, telling the
//! customer honestly what happened (done, refused, not done, or unknown and where to
//! check). Cancel-safe: nothing about the task changes until the back end has answered,
//! so a dropped call retried under the same message id reuses the same idempotency key.

use super::{Brain, Engine};
use crate::{
    actions::{ActionError, ActionRequest},
    catalogue::{Intent, TaskSpec},
    session::{RecognisedIntent, Reply, Session},
    tasks::{self, ActiveTask, Context, Stage, Step},
    vocabulary::{IntentKind, Language},
};

impl Engine {
    /// Answers a message in the BOT state: the task under way takes it unless it is about
    /// something else; otherwise the catalogue answers, and a recognised task intent
    /// starts its dialogue. `phone` is the caller's own number, from their token.
    pub(super) async fn converse(
        &self,
        session: &mut Session,
        phone: Option<&str>,
        text: &str,
    ) -> Reply {
        let brain = self.brain();
        if let Some(reply) = self.continue_complaint(&brain, session, text).await {
            return reply;
        }
        if let Some(task) = session.tasks.active.clone() {
            if let Some(reply) = self
                .continue_task(&brain, session, &task, phone, text)
                .await
            {
                return reply;
            }
            session.tasks.active = None;
        }
        let mut reply = self.compose(session, text);
        if reply
            .intent
            .as_ref()
            .is_some_and(|i| i.name == super::complaints::COMPLAINT_INTENT)
        {
            session.tasks.active = None;
            return self.start_complaint(session, text, reply).await;
        }
        if reply
            .intent
            .as_ref()
            .is_some_and(|i| i.name == super::complaint_status::STATUS_INTENT)
        {
            return self.complaint_status(session, reply).await;
        }
        let Some(recognised) = reply.intent.clone().filter(|i| i.kind == IntentKind::Task) else {
            return reply;
        };
        let Some((intent, spec)) = task_of(&brain, &recognised.name) else {
            return reply;
        };
        let language = reply.language;
        if self.actions.get(&spec.backend).is_none() {
            tracing::warn!(task = %intent.name, backend = %spec.backend, "no back end configured for this task");
            reply.text = tasks::texts::not_available(language, intent.title(language));
            reply.quick_replies.clear();
            return reply;
        }
        let ctx = context(&brain, intent, spec, phone, false);
        let step = tasks::start(
            &intent.name,
            session.tasks.started + 1,
            text,
            language,
            &ctx,
        );
        session.tasks.started += 1;
        self.take_step(session, intent, spec, step, recognised)
            .await
    }

    /// The task under way, moved on by `text`; `None` when the message is about
    /// something else (or the catalogue no longer has the task).
    async fn continue_task(
        &self,
        brain: &Brain,
        session: &mut Session,
        task: &ActiveTask,
        phone: Option<&str>,
        text: &str,
    ) -> Option<Reply> {
        let (intent, spec) = task_of(brain, &task.intent)?;
        let other_intent = brain
            .understand(session.entrance, text)
            .matched
            .is_some_and(|m| m.name != task.intent && m.kind != IntentKind::Chitchat);
        let ctx = context(brain, intent, spec, phone, other_intent);
        let step = tasks::advance(task, text, &ctx);
        if step == Step::Unrelated {
            return None;
        }
        let recognised = RecognisedIntent {
            name: intent.name.clone(),
            kind: IntentKind::Task,
            confidence: 1.0,
        };
        Some(
            self.take_step(session, intent, spec, step, recognised)
                .await,
        )
    }

    /// Says what the step says, or carries the task out.
    async fn take_step(
        &self,
        session: &mut Session,
        intent: &Intent,
        spec: &TaskSpec,
        step: Step,
        recognised: RecognisedIntent,
    ) -> Reply {
        let (text, quick_replies, language) = match step {
            Step::Say {
                text,
                quick_replies,
                task,
            } => {
                let language = task
                    .as_ref()
                    .map_or_else(|| crate::text::detect_language(&text), |t| t.language);
                session.tasks.active = task;
                (text, quick_replies, language)
            }
            Step::Run(task) => {
                // Kept (unchanged) until the back end answers: a retry after a dropped
                // call finds the same instance, hence the same idempotency key.
                session.tasks.active = Some(task.clone());
                let language = task.language;
                let (text, buttons, after) = self.run(session, intent, spec, task).await;
                session.tasks.active = after;
                (text, buttons, language)
            }
            Step::Unrelated => (String::new(), Vec::new(), Language::Zh),
        };
        Reply {
            reply_id: server_kit::request_id::new_id(),
            text,
            language,
            intent: Some(recognised),
            fallback: false,
            quick_replies,
            suggestions: Vec::new(),
            agent_offered: session.agent_offered,
            at: self.now(),
            complaint: None,
        }
    }

    /// Carries `task` out: the reply, its buttons, and the task left (an unknown outcome
    /// of a paid task stays, so "retry" can ask again with the same key).
    async fn run(
        &self,
        session: &Session,
        intent: &Intent,
        spec: &TaskSpec,
        task: ActiveTask,
    ) -> (String, Vec<String>, Option<ActiveTask>) {
        let language = task.language;
        let title = intent.title(language);
        let request = ActionRequest {
            task: task.intent.clone(),
            slots: task.slots.clone(),
            user_id: session.user_id.clone(),
            idempotency_key: task.idempotency_key(&session.id),
            language,
        };
        let started = std::time::Instant::now();
        let outcome = match self.actions.get(&spec.backend) {
            Some(backend) => backend.execute(&request).await,
            None => Err(ActionError::Unavailable(
                "no back end configured".to_owned(),
            )),
        };
        let label = match &outcome {
            Ok(_) => "done",
            Err(ActionError::Rejected(_)) => "rejected",
            Err(ActionError::Unknown(_)) => "unknown",
            Err(ActionError::Unavailable(_)) => "unavailable",
        };
        self.metrics
            .task_call(&spec.backend, label, started.elapsed());
        let key = &request.idempotency_key;
        // A back end's words may quote the customer's number: logs get them masked.
        let logged = |why: &str| server_kit::privacy::mask(why);
        match outcome {
            Ok(done) => {
                tracing::info!(task = %task.intent, %key, "task carried out");
                (done.text, Vec::new(), None)
            }
            Err(ActionError::Rejected(why)) => {
                tracing::info!(task = %task.intent, %key, why = %logged(&why), "task refused by its back end");
                let text = if why.trim().is_empty() {
                    tasks::texts::not_done(language, title, spec.confirm)
                } else {
                    why
                };
                (text, Vec::new(), None)
            }
            Err(ActionError::Unknown(why)) if spec.confirm => {
                tracing::warn!(task = %task.intent, %key, why = %logged(&why), "task outcome unknown");
                let check = spec.check.get(language);
                let text = tasks::texts::unknown(language, title, check, &self.settings.hotline);
                let left = ActiveTask {
                    stage: Stage::Unknown,
                    ..task
                };
                (text, tasks::texts::retry_buttons(language), Some(left))
            }
            Err(e) => {
                tracing::warn!(task = %task.intent, %key, error = %logged(&e.to_string()), "task not carried out");
                let text = tasks::texts::not_done(language, title, spec.confirm);
                (text, Vec::new(), None)
            }
        }
    }
}

/// The catalogue intent `name` and its task spec, if it has one.
fn task_of<'b>(brain: &'b Brain, name: &str) -> Option<(&'b Intent, &'b TaskSpec)> {
    let intent = brain.catalogue().intent(name)?;
    Some((intent, intent.task.as_ref()?))
}

fn context<'a>(
    brain: &'a Brain,
    intent: &'a Intent,
    spec: &'a TaskSpec,
    phone: Option<&'a str>,
    other_intent: bool,
) -> Context<'a> {
    Context {
        title: &intent.title,
        spec,
        cities: brain.catalogue().cities(),
        profile_phone: phone,
        other_intent,
    }
}
