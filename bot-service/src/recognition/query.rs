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

/// A classifier feature of the message: (hash, weight, row, the piece of its term).
type Located = (u64, f32, Option<u32>, u32);

/// What to score: the whole message, or one of its pieces.
#[derive(Clone, Copy, Debug)]
pub(super) enum Part {
    /// Every term.
    Whole,
    /// The terms of the piece with this index.
    Piece(usize),
}

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
    /// The same grouped by piece, each piece's sorted by hash, and where each piece's
    /// group ends.
    by_piece: Vec<Located>,
    piece_ends: Vec<usize>,
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
        let mut piece = 0;
        for (index, (text, kind)) in self.terms.iter().enumerate() {
            while self.ends[piece] <= index {
                piece += 1;
            }
            self.ids
                .push((model.retrieval.ids_of(text, kind), kind.weight()));
            self.term_features.clear();
            model::features([(text, kind, kind.weight())], &mut self.term_features);
            for &(hash, weight) in &self.term_features {
                let row = model.classifier.row_of(hash);
                self.features.push((hash, weight, row, piece as u32));
            }
        }
        self.features.sort_unstable_by_key(|&(hash, ..)| hash);
        // A counting sort by piece keeps each piece's features in hash order.
        self.piece_ends.clear();
        self.piece_ends.resize(self.ends.len(), 0);
        for &(.., piece) in &self.features {
            self.piece_ends[piece as usize] += 1;
        }
        let mut end = 0;
        for count in &mut self.piece_ends {
            end += *count;
            *count = end;
        }
        self.by_piece.clear();
        self.by_piece.resize(self.features.len(), (0, 0.0, None, 0));
        for &feature in self.features.iter().rev() {
            let end = &mut self.piece_ends[feature.3 as usize];
            *end -= 1;
            self.by_piece[*end] = feature;
        }
        // Each piece's end moved back to its start: move the ends back.
        self.piece_ends.rotate_left(1);
        if let Some(last) = self.piece_ends.last_mut() {
            *last = self.features.len();
        }
    }

    /// How many pieces the message was given in.
    pub fn piece_count(&self) -> usize {
        self.ends.len()
    }

    /// The terms of a part, and its classifier features.
    fn part(&self, part: Part) -> (Range<usize>, &[Located]) {
        let before = |ends: &[usize], index: usize| index.checked_sub(1).map_or(0, |i| ends[i]);
        match part {
            Part::Whole => (0..self.terms.len(), &self.features),
            Part::Piece(index) => (
                before(&self.ends, index)..self.ends[index],
                &self.by_piece[before(&self.piece_ends, index)..self.piece_ends[index]],
            ),
        }
    }

    /// Blended confidence of every intent (and of "none of these", last) for a part of
    /// the message, into `out` (which starts at zero).
    pub fn score(&mut self, model: &EntranceModel, part: Part, out: &mut [f64]) {
        let (mut vector, mut probabilities) = (
            std::mem::take(&mut self.vector),
            std::mem::take(&mut self.probabilities),
        );
        let (range, features) = self.part(part);
        model
            .retrieval
            .probabilities(self.ids[range].iter().copied(), out);
        let features = features
            .iter()
            .map(|&(hash, weight, row, _)| (hash, weight, row));
        model
            .classifier
            .predict_sorted(features, &mut vector, &mut probabilities);
        self.vector = vector;
        for (confidence, p) in out.iter_mut().zip(&probabilities) {
            *confidence = CLASSIFIER_SHARE * f64::from(*p) + (1.0 - CLASSIFIER_SHARE) * *confidence;
        }
        self.probabilities = probabilities;
    }
}
