//! What a session remembers, bounded so a long conversation costs no more memory than a
//! short one: the latest transcript lines (the window handed to a person; after the
//! hand-off agent-service keeps the whole conversation), the replies to the latest
//! client message ids (for retries), and the latest replies that can still be rated.

use std::{
    collections::{HashMap, VecDeque},
    hash::{DefaultHasher, Hash, Hasher},
    time::SystemTime,
};

use super::{Reply, Speaker};

/// Transcript lines kept unless configured otherwise.
pub const DEFAULT_TRANSCRIPT_WINDOW: usize = 20;
/// Answered client message ids kept for retries: a client retries its latest messages,
/// not ones from dozens of turns ago.
pub const REMEMBERED_TURNS: usize = 8;
/// Replies that can still be rated.
pub const RATEABLE_REPLIES: usize = 32;

/// One line of the robot conversation, handed to the agent on escalation.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TranscriptLine {
    /// Who said it.
    pub speaker: Speaker,
    /// What was said.
    pub text: String,
    /// When.
    pub at: SystemTime,
    /// The intent recognised in a customer line.
    pub intent: Option<String>,
}

/// The latest lines of the conversation, and how many were ever written.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Transcript {
    lines: VecDeque<TranscriptLine>,
    window: usize,
    written: u64,
}

impl Transcript {
    /// An empty transcript keeping at most `window` lines (at least one).
    pub fn new(window: usize) -> Self {
        Self {
            lines: VecDeque::new(),
            window: window.max(1),
            written: 0,
        }
    }

    /// Appends a line, forgetting the oldest beyond the window.
    pub fn push(&mut self, line: TranscriptLine) {
        if self.lines.len() == self.window {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
        self.written += 1;
    }

    /// The lines kept, oldest first.
    pub fn lines(&self) -> impl DoubleEndedIterator<Item = &TranscriptLine> + ExactSizeIterator {
        self.lines.iter()
    }

    /// How many lines were ever written (kept or not): a position in the conversation.
    pub fn written(&self) -> u64 {
        self.written
    }
}

/// Replies by client message id, for idempotent retries, and the intent of each recent
/// reply with the rating it was given.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Replies {
    /// Client message id, a fingerprint of the text it carried, the reply.
    answered: VecDeque<(String, u64, Reply)>,
    rateable: HashMap<String, Rateable>,
    rateable_order: VecDeque<String>,
}

/// A reply that can be rated.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Rateable {
    intent: String,
    rating: Option<bool>,
}

/// What a client message id was used for before.
#[derive(Debug)]
pub enum Answered<'a> {
    /// Not (or no longer) remembered: a new message.
    New,
    /// A retry of the same message: this was its reply.
    Replay(&'a Reply),
    /// The id was used for a different text (a client bug, not a retry).
    OtherText,
}

/// A fingerprint of a message text (kept instead of the text itself).
fn fingerprint(text: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

impl Replies {
    /// The reply already given to `client_message_id`, if still remembered.
    pub fn answered(&self, client_message_id: &str) -> Option<&Reply> {
        self.answered
            .iter()
            .find(|(id, _, _)| id == client_message_id)
            .map(|(_, _, r)| r)
    }

    /// Whether `client_message_id` carrying `text` is new, a retry, or a reuse of the id
    /// for another text.
    pub fn lookup(&self, client_message_id: &str, text: &str) -> Answered<'_> {
        match self
            .answered
            .iter()
            .find(|(id, _, _)| id == client_message_id)
        {
            None => Answered::New,
            Some((_, print, reply)) if *print == fingerprint(text) => Answered::Replay(reply),
            Some(_) => Answered::OtherText,
        }
    }

    /// Remembers `reply` to `text` for `client_message_id`, forgetting the oldest beyond
    /// the bounds.
    pub fn remember(&mut self, client_message_id: String, text: &str, reply: Reply) {
        let intent = match &reply.intent {
            Some(intent) => Some(intent.name.clone()),
            None if reply.fallback => Some("fallback".to_owned()),
            None => None,
        };
        if let Some(intent) = intent {
            if self.rateable_order.len() == RATEABLE_REPLIES
                && let Some(oldest) = self.rateable_order.pop_front()
            {
                self.rateable.remove(&oldest);
            }
            self.rateable_order.push_back(reply.reply_id.clone());
            let rating = None;
            self.rateable
                .insert(reply.reply_id.clone(), Rateable { intent, rating });
        }
        if self.answered.len() == REMEMBERED_TURNS {
            self.answered.pop_front();
        }
        self.answered
            .push_back((client_message_id, fingerprint(text), reply));
    }

    /// The intent a recent reply answered with.
    pub fn intent_of(&self, reply_id: &str) -> Option<&str> {
        self.rateable.get(reply_id).map(|r| r.intent.as_str())
    }

    /// Records a rating of a recent reply; returns the one it replaces (None for the
    /// first rating, or when the reply is not remembered).
    pub fn rate(&mut self, reply_id: &str, helpful: bool) -> Option<bool> {
        self.rateable
            .get_mut(reply_id)
            .and_then(|r| r.rating.replace(helpful))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(n: usize) -> Reply {
        Reply {
            reply_id: format!("r{n}"),
            text: format!("answer {n}"),
            language: crate::vocabulary::Language::Zh,
            intent: None,
            fallback: true,
            quick_replies: vec![],
            suggestions: vec![],
            agent_offered: false,
            at: SystemTime::UNIX_EPOCH,
            complaint: None,
        }
    }

    #[test]
    fn a_thousand_turns_keep_only_the_window() {
        let mut transcript = Transcript::new(40);
        let mut replies = Replies::default();
        for n in 0..1000 {
            transcript.push(TranscriptLine {
                speaker: Speaker::Customer,
                text: format!("question {n}"),
                at: SystemTime::UNIX_EPOCH,
                intent: None,
            });
            replies.remember(format!("m{n}"), "text", reply(n));
        }
        assert_eq!(transcript.written(), 1000);
        assert_eq!(transcript.lines().len(), 40);
        assert_eq!(transcript.lines().next().unwrap().text, "question 960");
        assert_eq!(replies.answered.len(), REMEMBERED_TURNS);
        assert!(replies.answered("m999").is_some());
        assert!(replies.answered("m0").is_none());
        assert_eq!(replies.rateable.len(), RATEABLE_REPLIES);
        assert_eq!(replies.rateable_order.len(), RATEABLE_REPLIES);
        assert_eq!(replies.intent_of("r999"), Some("fallback"));
        assert_eq!(replies.intent_of("r0"), None);
    }

    #[test]
    fn a_rating_replaces_the_previous_one() {
        let mut replies = Replies::default();
        replies.remember("m1".into(), "text", reply(1));
        assert_eq!(replies.rate("r1", true), None);
        assert_eq!(replies.rate("r1", false), Some(true));
        assert_eq!(replies.rate("nope", true), None);
    }
}
