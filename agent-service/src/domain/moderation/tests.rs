//! The lexicon over the disguises it must see through, the innocent words it must leave
//! alone, and the shipped test set of clean and abusive agent messages
//! (`moderation/checks.tsv`).

use super::*;

/// The shipped set of agent messages: `clean` or `abusive`, a tab, the text.
const CHECKS: &str = include_str!("../../../moderation/checks.tsv");

fn lexicon() -> Lexicon {
    let shipped = Lexicon::shipped();
    let loaded =
        Lexicon::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("moderation/lexicon.toml"))
            .expect("the shipped lexicon loads from its file too");
    assert_eq!(shipped.len(), loaded.len());
    shipped
}

#[test]
fn catches_the_usual_evasions() {
    let l = lexicon();
    let cases: &[(&str, &str)] = &[
        ("你是傻逼吗", "傻逼"),
        ("你是 傻 逼 吗", "傻逼"),
        ("你是傻。逼吗", "傻逼"),
        ("ｆｕｃｋ you", "fuck"),
        ("what the f u c k", "fuck"),
        ("s.h.i.t happens", "shit"),
        ("sh1t", "shit"),
        ("you @sshole", "asshole"),
        ("fuuuuck off", "fuck"),
        ("f*ck this", "fuck"),
        ("SHUT   UP please", "shut up"),
        ("你个SB", "sb"),
        ("爱买不买", "爱买不买"),
        ("你\u{200B}妈", "你妈"),
        ("你媽的", "你妈"),
        ("廢物一個", "废物"),
        ("傻\u{00AD}逼", "傻逼"),
        ("𝐢𝐝𝐢𝐨𝐭", "idiot"),
        ("ⓢⓗⓤⓣ ⓤⓟ", "shut up"),
        ("you іdіоt", "idiot"),
        ("f\u{336}u\u{336}c\u{336}k\u{336} off", "fuck"),
        ("stüpid", "stupid"),
        ("b-i-t-c-h", "bitch"),
    ];
    for (text, term) in cases {
        let hits = l.check(text);
        assert!(hits.iter().any(|h| h == term), "{text:?} → {hits:?}");
    }
}

#[test]
fn leaves_ordinary_service_language_alone() {
    let l = lexicon();
    for text in [
        "您好，很高兴为您服务",
        "Your parcel is in the class of express shipments",
        "I will assess the refund and ship it today",
        "订单号 13812345678 已经为您加急处理",
        "Please check the USB cable that shipped with the order",
        "Thank you, have a nice day!",
        "Ваш заказ отправлен, naïve café résumé",
        "您的订單已經發貨，請耐心等待",
        "ｏｒｄｅｒ ｎｏ． １２３４５ shipped",
    ] {
        assert!(l.check(text).is_empty(), "{text:?} → {:?}", l.check(text));
    }
}

#[test]
fn reports_each_term_once_in_lexicon_order() {
    let l = Lexicon::new(["idiot", "傻逼"]).unwrap();
    assert_eq!(l.check("傻逼 idiot IDIOT 傻逼"), vec!["idiot", "傻逼"]);
}

#[test]
fn a_bad_lexicon_is_refused_with_the_reason() {
    assert!(Lexicon::new(["ok", "  "]).unwrap_err().contains("term #2"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "fr = [\"merde\"]").unwrap();
    let e = Lexicon::load(&path).unwrap_err().to_string();
    assert!(e.contains("bad.toml") && e.contains("fr"), "{e}");
}

#[test]
fn catches_short_insults_curses_and_pinyin() {
    let l = lexicon();
    for (text, term) in [
        ("滚", "滚"),
        ("你给我滚！", "滚"),
        ("艹", "艹"),
        ("你真是个2B", "2b"),
        ("wtf is this", "wtf"),
        ("你死全家", "死全家"),
        ("你是猪吗", "你是猪"),
        ("sha bi", "shabi"),
        ("shabi", "shabi"),
        ("s h a b i", "shabi"),
    ] {
        let hits = l.check(text);
        assert!(hits.iter().any(|h| h == term), "{text:?} → {hits:?}");
    }
}

#[test]
fn leaves_innocent_words_that_contain_terms_alone() {
    let l = lexicon();
    for text in [
        "给妈妈的礼物",
        "水滚开后放面",
        "废物利用",
        "请看 s b 这个选项",
        "往下滚动",
    ] {
        assert!(l.check(text).is_empty(), "{text:?} → {:?}", l.check(text));
    }
}

#[test]
fn the_shipped_test_set_is_judged_right() {
    let l = lexicon();
    let (mut clean, mut abusive) = (0, 0);
    let mut wrong = Vec::new();
    for line in CHECKS
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (label, text) = line.split_once('\t').expect("label<TAB>text");
        let hits = l.check(text);
        match label {
            "clean" => {
                clean += 1;
                if !hits.is_empty() {
                    wrong.push(format!("clean {text:?} flagged {hits:?}"));
                }
            }
            "abusive" => {
                abusive += 1;
                if hits.is_empty() {
                    wrong.push(format!("abusive {text:?} not flagged"));
                }
            }
            other => panic!("unknown label {other:?}"),
        }
    }
    assert!(
        clean >= 60 && abusive >= 60,
        "{clean} clean, {abusive} abusive"
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
