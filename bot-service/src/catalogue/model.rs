//! The validated intent catalogue as the rest of bot-service sees it: every text is
//! present in both languages, every skill and entrance is known, names are unique.
//! Values of these types only come out of [`super::Catalogue::parse`], so holders can
//! rely on those guarantees without re-checking.

use std::collections::HashMap;

use super::task::{City, TaskSpec};
use crate::vocabulary::{Entrance, IntentKind, Language};

/// The placeholder an answer uses for the official complaint hotline number.
pub const HOTLINE_PLACEHOLDER: &str = "{hotline}";

/// Fills the placeholders of a catalogue text, so the number lives in configuration and
/// not in every answer.
pub fn render(template: &str, hotline: &str) -> String {
    template.replace(HOTLINE_PLACEHOLDER, hotline)
}

/// One text per language, for strings the catalogue must have in both.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bilingual<T> {
    /// The Chinese text.
    pub zh: T,
    /// The English text.
    pub en: T,
}

impl<T> Bilingual<T> {
    /// The text for the language the customer wrote in.
    pub fn get(&self, language: Language) -> &T {
        match language {
            Language::Zh => &self.zh,
            Language::En => &self.en,
        }
    }
}

/// One fixed question the robot knows.
#[derive(Clone, Debug, PartialEq)]
pub struct Intent {
    /// Stable identifier (`order.status`), part of the contract with callers.
    pub name: String,
    /// The entrances whose customers can ask it.
    pub entrances: Vec<Entrance>,
    /// What the robot does when it is recognised.
    pub kind: IntentKind,
    /// The agent skill that takes the conversation when it is escalated.
    pub skill: String,
    /// The question as shown in a 猜你想问 suggestion.
    pub title: Bilingual<String>,
    /// How customers ask it; what recognition learns from.
    pub examples: Bilingual<Vec<String>>,
    /// Replies, one of which is given (several only where variety helps, as in chit-chat).
    pub answers: Bilingual<Vec<String>>,
    /// Buttons offered under the answer; may be empty.
    pub quick_replies: Bilingual<Vec<String>>,
    /// How a task intent's dialogue runs; `None` for other kinds (and for a task intent
    /// that only answers).
    pub task: Option<TaskSpec>,
    /// The intents this one asks the customer to choose between ("whom do you want to
    /// complain about?"): when the message itself names one of them, that one is
    /// answered instead of the question. Empty for most intents.
    pub clarifies: Vec<String>,
}

impl Intent {
    /// Whether a customer at this entrance can be given this intent.
    pub fn serves(&self, entrance: Entrance) -> bool {
        self.entrances.contains(&entrance)
    }

    /// The examples in one language.
    pub fn examples(&self, language: Language) -> &[String] {
        self.examples.get(language)
    }

    /// The answers in one language (never empty).
    pub fn answers(&self, language: Language) -> &[String] {
        self.answers.get(language)
    }

    /// The suggestion title in one language.
    pub fn title(&self, language: Language) -> &str {
        self.title.get(language)
    }

    /// The quick replies in one language (possibly empty).
    pub fn quick_replies(&self, language: Language) -> &[String] {
        self.quick_replies.get(language)
    }
}

/// What one entrance shows before any intent is recognised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntranceSettings {
    /// The first message of a session.
    pub greeting: Bilingual<String>,
    /// Buttons offered with the greeting.
    pub quick_replies: Bilingual<Vec<String>>,
    /// The skill a hand-off goes to when no intent was recognised.
    pub default_skill: String,
}

/// What the robot says when it is not confident.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FallbackTexts {
    /// "I did not understand, did you mean…" replies; one is picked.
    pub answers: Bilingual<Vec<String>>,
    /// Asked before a hand-off is offered, so the problem can be routed to a skill.
    pub ask_problem: Bilingual<String>,
    /// Questions the robot must NOT take for an intent (other apps, general knowledge):
    /// recognition learns "none of these" from them. May be empty.
    pub examples: Bilingual<Vec<String>>,
    /// Other companies' apps and services (抖音, WeChat…): a question naming one is not
    /// answered confidently, however much it looks like ours. May be empty.
    pub other_services: Vec<String>,
}

/// The operator-edited intent catalogue, validated.
#[derive(Clone, Debug)]
pub struct Catalogue {
    pub(super) origin: String,
    pub(super) skills: Vec<String>,
    pub(super) consumer: EntranceSettings,
    pub(super) merchant: EntranceSettings,
    pub(super) fallback: FallbackTexts,
    pub(super) intents: Vec<Intent>,
    pub(super) by_name: HashMap<String, usize>,
    pub(super) cities: Vec<City>,
    pub(super) slang: Vec<(String, String)>,
}

impl Catalogue {
    /// Where the catalogue came from (a path or a label), for logs and error messages.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The agent skills that exist, in catalogue order.
    pub fn skills(&self) -> &[String] {
        &self.skills
    }

    /// Every intent, in catalogue order.
    pub fn intents(&self) -> &[Intent] {
        &self.intents
    }

    /// The intents a customer at this entrance can be given, in catalogue order.
    pub fn intents_for(&self, entrance: Entrance) -> impl Iterator<Item = &Intent> + '_ {
        self.intents
            .iter()
            .filter(move |intent| intent.serves(entrance))
    }

    /// The intent with this name, if the catalogue has one.
    pub fn intent(&self, name: &str) -> Option<&Intent> {
        self.by_name.get(name).map(|&index| &self.intents[index])
    }

    /// Greeting, quick replies and default skill of an entrance.
    pub fn entrance(&self, entrance: Entrance) -> &EntranceSettings {
        match entrance {
            Entrance::Consumer => &self.consumer,
            Entrance::Merchant => &self.merchant,
        }
    }

    /// What to say when recognition is not confident.
    pub fn fallback(&self) -> &FallbackTexts {
        &self.fallback
    }

    /// The `[slang]` table: colloquial or internet spellings and the plain words they
    /// stand for, applied to messages and examples before recognition.
    pub fn slang(&self) -> &[(String, String)] {
        &self.slang
    }

    /// The cities city slots recognise, in catalogue order.
    pub fn cities(&self) -> &[City] {
        &self.cities
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_fills_every_hotline_placeholder() {
        assert_eq!(
            render("拨打 {hotline}，或再拨 {hotline}", "9510-0000"),
            "拨打 9510-0000，或再拨 9510-0000"
        );
        assert_eq!(render("no placeholder", "1"), "no placeholder");
    }
}
