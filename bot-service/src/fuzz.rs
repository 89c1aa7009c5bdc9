//! Property-based fuzzing (proptest, on the stable toolchain; `cargo fuzz` needs nightly):
//! text normalisation and recognition of any message, slot extraction (numbers, mobile
//! numbers, days), and catalogue parsing of any text and of damaged copies of the shipped
//! catalogue. Each target first replays the kept corpus in `fuzz-corpus/` (inputs that
//! once mattered), then runs generated cases; CI runs the default count (`PROPTEST_CASES`
//! raises it for a longer local run), and proptest records any failure in
//! `proptest-regressions/` to replay for ever.

use std::sync::OnceLock;

use proptest::prelude::*;

use crate::{
    catalogue::{Catalogue, SHIPPED_CATALOGUE},
    recognition::{Recognizer, normalise::Normaliser},
    tasks::extract,
    vocabulary::Entrance,
};

/// The kept corpus of `target`, as text.
fn corpus(target: &str) -> Vec<String> {
    server_kit::corpus::corpus(env!("CARGO_MANIFEST_DIR"), target)
        .iter()
        .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
        .collect()
}

/// The shipped catalogue, learnt once for every case.
fn shipped() -> &'static (Catalogue, Normaliser, Recognizer) {
    static SHIPPED: OnceLock<(Catalogue, Normaliser, Recognizer)> = OnceLock::new();
    SHIPPED.get_or_init(|| {
        let catalogue = Catalogue::parse(SHIPPED_CATALOGUE, "shipped").expect("it loads");
        let normaliser = Normaliser::build(&catalogue);
        let recognizer = Recognizer::new(&catalogue);
        (catalogue, normaliser, recognizer)
    })
}

/// Whatever a customer writes is normalised, recognised and searched for slots without a
/// panic, and what comes out is well-formed.
fn message(text: &str) {
    let (_, normaliser, recognizer) = shipped();
    let normal = normaliser.normalise(text);
    assert!(
        !normal.chars().any(|c| c.is_ascii_uppercase()),
        "{normal:?}"
    );
    for entrance in [Entrance::Consumer, Entrance::Merchant] {
        let seen = recognizer.classify(entrance, text, 5);
        assert!(seen.ranked.len() <= 5);
        for scored in &seen.ranked {
            assert!(
                scored.score.is_finite() && scored.score >= 0.0,
                "{scored:?}"
            );
        }
    }
    for number in extract::numbers(text) {
        if let Some(mobile) = extract::mobile(&number) {
            assert_eq!(mobile.len(), 11, "{mobile:?} from {text:?}");
        }
    }
    extract::day(text);
}

/// Any catalogue text is loaded or refused with problems, never a panic.
fn catalogue(text: &str) {
    if let Ok(catalogue) = Catalogue::parse(text, "fuzz") {
        Normaliser::build(&catalogue);
    }
}

#[test]
fn the_kept_corpus_passes() {
    for text in corpus("text") {
        message(&text);
    }
    for text in corpus("catalogue") {
        catalogue(&text);
    }
}

proptest! {
    #[test]
    fn any_message_is_read_without_harm(text in "\\PC{0,120}") {
        message(&text);
    }

    #[test]
    fn any_bytes_as_a_message(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        message(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn mobile_numbers_written_any_way_are_found(n in 13_000_000_000u64..20_000_000_000, sep in "[ -]?") {
        let digits = n.to_string();
        let text = format!("充值 {}{sep}{}{sep}{} 谢谢", &digits[..3], &digits[3..7], &digits[7..]);
        let found: Vec<String> = extract::numbers(&text)
            .iter()
            .filter_map(extract::mobile)
            .collect();
        prop_assert!(found.contains(&digits), "{text}: {found:?}");
    }

    #[test]
    fn any_catalogue_text_loads_or_is_refused(text in "\\PC{0,300}") {
        catalogue(&text);
    }

    #[test]
    fn a_damaged_shipped_catalogue_loads_or_is_refused(
        cut in any::<prop::sample::Index>(),
        len in 0usize..200,
        insert in "\\PC{0,20}",
    ) {
        let text = SHIPPED_CATALOGUE;
        let start = cut.index(text.len());
        let start = (0..=start).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
        let end = (start + len).min(text.len());
        let end = (end..=text.len()).find(|i| text.is_char_boundary(*i)).unwrap_or(text.len());
        let damaged = format!("{}{insert}{}", &text[..start], &text[end..]);
        catalogue(&damaged);
    }
}
