//! Text normalisation for the abusive-language lexicon: undoes the disguises people use
//! to slip a word past a filter, so that the lexicon and a message compare in one form.
//! Compatibility forms (full-width ｆｕｃｋ, circled ⓕ, mathematical 𝐟) become plain
//! letters, accents and strike-through marks go, invisible characters go, look-alike
//! Cyrillic and Greek letters become Latin ones, digits and symbols used as letters
//! (sh1t, @ss, $) become the letters, and traditional characters become simplified ones.

use unicode_normalization::UnicodeNormalization;

/// Traditional characters of the shipped lexicon's terms, with their simplified forms.
const TRADITIONAL: &[(char, char)] = &[
    ('媽', '妈'),
    ('廢', '废'),
    ('東', '东'),
    ('經', '经'),
    ('賤', '贱'),
    ('閉', '闭'),
    ('窮', '穷'),
    ('沒', '没'),
    ('腦', '脑'),
    ('殘', '残'),
    ('貨', '货'),
    ('滾', '滚'),
    ('開', '开'),
    ('癡', '痴'),
    ('豬', '猪'),
    ('這', '这'),
    ('們', '们'),
    ('買', '买'),
    ('賣', '卖'),
    ('殺', '杀'),
];

/// Cyrillic and Greek letters that look like Latin ones (after lower-casing).
const LOOK_ALIKES: &[(char, char)] = &[
    ('а', 'a'),
    ('в', 'b'),
    ('е', 'e'),
    ('ё', 'e'),
    ('і', 'i'),
    ('ј', 'j'),
    ('к', 'k'),
    ('о', 'o'),
    ('р', 'p'),
    ('с', 'c'),
    ('ѕ', 's'),
    ('у', 'y'),
    ('х', 'x'),
    ('α', 'a'),
    ('β', 'b'),
    ('ε', 'e'),
    ('ι', 'i'),
    ('κ', 'k'),
    ('ν', 'v'),
    ('ο', 'o'),
    ('ρ', 'p'),
    ('τ', 't'),
    ('υ', 'u'),
    ('χ', 'x'),
];

/// Characters that take up no room and separate nothing (zero-width spaces and joiners,
/// the word joiner, the byte-order mark, the soft hyphen).
fn invisible(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

/// Combining marks: accents (fùck) and overlays such as strike-through (f̶u̶c̶k̶).
fn combining(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}'
        | '\u{1AB0}'..='\u{1AFF}'
        | '\u{1DC0}'..='\u{1DFF}'
        | '\u{20D0}'..='\u{20FF}'
        | '\u{FE20}'..='\u{FE2F}')
}

fn lookup(table: &[(char, char)], c: char) -> char {
    table
        .iter()
        .find(|(from, _)| *from == c)
        .map_or(c, |(_, to)| *to)
}

/// Digits and symbols written for the letters they resemble.
fn letter_swap(c: char) -> char {
    match c {
        '0' => 'o',
        '1' | '!' | '|' => 'i',
        '3' => 'e',
        '4' | '@' => 'a',
        '5' | '$' => 's',
        '7' => 't',
        _ => c,
    }
}

/// The text in the one form the lexicon is matched in: compatibility forms decomposed,
/// marks and invisible characters dropped, lower case, look-alikes and swaps undone,
/// traditional characters simplified.
pub fn normalise(text: &str) -> String {
    text.nfkd()
        .filter(|c| !invisible(*c) && !combining(*c))
        .flat_map(char::to_lowercase)
        .map(|c| letter_swap(lookup(LOOK_ALIKES, lookup(TRADITIONAL, c))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn undoes_the_disguises() {
        let cases = [
            ("ｆｕｃｋ", "fuck"),
            ("ⓕⓤⓒⓚ", "fuck"),
            ("𝐟𝐮𝐜𝐤", "fuck"),
            ("fùck", "fuck"),
            ("f\u{336}u\u{336}c\u{336}k\u{336}", "fuck"),
            ("іdіоt", "idiot"),
            ("ΙDΙΟΤ", "idiot"),
            ("sh1t", "shit"),
            ("@$$", "ass"),
            ("傻\u{00AD}逼", "傻逼"),
            ("你\u{200B}媽", "你妈"),
            ("廢物", "废物"),
            ("你好\u{3000}世界", "你好 世界"),
        ];
        for (text, want) in cases {
            assert_eq!(normalise(text), want, "{text:?}");
        }
    }

    #[test]
    fn keeps_ordinary_text_readable() {
        assert_eq!(normalise("您好，很高兴为您服务"), "您好,很高兴为您服务");
        assert_eq!(normalise("Thank You"), "thank you");
    }
}
