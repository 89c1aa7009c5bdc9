//! Offline evaluation of intent recognition against a labelled set of utterances
//! (`eval/utterances.toml`), so changes to the model or the catalogue are judged by
//! numbers: top-1 accuracy on in-scope messages, and how many out-of-scope messages are
//! kept from a confident (and therefore wrong) answer.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::recognition::Recognizer;
use crate::vocabulary::Entrance;

/// The label of a case the robot must not answer confidently.
pub const FALLBACK: &str = "fallback";

/// The evaluation set that ships with bot-service.
pub const DEFAULT_CASES_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/eval/utterances.toml");

/// One labelled message.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// The entrance the message arrives at.
    pub entrance: Entrance,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    #[serde(rename = "case")]
    cases: Vec<Case>,
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
    /// The file is not a list of `[[case]]` tables.
    #[error("evaluation set {} cannot be decoded: {source}", path.display())]
    Syntax {
        /// The path that was read.
        path: PathBuf,
        /// The decoder's message.
        source: Box<toml::de::Error>,
    },
}

/// Reads a `[[case]]` file.
pub fn load_cases(path: impl AsRef<Path>) -> Result<Vec<Case>, EvalError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Read {
        path: path.to_owned(),
        source,
    })?;
    let file: CaseFile = toml::from_str(&text).map_err(|source| EvalError::Syntax {
        path: path.to_owned(),
        source: Box::new(source),
    })?;
    Ok(file.cases)
}

/// One case the recognizer got wrong.
#[derive(Clone, Debug, PartialEq)]
pub struct Miss {
    /// The case.
    pub case: Case,
    /// The top-ranked intent, if any intent shared a word with the message.
    pub got: Option<String>,
    /// Its confidence (0 when nothing was ranked).
    pub score: f64,
    /// Whether the robot would have answered it directly.
    pub confident: bool,
}

/// The figures of one evaluation run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// Cases evaluated.
    pub total: usize,
    /// Cases labelled with an intent.
    pub in_scope: usize,
    /// In-scope cases whose top-ranked intent is the label.
    pub top1_correct: usize,
    /// In-scope cases answered directly with the right intent (top-1 and confident).
    pub answered_correctly: usize,
    /// Cases labelled [`FALLBACK`].
    pub out_of_scope: usize,
    /// Out-of-scope cases that stayed below the threshold.
    pub out_of_scope_rejected: usize,
    /// Cases of either kind answered confidently with the wrong intent.
    pub wrong_confident: usize,
    /// The threshold the recognizer applied.
    pub threshold: f64,
    /// In-scope cases with a wrong top-1, and out-of-scope cases answered confidently.
    pub misses: Vec<Miss>,
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}

impl Report {
    /// Top-1 accuracy on in-scope cases, in 0..=1 (1 when there are none).
    pub fn top1_accuracy(&self) -> f64 {
        share(self.top1_correct, self.in_scope)
    }

    /// Share of out-of-scope cases that were not answered confidently (1 when none).
    pub fn out_of_scope_recall(&self) -> f64 {
        share(self.out_of_scope_rejected, self.out_of_scope)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = |f: &mut fmt::Formatter<'_>, label: &str, part: usize, whole: usize| {
            let percent = 100.0 * share(part, whole);
            writeln!(f, "{label:<34} {part:>4}/{whole:<4} = {percent:5.1}%")
        };
        writeln!(
            f,
            "evaluated {} cases ({} in scope, {} out of scope), threshold {:.2}",
            self.total, self.in_scope, self.out_of_scope, self.threshold
        )?;
        line(
            f,
            "top-1 accuracy (in scope)",
            self.top1_correct,
            self.in_scope,
        )?;
        line(
            f,
            "answered correctly (confident)",
            self.answered_correctly,
            self.in_scope,
        )?;
        line(
            f,
            "out-of-scope recall (not confident)",
            self.out_of_scope_rejected,
            self.out_of_scope,
        )?;
        line(
            f,
            "wrong confident answers",
            self.wrong_confident,
            self.total,
        )?;
        writeln!(f, "misclassified: {}", self.misses.len())?;
        for miss in &self.misses {
            writeln!(
                f,
                "  [{}] {:?}: expected {}, got {} ({:.2}{})",
                miss.case.entrance,
                miss.case.text,
                miss.case.expected,
                miss.got.as_deref().unwrap_or("nothing"),
                miss.score,
                if miss.confident { ", confident" } else { "" },
            )?;
        }
        Ok(())
    }
}

/// Classifies every case and tallies the figures.
pub fn evaluate(recognizer: &Recognizer, cases: &[Case]) -> Report {
    let mut report = Report {
        total: cases.len(),
        threshold: recognizer.threshold(),
        ..Report::default()
    };
    for case in cases {
        let classification = recognizer.classify(case.entrance, &case.text, 1);
        let top = classification.ranked.first();
        let got = top.map(|top| top.name.clone());
        let confident = classification.confident;
        let right = got.as_deref() == Some(case.expected.as_str());
        let missed = if case.is_fallback() {
            report.out_of_scope += 1;
            report.out_of_scope_rejected += usize::from(!confident);
            confident
        } else {
            report.in_scope += 1;
            report.top1_correct += usize::from(right);
            report.answered_correctly += usize::from(right && confident);
            !right
        };
        report.wrong_confident += usize::from(confident && !right);
        if missed {
            report.misses.push(Miss {
                case: case.clone(),
                got,
                score: top.map_or(0.0, |top| top.score),
                confident,
            });
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Catalogue;
    use crate::recognition::normalise_question;

    fn default_set() -> (Catalogue, Vec<Case>) {
        let catalogue = Catalogue::load_default().expect("default catalogue loads");
        let cases = load_cases(DEFAULT_CASES_PATH).expect("evaluation set loads");
        (catalogue, cases)
    }

    #[test]
    fn evaluation_set_is_large_labelled_and_apart_from_the_catalogue() {
        let (catalogue, cases) = default_set();
        assert!(cases.len() >= 150, "{} cases", cases.len());
        assert!(cases.iter().filter(|c| c.is_fallback()).count() >= 30);
        for entrance in Entrance::ALL {
            assert!(cases.iter().any(|c| c.entrance == entrance));
        }
        for case in cases.iter().filter(|c| !c.is_fallback()) {
            let intent = catalogue.intent(&case.expected);
            assert!(
                intent.is_some_and(|i| i.serves(case.entrance)),
                "{case:?} is labelled with an intent its entrance does not have"
            );
        }
        let examples: std::collections::HashSet<String> = catalogue
            .intents()
            .iter()
            .flat_map(|i| i.examples.zh.iter().chain(&i.examples.en))
            .map(|e| normalise_question(e))
            .collect();
        for case in &cases {
            let text = normalise_question(&case.text);
            assert!(
                !examples.contains(&text),
                "{:?} is a catalogue example",
                case.text
            );
        }
    }

    #[test]
    fn default_catalogue_meets_the_recognition_targets() {
        let (catalogue, cases) = default_set();
        let report = evaluate(&Recognizer::new(&catalogue), &cases);
        println!("{report}");
        assert!(report.top1_accuracy() >= 0.90, "{report}");
        assert!(report.out_of_scope_recall() >= 0.80, "{report}");
    }

    #[test]
    fn report_counts_and_lists_misses() {
        let (catalogue, _) = default_set();
        let cases = vec![
            Case {
                entrance: Entrance::Consumer,
                text: "我的快递到哪了".into(),
                expected: "order.status".into(),
            },
            Case {
                entrance: Entrance::Consumer,
                text: "推荐一部电影".into(),
                expected: FALLBACK.into(),
            },
        ];
        let report = evaluate(&Recognizer::new(&catalogue), &cases);
        assert_eq!(
            (report.total, report.in_scope, report.out_of_scope),
            (2, 1, 1)
        );
        assert_eq!(report.top1_correct, 0);
        assert_eq!(report.out_of_scope_rejected, 1);
        assert_eq!(report.misses.len(), 1);
        let shown = report.to_string();
        assert!(
            shown.contains("expected order.status, got logistics.tracking"),
            "{shown}"
        );
    }
}
