//! Character-level text handling shared by the catalogue, recognition and the session
//! layer: full-width to half-width folding, traditional to simplified Chinese (the kept
//! `zhconv` tables), telling Chinese from English, and the normal form of a question
//! used to count unanswered ones. A leaf module: it depends on nothing else here.

use crate::vocabulary::Language;

/// Share of Han characters among letters from which a message counts as Chinese. One Han
/// character carries about as much as a short English word, so a low share suffices:
/// "我的order在哪" is Chinese, "how do I say 谢谢 politely" is English.
const CHINESE_SHARE: f64 = 0.25;

/// Whether a character is a Han ideograph (CJK unified ideographs and extension A, plus
/// the compatibility block).
pub fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}')
}

/// Folds full-width ASCII forms (ＡＢＣ１２３？) and the ideographic space to their
/// half-width equivalents, so "ｏｒｄｅｒ" and "order" are the same word.
pub fn half_width(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// Half-width folding and lower-casing in one pass, the first step of every analysis.
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    fold_into(text, &mut folded);
    folded
}

/// [`fold`], appending to a buffer the caller reuses.
pub fn fold_into(text: &str, folded: &mut String) {
    folded.reserve(text.len());
    for c in text.chars().map(half_width) {
        if c.is_ascii() {
            folded.push(c.to_ascii_lowercase());
        } else if is_han(c) {
            // Han characters have no case: skip the Unicode case tables.
            folded.push(c);
        } else {
            folded.extend(c.to_lowercase());
        }
    }
}

/// Traditional characters turned into simplified ones (賣家不發貨 → 卖家不发货), with
/// the MediaWiki conversion tables; text without Han characters is returned as it is.
pub fn simplify(text: &str) -> String {
    if text.chars().any(is_han) {
        zhconv::zhconv(text, zhconv::Variant::ZhHans)
    } else {
        text.to_owned()
    }
}

/// The form every analysis starts from: [`fold`]ed, then [`simplify`]d.
pub fn canonical(text: &str) -> String {
    simplify(&fold(text))
}

/// The language a message is written in: Chinese when Han characters make up at least a
/// quarter of its letters, English otherwise. A message without letters (digits, emoji,
/// punctuation) is taken as Chinese, the platform's main language.
pub fn detect_language(text: &str) -> Language {
    let (mut han, mut latin) = (0usize, 0usize);
    for c in text.chars().map(half_width) {
        if is_han(c) {
            han += 1;
        } else if c.is_ascii_alphabetic() {
            latin += 1;
        }
    }
    if han + latin == 0 || han as f64 >= CHINESE_SHARE * (han + latin) as f64 {
        Language::Zh
    } else {
        Language::En
    }
}

/// Punctuation that ends a question in either script and says nothing about its content.
fn is_trailing_punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(
            c,
            '。' | '，'
                | '、'
                | '；'
                | '：'
                | '？'
                | '！'
                | '…'
                | '～'
                | '·'
                | '“'
                | '”'
                | '‘'
                | '’'
        )
}

/// The normal form of a question, so that "怎么退款？？" and "怎么退款" count as one
/// unanswered question: half-width, lower-case, whitespace collapsed to single spaces,
/// trailing punctuation removed.
pub fn normalise_question(text: &str) -> String {
    let folded = fold(text);
    let mut collapsed = String::with_capacity(folded.len());
    for word in folded.split_whitespace() {
        if !collapsed.is_empty() {
            collapsed.push(' ');
        }
        collapsed.push_str(word);
    }
    let kept =
        collapsed.trim_end_matches(|c: char| is_trailing_punctuation(c) || c.is_whitespace());
    kept.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_chinese_english_and_mixed_messages() {
        assert_eq!(detect_language("我的快递到哪了"), Language::Zh);
        assert_eq!(detect_language("where is my parcel?"), Language::En);
        assert_eq!(detect_language("我的order在哪"), Language::Zh);
        assert_eq!(detect_language("iPhone 15 怎么退货"), Language::Zh);
        assert_eq!(detect_language("how do I say 谢谢 politely"), Language::En);
        assert_eq!(
            detect_language("ｗｈｅｒｅ ｉｓ ｍｙ ｏｒｄｅｒ"),
            Language::En
        );
        assert_eq!(detect_language("12315"), Language::Zh);
        assert_eq!(detect_language(""), Language::Zh);
    }

    #[test]
    fn folds_full_width_forms() {
        assert_eq!(fold("ＡＢＣ　１２３？"), "abc 123?");
        assert_eq!(fold("退款ＯＫ吗"), "退款ok吗");
    }

    #[test]
    fn normalises_questions_for_counting() {
        assert_eq!(normalise_question("  怎么退款？？  "), "怎么退款");
        assert_eq!(
            normalise_question("Where   is my\tORDER?!"),
            "where is my order"
        );
        assert_eq!(
            normalise_question("ｗｈｅｒｅ　ｉｓ　ｉｔ？"),
            "where is it"
        );
        assert_eq!(normalise_question("发货了吗。。。"), "发货了吗");
        assert_eq!(normalise_question("???"), "");
    }

    #[test]
    fn traditional_characters_become_simplified() {
        assert_eq!(canonical("賣家不發貨"), "卖家不发货");
        assert_eq!(canonical("發票怎麼開？"), "发票怎么开?");
        assert_eq!(canonical("ＲＥＦＵＮＤ"), "refund");
        assert_eq!(simplify("謝謝"), "谢谢");
    }
}
