//! The figures of one evaluation run and how they are printed: overall top-1 and
//! out-of-scope recall, accuracy per kind of message, the confusion among the intents
//! that must never be mixed up (a complaint about a person is not a request for one),
//! and every miss.

use std::collections::BTreeMap;
use std::fmt;

use super::{Case, FALLBACK};

/// The intents whose confusion the report tabulates: mistaking one for another sends a
/// customer the wrong way (a complaint about a human agent answered with a hand-off to
/// another one, or with "the robot cannot be complained about").
pub const CONFUSABLE: [&str; 4] = [
    "complaint.agent",
    "complaint.bot",
    "complaint.channels",
    "handoff.human",
];

/// One case the recognizer got wrong.
#[derive(Clone, Debug, PartialEq)]
pub struct Miss {
    /// The case.
    pub case: Case,
    /// The top-ranked intent, if any.
    pub got: Option<String>,
    /// Its confidence (0 when nothing was ranked).
    pub score: f64,
    /// Whether the robot would have answered it directly.
    pub confident: bool,
}

/// Right and total of one kind of message. In scope, right means the top-ranked intent
/// is the label; out of scope, that the robot did not answer confidently.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KindFigures {
    /// Cases of the kind.
    pub total: usize,
    /// Cases got right.
    pub right: usize,
}

impl KindFigures {
    /// Share right, in 0..=1 (1 when there are none).
    pub fn accuracy(&self) -> f64 {
        share(self.right, self.total)
    }
}

/// What the robot decided for cases labelled with one of [`CONFUSABLE`]: by (label,
/// decision), the decision being the confident top intent, or `fallback`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Confusion(pub BTreeMap<(String, String), usize>);

impl Confusion {
    /// How many cases labelled `expected` were decided as `decided`.
    pub fn count(&self, expected: &str, decided: &str) -> usize {
        self.0
            .get(&(expected.to_owned(), decided.to_owned()))
            .copied()
            .unwrap_or(0)
    }
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
    /// Figures by kind of message.
    pub kinds: BTreeMap<String, KindFigures>,
    /// Decisions on the cases labelled with a [`CONFUSABLE`] intent.
    pub confusion: Confusion,
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
    /// Adds one classified case.
    pub(super) fn record(&mut self, case: &Case, got: Option<&str>, score: f64, confident: bool) {
        self.total += 1;
        let top_right = got == Some(case.expected.as_str());
        let right = if case.is_fallback() {
            self.out_of_scope += 1;
            self.out_of_scope_rejected += usize::from(!confident);
            !confident
        } else {
            self.in_scope += 1;
            self.top1_correct += usize::from(top_right);
            self.answered_correctly += usize::from(top_right && confident);
            top_right
        };
        self.wrong_confident += usize::from(confident && !top_right);
        let kind = self.kinds.entry(case.kind.clone()).or_default();
        kind.total += 1;
        kind.right += usize::from(right);
        if CONFUSABLE.contains(&case.expected.as_str()) {
            let decided = match got {
                Some(intent) if confident => intent,
                _ => FALLBACK,
            };
            let key = (case.expected.clone(), decided.to_owned());
            *self.confusion.0.entry(key).or_default() += 1;
        }
        if !right {
            self.misses.push(Miss {
                case: case.clone(),
                got: got.map(str::to_owned),
                score,
                confident,
            });
        }
    }

    /// Top-1 accuracy on in-scope cases, in 0..=1 (1 when there are none).
    pub fn top1_accuracy(&self) -> f64 {
        share(self.top1_correct, self.in_scope)
    }

    /// Share of out-of-scope cases that were not answered confidently (1 when none).
    pub fn out_of_scope_recall(&self) -> f64 {
        share(self.out_of_scope_rejected, self.out_of_scope)
    }

    /// Complaints about a human agent answered as a hand-off or as a complaint about the
    /// robot: the mistakes that must never happen.
    pub fn human_complaints_misrouted(&self) -> usize {
        ["handoff.human", "complaint.bot"]
            .iter()
            .map(|decided| self.confusion.count("complaint.agent", decided))
            .sum()
    }

    /// The figures without the list of misses.
    pub fn summary(&self) -> Summary<'_> {
        Summary(self)
    }
}

/// A report shown without its misses.
pub struct Summary<'a>(&'a Report);

impl fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.0;
        let line = |f: &mut fmt::Formatter<'_>, label: &str, part: usize, whole: usize| {
            let percent = 100.0 * share(part, whole);
            writeln!(f, "  {label:<36} {part:>4}/{whole:<4} = {percent:5.1}%")
        };
        writeln!(
            f,
            "evaluated {} cases ({} in scope, {} out of scope), threshold {:.2}",
            r.total, r.in_scope, r.out_of_scope, r.threshold
        )?;
        line(f, "top-1 accuracy (in scope)", r.top1_correct, r.in_scope)?;
        line(
            f,
            "answered correctly (confident)",
            r.answered_correctly,
            r.in_scope,
        )?;
        line(
            f,
            "out-of-scope recall (not confident)",
            r.out_of_scope_rejected,
            r.out_of_scope,
        )?;
        line(f, "wrong confident answers", r.wrong_confident, r.total)?;
        writeln!(
            f,
            "  by kind (in scope: top-1; out of scope: not answered):"
        )?;
        for (kind, figures) in &r.kinds {
            line(f, &format!("  {kind}"), figures.right, figures.total)?;
        }
        writeln!(f, "  confusion (rows: label; columns: decision):")?;
        write!(f, "    {:<20}", "")?;
        let columns: Vec<&str> = CONFUSABLE.iter().copied().chain([FALLBACK]).collect();
        for column in &columns {
            write!(f, "{column:>20}")?;
        }
        writeln!(f, "{:>8}", "other")?;
        for row in CONFUSABLE {
            write!(f, "    {row:<20}")?;
            let mut listed = 0;
            for column in &columns {
                let n = r.confusion.count(row, column);
                listed += n;
                write!(f, "{n:>20}")?;
            }
            let all: usize = r
                .confusion
                .0
                .iter()
                .filter(|((e, _), _)| e == row)
                .map(|(_, n)| n)
                .sum();
            writeln!(f, "{:>8}", all - listed)?;
        }
        writeln!(
            f,
            "  complaints about a human answered as hand-off or bot complaint: {}",
            r.human_complaints_misrouted()
        )
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.summary())?;
        writeln!(f, "misclassified: {}", self.misses.len())?;
        for miss in &self.misses {
            writeln!(
                f,
                "  [{} {}] {:?}: expected {}, got {} ({:.2}{})",
                miss.case.entrance,
                miss.case.kind,
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
