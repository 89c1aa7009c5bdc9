//! What the robot says around a task that the catalogue does not: why a value was not
//! accepted, cancellation, and honest outcomes when the back end cannot be reached, is
//! slow, or is not configured. Every text exists in Chinese and English.

use crate::{catalogue::City, vocabulary::Language};

/// "The number you gave is not a mobile number."
pub(super) fn bad_mobile(language: Language, given: &str) -> String {
    match language {
        Language::Zh => {
            format!("“{given}”不是有效的大陆手机号：手机号是 11 位数字，以 13–19 开头。")
        }
        Language::En => format!(
            "\"{given}\" is not a valid mainland mobile number: it has 11 digits and starts with 13–19."
        ),
    }
}

/// "You asked for your own number but the profile has none."
pub(super) fn no_profile_mobile(language: Language) -> String {
    match language {
        Language::Zh => "我这里没有您本机的号码，请直接输入要充值的 11 位手机号。".to_owned(),
        Language::En => {
            "I don't have your own number on file; please type the 11-digit mobile number."
                .to_owned()
        }
    }
}

/// "That amount is not on offer."
pub(super) fn bad_amount(language: Language, given: &str, choices: &[u32]) -> String {
    let list = |sep: &str| {
        choices
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(sep)
    };
    match language {
        Language::Zh => format!("暂不支持 {given} 元，可选 {} 元。", list("、")),
        Language::En => format!("{given} yuan is not available; choose {} yuan.", list(", ")),
    }
}

/// "That city is not one I know."
pub(super) fn bad_city(language: Language, cities: &[City]) -> String {
    let names: Vec<&str> = cities
        .iter()
        .map(|c| c.name.get(language).as_str())
        .collect();
    match language {
        Language::Zh => format!("暂时查不到这个城市。目前支持：{}。", names.join("、")),
        Language::En => format!("I can't look that city up. I know: {}.", names.join(", ")),
    }
}

/// "Only today, tomorrow or the day after."
pub(super) fn bad_day(language: Language) -> String {
    match language {
        Language::Zh => "只能查今天、明天和后天。".to_owned(),
        Language::En => "I can only check today, tomorrow or the day after.".to_owned(),
    }
}

/// A day's name.
pub(super) fn day_name(language: Language, day: &str) -> &'static str {
    match (language, day) {
        (Language::Zh, "tomorrow") => "明天",
        (Language::Zh, "day_after") => "后天",
        (Language::Zh, _) => "今天",
        (Language::En, "tomorrow") => "tomorrow",
        (Language::En, "day_after") => "the day after tomorrow",
        (Language::En, _) => "today",
    }
}

/// Buttons under a confirmation question.
pub(super) fn confirm_buttons(language: Language) -> Vec<String> {
    match language {
        Language::Zh => vec!["确认".to_owned(), "取消".to_owned()],
        Language::En => vec!["Yes".to_owned(), "Cancel".to_owned()],
    }
}

/// Buttons after an unknown outcome.
pub fn retry_buttons(language: Language) -> Vec<String> {
    match language {
        Language::Zh => vec!["重试".to_owned(), "取消".to_owned()],
        Language::En => vec!["Try again".to_owned(), "Cancel".to_owned()],
    }
}

/// The button that takes the caller's own number.
pub(super) fn own_number_button(language: Language, masked: &str) -> String {
    match language {
        Language::Zh => format!("充本机 {masked}"),
        Language::En => format!("My own number {masked}"),
    }
}

/// "Reply yes or cancel."
pub(super) fn confirm_hint(language: Language) -> &'static str {
    match language {
        Language::Zh => "请回复“确认”继续，或回复“取消”放弃。",
        Language::En => "Please reply \"yes\" to go ahead or \"cancel\" to stop.",
    }
}

/// "Cancelled" (and, for a paid task, that nothing was charged).
pub(super) fn cancelled(language: Language, title: &str, spends: bool) -> String {
    match (language, spends) {
        (Language::Zh, true) => format!("好的，已取消「{title}」，没有扣款。"),
        (Language::Zh, false) => format!("好的，已取消「{title}」。"),
        (Language::En, true) => format!("OK, \"{title}\" is cancelled; nothing was charged."),
        (Language::En, false) => format!("OK, \"{title}\" is cancelled."),
    }
}

/// "OK" after an unknown outcome the customer does not want retried.
pub(super) fn left_unknown(language: Language, check: &str) -> String {
    match language {
        Language::Zh if !check.is_empty() => format!("好的。结果请以{check}为准。"),
        Language::Zh => "好的。结果请以记录为准。".to_owned(),
        Language::En if !check.is_empty() => format!("OK. Please rely on {check} for the outcome."),
        Language::En => "OK. Please rely on your records for the outcome.".to_owned(),
    }
}

/// The task's back end is not configured, or not reachable before anything started.
pub fn not_available(language: Language, title: &str) -> String {
    match language {
        Language::Zh => format!("抱歉，「{title}」服务现在暂不可用，请稍后再试。"),
        Language::En => format!(
            "Sorry, the \"{title}\" service is not available right now. Please try again later."
        ),
    }
}

/// The back end could not be reached or refused to work: definitely not done.
pub fn not_done(language: Language, title: &str, spends: bool) -> String {
    match (language, spends) {
        (Language::Zh, true) => {
            format!("抱歉，「{title}」服务暂时不可用，这次没有办理，也没有扣款。请稍后再试。")
        }
        (Language::Zh, false) => format!("抱歉，「{title}」服务暂时不可用，请稍后再试。"),
        (Language::En, true) => format!(
            "Sorry, the \"{title}\" service is not available right now. Nothing was done and nothing was charged. Please try again later."
        ),
        (Language::En, false) => format!(
            "Sorry, the \"{title}\" service is not available right now. Please try again later."
        ),
    }
}

/// The back end did not answer in time, or broke off: the outcome is unknown.
pub fn unknown(language: Language, title: &str, check: &str, hotline: &str) -> String {
    match language {
        Language::Zh => {
            let check = if check.is_empty() {
                "相关记录".to_owned()
            } else {
                check.to_owned()
            };
            format!(
                "抱歉，「{title}」的结果暂时无法确认：服务没有及时响应，可能已经办理，也可能没有。请先到{check}查看，不要重复提交；也可以回复“重试”，我会用同一笔单号再确认一次（不会重复扣款）。如有疑问请拨打客服热线 {hotline}。"
            )
        }
        Language::En => {
            let check = if check.is_empty() {
                "your records".to_owned()
            } else {
                check.to_owned()
            };
            format!(
                "Sorry, I can't confirm the outcome of \"{title}\": the service did not answer in time, so it may or may not have gone through. Please check {check} before trying again; or reply \"try again\" and I will check with the same order reference (you will not be charged twice). Questions: call our hotline {hotline}."
            )
        }
    }
}
