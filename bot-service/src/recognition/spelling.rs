//! English spelling tolerance against the catalogue's own vocabulary: "refnud",
//! "trackng", "pasword" and "tommorow" become the words the examples use. A symmetric
//! deletion index (the SymSpell idea) finds candidates with a few hash look-ups instead
//! of comparing with every word; the kept `strsim` crate checks the real distance
//! (transpositions count as one edit).

use rustc_hash::FxHashMap;

/// Words shorter than this are never corrected: too many real words are one edit apart.
const SHORTEST_CORRECTED: usize = 4;

/// How many edits a word of this length may be away from the word it is taken for.
fn max_edits(len: usize) -> usize {
    match len {
        0..SHORTEST_CORRECTED => 0,
        // Two edits only from eight letters: at seven, real words such as "meaning" are
        // two edits from catalogue ones ("morning").
        SHORTEST_CORRECTED..=7 => 1,
        _ => 2,
    }
}

/// The vocabulary and its deletion index.
#[derive(Debug, Default)]
pub(super) struct Speller {
    /// Word → how often the catalogue uses it.
    counts: FxHashMap<String, u32>,
    /// A word with up to two letters deleted → the vocabulary words it comes from.
    deletes: FxHashMap<String, Vec<u32>>,
    /// Vocabulary words by id.
    words: Vec<String>,
}

impl Speller {
    /// Learns the lower-case ASCII words given (each occurrence counts).
    pub fn build<'a>(words: impl Iterator<Item = &'a str>) -> Self {
        let mut speller = Speller::default();
        for word in words.filter(|w| w.len() >= 2 && w.bytes().all(|b| b.is_ascii_lowercase())) {
            *speller.counts.entry(word.to_owned()).or_default() += 1;
        }
        let mut words: Vec<&String> = speller.counts.keys().collect();
        words.sort_unstable();
        let words: Vec<String> = words.into_iter().cloned().collect();
        for (id, word) in words.iter().enumerate() {
            for variant in deletions(word, 2.min(word.len().saturating_sub(2))) {
                speller.deletes.entry(variant).or_default().push(id as u32);
            }
        }
        speller.words = words;
        speller
    }

    /// Whether the catalogue uses this word.
    pub fn knows(&self, word: &str) -> bool {
        self.counts.contains_key(word)
    }

    /// The catalogue word closest to an unknown one, if it is near enough: fewest edits,
    /// then the most used.
    pub fn correct(&self, word: &str) -> Option<&str> {
        let limit = max_edits(word.len());
        if limit == 0 || self.knows(word) || !word.bytes().all(|b| b.is_ascii_lowercase()) {
            return None;
        }
        let mut best: Option<(usize, u32, &str)> = None;
        for variant in deletions(word, limit) {
            for &id in self.deletes.get(&variant).into_iter().flatten() {
                let candidate = self.words[id as usize].as_str();
                let edits = strsim::osa_distance(word, candidate);
                if edits > limit {
                    continue;
                }
                let count = self.counts[candidate];
                let better = best.is_none_or(|(e, c, w)| {
                    (edits, std::cmp::Reverse(count), candidate) < (e, std::cmp::Reverse(c), w)
                });
                if better {
                    best = Some((edits, count, candidate));
                }
            }
        }
        best.map(|(_, _, word)| word)
    }
}

/// The word itself and every form with up to `depth` letters deleted.
fn deletions(word: &str, depth: usize) -> Vec<String> {
    let mut out = vec![word.to_owned()];
    let mut frontier = vec![word.to_owned()];
    for _ in 0..depth {
        let mut next = Vec::new();
        for form in &frontier {
            for at in 0..form.len() {
                let mut shorter = form.clone();
                shorter.remove(at);
                if !out.contains(&shorter) {
                    out.push(shorter.clone());
                    next.push(shorter);
                }
            }
        }
        frontier = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn speller() -> Speller {
        let text = "where is my refund track tracking parcel password tomorrow order \
                    order hello account the";
        Speller::build(text.split(' '))
    }

    #[test]
    fn corrects_typos_to_catalogue_words() {
        let s = speller();
        for (typo, word) in [
            ("refnud", "refund"),
            ("trackng", "tracking"),
            ("pasword", "password"),
            ("tommorow", "tomorrow"),
            ("oder", "order"),
            ("helo", "hello"),
            ("acount", "account"),
        ] {
            assert_eq!(s.correct(typo), Some(word), "{typo}");
        }
    }

    #[test]
    fn leaves_known_short_and_distant_words_alone() {
        let s = speller();
        assert_eq!(s.correct("refund"), None);
        assert_eq!(s.correct("thx"), None);
        assert_eq!(s.correct("banana"), None);
        assert!(s.knows("parcel") && !s.knows("parcels"));
    }
}
