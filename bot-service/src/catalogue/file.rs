//! The catalogue's TOML layout exactly as an operator writes it. Almost every field is
//! optional here so that validation, not the TOML decoder, reports what is missing and
//! can name the intent it belongs to; unknown fields are still refused (typos).

use serde::Deserialize;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCatalogue {
    #[serde(default)]
    pub skills: Vec<String>,
    #[serde(default)]
    pub entrances: RawEntrances,
    pub fallback: Option<RawFallback>,
    #[serde(default, rename = "intent")]
    pub intents: Vec<RawIntent>,
    #[serde(default, rename = "city")]
    pub cities: Vec<RawCity>,
    /// `[slang]`: colloquial spellings and what they mean ("肿么办" = "怎么办").
    #[serde(default)]
    pub slang: std::collections::BTreeMap<String, String>,
}

/// `[entrances.consumer]` and `[entrances.merchant]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEntrances {
    pub consumer: Option<RawEntrance>,
    pub merchant: Option<RawEntrance>,
}

/// One entrance's table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEntrance {
    pub greeting_zh: Option<String>,
    pub greeting_en: Option<String>,
    #[serde(default)]
    pub quick_replies_zh: Vec<String>,
    #[serde(default)]
    pub quick_replies_en: Vec<String>,
    pub default_skill: Option<String>,
}

/// `[fallback]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFallback {
    #[serde(default)]
    pub answers_zh: Vec<String>,
    #[serde(default)]
    pub answers_en: Vec<String>,
    pub ask_problem_zh: Option<String>,
    pub ask_problem_en: Option<String>,
    #[serde(default)]
    pub examples_zh: Vec<String>,
    #[serde(default)]
    pub examples_en: Vec<String>,
    #[serde(default)]
    pub other_services: Vec<String>,
}

/// One `[[intent]]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIntent {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub entrances: Vec<String>,
    pub kind: Option<String>,
    pub skill: Option<String>,
    pub title_zh: Option<String>,
    pub title_en: Option<String>,
    #[serde(default)]
    pub examples_zh: Vec<String>,
    #[serde(default)]
    pub examples_en: Vec<String>,
    #[serde(default)]
    pub answers_zh: Vec<String>,
    #[serde(default)]
    pub answers_en: Vec<String>,
    #[serde(default)]
    pub quick_replies_zh: Vec<String>,
    #[serde(default)]
    pub quick_replies_en: Vec<String>,
    /// The intents this one asks the customer to choose between (a bare 投诉: whom?).
    #[serde(default)]
    pub clarifies: Vec<String>,
    pub task: Option<RawTask>,
}

/// `[intent.task]`: how a task intent's dialogue runs and which back end carries it out.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTask {
    pub backend: Option<String>,
    #[serde(default)]
    pub confirm: bool,
    pub confirm_zh: Option<String>,
    pub confirm_en: Option<String>,
    pub check_zh: Option<String>,
    pub check_en: Option<String>,
    #[serde(default, rename = "slot")]
    pub slots: Vec<RawSlot>,
}

/// One `[[intent.task.slot]]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSlot {
    #[serde(default)]
    pub name: String,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub ask_zh: Option<String>,
    pub ask_en: Option<String>,
    #[serde(default)]
    pub choices: Vec<i64>,
    #[serde(default)]
    pub from_profile: bool,
}

/// One `[[city]]` that weather-like tasks recognise.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCity {
    #[serde(default)]
    pub id: String,
    pub zh: Option<String>,
    pub en: Option<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
}
