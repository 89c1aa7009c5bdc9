//! What can be wrong with a catalogue, said so an operator can find and fix it: each
//! problem has a scope (an intent by name, or a section) and an issue.

use std::fmt;

use super::model::HOTLINE_PLACEHOLDER;

/// Where in the catalogue a problem is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The top-level `skills` list.
    Skills,
    /// A table such as `entrances.consumer` or `fallback`.
    Section(&'static str),
    /// An intent, by name.
    Intent(String),
    /// An intent without a name, by its 1-based position in the file.
    UnnamedIntent(usize),
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Skills => f.write_str("skills"),
            Scope::Section(section) => write!(f, "[{section}]"),
            Scope::Intent(name) => write!(f, "intent '{name}'"),
            Scope::UnnamedIntent(position) => write!(f, "intent #{position} (no name)"),
        }
    }
}

/// What is wrong there.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Issue {
    /// A required text or list is absent or blank.
    #[error("{0} is missing or empty")]
    Missing(&'static str),
    /// A list has an entry with nothing but whitespace.
    #[error("{0} has a blank entry")]
    BlankEntry(&'static str),
    /// A required table is absent.
    #[error("the table is missing")]
    MissingTable,
    /// A skill is referenced that the `skills` list does not declare.
    #[error("unknown skill '{0}'")]
    UnknownSkill(String),
    /// The same skill is declared twice.
    #[error("skill '{0}' is listed more than once")]
    DuplicateSkill(String),
    /// An entrance that does not exist.
    #[error("unknown entrance '{0}' (expected consumer or merchant)")]
    UnknownEntrance(String),
    /// The same entrance is listed twice.
    #[error("entrance '{0}' is listed more than once")]
    DuplicateEntrance(String),
    /// A kind that does not exist.
    #[error("unknown kind '{0}' (expected faq, task, chitchat, handoff or complaint)")]
    UnknownKind(String),
    /// A name or skill with characters that do not belong in an identifier.
    #[error("'{0}' must be made of lowercase letters, digits, '.', '_' or '-'")]
    BadName(String),
    /// Two intents share a name.
    #[error("is defined more than once")]
    DuplicateIntent,
    /// An answer uses a `{…}` placeholder that nothing fills.
    #[error(
        "{field} uses unknown placeholder '{placeholder}' (only {HOTLINE_PLACEHOLDER} is filled)"
    )]
    UnknownPlaceholder {
        /// The field with the placeholder.
        field: &'static str,
        /// The placeholder as written.
        placeholder: String,
    },
    /// A `[intent.task]` table on an intent whose kind is not `task`.
    #[error("has a [intent.task] table but its kind is not 'task'")]
    TaskOnOtherKind,
    /// A slot type that does not exist.
    #[error("unknown slot type '{0}' (expected mobile, amount, city or day)")]
    UnknownSlotType(String),
    /// An amount choice that is not a positive whole number, or listed twice.
    #[error("slot '{0}' has a bad choice {1} (choices are distinct positive whole numbers)")]
    BadChoice(String, i64),
    /// A city slot in a catalogue without a `[[city]]` list.
    #[error("slot '{0}' is of type city but the catalogue has no [[city]] list")]
    NoCities(String),
    /// `from_profile` on a slot that is not a mobile number.
    #[error("slot '{0}' has from_profile but only mobile slots can take the profile's number")]
    ProfileNotMobile(String),
    /// A name given twice where names must be unique (a slot, a city).
    #[error("{0} '{1}' is defined more than once")]
    Duplicate(&'static str, String),
    /// A confirmation text uses a placeholder that is not one of the task's slots.
    #[error("{field} uses '{placeholder}', which is not a slot of this task")]
    UnknownSlotPlaceholder {
        /// The field with the placeholder.
        field: &'static str,
        /// The placeholder as written.
        placeholder: String,
    },
    /// A list names an intent the catalogue does not have (or the intent itself).
    #[error("{field} names '{name}', which is not another intent of the catalogue")]
    UnknownIntent {
        /// The list.
        field: &'static str,
        /// The name as written.
        name: String,
    },
    /// The same example teaches two intents of one entrance, so neither can be trusted.
    #[error("example '{example}' is also an example of intent '{other}'")]
    SharedExample {
        /// The example as written.
        example: String,
        /// The other intent that has it.
        other: String,
    },
}

/// One thing wrong with a catalogue.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{scope}: {issue}")]
pub struct Problem {
    /// Where it is.
    pub scope: Scope,
    /// What is wrong.
    pub issue: Issue,
}
