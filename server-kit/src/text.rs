//! What counts as saying nothing, for every text a person writes to either service
//! (customer and agent messages, complaint descriptions, texts to classify): a message
//! of zero-width spaces, joiners, byte-order marks, bidi marks or Hangul fillers looks
//! empty on every screen, so it is refused like an empty one.

/// Whether `c` shows nothing: whitespace, a control character, or an invisible
/// formatting character.
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// Whether `text` has nothing a reader could see (empty included).
pub fn is_blank(text: &str) -> bool {
    text.chars().all(is_invisible)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_only_text_is_blank_and_anything_visible_is_not() {
        for blank in [
            "",
            "  \n\t",
            "\u{200B}\u{200C}\u{200D}",
            "\u{FEFF}\u{2060}",
            "\u{3164}",
            "\u{202E}\u{0007}",
        ] {
            assert!(is_blank(blank), "{blank:?}");
        }
        for visible in ["a", "\u{200B}好\u{200B}", "👍", "。"] {
            assert!(!is_blank(visible), "{visible:?}");
        }
    }
}
