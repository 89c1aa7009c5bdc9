//! The shipped evaluation sets are sound (labelled with intents their entrance has, kept
//! apart from the catalogue and from each other), and the held-out test part meets the
//! recognition targets.

use std::collections::HashSet;
use std::sync::LazyLock;

use super::*;
use crate::catalogue::Catalogue;
use crate::recognition::normalise_question;

static CATALOGUE: LazyLock<Catalogue> =
    LazyLock::new(|| Catalogue::load_default().expect("default catalogue loads"));

fn part(path: &str) -> Vec<Case> {
    load_cases(path).expect("evaluation set loads")
}

#[test]
fn evaluation_sets_are_large_labelled_and_apart_from_the_catalogue() {
    let (dev, test) = (part(DEV_CASES_PATH), part(TEST_CASES_PATH));
    assert!(
        dev.len() + test.len() >= 600,
        "{} + {}",
        dev.len(),
        test.len()
    );
    let fallback = &CATALOGUE.fallback().examples;
    let examples: HashSet<String> = CATALOGUE
        .intents()
        .iter()
        .flat_map(|i| i.examples.zh.iter().chain(&i.examples.en))
        .chain(fallback.zh.iter().chain(&fallback.en))
        .map(|e| normalise_question(e))
        .collect();
    let dev_texts: HashSet<String> = dev.iter().map(|c| normalise_question(&c.text)).collect();
    for case in dev.iter().chain(&test) {
        if !case.is_fallback() {
            let intent = CATALOGUE.intent(&case.expected);
            assert!(
                intent.is_some_and(|i| i.serves(case.entrance)),
                "{case:?} is labelled with an intent its entrance does not have"
            );
        }
        let text = normalise_question(&case.text);
        assert!(
            !examples.contains(&text),
            "{:?} is a catalogue example",
            case.text
        );
    }
    for case in &test {
        let text = normalise_question(&case.text);
        assert!(
            !dev_texts.contains(&text),
            "{:?} is in both parts",
            case.text
        );
    }
    let kinds: HashSet<&str> = test.iter().map(|c| c.kind.as_str()).collect();
    for kind in [
        "traditional",
        "pinyin",
        "typo",
        "slang",
        "long",
        "out-of-scope",
    ] {
        assert!(kinds.contains(kind), "the test part has no {kind} case");
    }
}

#[test]
fn held_out_test_part_meets_the_recognition_targets() {
    let report = evaluate(&Recognizer::new(&CATALOGUE), &part(TEST_CASES_PATH));
    assert!(report.top1_accuracy() >= 0.92, "{report}");
    assert!(report.out_of_scope_recall() >= 0.90, "{report}");
    for (kind, figures) in &report.kinds {
        assert!(figures.accuracy() >= 0.85, "{kind}: {figures:?}\n{report}");
    }
    assert_eq!(report.human_complaints_misrouted(), 0, "{report}");
}

#[test]
fn report_counts_kinds_confusions_and_misses() {
    let case = |kind: &str, text: &str, expected: &str| Case {
        entrance: Entrance::Consumer,
        kind: kind.into(),
        text: text.into(),
        expected: expected.into(),
    };
    let cases = vec![
        case("paraphrase-zh", "我的快递到哪了", "order.status"),
        case("out-of-scope", "推荐一部电影", FALLBACK),
        case(
            "complaint-distinction",
            "我要投诉刚才的人工客服",
            "complaint.agent",
        ),
    ];
    let report = evaluate(&Recognizer::new(&CATALOGUE), &cases);
    assert_eq!(
        (report.total, report.in_scope, report.out_of_scope),
        (3, 2, 1)
    );
    assert_eq!(report.top1_correct, 1);
    assert_eq!(report.out_of_scope_rejected, 1);
    assert_eq!(
        report.kinds["paraphrase-zh"],
        KindFigures { total: 1, right: 0 }
    );
    assert_eq!(
        report.kinds["out-of-scope"],
        KindFigures { total: 1, right: 1 }
    );
    assert_eq!(
        report.confusion.count("complaint.agent", "complaint.agent"),
        1
    );
    assert_eq!(report.misses.len(), 1);
    let shown = report.to_string();
    assert!(
        shown.contains("expected order.status, got logistics.tracking"),
        "{shown}"
    );
    assert!(shown.contains("complaints about a human answered as hand-off or bot complaint: 0"));
}

#[test]
fn a_malformed_line_is_refused_with_its_number() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cases.tsv");
    std::fs::write(
        &path,
        "# header\nconsumer\tslang\tchitchat.thanks\t3q\nconsumer\t3q\n",
    )
    .unwrap();
    let error = load_cases(&path).unwrap_err().to_string();
    assert!(
        error.contains("line 3") && error.contains("2 fields"),
        "{error}"
    );
}
