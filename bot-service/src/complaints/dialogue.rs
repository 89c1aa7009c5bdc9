//! The `complaint.agent` dialogue as a state machine, like the task dialogues: [`start`]
//! with the customer's complainable conversations, [`advance`] on each later message,
//! each returning a [`Step`]: something to say (the dialogue going on or over), a
//! finished draft to file, or "this message is about something else". Cancel works at
//! any point.

use super::{Category, Complainable, Draft, Stage, texts};
use crate::{
    tasks::{is_cancel, is_no, is_yes, message_language},
    vocabulary::Language,
};

/// Longest description agent-service accepts, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;

/// A cancel word is only taken as "cancel" in a description when the message is short.
const SHORT_CANCEL_CHARS: usize = 8;

/// What to do with a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Say `text`; the dialogue goes on as `draft`, or is over (`None`).
    Say {
        /// The reply.
        text: String,
        /// Buttons.
        quick_replies: Vec<String>,
        /// The dialogue after this message.
        draft: Option<Draft>,
    },
    /// Confirmed: file it.
    File(Draft),
    /// The message is about something else: drop the dialogue and answer it normally.
    Unrelated,
}

fn say((text, quick_replies): (String, Vec<String>), draft: Option<Draft>) -> Step {
    Step::Say {
        text,
        quick_replies,
        draft,
    }
}

/// Starts dialogue number `instance` from the message that asked for it, with the
/// customer's recent conversations with a person (none: the robot explains it cannot be
/// complained about). A kind of problem named in the message is kept.
pub fn start(
    instance: u32,
    choices: Vec<Complainable>,
    text: &str,
    language: Language,
    hotline: &str,
) -> Step {
    if choices.is_empty() {
        return say(texts::robot_only(language, hotline), None);
    }
    let draft = Draft {
        instance,
        stage: Stage::Choosing,
        choices,
        chosen: None,
        description: String::new(),
        category: category_in(text),
        language,
    };
    say(texts::choose(language, &draft.choices), Some(draft))
}

/// Moves `draft` on with the customer's next message; `other_intent` says whether
/// recognition is sure the message asks something else.
pub fn advance(draft: &Draft, text: &str, other_intent: bool) -> Step {
    let mut draft = draft.clone();
    draft.language = message_language(text, draft.language);
    let language = draft.language;
    let short = text.trim().chars().count() <= SHORT_CANCEL_CHARS;
    if is_cancel(text) && (draft.stage != Stage::Describing || short) {
        return say((texts::cancelled(language), Vec::new()), None);
    }
    match draft.stage {
        Stage::Choosing => match pick(&draft.choices, text) {
            Some(chosen) => {
                let asked = texts::ask_description(language, &chosen);
                draft.chosen = Some(chosen);
                draft.stage = Stage::Describing;
                say(asked, Some(draft))
            }
            None if other_intent => Step::Unrelated,
            None => say(texts::choose_again(language, &draft.choices), Some(draft)),
        },
        Stage::Describing => {
            let description = text.trim();
            let chars = description.chars().count();
            if chars == 0 || chars > MAX_DESCRIPTION_CHARS {
                let text = texts::bad_description(language, MAX_DESCRIPTION_CHARS);
                return say((text, Vec::new()), Some(draft));
            }
            draft.description = description.to_owned();
            draft.category = draft.category.or_else(|| category_in(description));
            if draft.category.is_some() {
                draft.stage = Stage::Confirming;
                say(texts::confirm(language, &draft), Some(draft))
            } else {
                draft.stage = Stage::Categorising;
                say(texts::ask_category(language), Some(draft))
            }
        }
        Stage::Categorising => match category_button(text).or_else(|| category_in(text)) {
            Some(category) => {
                draft.category = Some(category);
                draft.stage = Stage::Confirming;
                say(texts::confirm(language, &draft), Some(draft))
            }
            None if other_intent => Step::Unrelated,
            None => say(texts::ask_category(language), Some(draft)),
        },
        Stage::Confirming => {
            if is_yes(text) || confirms(text) {
                Step::File(draft)
            } else if is_no(text) {
                say((texts::cancelled(language), Vec::new()), None)
            } else if other_intent {
                Step::Unrelated
            } else {
                say(texts::confirm(language, &draft), Some(draft))
            }
        }
    }
}

fn bare(text: &str) -> String {
    text.trim()
        .trim_matches(|c: char| c.is_ascii_punctuation() || "。，！？、～…".contains(c))
        .to_lowercase()
}

/// The confirmation button, in either language.
fn confirms(text: &str) -> bool {
    matches!(
        bare(text).as_str(),
        "确认提交" | "提交" | "yes, file it" | "file it"
    )
}

/// The conversation `text` picks: its button (in either language), its number in the
/// list (1, 2… or 第1个), or the agent's 工号 when only one conversation has it.
fn pick(choices: &[Complainable], text: &str) -> Option<Complainable> {
    let b = bare(text);
    let by_label = choices.iter().find(|c| {
        [Language::Zh, Language::En]
            .iter()
            .any(|l| bare(&texts::choice_label(*l, c)) == b)
    });
    if let Some(c) = by_label {
        return Some(c.clone());
    }
    let ordinal = b
        .trim_start_matches('第')
        .trim_end_matches(['个', '次'])
        .trim_start_matches("no.")
        .trim();
    if let Ok(n) = ordinal.parse::<usize>() {
        return (1..=choices.len())
            .contains(&n)
            .then(|| choices[n - 1].clone());
    }
    let mut by_number = choices
        .iter()
        .filter(|c| !c.agent.work_number.is_empty() && b.contains(&c.agent.work_number));
    match (by_number.next(), by_number.next()) {
        (Some(c), None) => Some(c.clone()),
        _ => None,
    }
}

/// A category button, in either language.
fn category_button(text: &str) -> Option<Category> {
    let b = bare(text);
    Category::ALL.into_iter().find(|c| {
        [Language::Zh, Language::En]
            .iter()
            .any(|l| texts::category_label(*l, *c).to_lowercase() == b)
    })
}

/// Words that give the kind of problem away, most serious first.
const CATEGORY_WORDS: &[(Category, &[&str])] = &[
    (
        Category::AbusiveLanguage,
        &[
            "骂",
            "脏话",
            "辱",
            "爆粗",
            "粗口",
            "swear",
            "curse",
            "cursing",
            "insult",
            "abusive",
            "offensive",
            "called me",
        ],
    ),
    (
        Category::RudeAttitude,
        &[
            "态度",
            "凶",
            "不耐烦",
            "敷衍",
            "不礼貌",
            "吼",
            "rude",
            "attitude",
            "impolite",
            "yelled",
            "shouted",
            "dismissive",
        ],
    ),
    (
        Category::WrongInformation,
        &[
            "错误",
            "说错",
            "骗",
            "误导",
            "乱说",
            "wrong",
            "incorrect",
            "misled",
            "mislead",
            "lied",
            "false information",
        ],
    ),
    (
        Category::SlowOrNoResponse,
        &[
            "慢",
            "不回",
            "没回",
            "不理",
            "没人理",
            "挂",
            "no response",
            "no reply",
            "ignored",
            "didn't reply",
            "never replied",
            "slow",
            "hung up",
        ],
    ),
];

/// The kind of problem a message names or describes, if it is clear.
pub fn category_in(text: &str) -> Option<Category> {
    let folded = text.to_lowercase();
    CATEGORY_WORDS
        .iter()
        .find(|(_, words)| words.iter().any(|w| folded.contains(w)))
        .map(|(c, _)| *c)
}
