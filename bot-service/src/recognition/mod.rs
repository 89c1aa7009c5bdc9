//! Intent recognition: which catalogue intent a customer's message asks, and how sure the
//! robot is. A message is first brought to the examples' form ([`normalise`]: width,
//! case, traditional characters, slang, pinyin, sound-alike and spelling typos); a long
//! one is also cut into clauses. Each piece is scored two ways, and the two agree more
//! often than either is right alone: retrieval (an inverted TF-IDF index over the
//! examples, [`retrieval`]) and a linear classifier trained from the catalogue at load
//! time ([`model`]), both with a "none of these" alternative. An intent's confidence is
//! the blend of the two, taken from the piece with the strongest evidence. Below the
//! threshold the caller answers with a fallback and offers the ranked intents as
//! suggestions: never a wrong confident answer.

mod clauses;
mod index;
mod lexicon;
mod model;
pub(crate) mod normalise;
mod pinyin;
mod query;
mod retrieval;
mod spelling;
mod tokenize;

use crate::catalogue::Catalogue;
use crate::text::detect_language;
use crate::vocabulary::{Entrance, IntentKind, Language};
use model::LinearModel;
use normalise::Normaliser;
use query::Part;
use retrieval::Retrieval;
use rustc_hash::FxHashSet;
use tokenize::Term;

pub use crate::text::normalise_question;

/// Confidence from which the top intent is answered directly. Chosen on the development
/// part of the evaluation set (`eval/dev.tsv`): the lowest threshold that keeps nine in
/// ten out-of-scope messages from a confident answer.
pub const DEFAULT_THRESHOLD: f64 = 0.5;

/// The classifier's share of an intent's confidence; retrieval has the rest.
const CLASSIFIER_SHARE: f64 = 0.5;

/// How much a clause before the last one, and the whole message, count in a long
/// message: stories put the background first and the ask last ("I was transferred to an
/// agent… I want to file a complaint about her").
const BACKGROUND_WEIGHT: f64 = 0.85;

/// What is left of a "which one?" intent's confidence, relative to the answer the
/// message names itself: just below it, so the question stays a suggestion.
const QUESTION_YIELD: f64 = 0.95;

/// Intents below this confidence are not ranked at all (not even as suggestions).
const SHOWN: f64 = 0.01;

/// What confidence is left when a message names another company's service: enough to
/// suggest our nearest intent, too little to answer it.
const OTHER_SERVICE_FACTOR: f64 = 0.4;

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

/// The intents of one entrance, its retrieval indexes and its classifier.
#[derive(Debug)]
struct EntranceModel {
    intents: Vec<(String, IntentKind)>,
    /// Per intent, the intents of this entrance it asks the customer to choose between
    /// (the catalogue's `clarifies`), by index.
    clarifies: Vec<Vec<usize>>,
    retrieval: Retrieval,
    /// Classes: the intents in order, then "none of these".
    classifier: LinearModel,
}

impl EntranceModel {
    fn build(catalogue: &Catalogue, entrance: Entrance, normaliser: &Normaliser) -> EntranceModel {
        let mut intents = Vec::new();
        let mut examples = Vec::new();
        let mut training = Vec::new();
        let learn = |text: &str| tokenize::terms(&normaliser.normalise(text));
        for intent in catalogue.intents_for(entrance) {
            let class = intents.len();
            intents.push((intent.name.clone(), intent.kind));
            for language in Language::ALL {
                for example in intent.examples(language) {
                    let terms = learn(example);
                    training.push((class, features_of(&terms)));
                    examples.push((class as u32, terms));
                }
            }
        }
        let fallback = &catalogue.fallback().examples;
        for example in fallback.zh.iter().chain(&fallback.en) {
            let terms = learn(example);
            training.push((intents.len(), features_of(&terms)));
            examples.push((intents.len() as u32, terms));
        }
        let index_of = |name: &String| intents.iter().position(|(n, _)| n == name);
        let clarifies = catalogue
            .intents_for(entrance)
            .map(|intent| intent.clarifies.iter().filter_map(index_of).collect())
            .collect();
        EntranceModel {
            retrieval: Retrieval::build(&examples),
            classifier: LinearModel::train(&training, intents.len() + 1),
            clarifies,
            intents,
        }
    }

    /// A "which one?" intent (a bare 投诉: whom?) does not outrank one of its answers
    /// that the message names confidently itself, however generic its last clause
    /// ("the agent was very rude, I want to complain"): that answer comes first.
    fn settle_questions(&self, scores: &mut [f64], threshold: f64) {
        for (question, answers) in self.clarifies.iter().enumerate() {
            let named = answers.iter().map(|&a| scores[a]).fold(0.0, f64::max);
            if named >= threshold && scores[question] >= named {
                scores[question] = named * QUESTION_YIELD;
            }
        }
    }

    /// Each intent's confidence for a normalised message: the whole message, and for a
    /// long one each clause too, the strongest piece counting. The message is cut and
    /// looked up once ([`query`]); the whole and each clause are ranges of its terms.
    fn confidences(&self, normal: &str) -> Vec<f64> {
        // One more slot than intents: "none of these", dropped at the end.
        let mut best = vec![0.0; self.intents.len() + 1];
        let parts = clauses::clauses(normal);
        let pieces = parts.as_deref().unwrap_or(std::slice::from_ref(&normal));
        query::with_analysis(self, pieces.iter().copied(), |analysis| {
            analysis.score(self, Part::Whole, &mut best);
            if parts.is_none() {
                return;
            }
            best.iter_mut()
                .for_each(|score| *score *= BACKGROUND_WEIGHT);
            let mut piece_scores = vec![0.0; self.intents.len() + 1];
            let count = analysis.piece_count();
            for index in 0..count {
                piece_scores.fill(0.0);
                analysis.score(self, Part::Piece(index), &mut piece_scores);
                let weight = if index + 1 == count {
                    1.0
                } else {
                    BACKGROUND_WEIGHT
                };
                for (best, piece) in best.iter_mut().zip(&piece_scores) {
                    *best = best.max(*piece * weight);
                }
            }
        });
        best.pop();
        best
    }
}

fn features_of(terms: &[Term]) -> Vec<model::Feature> {
    let mut features = Vec::with_capacity(terms.len() * 2);
    let terms = terms
        .iter()
        .map(|term| (term.text.as_str(), term.kind, term.weight()));
    model::features(terms, &mut features);
    features
}

/// Recognises intents; built once from a catalogue, immutable, shareable across threads.
#[derive(Debug)]
pub struct Recognizer {
    normaliser: Normaliser,
    /// The catalogue's `other_services` with Chinese in them, folded: matched anywhere.
    other_services: Vec<String>,
    /// The Latin (and digit) ones, matched as whole words.
    other_service_words: FxHashSet<String>,
    consumer: EntranceModel,
    merchant: EntranceModel,
    threshold: f64,
}

impl Recognizer {
    /// Learns the catalogue's vocabulary, indexes its examples and trains the classifier
    /// of both entrances.
    pub fn new(catalogue: &Catalogue) -> Recognizer {
        pinyin::warm_up();
        let normaliser = Normaliser::build(catalogue);
        let other_services = &catalogue.fallback().other_services;
        Recognizer {
            consumer: EntranceModel::build(catalogue, Entrance::Consumer, &normaliser),
            merchant: EntranceModel::build(catalogue, Entrance::Merchant, &normaliser),
            normaliser,
            other_services: other_services
                .iter()
                .filter(|n| !n.is_ascii())
                .cloned()
                .collect(),
            other_service_words: other_services
                .iter()
                .filter(|n| n.is_ascii())
                .cloned()
                .collect(),
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

    /// Whether a normalised message names another company's service: Chinese names
    /// anywhere, Latin ones as whole words.
    fn names_other_service(&self, normal: &str) -> bool {
        let chinese = || {
            self.other_services
                .iter()
                .any(|name| normal.contains(name.as_str()))
        };
        let latin = || {
            !self.other_service_words.is_empty()
                && normal
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .any(|word| self.other_service_words.contains(word))
        };
        chinese() || latin()
    }

    /// Ranks the entrance's intents for a message and says whether the best one is sure
    /// enough to answer. The decision does not depend on `top_k` (as long as it is not
    /// 0), so every caller gets the same answer for the same text.
    pub fn classify(&self, entrance: Entrance, text: &str, top_k: usize) -> Classification {
        let model = match entrance {
            Entrance::Consumer => &self.consumer,
            Entrance::Merchant => &self.merchant,
        };
        let normal = self.normaliser.normalise(text);
        let factor = if self.names_other_service(&normal) {
            OTHER_SERVICE_FACTOR
        } else {
            1.0
        };
        let mut scores = model.confidences(&normal);
        scores.iter_mut().for_each(|score| *score *= factor);
        model.settle_questions(&mut scores, self.threshold);
        let mut found: Vec<(usize, f64)> = scores
            .into_iter()
            .enumerate()
            .filter(|&(_, score)| score >= SHOWN)
            .collect();
        found.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let ranked: Vec<ScoredIntent> = found
            .into_iter()
            .take(top_k)
            .map(|(index, score)| {
                let (name, kind) = &model.intents[index];
                ScoredIntent {
                    name: name.clone(),
                    kind: *kind,
                    score: score.clamp(0.0, 1.0),
                }
            })
            .collect();
        let confident = ranked
            .first()
            .is_some_and(|top| top.score >= self.threshold);
        Classification {
            language: detect_language(&normal),
            ranked,
            confident,
            threshold: self.threshold,
        }
    }
}

#[cfg(test)]
mod tests;
