//! How lexicon terms are found in a normalised message. Latin words match whole (so
//! "class" never hits "ass"), with letters spelled out one by one ("f u c k") joined
//! back, stretched letters collapsed and masks (f*ck) allowed. Chinese terms match on
//! jieba's word boundaries: a term that straddles a word of the message (妈的 in
//! 给妈妈的礼物, 你是猪 in 你是猪肉馅) is innocent, and a one-character term (滚, 艹) must
//! be a word of its own (not 滚动, 滚筒). Pinyin forms match across the syllables people
//! type apart (sha bi, s h a b i).

use std::sync::LazyLock;

use jieba_rs::Jieba;

/// jieba's dictionary takes a while to build; every lexicon shares one.
static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// Letters spelled one by one join into a word only from this many ("s b" is a menu
/// option, "s h a b i" is not).
const SPELLED_MIN: usize = 3;

/// The most typed pieces one pinyin term may be spread over ("cao ni ma").
const PINYIN_PIECES: usize = 3;

/// Only letters, digits and masks: what is left when spacing and punctuation are ignored.
pub fn squeeze(normal: &str) -> String {
    normal
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '*')
        .collect()
}

/// Latin words (ASCII letters, digits and masks), stretched letters collapsed; a run of
/// at least [`SPELLED_MIN`] single letters separated by spaces or punctuation ("f u c
/// k", "s.h.i.t") is joined into one word.
pub fn words(normal: &str) -> Vec<String> {
    let pieces: Vec<&str> = normal
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '*'))
        .filter(|piece| !piece.is_empty())
        .collect();
    let mut out: Vec<String> = Vec::new();
    let mut spelled: Vec<&str> = Vec::new();
    let flush = |spelled: &mut Vec<&str>, out: &mut Vec<String>| {
        if spelled.len() >= SPELLED_MIN {
            out.push(spelled.concat());
        } else {
            out.extend(spelled.iter().map(|letter| (*letter).to_owned()));
        }
        spelled.clear();
    };
    for piece in pieces {
        if piece.len() == 1 {
            spelled.push(piece);
            continue;
        }
        flush(&mut spelled, &mut out);
        out.push(piece.to_owned());
    }
    flush(&mut spelled, &mut out);
    out.iter().map(|word| collapse(word)).collect()
}

/// Stretched letters collapsed: "fuuuck" and "fuck" compare equal.
pub fn collapse(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        if !out.ends_with(c) || c == '*' {
            out.push(c);
        }
    }
    out
}

/// Whether `tokens` hold `phrase` as consecutive words (masks match any one letter).
pub fn contains_phrase(tokens: &[String], phrase: &[String]) -> bool {
    !phrase.is_empty()
        && tokens.windows(phrase.len()).any(|window| {
            window
                .iter()
                .zip(phrase)
                .all(|(token, word)| same_word(token, word))
        })
}

fn same_word(token: &str, word: &str) -> bool {
    if token == word {
        return true;
    }
    let masked = token.contains('*') && token.chars().any(|c| c != '*');
    masked
        && token.chars().count() == word.chars().count()
        && token
            .chars()
            .zip(word.chars())
            .all(|(t, w)| t == '*' || t == w)
}

/// Whether a pinyin term is typed in one to [`PINYIN_PIECES`] consecutive words.
pub fn contains_pinyin(tokens: &[String], term: &str) -> bool {
    (0..tokens.len()).any(|start| {
        let mut joined = String::new();
        tokens[start..].iter().take(PINYIN_PIECES).any(|token| {
            joined.push_str(token);
            joined == term
        })
    })
}

/// A squeezed message and the spans of its jieba words, cut only when a Chinese term
/// occurs in it at all.
pub struct Segmented<'a> {
    text: &'a str,
    spans: Option<Vec<(usize, usize)>>,
}

impl<'a> Segmented<'a> {
    /// Wraps a squeezed message; nothing is cut yet.
    pub fn new(text: &'a str) -> Self {
        Self { text, spans: None }
    }

    /// Whether `term` occurs on the message's word boundaries (see the module notes).
    pub fn contains_word(&mut self, term: &str) -> bool {
        if !self.text.contains(term) {
            return false;
        }
        let text = self.text;
        let spans = self.spans.get_or_insert_with(|| {
            let mut at = 0;
            JIEBA
                .cut(text, true)
                .into_iter()
                .map(|token| {
                    let span = (at, at + token.word.len());
                    at = span.1;
                    span
                })
                .collect()
        });
        let single = term.chars().count() == 1;
        text.match_indices(term).any(|(start, found)| {
            let end = start + found.len();
            if single {
                return spans.contains(&(start, end));
            }
            !spans.iter().any(|&(from, to)| {
                let overlaps = from < end && to > start;
                let inside = from >= start && to <= end;
                let around = from <= start && to >= end;
                overlaps && !inside && !around
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_terms_match_on_word_boundaries() {
        let mut text = Segmented::new("给妈妈的礼物");
        assert!(!text.contains_word("妈的"));
        let mut text = Segmented::new("你妈的");
        assert!(text.contains_word("你妈"));
        let mut text = Segmented::new("往下滚动就能看到");
        assert!(!text.contains_word("滚"));
        let mut text = Segmented::new("你给我滚");
        assert!(text.contains_word("滚"));
        let mut text = Segmented::new("去死吧");
        assert!(
            text.contains_word("去死"),
            "a term inside a longer word still counts"
        );
    }

    #[test]
    fn spelled_letters_join_only_from_three() {
        assert_eq!(words("s h a b i"), vec!["shabi"]);
        assert_eq!(words("请看 s b 这个选项"), vec!["s", "b"]);
        assert_eq!(words("fuuuck off"), vec!["fuck", "of"]);
        assert!(contains_pinyin(&words("sha bi"), "shabi"));
        assert!(contains_pinyin(&words("you are shabi"), "shabi"));
        assert!(!contains_pinyin(&words("sha bing"), "shabi"));
    }
}
