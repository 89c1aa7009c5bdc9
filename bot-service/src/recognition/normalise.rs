//! Brings a message to the form the catalogue's examples are in, before any matching:
//! full-width and case folded and traditional characters simplified ([`canonical`]),
//! the catalogue's `[slang]` table applied (3q, 886, 肿么办, 木有), sound-alike typos in
//! Chinese fixed, pinyin turned into the catalogue's Chinese words, and misspelt English
//! words corrected to the catalogue's own vocabulary. Examples go through the same steps
//! at load time, so both sides always meet in one form.

use rustc_hash::FxHashMap;

use super::lexicon::{english_form, is_english_stop_word};
use super::pinyin::PinyinDictionary;
use super::spelling::Speller;
use super::tokenize::chinese_words;
use crate::catalogue::Catalogue;
use crate::text::{canonical, is_han};

/// Messages longer than this (in characters) skip typo repair: one misspelt word is all
/// the evidence a short message has, while a long one carries its intent in many words,
/// and repairing every word of a story costs more than the recognition budget.
const REPAIRED_CHARS: usize = 60;

/// The slang table split by how entries are matched.
#[derive(Debug, Default)]
struct Slang {
    /// Entries with Chinese in them, matched anywhere, longest first.
    anywhere: Vec<(String, String)>,
    /// Latin or digit entries (3q, 886, thx), matched as whole tokens.
    tokens: FxHashMap<String, String>,
}

impl Slang {
    fn new(table: &[(String, String)]) -> Slang {
        let mut slang = Slang::default();
        for (from, to) in table {
            if from.chars().any(is_han) || from.contains(' ') {
                slang.anywhere.push((from.clone(), to.clone()));
            } else {
                slang.tokens.insert(from.clone(), to.clone());
            }
        }
        slang
            .anywhere
            .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        slang
    }

    fn apply(&self, text: &str) -> String {
        let mut text = text.to_owned();
        // Which characters may be in the text (a 64-bit Bloom filter, grown with every
        // replacement): most entries' first character is not, which saves searching
        // a story for each of them.
        let mut present = CharSet::of(&text);
        for (from, to) in &self.anywhere {
            let first = from.chars().next().unwrap_or_default();
            if present.may_have(first) && text.contains(from.as_str()) {
                text = text.replace(from.as_str(), to);
                present.add(to);
            }
        }
        if self.tokens.is_empty() {
            return text;
        }
        replace_runs(
            &text,
            |c| c.is_ascii_alphanumeric() || c == '\'',
            |token| self.tokens.get(token).cloned(),
        )
    }
}

/// A set of characters that may report one it does not hold, never the reverse.
#[derive(Clone, Copy)]
struct CharSet(u64);

impl CharSet {
    fn bit(c: char) -> u64 {
        1 << ((c as u32).wrapping_mul(0x9E37_79B1) >> 26)
    }

    fn of(text: &str) -> CharSet {
        let mut set = CharSet(0);
        set.add(text);
        set
    }

    fn add(&mut self, text: &str) {
        self.0 |= text.chars().fold(0, |bits, c| bits | CharSet::bit(c));
    }

    fn may_have(self, c: char) -> bool {
        self.0 & CharSet::bit(c) != 0
    }
}

/// `text` with every maximal run of `in_run` characters that `replace` has a
/// replacement for replaced.
fn replace_runs(
    text: &str,
    in_run: impl Fn(char) -> bool,
    mut replace: impl FnMut(&str) -> Option<String>,
) -> String {
    let mut out = String::with_capacity(text.len());
    let mut flush = |out: &mut String, run: &str| match replace(run) {
        Some(replacement) => out.push_str(&replacement),
        None => out.push_str(run),
    };
    let mut start = None;
    for (at, c) in text.char_indices() {
        if in_run(c) {
            start.get_or_insert(at);
            continue;
        }
        if let Some(from) = start.take() {
            flush(&mut out, &text[from..at]);
        }
        out.push(c);
    }
    if let Some(from) = start {
        flush(&mut out, &text[from..]);
    }
    out
}

/// What to do with one Latin word of a message.
enum Reading {
    /// Keep it.
    Keep,
    /// It is pinyin: these Chinese words.
    Chinese(String),
    /// It is a misspelling of this catalogue word.
    Word(String),
}

/// The normalisation steps, with what they learnt from the catalogue.
#[derive(Debug, Default)]
pub(crate) struct Normaliser {
    slang: Slang,
    pinyin: PinyinDictionary,
    speller: Speller,
}

impl Normaliser {
    /// Learns the slang table, the Chinese words (for pinyin and sound-alike typos) and
    /// the English vocabulary (for spelling) of every example, out-of-scope ones too.
    pub fn build(catalogue: &Catalogue) -> Normaliser {
        let slang = Slang::new(catalogue.slang());
        let fallback = &catalogue.fallback().examples;
        let examples = catalogue
            .intents()
            .iter()
            .flat_map(|intent| intent.examples.zh.iter().chain(&intent.examples.en))
            .chain(fallback.zh.iter().chain(&fallback.en));
        let texts: Vec<String> = examples.map(|e| slang.apply(&canonical(e))).collect();
        let mut chinese = Vec::new();
        let mut english = Vec::new();
        for text in &texts {
            chinese.extend(chinese_words(text));
            english.extend(latin_words(text));
        }
        Normaliser {
            pinyin: PinyinDictionary::build(chinese.iter().map(String::as_str), &texts),
            speller: Speller::build(english.into_iter()),
            slang,
        }
    }

    /// The message in the examples' form.
    pub fn normalise(&self, text: &str) -> String {
        let mut text = self.slang.apply(&canonical(text));
        let has_han = text.chars().any(is_han);
        let repair = text.chars().count() <= REPAIRED_CHARS;
        if repair
            && has_han
            && let Some(fixed) = self.pinyin.fix_homophones(&text)
        {
            text = fixed;
        }
        if !text.bytes().any(|b| b.is_ascii_alphabetic()) {
            return text;
        }
        let (known, unknown) = latin_words(&text).fold((0, 0), |(k, u), word| {
            if self.is_english(word) {
                (k + 1, u)
            } else {
                (k, u + 1)
            }
        });
        let english = !has_han && known >= unknown;
        if english && !repair {
            return text;
        }
        let mut out = String::with_capacity(text.len());
        // Where the last word read as pinyin ended in `out`: pinyin words typed with
        // spaces between them ("zhuan rengong") are joined into one Chinese run.
        let mut chinese_end: Option<usize> = None;
        let mut rest = text.as_str();
        while let Some(start) = rest.find(|c: char| c.is_ascii_alphabetic()) {
            out.push_str(&rest[..start]);
            let word_len = rest[start..]
                .find(|c: char| !(c.is_ascii_alphabetic() || c == '\''))
                .unwrap_or(rest.len() - start);
            let word = &rest[start..start + word_len];
            match self.read(word, english) {
                Reading::Keep => out.push_str(word),
                Reading::Word(fixed) => out.push_str(&fixed),
                Reading::Chinese(han) => {
                    if let Some(end) = chinese_end
                        && out[end..].chars().all(char::is_whitespace)
                    {
                        out.truncate(end);
                    }
                    out.push_str(&han);
                    chinese_end = Some(out.len());
                }
            }
            rest = &rest[start + word_len..];
        }
        out.push_str(rest);
        out
    }

    /// Whether a word is English the robot knows (the catalogue's words, stop words,
    /// contractions).
    fn is_english(&self, word: &str) -> bool {
        self.speller.knows(word)
            || word.contains('\'')
            || is_english_stop_word(word)
            || english_form(word).is_some()
    }

    /// How to read one Latin word. In a Chinese or pinyin message, pinyin wins unless
    /// it only converts to single characters and the word is one typo from an English
    /// word; in an English sentence, spelling wins, and pinyin only counts when it
    /// converts into whole catalogue words.
    fn read(&self, word: &str, english: bool) -> Reading {
        if self.is_english(word) {
            return Reading::Keep;
        }
        let chinese = self.pinyin.to_han(word);
        let fixed = self.speller.correct(word);
        let whole_words = |han: &str, in_words: usize| in_words == han.chars().count();
        match (chinese, fixed) {
            (Some((han, in_words)), fixed) if !english && (in_words > 0 || fixed.is_none()) => {
                Reading::Chinese(han)
            }
            (_, Some(fixed)) => Reading::Word(fixed.to_owned()),
            (Some((han, in_words)), None) if whole_words(&han, in_words) => Reading::Chinese(han),
            _ => Reading::Keep,
        }
    }
}

/// The lower-case Latin words of a text.
fn latin_words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphabetic() || c == '\''))
        .map(|w| w.trim_matches('\''))
        .filter(|w| !w.is_empty())
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use super::*;

    static NORMALISER: LazyLock<Normaliser> =
        LazyLock::new(|| Normaliser::build(&Catalogue::load_default().expect("default catalogue")));

    #[track_caller]
    fn assert_normalised(text: &str, want: &str) {
        assert_eq!(NORMALISER.normalise(text), want, "{text:?}");
    }

    #[test]
    fn slang_traditional_and_width_are_undone() {
        assert_normalised("3Q", "谢谢");
        assert_normalised("886", "再见");
        assert_normalised("賣家不發貨", "卖家不发货");
        assert_normalised("卖家木有发货肿么办", "卖家没有发货怎么办");
        assert_normalised("订单 13800138886", "订单 13800138886");
    }

    #[test]
    fn pinyin_becomes_chinese_and_english_is_kept() {
        assert_normalised("tuikuan 多久到", "退款 多久到");
        assert_normalised("zhuan rengong", "转人工");
        assert_normalised("我的 order 还没 fahuo", "我的 order 还没 发货");
        assert_normalised("where is my order", "where is my order");
    }

    #[test]
    fn misspelt_english_and_sound_alike_chinese_are_corrected() {
        assert_normalised("where is my refnud", "where is my refund");
        assert_normalised("forgot my pasword", "forgot my password");
        assert_normalised("快第到哪了", "快递到哪了");
    }

    #[test]
    fn runs_are_replaced_whole() {
        let out = replace_runs(
            "a 3q b3q",
            |c| c.is_ascii_alphanumeric(),
            |run| (run == "3q").then(|| "x".to_owned()),
        );
        assert_eq!(out, "a x b3q");
    }
}
