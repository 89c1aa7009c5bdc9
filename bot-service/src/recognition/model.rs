//! A linear classifier trained from the catalogue at load time, fastText-style: a
//! message is a bag of features (the tokeniser's words, character bigrams and single
//! characters, plus character trigrams of English words, so "refunded" and
//! "refunding" share most of their evidence), and a softmax layer over the entrance's
//! intents and one "none of these" class (learnt from the catalogue's out-of-scope
//! examples) turns it into probabilities. Hand-written rather than taken from an ML
//! crate on purpose: recognition is the product, the model is a hundred lines, it trains
//! in milliseconds on two cores, and it needs nothing but the catalogue.

use rustc_hash::FxHashMap;

use super::tokenize::TermKind;

/// Weight of one character trigram of an English word, next to the word's 1.
const TRIGRAM_WEIGHT: f32 = 0.2;

/// Passes over the examples when training a catalogue of the default's size.
const EPOCHS: usize = 40;

/// Fewest passes, however large the catalogue.
const MIN_EPOCHS: usize = 3;

/// Weight updates (examples × classes × passes) a load may spend before the passes are
/// cut: the default catalogue needs about a tenth of it; a catalogue of a thousand
/// intents trains in a few passes instead of minutes.
const UPDATE_BUDGET: usize = 20_000_000;

/// Learning rate at the start; it falls linearly to a tenth of this.
const LEARNING_RATE: f32 = 0.8;

/// L2 penalty on the weights a step touches, so no single feature dominates.
const L2: f32 = 1e-4;

/// One feature: a hash of its kind and text, and its weight in the message.
pub(super) type Feature = (u64, f32);

/// FNV-1a over a tag byte and the text: features are hashed, not stored as strings.
pub(super) fn hash(tag: u8, text: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ u64::from(tag);
    for &b in text {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The features of a text's terms, given as (text, kind, weight), appended to `out`.
pub(super) fn features<'a>(
    terms: impl IntoIterator<Item = (&'a str, TermKind, f32)>,
    out: &mut Vec<Feature>,
) {
    for (text, kind, weight) in terms {
        let tag = match kind {
            TermKind::Word => b'w',
            TermKind::Bigram => b'b',
            TermKind::Character => b'c',
        };
        out.push((hash(tag, text.as_bytes()), weight));
        let english = kind == TermKind::Word && text.bytes().all(|b| b.is_ascii_lowercase());
        if english && text.len() > 2 {
            let mut padded = [0u8; 32];
            let word = &text.as_bytes()[..text.len().min(30)];
            padded[0] = b'<';
            padded[1..=word.len()].copy_from_slice(word);
            padded[word.len() + 1] = b'>';
            for trigram in padded[..word.len() + 2].windows(3) {
                out.push((hash(b't', trigram), TRIGRAM_WEIGHT));
            }
        }
    }
}

/// Softmax regression over hashed features; immutable once trained.
#[derive(Debug, Default)]
pub(super) struct LinearModel {
    /// Feature hash → row (Fx: the keys are already hashes, and only the catalogue's).
    rows: FxHashMap<u64, u32>,
    /// Row-major weights: `classes` per known feature.
    weights: Vec<f32>,
    bias: Vec<f32>,
    classes: usize,
}

impl LinearModel {
    /// Trains on (class, features) examples; classes are `0..classes`.
    pub fn train(examples: &[(usize, Vec<Feature>)], classes: usize) -> LinearModel {
        let mut model = LinearModel {
            classes,
            bias: vec![0.0; classes],
            ..LinearModel::default()
        };
        let mut rows: FxHashMap<u64, u32> = FxHashMap::default();
        let vectors: Vec<(usize, Vec<(u32, f32)>)> = examples
            .iter()
            .map(|(class, features)| {
                let vector = unit_vector(features, |hash| {
                    let next = rows.len() as u32;
                    Some(*rows.entry(hash).or_insert(next))
                });
                (*class, vector)
            })
            .collect();
        model.rows = rows;
        model.weights = vec![0.0; model.rows.len() * classes];
        let mut order: Vec<usize> = (0..vectors.len()).collect();
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut probabilities = vec![0.0; classes];
        let epochs = (UPDATE_BUDGET / (vectors.len() * classes).max(1)).clamp(MIN_EPOCHS, EPOCHS);
        for epoch in 0..epochs {
            shuffle(&mut order, &mut seed);
            let rate = LEARNING_RATE * (1.0 - 0.9 * epoch as f32 / epochs as f32);
            for &i in &order {
                let (class, vector) = &vectors[i];
                model.probabilities(vector, &mut probabilities);
                for (k, p) in probabilities.iter().enumerate() {
                    let gradient = p - f32::from(u8::from(k == *class));
                    model.bias[k] -= rate * gradient * 0.1;
                    for &(row, x) in vector {
                        let w = &mut model.weights[row as usize * classes + k];
                        *w -= rate * (gradient * x + L2 * *w);
                    }
                }
            }
        }
        model
    }

    /// A feature's row, if training saw it.
    pub fn row_of(&self, hash: u64) -> Option<u32> {
        self.rows.get(&hash).copied()
    }

    /// Class probabilities of a message's features, already sorted by hash, each with
    /// its row from [`LinearModel::row_of`], into `out` (resized to the classes);
    /// `vector` is scratch.
    pub fn predict_sorted(
        &self,
        sorted: impl Iterator<Item = (u64, f32, Option<u32>)>,
        vector: &mut Vec<(u32, f32)>,
        out: &mut Vec<f32>,
    ) {
        unit_vector_sorted(sorted, |_, row| row, vector);
        out.resize(self.classes, 0.0);
        self.probabilities(vector, out);
    }

    fn probabilities(&self, vector: &[(u32, f32)], out: &mut [f32]) {
        out.copy_from_slice(&self.bias);
        for &(row, x) in vector {
            let start = row as usize * self.classes;
            if let Some(weights) = self.weights.get(start..start + self.classes) {
                for (logit, w) in out.iter_mut().zip(weights) {
                    *logit += w * x;
                }
            }
        }
        let max = out.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut total = 0.0;
        for logit in out.iter_mut() {
            *logit = (*logit - max).exp();
            total += *logit;
        }
        for p in out.iter_mut() {
            *p /= total;
        }
    }
}

/// Rows and values of a bag of features: repeated features summed, sub-linear in count,
/// scaled to unit length counting unknown features (no row) too, so a message mostly
/// made of words the catalogue never uses carries little evidence.
fn unit_vector(
    features: &[Feature],
    mut row_of: impl FnMut(u64) -> Option<u32>,
) -> Vec<(u32, f32)> {
    let mut sorted = features.to_vec();
    sorted.sort_unstable_by_key(|&(hash, _)| hash);
    let mut vector = Vec::with_capacity(sorted.len());
    let items = sorted.into_iter().map(|(hash, weight)| (hash, weight, ()));
    unit_vector_sorted(items, |hash, ()| row_of(hash), &mut vector);
    vector
}

/// [`unit_vector`] of features sorted by hash, each carrying what `row_of` needs to
/// find its row (asked once per distinct feature), into `vector`.
fn unit_vector_sorted<T>(
    sorted: impl Iterator<Item = (u64, f32, T)>,
    mut row_of: impl FnMut(u64, T) -> Option<u32>,
    vector: &mut Vec<(u32, f32)>,
) {
    vector.clear();
    let mut norm = 0.0f32;
    let mut add = |hash: u64, weight: f32, row: T, norm: &mut f32| {
        let value = if weight <= 1.0 {
            weight
        } else {
            1.0 + weight.ln()
        };
        *norm += value * value;
        if let Some(row) = row_of(hash, row) {
            vector.push((row, value));
        }
    };
    let mut current: Option<(u64, f32, T)> = None;
    for (hash, weight, row) in sorted {
        match &mut current {
            Some((h, sum, _)) if *h == hash => *sum += weight,
            _ => {
                if let Some((h, sum, row)) = current.replace((hash, weight, row)) {
                    add(h, sum, row, &mut norm);
                }
            }
        }
    }
    if let Some((h, sum, row)) = current {
        add(h, sum, row, &mut norm);
    }
    let norm = norm.sqrt().max(f32::MIN_POSITIVE);
    for (_, value) in vector.iter_mut() {
        *value /= norm;
    }
}

/// Fisher–Yates with xorshift: deterministic, so a catalogue always trains the same way.
fn shuffle(order: &mut [usize], seed: &mut u64) {
    for i in (1..order.len()).rev() {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        order.swap(i, (*seed % (i as u64 + 1)) as usize);
    }
}
