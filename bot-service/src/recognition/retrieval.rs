//! Retrieval over the examples: an inverted TF-IDF index with one document per example
//! and one per intent (all its examples together); a message's similarity to an intent
//! blends its closest example with the intent's centroid, and a softmax against a "none
//! of these" alternative turns the closest intents' similarities into probabilities.

use std::cell::RefCell;

use rustc_hash::FxHashMap;

use super::index::{GroupScores, Index, LEFT_OUT, UNKNOWN};
use super::model;
use super::tokenize::{Term, TermKind};

/// Softmax temperature over similarities: how sharply a better match wins. At 0.04 a
/// lead of 0.04 over the only rival makes the leader e (2.7) times as likely.
const TEMPERATURE: f64 = 0.04;

/// The similarity of the "none of these" alternative: a best match only this close is
/// as likely to be out of scope as in it.
const NO_MATCH_SIMILARITY: f64 = 0.2;

/// How many of the closest intents share the probability mass. Bounded so confidence
/// does not drift as the catalogue grows.
pub(super) const RIVALS: usize = 4;

/// Weight of the closest single example in an intent's similarity; the rest comes from
/// the intent's examples taken together (their centroid), so one example sharing a stray
/// word does not beat an intent whose examples keep using the message's words.
const CLOSEST_EXAMPLE_SHARE: f32 = 0.3;

thread_local! {
    /// Per-intent scores of one message: closest example, and centroid.
    static SCORES: RefCell<(GroupScores, GroupScores)> = RefCell::default();
}

/// The two indexes of one entrance.
#[derive(Debug)]
pub(super) struct Retrieval {
    /// One document per example.
    examples: Index,
    /// One document per intent: all its examples together.
    centroids: Index,
    /// Every term of either index, by the 64-bit hash of its text ([`text_key`]), → its
    /// ids in both: one look-up per query term, and no string comparison (a query term
    /// taken for a catalogue one by a hash collision has odds of about 1 in 10^15).
    vocabulary: FxHashMap<u64, (u32, u32)>,
}

/// The key of a term's text in [`Retrieval`]'s vocabulary.
fn text_key(text: &str) -> u64 {
    model::hash(0, text.as_bytes())
}

impl Retrieval {
    /// Indexes (intent, terms) examples.
    pub fn build(examples: &[(u32, Vec<Term>)]) -> Retrieval {
        let mut together: Vec<(u32, Vec<Term>)> = Vec::new();
        for (group, terms) in examples {
            match together.iter_mut().find(|(g, _)| g == group) {
                Some((_, all)) => all.extend_from_slice(terms),
                None => together.push((*group, terms.clone())),
            }
        }
        let examples = Index::build(examples, false);
        let centroids = Index::build(&together, true);
        let mut vocabulary: FxHashMap<u64, (u32, u32)> = FxHashMap::default();
        for (text, id) in examples.vocabulary() {
            vocabulary
                .entry(text_key(text))
                .or_insert((UNKNOWN, UNKNOWN))
                .0 = id;
        }
        for (text, id) in centroids.vocabulary() {
            vocabulary
                .entry(text_key(text))
                .or_insert((UNKNOWN, UNKNOWN))
                .1 = id;
        }
        Retrieval {
            examples,
            centroids,
            vocabulary,
        }
    }

    /// The ids a term has in the two indexes, for [`Retrieval::probabilities`]:
    /// (examples, centroids).
    pub fn ids_of(&self, text: &str, kind: TermKind) -> (u32, u32) {
        let (example, centroid) = self
            .vocabulary
            .get(&text_key(text))
            .copied()
            .unwrap_or((UNKNOWN, UNKNOWN));
        // The examples index leaves single characters out.
        let example = if kind == TermKind::Character {
            LEFT_OUT
        } else {
            example
        };
        debug_assert_eq!(
            (example, centroid),
            (
                self.examples.id_of(text, kind),
                self.centroids.id_of(text, kind)
            )
        );
        (example, centroid)
    }

    /// Probability of each of the closest intents (of those sharing a term with the
    /// message), written into `out` by intent; the others stay untouched. The message
    /// comes as (ids from [`Retrieval::ids_of`], weight) per term, in order.
    pub fn probabilities<I>(&self, terms: I, out: &mut [f64])
    where
        I: Iterator<Item = ((u32, u32), f32)> + Clone,
    {
        let found = self.closest(terms);
        let exp = |similarity: f64| ((similarity - NO_MATCH_SIMILARITY) / TEMPERATURE).exp();
        let total = 1.0 + found.iter().map(|&(_, s)| exp(s)).sum::<f64>();
        for (group, similarity) in found {
            out[group as usize] = exp(similarity) / total;
        }
    }

    /// The [`RIVALS`] intents closest to the message, with their blended similarity.
    fn closest<I>(&self, terms: I) -> Vec<(u32, f64)>
    where
        I: Iterator<Item = ((u32, u32), f32)> + Clone,
    {
        SCORES.with_borrow_mut(|(closest, together)| {
            let examples = terms.clone().map(|((id, _), weight)| (id, weight));
            self.examples.search_ids(examples, closest);
            let centroids = terms.map(|((_, id), weight)| (id, weight));
            self.centroids.search_ids(centroids, together);
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
            if RIVALS < blended.len() {
                blended.select_nth_unstable_by(RIVALS, best_first);
                blended.truncate(RIVALS);
            }
            blended
        })
    }
}
