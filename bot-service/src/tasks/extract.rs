//! Finding slot values in what the customer wrote: mobile numbers (with spaces, dashes or
//! +86), amounts in digits or Chinese numerals with or without 元/块/yuan, cities by
//! Chinese or English name, days (今天/明天/后天, today/tomorrow/the day after), and
//! the short answers a dialogue waits for (yes, no, cancel, retry, "my own number").

use crate::{catalogue::City, text::fold};

/// A number written in a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Number {
    /// Its digits (a decimal point kept, separators dropped).
    pub digits: String,
    /// Whether it has a decimal point.
    pub decimal: bool,
    /// Whether it is marked as money (元, 块, yuan, ¥, 充…).
    pub money: bool,
}

impl Number {
    /// Digit count, the decimal point excluded.
    pub fn len(&self) -> usize {
        self.digits.chars().filter(char::is_ascii_digit).count()
    }

    /// The value, if a whole number that fits.
    pub fn whole(&self) -> Option<u32> {
        (!self.decimal).then(|| self.digits.parse().ok()).flatten()
    }
}

/// Words after a number that make it an amount of money.
const MONEY_AFTER: [&str; 9] = [
    "元", "块", "圆", "yuan", "rmb", "cny", "kuai", "bucks", "dollars",
];
/// Words just before a number that make it an amount of money.
const MONEY_BEFORE: [&str; 6] = ["¥", "￥", "充", "充值", "with", "of"];
/// Chinese numerals.
const CN_DIGITS: &str = "零〇一二两三四五六七八九十百千";

/// Every number of `text` (folded), in order: digit runs, digit groups separated by one
/// space or dash that make up a mobile number, and Chinese numerals.
pub(crate) fn numbers(text: &str) -> Vec<Number> {
    let folded = fold(text);
    let chars: Vec<char> = folded.chars().collect();
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_digit()
                    || (chars[i] == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)))
            {
                i += 1;
            }
            runs.push((start, i));
        } else {
            i += 1;
        }
    }
    let mut found = Vec::new();
    let mut r = 0;
    while r < runs.len() {
        let (start, mut end) = runs[r];
        let mut next = r + 1;
        // 138 1234 5678, 138-1234-5678: join groups while they add up to a phone number.
        let mut joined: String = chars[start..end].iter().collect();
        let mut j = r + 1;
        while j < runs.len()
            && runs[j].0 == runs[j - 1].1 + 1
            && matches!(chars[runs[j - 1].1], ' ' | '-')
        {
            joined.extend(&chars[runs[j].0..runs[j].1]);
            if joined.len() == 11 || (joined.len() == 13 && joined.starts_with("86")) {
                end = runs[j].1;
                next = j + 1;
                break;
            }
            j += 1;
        }
        let digits: String = chars[start..end]
            .iter()
            .filter(|c| c.is_ascii_digit() || **c == '.')
            .collect();
        found.push(Number {
            decimal: digits.contains('.'),
            money: money_around(&chars, start, end),
            digits,
        });
        r = next;
    }
    found.extend(chinese_numbers(&chars));
    found
}

fn money_around(chars: &[char], start: usize, end: usize) -> bool {
    let after: String = chars[end..].iter().skip_while(|c| **c == ' ').collect();
    let before: String = chars[..start].iter().collect();
    let before = before.trim_end();
    MONEY_AFTER.iter().any(|w| after.starts_with(w))
        || MONEY_BEFORE.iter().any(|w| before.ends_with(w))
}

/// 一百块, 五十元, 二十 (money only with a unit; bare ones need two characters or 十/百).
fn chinese_numbers(chars: &[char]) -> Vec<Number> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !CN_DIGITS.contains(chars[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && CN_DIGITS.contains(chars[i]) {
            i += 1;
        }
        let run = &chars[start..i];
        let money = money_around(chars, start, i);
        let numeric = run.len() >= 2 || run.iter().any(|c| matches!(c, '十' | '百' | '千'));
        if (money || numeric)
            && let Some(value) = parse_chinese(run)
        {
            found.push(Number {
                digits: value.to_string(),
                decimal: false,
                money,
            });
        }
    }
    found
}

/// The value of a Chinese numeral up to the thousands (一百五十, 两百, 十, 五〇).
fn parse_chinese(run: &[char]) -> Option<u32> {
    let digit = |c: char| "零一二三四五六七八九".find(c).map(|b| (b / 3) as u32);
    let (mut total, mut current) = (0u32, None::<u32>);
    for &c in run {
        let c = match c {
            '两' => '二',
            '〇' => '零',
            c => c,
        };
        let unit = match c {
            '十' => 10,
            '百' => 100,
            '千' => 1000,
            _ => {
                current = Some(current.unwrap_or(0) * 10 + digit(c)?);
                continue;
            }
        };
        total += current.take().unwrap_or(1) * unit;
    }
    let value = total + current.unwrap_or(0);
    (value > 0).then_some(value)
}

/// A mainland mobile number's digits (with `+86`/`86` removed), if it is one.
pub(crate) fn mobile(number: &Number) -> Option<String> {
    let digits = number.digits.as_str();
    let digits = match digits.len() {
        13 if digits.starts_with("86") => &digits[2..],
        _ => digits,
    };
    let bytes = digits.as_bytes();
    (!number.decimal && bytes.len() == 11 && bytes[0] == b'1' && (b'3'..=b'9').contains(&bytes[1]))
        .then(|| digits.to_owned())
}

/// 138****5678: enough for the customer to recognise, not enough to leak.
pub fn mask_mobile(number: &str) -> String {
    if number.len() == 11 && number.is_ascii() {
        format!("{}****{}", &number[..3], &number[7..])
    } else {
        number.to_owned()
    }
}

/// The message folded, without whitespace and punctuation at either end, for comparing
/// short answers.
fn bare(text: &str) -> String {
    let folded = fold(text);
    let trimmed = folded.trim_matches(|c: char| {
        c.is_whitespace() || c.is_ascii_punctuation() || "。，！？、～…".contains(c)
    });
    trimmed
        .trim_end_matches(['吧', '啊', '呀', '哦', '的'])
        .to_owned()
}

fn words(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether the whole message is one of `answers`.
fn is_one_of(text: &str, answers: &[&str]) -> bool {
    let b = bare(text);
    answers.iter().any(|a| *a == b)
}

/// "Yes, go ahead."
pub(crate) fn is_yes(text: &str) -> bool {
    is_one_of(
        text,
        &[
            "确认",
            "确定",
            "是",
            "对",
            "好",
            "可以",
            "行",
            "嗯",
            "嗯嗯",
            "没问题",
            "确认充值",
            "充",
            "确认无误",
            "yes",
            "y",
            "yeah",
            "yep",
            "ok",
            "okay",
            "sure",
            "confirm",
            "go ahead",
            "yes please",
            "confirmed",
        ],
    )
}

/// "No" to a confirmation.
pub(crate) fn is_no(text: &str) -> bool {
    is_one_of(
        text,
        &[
            "不",
            "不要",
            "不用",
            "不用了",
            "不是",
            "不对",
            "否",
            "no",
            "n",
            "nope",
            "no thanks",
        ],
    )
}

/// "Stop this task", at any point.
pub(crate) fn is_cancel(text: &str) -> bool {
    let folded = fold(text);
    ["取消", "不充了", "不查了", "算了", "不要了", "不办了"]
        .iter()
        .any(|w| folded.contains(w))
        || folded.contains("never mind")
        || folded.contains("forget it")
        || words(text).iter().any(|w| w == "cancel" || w == "stop")
}

/// "Try that again" after an unknown outcome.
pub(super) fn is_retry(text: &str) -> bool {
    is_one_of(
        text,
        &[
            "重试",
            "再试",
            "再试一次",
            "再查",
            "再查一次",
            "retry",
            "try again",
        ],
    )
}

/// "My own number": the caller's profile number is meant.
pub(super) fn means_own_number(text: &str) -> bool {
    let folded = fold(text);
    ["本机", "自己", "我的号", "我的手机", "本人"]
        .iter()
        .any(|w| folded.contains(w))
        || ["my own", "my number", "my phone", "myself", "own number"]
            .iter()
            .any(|w| folded.contains(w))
}

/// The catalogue city named in `text`, by Chinese name, English name or alias.
pub(super) fn city<'a>(text: &str, cities: &'a [City]) -> Option<&'a City> {
    let folded = fold(text);
    let words = words(text);
    let plain: Vec<String> = words.iter().map(|w| w.replace('\'', "")).collect();
    cities.iter().find(|c| {
        folded.contains(&c.name.zh)
            || words.contains(&c.name.en.to_lowercase())
            || plain.contains(&c.name.en.to_lowercase().replace('\'', ""))
            || c.aliases
                .iter()
                .any(|a| plain.contains(a) || words.contains(a))
    })
}

/// What a message says about the day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DayMention {
    /// `today`, `tomorrow` or `day_after`.
    Day(&'static str),
    /// A day that cannot be served (大后天, next week…).
    Unsupported,
    /// No day named.
    None,
}

/// The day asked about.
pub(crate) fn day(text: &str) -> DayMention {
    let folded = fold(text);
    if ["大后天", "下周", "周末", "星期", "礼拜", "下个月"]
        .iter()
        .any(|w| folded.contains(w))
        || ["weekend", "next week", "next month"]
            .iter()
            .any(|w| folded.contains(w))
    {
        return DayMention::Unsupported;
    }
    let has = |ws: &[&str]| ws.iter().any(|w| folded.contains(w));
    if has(&["后天", "day after"]) {
        DayMention::Day("day_after")
    } else if has(&["明天", "明日", "明儿", "tomorrow"]) {
        DayMention::Day("tomorrow")
    } else if has(&[
        "今天",
        "今日",
        "今儿",
        "现在",
        "today",
        "tonight",
        "right now",
    ]) {
        DayMention::Day("today")
    } else {
        DayMention::None
    }
}

#[cfg(test)]
mod tests;
