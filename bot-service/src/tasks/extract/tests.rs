//! Slot extraction, case by case: numbers, amounts, cities and days in Chinese and English.
use super::*;

fn values(text: &str) -> Vec<(String, bool)> {
    numbers(text)
        .into_iter()
        .map(|n| (n.digits, n.money))
        .collect()
}

#[test]
fn numbers_phones_and_amounts() {
    assert_eq!(
        values("帮我给13812345678充50块"),
        vec![("13812345678".into(), false), ("50".into(), true)]
    );
    assert_eq!(values("138 1234 5678"), vec![("13812345678".into(), false)]);
    assert_eq!(
        values("+86 138-1234-5678"),
        vec![("8613812345678".into(), false)]
    );
    assert_eq!(values("充一百块话费"), vec![("100".into(), true)]);
    assert_eq!(values("两百"), vec![("200".into(), false)]);
    assert_eq!(values("等一下"), vec![]);
    assert_eq!(values("top up 50 yuan"), vec![("50".into(), true)]);
    assert_eq!(values("12.5元"), vec![("12.5".into(), true)]);
    assert_eq!(
        parse_chinese(&"一百五十".chars().collect::<Vec<_>>()),
        Some(150)
    );
    assert_eq!(parse_chinese(&"十".chars().collect::<Vec<_>>()), Some(10));
}

#[test]
fn mobile_numbers_are_checked_and_masked() {
    let n = |d: &str| Number {
        digits: d.into(),
        decimal: false,
        money: false,
    };
    assert_eq!(mobile(&n("13812345678")).as_deref(), Some("13812345678"));
    assert_eq!(mobile(&n("8613812345678")).as_deref(), Some("13812345678"));
    assert_eq!(mobile(&n("12812345678")), None);
    assert_eq!(mobile(&n("1381234567")), None);
    assert_eq!(mask_mobile("13812345678"), "138****5678");
}

#[test]
fn short_answers() {
    assert!(is_yes("确认") && is_yes("好的！") && is_yes("Yes.") && is_yes("OK"));
    assert!(!is_yes("确认一下号码对不对"));
    assert!(is_no("不用了") || is_no("不要"));
    assert!(is_cancel("取消") && is_cancel("Cancel please") && is_cancel("算了不充了"));
    assert!(!is_cancel("stopwatch"));
    assert!(is_retry("重试") && is_retry("try again"));
    assert!(means_own_number("充本机") && means_own_number("my own number"));
    assert!(!means_own_number("给我妈充话费"));
}

#[test]
fn days() {
    assert_eq!(day("明天杭州会下雨吗"), DayMention::Day("tomorrow"));
    assert_eq!(day("后天呢"), DayMention::Day("day_after"));
    assert_eq!(day("the day after tomorrow"), DayMention::Day("day_after"));
    assert_eq!(day("today"), DayMention::Day("today"));
    assert_eq!(day("杭州"), DayMention::None);
    assert_eq!(day("大后天"), DayMention::Unsupported);
}
