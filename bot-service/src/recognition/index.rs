//! An inverted index of TF-IDF vectors: one document per catalogue example, each tagged
//! with the intent (group) it teaches. A query only walks the postings of its own terms,
//! so its cost follows how many examples share its words, not the catalogue's size.

use std::cell::RefCell;

use rustc_hash::FxHashMap;

use super::tokenize::{Term, TermKind};

/// The id of a query term the index has never seen: it counts as the rarest term and
/// reaches no document. Unknown terms are never merged with each other.
pub(crate) const UNKNOWN: u32 = u32::MAX;

/// The id of a query term the index leaves out (a single character, when characters
/// are not indexed): it does not count at all.
pub(crate) const LEFT_OUT: u32 = u32::MAX - 1;

/// No bag entry yet for a term id (in [`Scratch::slot`]).
const NO_SLOT: u32 = u32::MAX;

/// One example's weight for one term, already divided by the example's vector length, so
/// that summing over a query's terms gives the cosine numerator directly.
#[derive(Clone, Copy, Debug)]
struct Posting {
    doc: u32,
    weight: f32,
}

/// How much a query term the index has never seen counts, relative to the rarest known
/// term. Unknown words are evidence that the question is about something else (out of
/// scope), so they count fully: a product name inside an in-scope question lowers its
/// similarity too, but the domain words around it usually carry it.
const UNKNOWN_TERM_FACTOR: f32 = 1.0;

/// Each reached group's best similarity for one query: a dense array reused between
/// queries plus the list of entries set, so reading and clearing cost only what the
/// query reached.
#[derive(Debug, Default)]
pub(crate) struct GroupScores {
    value: Vec<f32>,
    touched: Vec<u32>,
}

impl GroupScores {
    /// Raises a group's score to `similarity` if that is higher.
    fn raise(&mut self, group: u32, similarity: f32) {
        if self.value.len() <= group as usize {
            self.value.resize(group as usize + 1, 0.0);
        }
        let slot = &mut self.value[group as usize];
        if *slot == 0.0 {
            self.touched.push(group);
        }
        *slot = slot.max(similarity);
    }

    /// Every group reached with its score, clearing them as they are read.
    pub fn drain(&mut self) -> impl Iterator<Item = (u32, f32)> + '_ {
        let value = &mut self.value;
        self.touched
            .drain(..)
            .map(move |group| (group, std::mem::take(&mut value[group as usize])))
    }

    /// A group's score, cleared as it is read (0 if not reached or already taken).
    pub fn take(&mut self, group: u32) -> f32 {
        self.value
            .get_mut(group as usize)
            .map_or(0.0, std::mem::take)
    }

    /// Forgets every group reached, ready for the next query.
    pub fn clear(&mut self) {
        for group in self.touched.drain(..) {
            self.value[group as usize] = 0.0;
        }
    }
}

/// The inverted index over the documents of one entrance.
#[derive(Debug, Default)]
pub(crate) struct Index {
    /// Term → id. Fx hashing: the keys are the catalogue's own terms and queries only
    /// look up, so a message cannot lengthen a probe chain, and SipHash cost a tenth
    /// of a long message's recognition.
    terms: FxHashMap<String, u32>,
    idf: Vec<f32>,
    postings: Vec<Vec<Posting>>,
    doc_group: Vec<u32>,
    unknown_idf: f32,
    /// Whether single Chinese characters are indexed; they have the longest postings.
    characters: bool,
}

/// Per-thread document accumulator, reused between queries so scoring allocates nothing
/// per document and only touches the entries a query reached.
#[derive(Default)]
struct Scratch {
    doc_score: Vec<f32>,
    touched_docs: Vec<u32>,
    /// The query's (term id, summed weight), in order of first appearance.
    bag: Vec<(u32, f32)>,
    /// A known term id's entry in `bag`, or [`NO_SLOT`].
    slot: Vec<u32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl Index {
    /// Builds the index from (group, terms) documents. Without `characters`,
    /// single-character terms are left out of documents and queries alike.
    pub fn build(documents: &[(u32, Vec<Term>)], characters: bool) -> Index {
        let mut index = Index {
            characters,
            ..Index::default()
        };
        let mut document_frequency: Vec<u32> = Vec::new();
        let mut bags = Vec::with_capacity(documents.len());
        for (_, terms) in documents {
            let known = &mut index.terms;
            let bag = bag(terms, characters, |_, term| {
                let next = known.len() as u32;
                *known.entry(term.text.clone()).or_insert(next)
            });
            for &(term, _) in &bag {
                if document_frequency.len() <= term as usize {
                    document_frequency.resize(term as usize + 1, 0);
                }
                document_frequency[term as usize] += 1;
            }
            bags.push(bag);
        }
        let n = documents.len().max(1) as f32;
        index.idf = document_frequency
            .iter()
            .map(|&df| (1.0 + n / df as f32).ln())
            .collect();
        index.unknown_idf = (1.0 + n).ln() * UNKNOWN_TERM_FACTOR;
        index.postings = vec![Vec::new(); index.idf.len()];
        for (doc, ((group, _), bag)) in documents.iter().zip(bags).enumerate() {
            index.doc_group.push(*group);
            let (weights, norm) = index.weigh(bag);
            for (term, weight) in weights {
                index.postings[term as usize].push(Posting {
                    doc: doc as u32,
                    weight: weight / norm.max(f32::MIN_POSITIVE),
                });
            }
        }
        index
    }

    /// TF-IDF weights of a bag and the length of the resulting vector. Term ids the
    /// index does not know weigh as the rarest possible term.
    fn weigh(&self, mut bag: Vec<(u32, f32)>) -> (Vec<(u32, f32)>, f32) {
        let norm = self.weigh_in_place(&mut bag);
        (bag, norm)
    }

    /// [`Index::weigh`] in place, returning the length.
    fn weigh_in_place(&self, bag: &mut [(u32, f32)]) -> f32 {
        let mut norm = 0.0f32;
        for (id, weight) in bag.iter_mut() {
            let idf = self
                .idf
                .get(*id as usize)
                .copied()
                .unwrap_or(self.unknown_idf);
            *weight = tf_weight(*weight) * idf;
            norm += *weight * *weight;
        }
        norm.sqrt()
    }

    /// Every indexed term with its id.
    pub fn vocabulary(&self) -> impl Iterator<Item = (&str, u32)> + '_ {
        self.terms.iter().map(|(text, &id)| (text.as_str(), id))
    }

    /// A query term's id for [`Index::search_ids`]: its own, [`UNKNOWN`] or [`LEFT_OUT`].
    pub fn id_of(&self, text: &str, kind: TermKind) -> u32 {
        if !self.characters && kind == TermKind::Character {
            return LEFT_OUT;
        }
        self.terms.get(text).copied().unwrap_or(UNKNOWN)
    }

    /// Raises, in `out`, every group sharing a term with the query to the cosine of its
    /// closest document.
    #[cfg(test)]
    pub fn search(&self, terms: &[Term], out: &mut GroupScores) {
        let ids = terms
            .iter()
            .map(|term| (self.id_of(&term.text, term.kind), term.weight()));
        self.search_ids(ids, out);
    }

    /// [`Index::search`] for a query given as (id from [`Index::id_of`], weight) per
    /// term, in the text's order: repeated known terms are summed, unknown ones each
    /// count on their own.
    pub fn search_ids(&self, query: impl Iterator<Item = (u32, f32)>, out: &mut GroupScores) {
        SCRATCH.with_borrow_mut(|scratch| {
            let mut bag = std::mem::take(&mut scratch.bag);
            bag.clear();
            if scratch.slot.len() < self.idf.len() {
                scratch.slot.resize(self.idf.len(), NO_SLOT);
            }
            for (id, weight) in query {
                match id {
                    LEFT_OUT => {}
                    UNKNOWN => bag.push((UNKNOWN, weight)),
                    known => match scratch.slot[known as usize] {
                        NO_SLOT => {
                            scratch.slot[known as usize] = bag.len() as u32;
                            bag.push((known, weight));
                        }
                        at => bag[at as usize].1 += weight,
                    },
                }
            }
            for &(id, _) in &bag {
                if id != UNKNOWN {
                    scratch.slot[id as usize] = NO_SLOT;
                }
            }
            let norm = self.weigh_in_place(&mut bag);
            if norm != 0.0 {
                self.score(&bag, norm, scratch, out);
            }
            scratch.bag = bag;
        });
    }

    fn score(&self, query: &[(u32, f32)], norm: f32, scratch: &mut Scratch, out: &mut GroupScores) {
        if scratch.doc_score.len() < self.doc_group.len() {
            scratch.doc_score.resize(self.doc_group.len(), 0.0);
        }
        for &(term, weight) in query {
            let Some(postings) = self.postings.get(term as usize) else {
                continue;
            };
            for posting in postings {
                let slot = &mut scratch.doc_score[posting.doc as usize];
                if *slot == 0.0 {
                    scratch.touched_docs.push(posting.doc);
                }
                *slot += weight * posting.weight;
            }
        }
        for doc in scratch.touched_docs.drain(..) {
            let similarity = std::mem::take(&mut scratch.doc_score[doc as usize]) / norm;
            out.raise(self.doc_group[doc as usize], similarity.min(1.0));
        }
    }
}

/// The terms an index uses as (term id, summed weight) pairs; `id` names each one.
fn bag(
    terms: &[Term],
    characters: bool,
    mut id: impl FnMut(usize, &Term) -> u32,
) -> Vec<(u32, f32)> {
    let mut bag: Vec<(u32, f32)> = Vec::with_capacity(terms.len());
    for (position, term) in terms.iter().enumerate() {
        if !characters && term.kind == TermKind::Character {
            continue;
        }
        let id = id(position, term);
        match bag.iter_mut().find(|(seen, _)| *seen == id) {
            Some((_, sum)) => *sum += term.weight(),
            None => bag.push((id, term.weight())),
        }
    }
    bag
}

/// Sub-linear term frequency over summed term weights: a word said twice is not twice
/// the evidence, and a lone bigram keeps its reduced weight.
fn tf_weight(count: f32) -> f32 {
    if count <= 1.0 {
        count
    } else {
        1.0 + count.ln()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(words: &str) -> Vec<Term> {
        words.split(' ').map(Term::word).collect()
    }

    fn doc(group: u32, words: &str) -> (u32, Vec<Term>) {
        (group, query(words))
    }

    /// (group, similarity) of every group reached, in group order.
    fn search(index: &Index, words: &str) -> Vec<(u32, f32)> {
        let mut out = GroupScores::default();
        index.search(&query(words), &mut out);
        let mut found: Vec<(u32, f32)> = out.drain().collect();
        found.sort_by_key(|&(group, _)| group);
        found
    }

    #[test]
    fn scores_groups_by_their_closest_document() {
        let documents = [
            doc(0, "where order"),
            doc(0, "order status"),
            doc(1, "refund money"),
        ];
        let index = Index::build(&documents, true);
        let found = search(&index, "order status");
        assert_eq!(found.len(), 1, "group 1 shares no term: {found:?}");
        assert_eq!(found[0].0, 0);
        assert!((found[0].1 - 1.0).abs() < 1e-5, "{found:?}");
        assert!(search(&index, "capital france").is_empty());
    }

    #[test]
    fn unknown_words_lower_the_similarity() {
        let documents = [doc(0, "refund money"), doc(0, "late parcel"), doc(0, "x y")];
        let index = Index::build(&documents, true);
        let plain = search(&index, "refund money")[0].1;
        let padded = search(&index, "refund money stock market")[0].1;
        assert!(padded < plain * 0.9, "{plain} vs {padded}");
    }

    #[test]
    fn characters_can_be_left_out() {
        let character = Term {
            text: "退".to_owned(),
            kind: TermKind::Character,
        };
        let documents = [(0, vec![character.clone()])];
        let mut out = GroupScores::default();
        Index::build(&documents, false).search(std::slice::from_ref(&character), &mut out);
        assert_eq!(out.drain().count(), 0);
        Index::build(&documents, true).search(&[character], &mut out);
        assert_eq!(
            out.drain().map(|(group, _)| group).collect::<Vec<_>>(),
            vec![0]
        );
    }

    #[test]
    fn scores_are_clean_between_queries() {
        let index = Index::build(&[doc(0, "a b"), doc(1, "c d")], true);
        assert_eq!(search(&index, "a b"), search(&index, "a b"));
        let groups: Vec<u32> = search(&index, "c d").iter().map(|f| f.0).collect();
        assert_eq!(groups, vec![1]);
    }
}
