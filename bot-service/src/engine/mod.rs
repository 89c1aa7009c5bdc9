//! The conversation engine: sessions at two entrances, turns answered from the intent
//! catalogue, the "talk to a person" offer, and the hand-off to the human side. It knows
//! nothing of gRPC; the adapter in `grpc` calls it and maps [`BotError`] to statuses.

mod brain;
mod catalogue;
mod complaint_status;
mod complaints;
mod error;
mod handoff;
mod notices;
mod relay;
pub mod stats;
mod sweep;
mod tasks;
#[cfg(test)]
mod tests;
mod turn;

use std::{
    path::PathBuf,
    sync::{Arc, RwLock},
    time::{Duration, SystemTime},
};

pub use brain::{Brain, ReloadInfo};
pub use catalogue::Followed;
pub use error::BotError;
pub use relay::{CustomerEvent, CustomerEvents};
use server_kit::clock::SharedClock;
use tokio::sync::watch;
pub use turn::{TurnOutcome, TurnReply};

use crate::{
    actions::Backends,
    complaints::{ComplaintDesk, NoComplaintDesk},
    handoff::HumanDesk,
    metrics::BotMetrics,
    recognition::Classification,
    session::{
        CloseReason, Registry, Reply, Session, SessionGuard, SessionState, SessionStore,
        SessionStoreError, SessionView,
    },
    vocabulary::{Entrance, Language},
};

/// How the engine behaves; from the `[bot]` settings.
#[derive(Clone, Debug)]
pub struct EngineSettings {
    /// The catalogue file (re-read on reload).
    pub catalogue: PathBuf,
    /// Recognition threshold override.
    pub confidence_threshold: Option<f64>,
    /// Idle limit of a session.
    pub idle_timeout: Duration,
    /// Robot transcript lines a session keeps (and hands to a person).
    pub transcript_window: usize,
    /// Longest accepted message, in characters.
    pub max_message_chars: usize,
    /// Recognised problem turns before a person is offered.
    pub offer_agent_after_turns: u32,
    /// Fallbacks in a row before a person is offered.
    pub offer_agent_after_fallbacks: u32,
    /// The official complaint hotline quoted in answers.
    pub hotline: String,
    /// Sessions one user may hold open at once (0 = no cap), from `[limits]`.
    pub open_sessions_per_user: usize,
}

impl EngineSettings {
    /// The settings bot-service starts with unless configured otherwise (the default
    /// catalogue, a 10-minute idle limit…): for benchmarks and tests of the robot alone.
    pub fn defaults() -> Self {
        Self::from_behaviour(&crate::config::BehaviourSettings::default())
    }

    /// The engine's part of the `[bot]` settings.
    pub fn from_behaviour(b: &crate::config::BehaviourSettings) -> Self {
        Self {
            catalogue: b.catalogue.clone(),
            confidence_threshold: b.confidence_threshold,
            idle_timeout: b.idle_timeout(),
            transcript_window: b.transcript_window,
            max_message_chars: b.max_message_chars,
            offer_agent_after_turns: b.offer_agent_after_turns,
            offer_agent_after_fallbacks: b.offer_agent_after_fallbacks,
            hotline: b.hotline.clone(),
            open_sessions_per_user: 0,
        }
    }
}

/// The robot.
pub struct Engine {
    brain: RwLock<Arc<Brain>>,
    settings: EngineSettings,
    sessions: Arc<dyn SessionStore>,
    stats: Arc<dyn stats::FeedbackLog>,
    clock: SharedClock,
    desk: Arc<dyn HumanDesk>,
    /// Set at shutdown: customer event streams end.
    stop: watch::Sender<bool>,
    actions: Backends,
    complaint_desk: Arc<dyn ComplaintDesk>,
    metrics: BotMetrics,
}

impl Engine {
    /// Loads the catalogue and builds the recogniser; fails on a bad catalogue.
    pub fn new(
        settings: EngineSettings,
        clock: SharedClock,
        desk: Arc<dyn HumanDesk>,
    ) -> Result<Self, BotError> {
        let brain = Brain::load(
            &settings.catalogue,
            settings.confidence_threshold,
            clock.now(),
        )?;
        Ok(Self {
            brain: RwLock::new(Arc::new(brain)),
            settings,
            sessions: Arc::new(Registry::default()),
            stats: Arc::new(stats::Stats::default()),
            clock,
            desk,
            stop: watch::channel(false).0,
            actions: Backends::none(),
            complaint_desk: Arc::new(NoComplaintDesk),
            metrics: BotMetrics::disabled(),
        })
    }

    /// The engine keeping its sessions in `store` (this process's memory by default;
    /// Redis when several replicas serve one conversation).
    pub fn with_sessions(mut self, store: Arc<dyn SessionStore>) -> Self {
        self.sessions = store;
        self
    }

    /// The engine recording its figures into `metrics` (none by default).
    pub fn with_metrics(mut self, metrics: BotMetrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// The engine filing complaints through `desk` (none by default: the complaint
    /// dialogue then says the complaints system cannot be reached).
    pub fn with_complaints(mut self, desk: Arc<dyn ComplaintDesk>) -> Self {
        self.complaint_desk = desk;
        self
    }

    /// The engine keeping its feedback figures (unanswered questions, answer ratings) in
    /// `log` (in memory by default; agent-service's store in the service).
    pub fn with_feedback(mut self, log: Arc<dyn stats::FeedbackLog>) -> Self {
        self.stats = log;
        self
    }

    /// The engine with these action back ends for task intents (none by default: tasks
    /// then say their service is not available).
    pub fn with_actions(mut self, actions: Backends) -> Self {
        self.actions = actions;
        self
    }

    /// The catalogue and recogniser in force.
    pub fn brain(&self) -> Arc<Brain> {
        self.brain.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Opens a session for `user` at `entrance` and greets them. A conversation with a
    /// person still open at that entrance (the customer reconnected, or bot-service
    /// restarted) is picked up again: the session joins it and the greeting says so.
    /// Refused while the user holds the most open sessions allowed.
    pub async fn start(
        &self,
        user: &str,
        entrance: Entrance,
        language: Language,
    ) -> Result<(SessionView, Reply), BotError> {
        let now = self.clock.now();
        let id = server_kit::request_id::new_id();
        let mut session = Session::new(
            id,
            user.to_owned(),
            entrance,
            now,
            self.settings.idle_timeout,
            self.settings.transcript_window,
        );
        session.agent_offered = self.settings.offer_agent_after_turns == 0;
        let mut greeting = self
            .brain()
            .greeting(entrance, language, session.agent_offered, now);
        if let Some(notice) = self.rejoin_open_conversation(&mut session, language).await {
            greeting.text = format!("{}\n{notice}", greeting.text);
        }
        session.log(crate::session::Speaker::Bot, &greeting.text, now, None);
        let view = session.view();
        let max = self.settings.open_sessions_per_user;
        self.sessions
            .insert(session, max)
            .await
            .map_err(|e| match e {
                SessionStoreError::TooMany { open } => BotError::TooMany(format!(
                    "user {user} already has {open} open sessions, the most one user may hold \
                     ([limits] open_sessions_per_user = {max}); end one (EndSession) or let it \
                     time out"
                )),
                other => other.into(),
            })?;
        Ok((view, greeting))
    }

    /// A session's current state.
    pub async fn get(&self, user: &str, session_id: &str) -> Result<SessionView, BotError> {
        let session = self.owned(user, session_id).await?;
        let view = session.view();
        committed(session, view).await
    }

    /// Ends a session at the user's request (leaving any human queue).
    pub async fn end(&self, user: &str, session_id: &str) -> Result<SessionView, BotError> {
        let mut session = self.owned(user, session_id).await?;
        if session.state != SessionState::Closed {
            self.release_ticket(&mut session).await;
            session.close(CloseReason::CustomerEnded);
        }
        let view = session.view();
        committed(session, view).await
    }

    /// Helpful / not helpful on one of the session's robot replies.
    pub async fn rate_reply(
        &self,
        user: &str,
        session_id: &str,
        reply_id: &str,
        helpful: bool,
    ) -> Result<(), BotError> {
        if reply_id.trim().is_empty() {
            return Err(BotError::invalid("reply_id", "is required"));
        }
        let mut session = self.owned(user, session_id).await?;
        let intent = session
            .replies
            .intent_of(reply_id)
            .ok_or_else(|| {
                BotError::NotFound(format!("session {session_id} has no reply '{reply_id}'"))
            })?
            .to_owned();
        let previous = session.replies.rate(reply_id, helpful);
        if previous != Some(helpful) {
            let log = self.stats.clone();
            let work = async move {
                if let Err(e) = log.rate(&intent, helpful, previous).await {
                    tracing::warn!(error = %e, intent = %intent, "answer rating not recorded");
                }
            };
            stats::briefly_awaited(work).await;
        }
        session.commit().await?;
        Ok(())
    }

    /// Counts an unanswered question, its personal data masked (a turn never fails for
    /// the figures, and waits for them only briefly).
    async fn note_unanswered(&self, entrance: Entrance, text: &str, at: SystemTime) {
        let question = server_kit::privacy::mask(&crate::text::normalise_question(text));
        if question.is_empty() {
            return;
        }
        let log = self.stats.clone();
        let work = async move {
            if let Err(e) = log.unanswered(entrance, question, at).await {
                tracing::warn!(error = %e, "unanswered question not recorded");
            }
        };
        stats::briefly_awaited(work).await;
    }

    /// Ranks the intents of `entrance` for `text` (operators' Classify).
    pub fn classify(&self, entrance: Entrance, text: &str, top_k: usize) -> Classification {
        self.brain().classify(entrance, text, top_k)
    }

    /// The most frequent unanswered questions (operators' ListUnanswered).
    pub async fn unanswered(
        &self,
        entrance: Option<Entrance>,
        limit: usize,
    ) -> Result<Vec<stats::Unanswered>, BotError> {
        self.stats
            .top_unanswered(entrance, limit)
            .await
            .map_err(stats::unavailable)
    }

    /// Helpful / not-helpful counts per intent (operators' GetReplyRatings).
    pub async fn reply_ratings(&self) -> Result<Vec<stats::IntentRatings>, BotError> {
        self.stats.ratings().await.map_err(stats::unavailable)
    }

    /// PERMISSION_DENIED unless session `session_id` was opened at `entrance`: a session
    /// belongs to its owner at its entrance, so a seller's token with the same subject
    /// does not drive a shopper's session. An unknown id passes (the operation itself
    /// says NOT_FOUND).
    pub async fn check_entrance(
        &self,
        session_id: &str,
        entrance: Entrance,
    ) -> Result<(), BotError> {
        let Some(opened_at) = self.sessions.entrance(session_id).await? else {
            return Ok(());
        };
        if opened_at != entrance {
            return Err(BotError::Forbidden(format!(
                "session {session_id} belongs to the {} entrance; this token is for the {} entrance",
                opened_at.as_str().to_uppercase(),
                entrance.as_str().to_uppercase()
            )));
        }
        Ok(())
    }

    /// The session `session_id`, locked, if it belongs to `user`; caught up with its
    /// ticket, and closed first if its idle limit has passed.
    async fn owned(&self, user: &str, session_id: &str) -> Result<SessionGuard, BotError> {
        if session_id.trim().is_empty() {
            return Err(BotError::invalid("session_id", "is required"));
        }
        let mut session = self
            .sessions
            .lock(session_id)
            .await?
            .ok_or_else(|| BotError::NotFound(format!("no session '{session_id}'")))?;
        if session.user_id != user {
            return Err(BotError::Forbidden(format!(
                "session {session_id} belongs to another user"
            )));
        }
        self.catch_up(&mut session).await;
        self.expire_if_idle(&mut session).await;
        Ok(session)
    }

    /// Closes `session` if its idle limit passed; says whether it did.
    async fn expire_if_idle(&self, session: &mut Session) -> bool {
        if !session.is_idle(self.clock.now()) {
            return false;
        }
        self.release_ticket(session).await;
        session.close(CloseReason::IdleTimeout);
        tracing::info!(session = %session.id, "session closed after idle timeout");
        true
    }

    /// Best effort: takes the session's ticket out of the human queue.
    async fn release_ticket(&self, session: &mut Session) {
        if matches!(
            session.state,
            SessionState::Queued | SessionState::WithAgent
        ) && let Some(ticket) = &session.ticket_id
            && let Err(e) = self.desk.cancel(ticket, &session.user_id).await
        {
            tracing::warn!(error = %e, ticket = %ticket, "could not cancel the ticket; agent-service's idle rule will drop it");
        }
    }

    fn now(&self) -> SystemTime {
        self.clock.now()
    }
}

/// Writes `session` back, then answers `value`: what a call answered is what every
/// replica sees next.
async fn committed<T>(session: SessionGuard, value: T) -> Result<T, BotError> {
    session.commit().await?;
    Ok(value)
}
