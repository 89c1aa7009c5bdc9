//! Offline evaluation of intent recognition against labelled messages that the catalogue
//! does not train on, split into a development part (`eval/dev.tsv`, tune on it) and a
//! held-out test part (`eval/test.tsv`, written before tuning and not looked at while
//! tuning). Each message is tagged with its kind (traditional, pinyin, typo, slang, long,
//! paraphrase, complaint distinction, out of scope…), so the figures say which ways of
//! typing the robot still misreads.

mod report;

use std::path::{Path, PathBuf};

use crate::recognition::Recognizer;
use crate::vocabulary::Entrance;

pub use report::{CONFUSABLE, Confusion, KindFigures, Miss, Report};

/// The label of a case the robot must not answer confidently.
pub const FALLBACK: &str = "fallback";

/// The development part shipped with bot-service.
pub const DEV_CASES_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/eval/dev.tsv");

/// The held-out test part shipped with bot-service.
pub const TEST_CASES_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/eval/test.tsv");

/// One labelled message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// The entrance the message arrives at.
    pub entrance: Entrance,
    /// How it is written (traditional, pinyin, typo, slang, long, out-of-scope…).
    pub kind: String,
    /// What the customer typed.
    pub text: String,
    /// The intent it should be recognised as, or [`FALLBACK`].
    pub expected: String,
}

impl Case {
    /// Whether the case is out of scope.
    pub fn is_fallback(&self) -> bool {
        self.expected == FALLBACK
    }
}

/// Why an evaluation set could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The file could not be read.
    #[error("cannot read evaluation set {}: {source}", path.display())]
    Read {
        /// The path that was tried.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A line is not `entrance<TAB>kind<TAB>expected<TAB>text`.
    #[error("evaluation set {}, line {line}: {reason}", path.display())]
    Syntax {
        /// The path that was read.
        path: PathBuf,
        /// The 1-based line.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
}

/// Reads a tab-separated case file; `#` lines and blank lines are skipped.
pub fn load_cases(path: impl AsRef<Path>) -> Result<Vec<Case>, EvalError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Read {
        path: path.to_owned(),
        source,
    })?;
    let mut cases = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let syntax = |reason: String| EvalError::Syntax {
            path: path.to_owned(),
            line: index + 1,
            reason,
        };
        let fields: Vec<&str> = line.split('\t').collect();
        let [entrance, kind, expected, text] = fields[..] else {
            return Err(syntax(format!("{} fields, expected 4", fields.len())));
        };
        let entrance = Entrance::ALL
            .into_iter()
            .find(|e| e.as_str() == entrance)
            .ok_or_else(|| syntax(format!("unknown entrance {entrance:?}")))?;
        if kind.is_empty() || expected.is_empty() || text.trim().is_empty() {
            return Err(syntax("kind, expected and text must not be empty".into()));
        }
        cases.push(Case {
            entrance,
            kind: kind.to_owned(),
            expected: expected.to_owned(),
            text: text.to_owned(),
        });
    }
    Ok(cases)
}

/// Classifies every case and tallies the figures.
pub fn evaluate(recognizer: &Recognizer, cases: &[Case]) -> Report {
    let mut report = Report {
        threshold: recognizer.threshold(),
        ..Report::default()
    };
    for case in cases {
        let classification = recognizer.classify(case.entrance, &case.text, 1);
        let top = classification.ranked.first();
        report.record(
            case,
            top.map(|top| top.name.as_str()),
            top.map_or(0.0, |top| top.score),
            classification.confident,
        );
    }
    report
}

#[cfg(test)]
mod tests;
