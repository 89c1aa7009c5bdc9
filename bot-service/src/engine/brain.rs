//! The catalogue and its recogniser as one immutable unit that can be swapped on reload,
//! and the texts the engine composes replies from.

use std::{path::Path, time::SystemTime};

use sha2::{Digest, Sha256};

use crate::{
    catalogue::{Catalogue, CatalogueError, render},
    handoff::AgentCard,
    recognition::{Classification, Recognizer},
    session::{Reply, SuggestedIntent},
    vocabulary::{Entrance, IntentKind, Language},
};

/// How many 猜你想问 suggestions a fallback offers.
const SUGGESTIONS: usize = 3;

/// A loaded catalogue with its recogniser.
pub struct Brain {
    catalogue: Catalogue,
    recognizer: Recognizer,
    info: ReloadInfo,
}

/// What is in force after a (re)load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReloadInfo {
    /// Intents in the catalogue.
    pub intents: usize,
    /// SHA-256 of the file, hex.
    pub digest: String,
    /// When it was loaded.
    pub loaded_at: SystemTime,
}

/// What recognition made of a message.
#[derive(Clone, Debug)]
pub struct Understanding {
    /// The message's language.
    pub language: Language,
    /// The confident match, if any.
    pub matched: Option<Matched>,
    /// The closest intents, for a fallback.
    pub suggestions: Vec<SuggestedIntent>,
}

/// A confidently recognised intent.
#[derive(Clone, Debug)]
pub struct Matched {
    /// Catalogue name.
    pub name: String,
    /// Its kind.
    pub kind: IntentKind,
    /// The skill that handles it.
    pub skill: String,
    /// Confidence, 0..1.
    pub confidence: f64,
}

/// An answer's text and buttons.
#[derive(Clone, Debug)]
pub struct Answer {
    /// The text, placeholders filled.
    pub text: String,
    /// Buttons.
    pub quick_replies: Vec<String>,
}

/// How a catalogue's content is told apart: SHA-256 of the file, hex.
pub(super) fn digest_of(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Brain {
    /// Reads, validates and indexes the catalogue at `path`.
    pub fn load(
        path: &Path,
        threshold: Option<f64>,
        now: SystemTime,
    ) -> Result<Self, CatalogueError> {
        let bytes = crate::catalogue::read_catalogue(path)?;
        Self::from_bytes(&bytes, digest_of(&bytes), path, threshold, now)
    }

    /// Validates and indexes a catalogue already read from `path` (its content `bytes`,
    /// whose [`digest_of`] is `digest`).
    pub(super) fn from_bytes(
        bytes: &[u8],
        digest: String,
        path: &Path,
        threshold: Option<f64>,
        now: SystemTime,
    ) -> Result<Self, CatalogueError> {
        let text = String::from_utf8_lossy(bytes);
        let catalogue = Catalogue::parse(&text, &path.display().to_string())?;
        let mut recognizer = Recognizer::new(&catalogue);
        if let Some(t) = threshold {
            recognizer = recognizer.with_threshold(t);
        }
        let info = ReloadInfo {
            intents: catalogue.intents().len(),
            digest,
            loaded_at: now,
        };
        Ok(Self {
            catalogue,
            recognizer,
            info,
        })
    }

    /// The catalogue in force.
    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// What was loaded.
    pub fn info(&self) -> ReloadInfo {
        self.info.clone()
    }

    /// Ranks intents (operators' Classify).
    pub fn classify(&self, entrance: Entrance, text: &str, top_k: usize) -> Classification {
        self.recognizer.classify(entrance, text, top_k)
    }

    /// Recognises a customer message.
    pub fn understand(&self, entrance: Entrance, text: &str) -> Understanding {
        let c = self.recognizer.classify(entrance, text, SUGGESTIONS.max(1));
        let matched = c
            .confident
            .then(|| c.ranked.first())
            .flatten()
            .and_then(|best| self.catalogue.intent(&best.name))
            .map(|intent| Matched {
                name: intent.name.clone(),
                kind: intent.kind,
                skill: intent.skill.clone(),
                confidence: c.ranked[0].score,
            });
        let suggestions = c
            .ranked
            .iter()
            .filter_map(|s| {
                let intent = self.catalogue.intent(&s.name)?;
                (s.score > 0.0 && intent.kind != IntentKind::Chitchat).then(|| SuggestedIntent {
                    intent: intent.name.clone(),
                    question: intent.title(c.language).to_owned(),
                    score: s.score,
                })
            })
            .take(SUGGESTIONS)
            .collect();
        Understanding {
            language: c.language,
            matched,
            suggestions,
        }
    }

    /// The greeting of an entrance.
    pub fn greeting(
        &self,
        entrance: Entrance,
        language: Language,
        agent_offered: bool,
        now: SystemTime,
    ) -> Reply {
        let e = self.catalogue.entrance(entrance);
        Reply {
            reply_id: server_kit::request_id::new_id(),
            text: e.greeting.get(language).clone(),
            language,
            intent: None,
            fallback: false,
            quick_replies: e.quick_replies.get(language).clone(),
            suggestions: Vec::new(),
            agent_offered,
            at: now,
            complaint: None,
        }
    }

    /// The answer of intent `name` (variant chosen by `variant`).
    pub fn answer(&self, name: &str, language: Language, variant: usize, hotline: &str) -> Answer {
        match self.catalogue.intent(name) {
            Some(intent) => {
                let answers = intent.answers(language);
                Answer {
                    text: render(&answers[variant % answers.len()], hotline),
                    quick_replies: intent.quick_replies(language).to_vec(),
                }
            }
            None => Answer {
                text: self.ask_problem(language),
                quick_replies: Vec::new(),
            },
        }
    }

    /// The fallback reply with its suggestions.
    pub fn fallback(
        &self,
        _entrance: Entrance,
        language: Language,
        variant: usize,
        suggestions: Vec<SuggestedIntent>,
        agent_offered: bool,
        now: SystemTime,
    ) -> Reply {
        let answers = self.catalogue.fallback().answers.get(language);
        Reply {
            reply_id: server_kit::request_id::new_id(),
            text: answers[variant % answers.len()].clone(),
            language,
            intent: None,
            fallback: true,
            quick_replies: suggestions.iter().map(|s| s.question.clone()).collect(),
            suggestions,
            agent_offered,
            at: now,
            complaint: None,
        }
    }

    /// Asks what the problem is, so a hand-off reaches the right team.
    pub fn ask_problem(&self, language: Language) -> String {
        self.catalogue.fallback().ask_problem.get(language).clone()
    }

    /// The skill a hand-off goes to when no problem was recognised.
    pub fn default_skill(&self, entrance: Entrance) -> String {
        self.catalogue.entrance(entrance).default_skill.clone()
    }

    /// What the customer is told when the human side cannot be reached: with the robot
    /// (a hand-off failed) the robot goes on answering; already queued or with a person,
    /// the message did not arrive, the conversation is kept, and the hotline is there.
    pub fn agent_unreachable(
        &self,
        language: Language,
        hotline: &str,
        with_person: bool,
    ) -> String {
        match (language, with_person) {
            (Language::Zh, true) => format!(
                "抱歉，您的消息没能送达人工客服：人工服务暂时中断。您的对话不会丢失，请稍后重发这条消息；如果着急，可以拨打客服热线 {hotline}。"
            ),
            (Language::En, true) => format!(
                "Sorry, your message did not reach the agent: the service is briefly interrupted. Your conversation is kept; please send the message again in a moment, or call our hotline {hotline} if it is urgent."
            ),
            (Language::Zh, false) => format!(
                "抱歉，人工客服暂时无法接通。您可以稍后再点“召唤人工客服”重试，或拨打客服热线 {hotline}。小蜜会继续为您解答问题。"
            ),
            (Language::En, false) => format!(
                "Sorry, we cannot reach a human agent right now. Please try again in a moment or call our hotline {hotline}. I can keep helping you meanwhile."
            ),
        }
    }

    /// What a customer returning to an open conversation with a person is told.
    pub fn rejoined_notice(&self, language: Language, agent: &AgentCard) -> String {
        match language {
            Language::Zh => format!(
                "您与人工客服 {}（工号 {}）的对话仍在进行，请直接继续留言。",
                agent.display_name, agent.work_number
            ),
            Language::En => format!(
                "Your conversation with agent {} (no. {}) is still open; just carry on typing.",
                agent.display_name, agent.work_number
            ),
        }
    }
}
