//! Intent recognition: which catalogue intent a customer's message asks, and how sure the
//! robot is. Each entrance gets an inverted TF-IDF index over its intents' examples (both
//! languages); a message is scored against the examples sharing its terms, each intent
//! keeps its closest example, and a softmax against a "none of these" alternative turns
//! similarities into a confidence. Below the threshold the caller answers with a fallback
//! and offers the ranked intents as suggestions: never a wrong confident answer.

mod index;
mod language;
mod lexicon;
mod tokenize;

use std::cell::RefCell;

use crate::catalogue::Catalogue;
use crate::vocabulary::{Entrance, IntentKind, Language};
use index::{GroupScores, Index};

pub(crate) use language::fold;
pub use language::{detect_language, normalise_question};

/// Confidence from which the top intent is answered directly.
pub const DEFAULT_THRESHOLD: f64 = 0.5;

/// Softmax temperature over similarities: how sharply a better match wins. At 0.04 a
/// lead of 0.04 over the only rival makes the leader e (2.7) times as likely.
const TEMPERATURE: f64 = 0.04;

/// The similarity of the "none of these" alternative: a best match only this close is
/// as likely to be out of scope as in it. Chosen, with the temperature, on the labelled
/// evaluation set, leaning towards a fallback over a wrong answer.
const NO_MATCH_SIMILARITY: f64 = 0.2;

/// How many of the closest intents share the probability mass. Bounded so confidence
/// does not drift as the catalogue grows.
const RIVALS: usize = 4;

/// One candidate intent for a message.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoredIntent {
    /// The intent's catalogue name.
    pub name: String,
    /// What kind of intent it is, so the caller can act without a catalogue lookup.
    pub kind: IntentKind,
    /// Confidence in 0..=1 that this is what the customer asks.
    pub score: f64,
}

/// What recognition made of one message.
#[derive(Clone, Debug, PartialEq)]
pub struct Classification {
    /// The message's language: answer in it.
    pub language: Language,
    /// Candidate intents of the entrance, best first; only those sharing a word with the
    /// message, at most the `top_k` asked for.
    pub ranked: Vec<ScoredIntent>,
    /// Whether the best candidate reached the threshold and can be answered directly.
    pub confident: bool,
    /// The threshold that was applied.
    pub threshold: f64,
}

impl Classification {
    /// The intent to answer with, if recognition is confident.
    pub fn best(&self) -> Option<&ScoredIntent> {
        self.ranked.first().filter(|_| self.confident)
    }
}

/// Weight of the closest single example in an intent's similarity; the rest comes from
/// the intent's examples taken together (their centroid), so one example sharing a stray
/// word does not beat an intent whose examples keep using the message's words.
const CLOSEST_EXAMPLE_SHARE: f32 = 0.3;

/// The intents of one entrance and their two indexes.
#[derive(Debug)]
struct EntranceModel {
    intents: Vec<(String, IntentKind)>,
    /// One document per example.
    examples: Index,
    /// One document per intent: all its examples together.
    centroids: Index,
}

impl EntranceModel {
    fn build(catalogue: &Catalogue, entrance: Entrance) -> EntranceModel {
        let mut intents = Vec::new();
        let mut examples = Vec::new();
        let mut centroids = Vec::new();
        for intent in catalogue.intents_for(entrance) {
            let group = intents.len() as u32;
            intents.push((intent.name.clone(), intent.kind));
            let mut all_terms = Vec::new();
            for language in Language::ALL {
                for example in intent.examples(language) {
                    let terms = tokenize::terms(example);
                    all_terms.extend_from_slice(&terms);
                    examples.push((group, terms));
                }
            }
            centroids.push((group, all_terms));
        }
        EntranceModel {
            examples: Index::build(&examples, false),
            centroids: Index::build(&centroids, true),
            intents,
        }
    }

    /// The `limit` intents closest to the message (of those sharing a term with it), with
    /// their blended similarity, best first.
    fn closest(&self, text: &str, limit: usize) -> Vec<(u32, f64)> {
        let terms = tokenize::terms(text);
        SCORES.with_borrow_mut(|(closest, together)| {
            self.examples.search(&terms, closest);
            self.centroids.search(&terms, together);
            // Every group an example reaches, its centroid reaches too.
            let mut blended: Vec<(u32, f64)> = together
                .drain()
                .map(|(group, centroid)| {
                    let similarity = CLOSEST_EXAMPLE_SHARE * closest.take(group)
                        + (1.0 - CLOSEST_EXAMPLE_SHARE) * centroid;
                    (group, f64::from(similarity))
                })
                .collect();
            closest.clear();
            let best_first =
                |a: &(u32, f64), b: &(u32, f64)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
            if limit < blended.len() {
                blended.select_nth_unstable_by(limit, best_first);
                blended.truncate(limit);
            }
            blended.sort_unstable_by(best_first);
            blended
        })
    }
}

thread_local! {
    /// Per-intent scores of one message: closest example, and centroid.
    static SCORES: RefCell<(GroupScores, GroupScores)> = RefCell::default();
}

/// Recognises intents; built once from a catalogue, immutable, shareable across threads.
#[derive(Debug)]
pub struct Recognizer {
    consumer: EntranceModel,
    merchant: EntranceModel,
    threshold: f64,
}

impl Recognizer {
    /// Indexes the catalogue's examples for both entrances.
    pub fn new(catalogue: &Catalogue) -> Recognizer {
        Recognizer {
            consumer: EntranceModel::build(catalogue, Entrance::Consumer),
            merchant: EntranceModel::build(catalogue, Entrance::Merchant),
            threshold: DEFAULT_THRESHOLD,
        }
    }

    /// Replaces the confidence threshold (clamped to 0..=1).
    pub fn with_threshold(mut self, threshold: f64) -> Recognizer {
        self.threshold = threshold.clamp(0.0, 1.0);
        self
    }

    /// The confidence threshold in force.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// Ranks the entrance's intents for a message and says whether the best one is sure
    /// enough to answer.
    pub fn classify(&self, entrance: Entrance, text: &str, top_k: usize) -> Classification {
        let model = match entrance {
            Entrance::Consumer => &self.consumer,
            Entrance::Merchant => &self.merchant,
        };
        let found = model.closest(text, top_k.max(RIVALS));
        let similarities: Vec<f64> = found.iter().map(|&(_, similarity)| similarity).collect();
        let confidences = calibrate(&similarities);
        let ranked: Vec<ScoredIntent> = found
            .iter()
            .zip(confidences)
            .take(top_k)
            .map(|(&(group, _), score)| {
                let (name, kind) = &model.intents[group as usize];
                ScoredIntent {
                    name: name.clone(),
                    kind: *kind,
                    score,
                }
            })
            .collect();
        let confident = top_k > 0
            && ranked
                .first()
                .is_some_and(|top| top.score >= self.threshold);
        Classification {
            language: detect_language(text),
            ranked,
            confident,
            threshold: self.threshold,
        }
    }
}

/// Turns the similarities of the closest intents (best first) into confidences: a
/// softmax over them and a "none of these" alternative, so a weak best match and a close
/// rival both lower confidence.
fn calibrate(similarities: &[f64]) -> Vec<f64> {
    let exp = |similarity: f64| ((similarity - NO_MATCH_SIMILARITY) / TEMPERATURE).exp();
    let total = 1.0
        + similarities
            .iter()
            .take(RIVALS)
            .map(|&s| exp(s))
            .sum::<f64>();
    similarities.iter().map(|&s| exp(s) / total).collect()
}

#[cfg(test)]
mod tests;
