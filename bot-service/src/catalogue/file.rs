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
}
