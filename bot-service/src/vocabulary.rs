//! The small closed sets of words the robot's domain code shares: which entrance a
//! customer came through, which language a message is in, and what kind of intent a
//! catalogue entry is. Kept apart so the catalogue, recognition and the gRPC layer agree.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Which door the customer came through; each has its own intents and human queues.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Entrance {
    /// 小蜜: shoppers.
    Consumer,
    /// 万象: sellers.
    Merchant,
}

impl Entrance {
    /// Both entrances, so callers can build per-entrance tables without listing them.
    pub const ALL: [Entrance; 2] = [Entrance::Consumer, Entrance::Merchant];

    /// The catalogue's spelling, used in TOML files and log fields.
    pub fn as_str(self) -> &'static str {
        match self {
            Entrance::Consumer => "consumer",
            Entrance::Merchant => "merchant",
        }
    }
}

impl fmt::Display for Entrance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The language a message is in, which decides the language of the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Chinese (simplified); the default when a message has no letters at all.
    Zh,
    /// English.
    En,
}

impl Language {
    /// Both languages, so every bilingual text can be checked for each.
    pub const ALL: [Language; 2] = [Language::Zh, Language::En];

    /// The suffix the catalogue uses for fields in this language (`answers_zh`).
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Zh => "zh",
            Language::En => "en",
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the robot does when an intent is recognised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IntentKind {
    /// A fixed question with a fixed answer.
    Faq,
    /// Something the robot does for the customer (for now it says what it will need).
    Task,
    /// Small talk answered with a nudge back to what the robot can help with.
    Chitchat,
    /// The customer asks for a person.
    Handoff,
    /// The customer wants to complain (about an agent, the robot, or how to complain).
    Complaint,
}

impl IntentKind {
    /// The catalogue's spelling, used in TOML files and log fields.
    pub fn as_str(self) -> &'static str {
        match self {
            IntentKind::Faq => "faq",
            IntentKind::Task => "task",
            IntentKind::Chitchat => "chitchat",
            IntentKind::Handoff => "handoff",
            IntentKind::Complaint => "complaint",
        }
    }
}

impl fmt::Display for IntentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Probe {
        entrance: Entrance,
        language: Language,
        kind: IntentKind,
    }

    #[test]
    fn serde_spellings_are_lowercase_and_match_as_str() {
        let probe: Probe =
            toml::from_str("entrance = \"merchant\"\nlanguage = \"en\"\nkind = \"chitchat\"")
                .unwrap();
        assert_eq!(probe.entrance, Entrance::Merchant);
        assert_eq!(probe.language, Language::En);
        assert_eq!(probe.kind, IntentKind::Chitchat);
        for entrance in Entrance::ALL {
            let text = format!("entrance = \"{entrance}\"\nlanguage = \"zh\"\nkind = \"faq\"");
            assert_eq!(toml::from_str::<Probe>(&text).unwrap().entrance, entrance);
        }
    }
}
