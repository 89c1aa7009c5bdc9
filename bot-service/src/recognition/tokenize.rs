//! Turns a message into the terms the index matches on. Chinese runs are segmented with
//! jieba and also cut into character bigrams, so a segmentation slip ("没发货" vs
//! "没 发货") still shares terms with the examples; English words are lower-cased,
//! stripped of stop words and lightly stemmed ("shipped", "shipping" → "ship").

use std::sync::LazyLock;

use jieba_rs::Jieba;

use super::lexicon::{DOMAIN_WORDS, english_form, is_chinese_stop_word, is_english_stop_word};
use crate::text::{fold_into, is_han};

/// jieba's dictionary takes a while to build; every recognizer shares one.
static JIEBA: LazyLock<Jieba> = LazyLock::new(|| {
    let mut jieba = Jieba::new();
    for word in DOMAIN_WORDS {
        jieba.add_word(word, Some(20_000), None);
    }
    jieba
});

/// How much a character bigram counts next to a whole word: bigrams catch segmentation
/// slips but many of them straddle word boundaries and mean little.
const BIGRAM_WEIGHT: f32 = 0.5;

/// How much a single character counts: enough to link "骂" with "骂人" and "笨" with
/// "笨蛋", too little to outweigh a shared word.
const UNIGRAM_WEIGHT: f32 = 0.25;

/// Digit strings longer than this are order or tracking numbers: noise to the index.
const MAX_NUMBER_DIGITS: usize = 6;

/// What a term was cut as, which decides how much it counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TermKind {
    /// A jieba word or an English word.
    Word,
    /// Two adjacent Chinese characters.
    Bigram,
    /// One Chinese character.
    Character,
}

/// One term of a text.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Term {
    /// The normalised word, bigram or character.
    pub text: String,
    /// What it was cut as.
    pub kind: TermKind,
}

impl Term {
    #[cfg(test)]
    pub(crate) fn word(text: impl Into<String>) -> Term {
        Term {
            text: text.into(),
            kind: TermKind::Word,
        }
    }

    /// How much the term counts: 1 for a word, less for bigrams and characters.
    pub(crate) fn weight(&self) -> f32 {
        self.kind.weight()
    }
}

impl TermKind {
    /// How much a term of this kind counts: 1 for a word, less for bigrams and
    /// characters.
    pub(crate) fn weight(self) -> f32 {
        match self {
            TermKind::Word => 1.0,
            TermKind::Bigram => BIGRAM_WEIGHT,
            TermKind::Character => UNIGRAM_WEIGHT,
        }
    }
}

/// What a character is to the tokeniser.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Han,
    Word,
    Separator,
}

fn class(c: char) -> Class {
    if is_han(c) {
        Class::Han
    } else if c.is_ascii_alphanumeric() || c == '\'' {
        Class::Word
    } else {
        Class::Separator
    }
}

/// The terms of a text, in order, repeated as often as they occur.
pub(crate) fn terms(text: &str) -> Vec<Term> {
    let mut list = TermList::default();
    list.push_text(text);
    list.iter()
        .map(|(text, kind)| Term {
            text: text.to_owned(),
            kind,
        })
        .collect()
}

/// The terms of one or more texts in one reusable buffer: every term's text back to
/// back, so tokenising a message allocates nothing per term (a story has hundreds).
#[derive(Debug, Default)]
pub(crate) struct TermList {
    /// The terms' texts, concatenated.
    text: String,
    /// Each term's byte range in `text`, and its kind.
    spans: Vec<(u32, u32, TermKind)>,
    /// Scratch: the folded text being cut.
    folded: String,
    /// Scratch: the characters of a Chinese run's kept words.
    kept: Vec<char>,
}

impl TermList {
    /// Forgets every term, keeping the buffers.
    pub fn clear(&mut self) {
        self.text.clear();
        self.spans.clear();
    }

    /// How many terms there are.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// The terms in order, as (text, kind).
    pub fn iter(&self) -> impl Iterator<Item = (&str, TermKind)> + '_ {
        self.spans
            .iter()
            .map(|&(start, end, kind)| (&self.text[start as usize..end as usize], kind))
    }

    /// Appends one term made of `parts`.
    fn push(&mut self, parts: &[&str], kind: TermKind) {
        let start = self.text.len() as u32;
        parts.iter().for_each(|part| self.text.push_str(part));
        self.spans.push((start, self.text.len() as u32, kind));
    }

    fn push_chars(&mut self, chars: &[char], kind: TermKind) {
        let start = self.text.len() as u32;
        self.text.extend(chars);
        self.spans.push((start, self.text.len() as u32, kind));
    }

    /// Appends the terms of a text, in order.
    pub fn push_text(&mut self, text: &str) {
        let mut folded = std::mem::take(&mut self.folded);
        folded.clear();
        fold_into(text, &mut folded);
        let mut run: Option<(usize, Class)> = None;
        let ends = folded.char_indices().map(|(at, c)| (at, class(c)));
        for (at, class) in ends.chain(std::iter::once((folded.len(), Class::Separator))) {
            match run {
                Some((_, current)) if current == class => continue,
                Some((start, Class::Han)) => self.chinese_terms(&folded[start..at]),
                Some((start, Class::Word)) => self.english_term(&folded[start..at]),
                _ => {}
            }
            run = (class != Class::Separator).then_some((at, class));
        }
        self.folded = folded;
    }

    /// jieba words without stop words, then the bigrams and characters of what is left.
    fn chinese_terms(&mut self, run: &str) {
        let mut kept = std::mem::take(&mut self.kept);
        kept.clear();
        for token in JIEBA.cut(run, true) {
            if is_chinese_stop_word(token.word) {
                continue;
            }
            self.push(&[token.word], TermKind::Word);
            kept.extend(token.word.chars());
        }
        for pair in kept.windows(2) {
            self.push_chars(pair, TermKind::Bigram);
        }
        for c in kept.chunks(1) {
            self.push_chars(c, TermKind::Character);
        }
        self.kept = kept;
    }

    /// One English (or digit) word, normalised; stop words and long numbers are dropped.
    fn english_term(&mut self, word: &str) {
        let word = word.trim_matches('\'');
        if let Some(base) = english_form(word) {
            self.push(&[base], TermKind::Word);
            return;
        }
        if let Some(stem) = word.strip_suffix("n't") {
            self.english_term(stem);
            self.push(&["not"], TermKind::Word);
            return;
        }
        if let Some((head, _)) = word.split_once('\'') {
            return self.english_term(head);
        }
        if word.is_empty() || is_english_stop_word(word) {
            return;
        }
        if word.bytes().all(|b| b.is_ascii_digit()) {
            if word.len() <= MAX_NUMBER_DIGITS {
                self.push(&[word], TermKind::Word);
            }
            return;
        }
        let start = self.text.len();
        self.text.push_str(word);
        let len = stem_len(&mut self.text, start);
        self.text.truncate(start + len);
        self.spans
            .push((start as u32, self.text.len() as u32, TermKind::Word));
    }
}

/// Every jieba word of the Chinese runs of a (normalised) text, stop words included:
/// the vocabulary pinyin is converted into.
pub(crate) fn chinese_words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for run in text
        .split(|c: char| !is_han(c))
        .filter(|run| !run.is_empty())
    {
        out.extend(JIEBA.cut(run, true).into_iter().map(|t| t.word.to_owned()));
    }
    out
}

/// A light suffix stripper: plural, -ing, -ed, -ment, then a final y or e, so that
/// inflected and derived forms of one word meet ("deliveries", "delivered", "delivery"
/// → "deliver"; "charge", "charged" → "charg"; "payment" → "pay").
#[cfg(test)]
pub(crate) fn stem(word: &str) -> String {
    let mut stem = word.to_owned();
    let len = stem_len(&mut stem, 0);
    stem.truncate(len);
    stem
}

/// Stems the ASCII word at `buffer[start..]` in place (the tail may change: "ies" →
/// "y") and returns the stem's length; the caller truncates to it.
fn stem_len(buffer: &mut String, start: usize) -> usize {
    let mut stem = buffer.len() - start;
    let ends =
        |buffer: &String, len: usize, suffix: &str| buffer[start..start + len].ends_with(suffix);
    if stem > 4 && (ends(buffer, stem, "ies") || ends(buffer, stem, "ied")) {
        buffer.truncate(start + stem - 3);
        buffer.push('y');
        stem -= 2;
    } else if ends(buffer, stem, "sses") {
        stem -= 2;
    } else if stem > 3
        && ends(buffer, stem, "s")
        && !(ends(buffer, stem, "ss") || ends(buffer, stem, "us") || ends(buffer, stem, "is"))
    {
        stem -= 1;
    }
    let stripped = ["ing", "ed", "ment"]
        .iter()
        .find(|suffix| stem >= suffix.len() + 3 && ends(buffer, stem, suffix));
    if let Some(suffix) = stripped {
        stem -= suffix.len();
        let bytes = &buffer.as_bytes()[start..start + stem];
        let n = bytes.len();
        let doubled = n >= 2 && bytes[n - 1] == bytes[n - 2];
        if doubled && !matches!(bytes[n - 1], b'l' | b's' | b'z' | b'e' | b'o') {
            stem -= 1;
        }
    }
    if (stem > 4 && ends(buffer, stem, "y")) || (stem > 3 && ends(buffer, stem, "e")) {
        stem -= 1;
    }
    stem
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<String> {
        terms(text).into_iter().map(|term| term.text).collect()
    }

    #[test]
    fn chinese_gets_words_and_lighter_bigrams_without_particles() {
        let all = terms("我的快递怎么还没到啊");
        let texts: Vec<&str> = all.iter().map(|t| t.text.as_str()).collect();
        assert!(texts.contains(&"快递"), "{texts:?}");
        assert!(texts.contains(&"没到"), "{texts:?}");
        assert!(
            !texts.iter().any(|t| t.contains('啊') || t.contains('的')),
            "{texts:?}"
        );
        assert!(
            !texts.contains(&"怎么"),
            "question words are stop words: {texts:?}"
        );
        let weight = |text: &str| all.iter().find(|t| t.text == text).map(Term::weight);
        assert_eq!(weight("快递"), Some(1.0));
        assert_eq!(weight("递没"), Some(BIGRAM_WEIGHT));
    }

    #[test]
    fn domain_words_stay_whole() {
        assert!(texts("我要转人工").contains(&"转人工".to_owned()));
    }

    #[test]
    fn english_is_lowercased_stemmed_and_stop_words_dropped() {
        assert_eq!(
            texts("Why hasn't my ORDER been Shipped?"),
            vec!["why", "not", "order", "ship"]
        );
        assert_eq!(texts("I can't log in"), vec!["not", "log"]);
        assert_eq!(texts("refunds refunded refunding"), vec!["refund"; 3]);
        assert_eq!(stem("deliveries"), stem("delivery"));
        assert_eq!(stem("delivered"), stem("delivery"));
        assert_eq!(stem("charged"), stem("charge"));
        assert_eq!(stem("logged"), "log");
        assert_eq!(stem("address"), "address");
        assert_eq!(stem("status"), "status");
        assert_eq!(stem("payment"), "pay");
        assert_eq!(texts("Are you a bot?"), texts("are you a ROBOT"));
    }

    #[test]
    fn full_width_is_folded_before_tokenising() {
        assert_eq!(terms("ＲＥＦＵＮＤ"), terms("refund"));
        assert_eq!(terms("退款？"), terms("退款"));
    }

    #[test]
    fn mixed_text_splits_by_script_and_drops_order_numbers() {
        let found = texts("我的order 2024061512345678 还没发货");
        assert!(found.contains(&"order".to_owned()), "{found:?}");
        assert!(found.contains(&"没发货".to_owned()), "{found:?}");
        assert!(!found.iter().any(|t| t.contains("2024")), "{found:?}");
        assert!(texts("投诉12315").contains(&"12315".to_owned()));
    }
}
