//! Abusive-language detection for agent messages: a lexicon of Chinese and English
//! terms (and pinyin forms of the Chinese ones), matched after normalising the forms
//! people use to slip past a filter — full-width and other look-alike letters, accents,
//! invisible characters, spacing and punctuation inside a word (傻 逼, s.h.i.t), letter
//! swaps (sh1t, @ss), stretched letters (fuuuck), masking (f*ck), traditional characters
//! (你媽), pinyin (sha bi) — and matched on word boundaries, with allowed contexts, so
//! that innocent words are left alone (给妈妈的礼物, 水滚开后, 废物利用, "请看 s b").

use std::path::Path;

use serde::Deserialize;

mod matching;
mod normalise;

use matching::{Segmented, collapse, contains_phrase, contains_pinyin, squeeze, words};
use normalise::normalise;
/// The lexicon file shipped in the repository, compiled in as the default.
const SHIPPED: &str = include_str!("../../moderation/lexicon.toml");

/// Why a lexicon could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LexiconError {
    /// The file could not be read.
    #[error("reading the abusive-language lexicon {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a valid lexicon.
    #[error("the abusive-language lexicon {path} is invalid: {reason}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// The file format: terms by language (the matching rule follows the script), pinyin
/// forms, and allowed contexts.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LexiconFile {
    #[serde(default)]
    zh: Vec<String>,
    #[serde(default)]
    en: Vec<String>,
    #[serde(default)]
    pinyin: Vec<String>,
    #[serde(default)]
    allow: Vec<String>,
}

/// How one term is looked for.
#[derive(Clone, Debug)]
enum Rule {
    /// Latin and digit terms: whole words, each with stretched letters collapsed.
    Words(Vec<String>),
    /// Chinese terms: on the message's word boundaries.
    Chinese(String),
    /// Pinyin forms: one word, or spread over a few ("sha bi").
    Pinyin(String),
}

/// One term, normalised for matching.
#[derive(Clone, Debug)]
struct Term {
    /// As written in the lexicon (what a flag reports).
    original: String,
    rule: Rule,
}

/// The abusive-language lexicon in force.
#[derive(Clone, Debug, Default)]
pub struct Lexicon {
    terms: Vec<Term>,
    /// Contexts in which a term is innocent (水滚开), normalised; removed before matching.
    allow: Vec<String>,
}

impl Lexicon {
    /// The lexicon in `path` (TOML with `zh`, `en`, `pinyin` and `allow` lists).
    pub fn load(path: &Path) -> Result<Self, LexiconError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| LexiconError::Read {
            path: shown.clone(),
            source,
        })?;
        Self::parse(&text, shown)
    }

    /// The lexicon shipped with agent-service (compiled in).
    pub fn shipped() -> Self {
        Self::parse(SHIPPED, "the shipped lexicon".into())
            .expect("the shipped lexicon is valid (tested)")
    }

    /// A lexicon from TOML text; `shown` names its source in errors.
    pub(crate) fn parse(text: &str, shown: String) -> Result<Self, LexiconError> {
        let invalid = |reason: String| LexiconError::Invalid {
            path: shown.clone(),
            reason,
        };
        let file: LexiconFile = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let mut lexicon =
            Self::new(file.zh.iter().chain(&file.en).map(String::as_str)).map_err(&invalid)?;
        for raw in &file.pinyin {
            let word = collapse(&squeeze(&normalise(raw)));
            if word.is_empty() || !word.is_ascii() {
                return Err(invalid(format!("pinyin {raw:?} must be Latin letters")));
            }
            lexicon.terms.push(Term {
                original: raw.clone(),
                rule: Rule::Pinyin(word),
            });
        }
        lexicon.allow = file
            .allow
            .iter()
            .map(|context| normalise(context))
            .filter(|context| !context.trim().is_empty())
            .collect();
        Ok(lexicon)
    }

    /// A lexicon of `terms`; an empty term is an error.
    pub fn new<'a>(terms: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut out = Vec::new();
        for (i, raw) in terms.into_iter().enumerate() {
            let normal = normalise(raw);
            if normal.trim().is_empty() {
                return Err(format!("term #{} is empty", i + 1));
            }
            let latin = normal.chars().all(|c| c.is_ascii() || c.is_whitespace());
            let rule = if latin {
                Rule::Words(words(&normal))
            } else {
                Rule::Chinese(squeeze(&normal))
            };
            out.push(Term {
                original: raw.to_owned(),
                rule,
            });
        }
        Ok(Self {
            terms: out,
            allow: Vec::new(),
        })
    }

    /// How many terms it holds.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// Whether it holds no terms (nothing is ever flagged).
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The lexicon terms found in `text`, in lexicon order, each once.
    pub fn check(&self, text: &str) -> Vec<String> {
        let mut normal = normalise(text);
        for context in &self.allow {
            if normal.contains(context.as_str()) {
                normal = normal.replace(context.as_str(), " ");
            }
        }
        let squeezed = squeeze(&normal);
        let mut chinese = Segmented::new(&squeezed);
        let tokens = words(&normal);
        self.terms
            .iter()
            .filter(|term| match &term.rule {
                Rule::Words(phrase) => contains_phrase(&tokens, phrase),
                Rule::Chinese(word) => chinese.contains_word(word),
                Rule::Pinyin(word) => contains_pinyin(&tokens, word),
            })
            .map(|term| term.original.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests;
