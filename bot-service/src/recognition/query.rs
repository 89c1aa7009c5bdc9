//! One message, analysed once: cut into terms (clause by clause for a long one), each
//! term looked up once in the entrance's two indexes and its classifier features hashed
//! and looked up once, so that scoring the whole message and then each clause only
//! walks ranges of ready ids instead of tokenising, hashing and looking up the same
//! words again for every piece. Scoring a piece gives the same figures as scoring its
//! text on its own would.

use std::cell::RefCell;
use std::ops::Range;

use super::model::Feature;
use super::tokenize::TermList;
use super::{CLASSIFIER_SHARE, EntranceModel, model};

/// A classifier feature of the message: (hash, weight, row, index of its term).
type Located = (u64, f32, Option<u32>, u32);

/// The analysis of one message, reused between messages so that recognition allocates
/// almost nothing per message.
#[derive(Debug, Default)]
pub(super) struct Analysis {
    terms: TermList,
    /// Where each piece's terms end: one piece for a short message, one per clause for
    /// a long one.
    ends: Vec<usize>,
    /// Per term: its ids in the retrieval indexes, and its weight.
    ids: Vec<((u32, u32), f32)>,
    /// Every term's classifier features, sorted by hash.
    features: Vec<Located>,
    /// Scratch for one term's features.
    term_features: Vec<Feature>,
    /// Scratch for the classifier.
    vector: Vec<(u32, f32)>,
    probabilities: Vec<f32>,
}

thread_local! {
    static ANALYSIS: RefCell<Analysis> = RefCell::default();
}

/// Runs `f` with this thread's analysis of `pieces` (the texts of a message's clauses,
/// or the whole message) for the entrance `model`.
pub(super) fn with_analysis<'a, R>(
    model: &EntranceModel,
    pieces: impl Iterator<Item = &'a str>,
    f: impl FnOnce(&mut Analysis) -> R,
) -> R {
    ANALYSIS.with_borrow_mut(|analysis| {
        analysis.analyse(model, pieces);
        f(analysis)
    })
}

impl Analysis {
    fn analyse<'a>(&mut self, model: &EntranceModel, pieces: impl Iterator<Item = &'a str>) {
        self.terms.clear();
        self.ends.clear();
        for piece in pieces {
            self.terms.push_text(piece);
            self.ends.push(self.terms.len());
        }
        self.ids.clear();
        self.features.clear();
        for (index, (text, kind)) in self.terms.iter().enumerate() {
            self.ids
                .push((model.retrieval.ids_of(text, kind), kind.weight()));
            self.term_features.clear();
            model::features([(text, kind, kind.weight())], &mut self.term_features);
            for &(hash, weight) in &self.term_features {
                let row = model.classifier.row_of(hash);
                self.features.push((hash, weight, row, index as u32));
            }
        }
        self.features.sort_unstable_by_key(|&(hash, ..)| hash);
    }

    /// How many pieces the message was given in.
    pub fn piece_count(&self) -> usize {
        self.ends.len()
    }

    /// The terms of the `index`th piece.
    pub fn piece(&self, index: usize) -> Range<usize> {
        let start = index.checked_sub(1).map_or(0, |before| self.ends[before]);
        start..self.ends[index]
    }

    /// All the terms.
    pub fn all(&self) -> Range<usize> {
        0..self.terms.len()
    }

    /// Blended confidence of every intent (and of "none of these", last) for the terms
    /// in `range`, into `out` (which starts at zero).
    pub fn score(&mut self, model: &EntranceModel, range: Range<usize>, out: &mut [f64]) {
        model
            .retrieval
            .probabilities(self.ids[range.clone()].iter().copied(), out);
        let (start, end) = (range.start as u32, range.end as u32);
        let in_range = self
            .features
            .iter()
            .filter(|&&(.., term)| start <= term && term < end)
            .map(|&(hash, weight, row, _)| (hash, weight, row));
        model
            .classifier
            .predict_sorted(in_range, &mut self.vector, &mut self.probabilities);
        for (confidence, p) in out.iter_mut().zip(&self.probabilities) {
            *confidence =
                CLASSIFIER_SHARE * f64::from(*p) + (1.0 - CLASSIFIER_SHARE) * *confidence;
        }
    }
}
