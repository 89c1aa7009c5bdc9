//! Pinyin, both ways, limited to the catalogue's own words: customers type toneless
//! pinyin for words they cannot be bothered to convert ("tuikuan 多久到", "zhuan
//! rengong"), and pick the wrong character of the right sound (快第 for 快递, 发飘 for
//! 发票). Built from the examples, so pinyin becomes the Chinese word the catalogue uses,
//! and a typo becomes the word it sounds like. Syllables and readings come from the
//! kept `pinyin` crate.

use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::LazyLock;

use pinyin::ToPinyin;

use crate::text::is_han;

/// Every toneless syllable the `pinyin` crate knows (ü written v), to tell a pinyin word
/// from an English one. Nasal interjections (n, m, ng, hm) are left out: nobody types
/// them and they would split English words.
static SYLLABLES: LazyLock<FxHashSet<String>> = LazyLock::new(|| {
    ('\u{4E00}'..='\u{9FFF}')
        .filter_map(|c| c.to_pinyin().map(|p| p.plain().replace('ü', "v")))
        .filter(|s| !matches!(s.as_str(), "n" | "m" | "ng" | "hm" | "hng"))
        .collect()
});

/// The longest syllable (zhuang, shuang).
const LONGEST_SYLLABLE: usize = 6;

/// The longest catalogue word looked up when converting pinyin, in letters.
const LONGEST_KEY: usize = 24;

/// The toneless pinyin of Han text, syllables joined ("退款" → "tuikuan"); `None` if a
/// character has no reading.
pub(super) fn of(han: &str) -> Option<String> {
    let mut out = String::with_capacity(han.len() * 2);
    for c in han.chars() {
        push_reading(c, &mut out)?;
    }
    Some(out)
}

/// Appends one character's toneless reading (ü written v); `None` if it has none.
fn push_reading(c: char, out: &mut String) -> Option<()> {
    let reading = c.to_pinyin()?.plain();
    out.extend(reading.chars().map(|l| if l == 'ü' { 'v' } else { l }));
    Some(())
}

/// Builds the syllable table now rather than on the first message.
pub(super) fn warm_up() {
    LazyLock::force(&SYLLABLES);
}

/// Whether a lower-case ASCII word splits wholly into pinyin syllables.
pub(super) fn is_pinyin(word: &str) -> bool {
    let n = word.len();
    if n < 2 || !word.bytes().all(|b| b.is_ascii_lowercase()) {
        return false;
    }
    // reachable[i]: word[..i] splits into syllables.
    let mut reachable = vec![false; n + 1];
    reachable[0] = true;
    for end in 1..=n {
        let start = end.saturating_sub(LONGEST_SYLLABLE);
        reachable[end] = (start..end).any(|s| reachable[s] && SYLLABLES.contains(&word[s..end]));
    }
    reachable[n]
}

/// The catalogue's Chinese words by their pinyin, and every short run of characters the
/// catalogue contains (which is therefore not a typo).
#[derive(Debug, Default)]
pub(super) struct PinyinDictionary {
    /// Joined pinyin → the catalogue's most frequent word with that sound.
    words: FxHashMap<String, String>,
    /// Every run of 2..=3 Han characters found in the catalogue.
    known: FxHashSet<String>,
}

impl PinyinDictionary {
    /// Learns from the catalogue's Chinese words (as the tokeniser cuts them) and text.
    pub fn build<'a>(words: impl Iterator<Item = &'a str>, texts: &[String]) -> Self {
        let mut counts: FxHashMap<&str, usize> = FxHashMap::default();
        let words: Vec<&str> = words.filter(|w| w.chars().all(is_han)).collect();
        for &word in &words {
            *counts.entry(word).or_default() += 1;
            // Each character of a longer word too, so that pinyin typed syllable by
            // syllable still converts ("zhuan" → 转 from 转人工).
            if word.chars().count() > 1 {
                for (at, c) in word.char_indices() {
                    *counts.entry(&word[at..at + c.len_utf8()]).or_default() += 1;
                }
            }
        }
        let mut ranked: Vec<(&str, usize)> = counts.into_iter().collect();
        // Most frequent first, then longer, then by text: the first word of a sound wins.
        ranked.sort_unstable_by(|a, b| {
            b.1.cmp(&a.1)
                .then(b.0.len().cmp(&a.0.len()))
                .then(a.0.cmp(b.0))
        });
        let mut dictionary = PinyinDictionary::default();
        for (word, _) in ranked {
            if let Some(key) = of(word) {
                dictionary
                    .words
                    .entry(key)
                    .or_insert_with(|| word.to_owned());
            }
        }
        for text in texts {
            let chars: Vec<char> = text.chars().collect();
            for len in 2..=3 {
                for window in chars.windows(len).filter(|w| w.iter().all(|c| is_han(*c))) {
                    dictionary.known.insert(window.iter().collect());
                }
            }
        }
        dictionary
    }

    /// A pinyin word as the catalogue's Chinese, with how many of its characters came in
    /// words of two or more (the rest are single characters, weaker evidence); `None`
    /// unless the whole word converts.
    pub fn to_han(&self, word: &str) -> Option<(String, usize)> {
        if !is_pinyin(word) {
            return None;
        }
        let mut out = String::new();
        let mut in_words = 0;
        self.convert(word, &mut out, &mut in_words)
            .then_some((out, in_words))
    }

    /// Longest dictionary word first, backtracking when the rest does not convert.
    fn convert(&self, rest: &str, out: &mut String, in_words: &mut usize) -> bool {
        if rest.is_empty() {
            return true;
        }
        for len in (1..=rest.len().min(LONGEST_KEY)).rev() {
            let Some(han) = self.words.get(&rest[..len]) else {
                continue;
            };
            let (before, words_before) = (out.len(), *in_words);
            out.push_str(han);
            let chars = han.chars().count();
            if chars > 1 {
                *in_words += chars;
            }
            if self.convert(&rest[len..], out, in_words) {
                return true;
            }
            out.truncate(before);
            *in_words = words_before;
        }
        false
    }

    /// Han text with sound-alike typos replaced: a run of 2 or 3 characters the catalogue
    /// never uses, sounding exactly like a catalogue word of the same length, becomes
    /// that word (快第 → 快递, 不法货 → 不发货).
    pub fn fix_homophones(&self, text: &str) -> Option<String> {
        let chars: Vec<char> = text.chars().collect();
        let mut out = String::with_capacity(text.len());
        let (mut window, mut key) = (String::new(), String::new());
        let mut changed = false;
        let mut at = 0;
        'next: while at < chars.len() {
            for len in [3, 2] {
                let Some(run) = chars.get(at..at + len) else {
                    continue;
                };
                if !run.iter().all(|c| is_han(*c)) {
                    continue;
                }
                window.clear();
                window.extend(run);
                if self.known.contains(&window) {
                    break;
                }
                key.clear();
                if run.iter().any(|&c| push_reading(c, &mut key).is_none()) {
                    continue;
                }
                let Some(word) = self.words.get(&key) else {
                    continue;
                };
                if word.chars().count() == len {
                    out.push_str(word);
                    changed = true;
                    at += len;
                    continue 'next;
                }
            }
            out.push(chars[at]);
            at += 1;
        }
        changed.then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dictionary() -> PinyinDictionary {
        let words = [
            "退款", "退款", "人工", "转", "发货", "快递", "到", "多久", "不",
        ];
        let texts = [
            "退款多久到".to_owned(),
            "卖家不发货".to_owned(),
            "快递".to_owned(),
        ];
        PinyinDictionary::build(words.into_iter(), &texts)
    }

    #[test]
    fn tells_pinyin_from_english() {
        assert!(is_pinyin("tuikuan"));
        assert!(is_pinyin("zhuangrengong"));
        assert!(!is_pinyin("refund"));
        assert!(!is_pinyin("password"));
        assert!(!is_pinyin("a"));
        assert_eq!(of("退款").as_deref(), Some("tuikuan"));
        assert_eq!(of("绿").as_deref(), Some("lv"));
    }

    #[test]
    fn pinyin_becomes_the_catalogue_words() {
        let d = dictionary();
        assert_eq!(d.to_han("tuikuan"), Some(("退款".to_owned(), 2)));
        assert_eq!(d.to_han("zhuanrengong"), Some(("转人工".to_owned(), 2)));
        assert_eq!(d.to_han("hello"), None);
        assert_eq!(d.to_han("ma"), None, "no catalogue word sounds like it");
    }

    #[test]
    fn sound_alike_typos_are_fixed_and_known_text_is_left_alone() {
        let d = dictionary();
        assert_eq!(d.fix_homophones("快第到了").as_deref(), Some("快递到了"));
        assert_eq!(
            d.fix_homophones("卖家不法货").as_deref(),
            Some("卖家不发货")
        );
        assert_eq!(d.fix_homophones("卖家不发货"), None);
        assert_eq!(d.fix_homophones("股市"), None);
    }
}
