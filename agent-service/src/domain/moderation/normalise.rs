//! Text normalisation for the abusive-language lexicon: undoes the disguises people use
//! to slip a word past a filter, so that the lexicon and a message compare in one form.
//! Kept crates do the tables: `decancer` turns confusable and decorated letters back into
//! plain ones (full-width ｆｕｃｋ, circled ⓕ, mathematical 𝐟, Cyrillic о, accents and
//! strike-through), `zhconv` turns traditional characters into simplified ones (你媽 →
//! 你妈). What is left here: invisible characters, and digits and symbols used as
//! letters (sh1t, @ss, $).

/// Characters that take up no room and separate nothing (zero-width spaces and joiners,
/// the word joiner, the byte-order mark, the soft hyphen).
fn invisible(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

/// Whether a character is a Han ideograph. decancer must not see these: it reads some
/// of them as look-alike letters (口 as o, 人 as a).
fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}')
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

/// Plain lower-case letters for a run without Han characters.
fn cure(run: &str, out: &mut String) {
    match decancer::cure(run, decancer::Options::default()) {
        Ok(cured) => out.push_str(cured.as_ref()),
        Err(_) => out.extend(run.chars().flat_map(char::to_lowercase)),
    }
}

/// The text in the one form the lexicon is matched in: invisible characters dropped,
/// confusables cured and lower-cased, traditional characters simplified, letter swaps
/// undone.
pub fn normalise(text: &str) -> String {
    let visible: String = text.chars().filter(|c| !invisible(*c)).collect();
    let mut cured = String::with_capacity(visible.len());
    let mut run_start = None;
    for (at, c) in visible.char_indices() {
        if is_han(c) {
            if let Some(start) = run_start.take() {
                cure(&visible[start..at], &mut cured);
            }
            cured.push(c);
        } else {
            run_start.get_or_insert(at);
        }
    }
    if let Some(start) = run_start {
        cure(&visible[start..], &mut cured);
    }
    let simplified = if cured.chars().any(is_han) {
        zhconv::zhconv(&cured, zhconv::Variant::ZhHans)
    } else {
        cured
    };
    simplified.chars().map(letter_swap).collect()
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
            ("豬腦子", "猪脑子"),
        ];
        for (text, want) in cases {
            assert_eq!(normalise(text), want, "{text:?}");
        }
    }

    #[test]
    fn keeps_chinese_and_ordinary_text_readable() {
        assert_eq!(normalise("水滚开后口感更好"), "水滚开后口感更好");
        assert_eq!(normalise("Thank You"), "thank you");
        assert_eq!(normalise("２B"), "2b");
    }
}
