//! Abusive-language detection for agent messages: a lexicon of Chinese and English
//! terms, matched after normalising the forms people use to slip past a filter —
//! full-width and other look-alike letters, accents, invisible characters, spacing and
//! punctuation inside a word (傻 逼, s.h.i.t), letter swaps (sh1t, @ss), stretched
//! letters (fuuuck), masking (f*ck) and traditional characters (你媽).

use std::path::Path;

use serde::Deserialize;

mod normalise;

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

/// The file format: terms by language (the matching rule follows the script).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LexiconFile {
    #[serde(default)]
    zh: Vec<String>,
    #[serde(default)]
    en: Vec<String>,
}

/// One term, normalised for matching.
#[derive(Clone, Debug)]
struct Term {
    /// As written in the lexicon (what a flag reports).
    original: String,
    /// Latin terms: whole words, each with stretched letters collapsed.
    words: Vec<String>,
    /// Other scripts: the normalised term, matched anywhere.
    anywhere: Option<String>,
}

/// The abusive-language lexicon in force.
#[derive(Clone, Debug, Default)]
pub struct Lexicon {
    terms: Vec<Term>,
}

impl Lexicon {
    /// The lexicon in `path` (TOML with `zh` and `en` lists).
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
    fn parse(text: &str, shown: String) -> Result<Self, LexiconError> {
        let file: LexiconFile = toml::from_str(text).map_err(|e| LexiconError::Invalid {
            path: shown.clone(),
            reason: e.to_string(),
        })?;
        Self::new(file.zh.iter().chain(&file.en).map(String::as_str)).map_err(|reason| {
            LexiconError::Invalid {
                path: shown,
                reason,
            }
        })
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
            out.push(Term {
                original: raw.to_owned(),
                words: if latin {
                    words(&normal).into_iter().map(|w| collapse(&w)).collect()
                } else {
                    Vec::new()
                },
                anywhere: (!latin).then(|| squeeze(&normal)),
            });
        }
        Ok(Self { terms: out })
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
        let normal = normalise(text);
        let squeezed = squeeze(&normal);
        let tokens: Vec<String> = words(&normal).iter().map(|w| collapse(w)).collect();
        self.terms
            .iter()
            .filter(|term| match &term.anywhere {
                Some(needle) => squeezed.contains(needle.as_str()),
                None => contains_phrase(&tokens, &term.words),
            })
            .map(|term| term.original.clone())
            .collect()
    }
}

/// Only letters (and masks): what is left when spacing and punctuation are ignored.
fn squeeze(normal: &str) -> String {
    normal
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '*')
        .collect()
}

/// Latin words: runs of ASCII letters and masks; a run of single letters separated by
/// spaces or punctuation ("f u c k", "s.h.i.t") is joined into one word.
fn words(normal: &str) -> Vec<String> {
    let mut pieces: Vec<String> = Vec::new();
    let mut current = String::new();
    for c in normal.chars() {
        if c.is_ascii_alphabetic() || c == '*' {
            current.push(c);
        } else if !current.is_empty() {
            pieces.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    let mut out: Vec<String> = Vec::new();
    let mut spelled = String::new();
    for piece in pieces {
        if piece.chars().count() == 1 {
            spelled.push_str(&piece);
            continue;
        }
        if !spelled.is_empty() {
            out.push(std::mem::take(&mut spelled));
        }
        out.push(piece);
    }
    if !spelled.is_empty() {
        out.push(spelled);
    }
    out
}

/// Stretched letters collapsed: "fuuuck" and "fuck" compare equal.
fn collapse(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        if !out.ends_with(c) || c == '*' {
            out.push(c);
        }
    }
    out
}

/// Whether `tokens` hold `phrase` as consecutive words (masks match any one letter).
fn contains_phrase(tokens: &[String], phrase: &[String]) -> bool {
    !phrase.is_empty()
        && tokens.windows(phrase.len()).any(|window| {
            window
                .iter()
                .zip(phrase)
                .all(|(token, word)| same_word(token, word))
        })
}

fn same_word(token: &str, word: &str) -> bool {
    if token == word {
        return true;
    }
    let masked = token.contains('*') && token.chars().any(|c| c != '*');
    masked
        && token.chars().count() == word.chars().count()
        && token
            .chars()
            .zip(word.chars())
            .all(|(t, w)| t == '*' || t == w)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lexicon() -> Lexicon {
        let shipped = Lexicon::shipped();
        let loaded =
            Lexicon::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("moderation/lexicon.toml"))
                .expect("the shipped lexicon loads from its file too");
        assert_eq!(shipped.len(), loaded.len());
        shipped
    }

    #[test]
    fn catches_the_usual_evasions() {
        let l = lexicon();
        let cases: &[(&str, &str)] = &[
            ("你是傻逼吗", "傻逼"),
            ("你是 傻 逼 吗", "傻逼"),
            ("你是傻。逼吗", "傻逼"),
            ("ｆｕｃｋ you", "fuck"),
            ("what the f u c k", "fuck"),
            ("s.h.i.t happens", "shit"),
            ("sh1t", "shit"),
            ("you @sshole", "asshole"),
            ("fuuuuck off", "fuck"),
            ("f*ck this", "fuck"),
            ("SHUT   UP please", "shut up"),
            ("你个SB", "sb"),
            ("爱买不买", "爱买不买"),
            ("你\u{200B}妈", "你妈"),
            ("你媽的", "你妈"),
            ("廢物一個", "废物"),
            ("傻\u{00AD}逼", "傻逼"),
            ("𝐢𝐝𝐢𝐨𝐭", "idiot"),
            ("ⓢⓗⓤⓣ ⓤⓟ", "shut up"),
            ("you іdіоt", "idiot"),
            ("f\u{336}u\u{336}c\u{336}k\u{336} off", "fuck"),
            ("stüpid", "stupid"),
            ("b-i-t-c-h", "bitch"),
        ];
        for (text, term) in cases {
            let hits = l.check(text);
            assert!(hits.iter().any(|h| h == term), "{text:?} → {hits:?}");
        }
    }

    #[test]
    fn leaves_ordinary_service_language_alone() {
        let l = lexicon();
        for text in [
            "您好，很高兴为您服务",
            "Your parcel is in the class of express shipments",
            "I will assess the refund and ship it today",
            "订单号 13812345678 已经为您加急处理",
            "Please check the USB cable that shipped with the order",
            "Thank you, have a nice day!",
            "Ваш заказ отправлен, naïve café résumé",
            "您的订單已經發貨，請耐心等待",
            "ｏｒｄｅｒ ｎｏ． １２３４５ shipped",
        ] {
            assert!(l.check(text).is_empty(), "{text:?} → {:?}", l.check(text));
        }
    }

    #[test]
    fn reports_each_term_once_in_lexicon_order() {
        let l = Lexicon::new(["idiot", "傻逼"]).unwrap();
        assert_eq!(l.check("傻逼 idiot IDIOT 傻逼"), vec!["idiot", "傻逼"]);
    }

    #[test]
    fn a_bad_lexicon_is_refused_with_the_reason() {
        assert!(Lexicon::new(["ok", "  "]).unwrap_err().contains("term #2"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "fr = [\"merde\"]").unwrap();
        let e = Lexicon::load(&path).unwrap_err().to_string();
        assert!(e.contains("bad.toml") && e.contains("fr"), "{e}");
    }
}
