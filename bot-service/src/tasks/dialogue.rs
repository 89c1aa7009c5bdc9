//! The task dialogue as a state machine: [`start`] on the message that named the task,
//! [`advance`] on each later message, each returning a [`Step`]: something to say (the
//! task going on or over), a filled task to run, or "this message is about something
//! else".

use super::{ActiveTask, Stage, extract, texts};
use crate::{
    catalogue::{Bilingual, City, SlotSpec, SlotType, TaskSpec},
    text::detect_language,
    vocabulary::Language,
};

/// What a step needs to know besides the message.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// The task's title (充话费), for cancellation texts.
    pub title: &'a Bilingual<String>,
    /// The task's slots and confirmation.
    pub spec: &'a TaskSpec,
    /// The cities city slots know.
    pub cities: &'a [City],
    /// The caller's own mobile number, from their token, if any.
    pub profile_phone: Option<&'a str>,
    /// Whether recognition is sure the message asks another (non-chit-chat) intent.
    pub other_intent: bool,
}

/// What to do with a message.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Say `text`; the task goes on as `task`, or is over (`None`).
    Say {
        /// The reply.
        text: String,
        /// Buttons.
        quick_replies: Vec<String>,
        /// The task after this message.
        task: Option<ActiveTask>,
    },
    /// Every slot is filled (and confirmed where needed): carry the task out.
    Run(ActiveTask),
    /// The message is about something else: drop the task and answer it normally.
    Unrelated,
}

/// What one message contributed to the slots.
struct Fill {
    /// Some slot got a value.
    found: bool,
    /// The first slot whose value was refused, and why.
    problem: Option<(usize, String)>,
}

enum Extracted {
    Found(String),
    Invalid(String),
    Absent,
}

/// Starts task `intent` (instance number `instance`) from the message that named it,
/// taking every slot value the message already has.
pub fn start(intent: &str, instance: u32, text: &str, language: Language, ctx: &Context) -> Step {
    let mut task = ActiveTask {
        intent: intent.to_owned(),
        instance,
        slots: Default::default(),
        stage: Stage::Filling,
        language,
    };
    let fill = fill(&mut task, text, ctx);
    next(task, fill, ctx)
}

/// Moves `task` on with the customer's next message.
pub fn advance(task: &ActiveTask, text: &str, ctx: &Context) -> Step {
    let mut task = task.clone();
    task.language = message_language(text, task.language);
    let language = task.language;
    if task.stage == Stage::Unknown {
        return if extract::is_retry(text) {
            Step::Run(task)
        } else if extract::is_cancel(text) || extract::is_no(text) {
            say(
                texts::left_unknown(language, ctx.spec.check.get(language)),
                vec![],
                None,
            )
        } else {
            Step::Unrelated
        };
    }
    if extract::is_cancel(text) || (task.stage == Stage::Confirming && extract::is_no(text)) {
        return say(
            texts::cancelled(language, ctx.title.get(language), ctx.spec.confirm),
            vec![],
            None,
        );
    }
    if task.stage == Stage::Confirming && extract::is_yes(text) {
        return Step::Run(task);
    }
    let pending = missing(&task, ctx.spec);
    let mut fill = fill(&mut task, text, ctx);
    if !fill.found && fill.problem.is_none() {
        if ctx.other_intent {
            return Step::Unrelated;
        }
        if task.stage == Stage::Confirming {
            let text = join(
                language,
                texts::confirm_hint(language),
                &confirmation(&task, ctx),
            );
            return say(text, texts::confirm_buttons(language), Some(task));
        }
        fill.problem = pending.and_then(|i| {
            let why = match &ctx.spec.slots[i].kind {
                SlotType::City => texts::bad_city(language, ctx.cities),
                SlotType::Day => texts::bad_day(language),
                SlotType::Mobile | SlotType::Amount(_) => return None,
            };
            Some((i, why))
        });
    }
    next(task, fill, ctx)
}

/// The step after the slots took what a message had.
fn next(mut task: ActiveTask, fill: Fill, ctx: &Context) -> Step {
    let language = task.language;
    if let Some((i, why)) = fill.problem {
        let slot = &ctx.spec.slots[i];
        task.slots.remove(&slot.name);
        task.stage = Stage::Filling;
        let text = join(language, &why, slot.ask.get(language));
        return say(text, buttons(slot, ctx, language), Some(task));
    }
    if let Some(i) = missing(&task, ctx.spec) {
        let slot = &ctx.spec.slots[i];
        task.stage = Stage::Filling;
        let text = slot.ask.get(language).clone();
        return say(text, buttons(slot, ctx, language), Some(task));
    }
    if ctx.spec.confirm {
        task.stage = Stage::Confirming;
        let text = confirmation(&task, ctx);
        return say(text, texts::confirm_buttons(language), Some(task));
    }
    Step::Run(task)
}

/// Two sentences: Chinese runs them together, English needs a space.
fn join(language: Language, first: &str, second: &str) -> String {
    match language {
        Language::Zh => format!("{first}{second}"),
        Language::En => format!("{first} {second}"),
    }
}

fn say(text: String, quick_replies: Vec<String>, task: Option<ActiveTask>) -> Step {
    Step::Say {
        text,
        quick_replies,
        task,
    }
}

/// The first slot without a value.
fn missing(task: &ActiveTask, spec: &TaskSpec) -> Option<usize> {
    spec.slots
        .iter()
        .position(|s| !task.slots.contains_key(&s.name))
}

/// The language of a message with words in it; otherwise (digits only) the task's.
pub(crate) fn message_language(text: &str, previous: Language) -> Language {
    if text.chars().any(char::is_alphabetic) {
        detect_language(text)
    } else {
        previous
    }
}

/// Takes every slot value the message has.
fn fill(task: &mut ActiveTask, text: &str, ctx: &Context) -> Fill {
    let pending = missing(task, ctx.spec);
    let numbers = extract::numbers(text);
    let mut fill = Fill {
        found: false,
        problem: None,
    };
    for (i, slot) in ctx.spec.slots.iter().enumerate() {
        let asked = pending == Some(i);
        match extract_slot(slot, text, &numbers, asked, ctx, task.language) {
            Extracted::Found(value) => {
                fill.found = true;
                task.slots.insert(slot.name.clone(), value);
            }
            Extracted::Invalid(why) => {
                if fill.problem.is_none() {
                    fill.problem = Some((i, why));
                }
            }
            Extracted::Absent => {}
        }
    }
    fill
}

/// One slot's value in a message; `asked` says it is the slot the robot just asked for,
/// so a bare answer counts.
fn extract_slot(
    slot: &SlotSpec,
    text: &str,
    numbers: &[extract::Number],
    asked: bool,
    ctx: &Context,
    language: Language,
) -> Extracted {
    match &slot.kind {
        SlotType::Mobile => {
            // A number written in the message wins over "my phone" and the token's
            // number: "top up my phone 13812345678" means that number.
            let long: Vec<&extract::Number> = numbers.iter().filter(|n| n.len() >= 7).collect();
            if let Some(p) = long.iter().find_map(|n| extract::mobile(n)) {
                return Extracted::Found(p);
            }
            if slot.from_profile && extract::means_own_number(text) {
                let own = ctx.profile_phone.and_then(|p| {
                    extract::mobile(&extract::Number {
                        digits: p.to_owned(),
                        decimal: false,
                        money: false,
                    })
                });
                return match own {
                    Some(p) => Extracted::Found(p),
                    None => Extracted::Invalid(texts::no_profile_mobile(language)),
                };
            }
            let wrong = long
                .first()
                .copied()
                .or_else(|| asked.then(|| numbers.iter().find(|n| !n.money && n.len() >= 3))?);
            match wrong {
                Some(n) => Extracted::Invalid(texts::bad_mobile(language, &n.digits)),
                None => Extracted::Absent,
            }
        }
        SlotType::Amount(choices) => {
            let short = || numbers.iter().filter(|n| n.len() <= 6);
            let pick = short()
                .find(|n| n.money)
                .or_else(|| asked.then(|| short().next())?);
            match pick {
                None => Extracted::Absent,
                Some(n) => match n.whole() {
                    Some(v) if choices.contains(&v) => Extracted::Found(v.to_string()),
                    _ => Extracted::Invalid(texts::bad_amount(language, &n.digits, choices)),
                },
            }
        }
        SlotType::City => match extract::city(text, ctx.cities) {
            Some(city) => Extracted::Found(city.id.clone()),
            None => Extracted::Absent,
        },
        SlotType::Day => match extract::day(text) {
            extract::DayMention::Day(d) => Extracted::Found(d.to_owned()),
            extract::DayMention::Unsupported => Extracted::Invalid(texts::bad_day(language)),
            extract::DayMention::None => Extracted::Absent,
        },
    }
}

/// Buttons under the question for `slot`.
fn buttons(slot: &SlotSpec, ctx: &Context, language: Language) -> Vec<String> {
    match &slot.kind {
        SlotType::Mobile => ctx
            .profile_phone
            .filter(|_| slot.from_profile)
            .map(|p| vec![texts::own_number_button(language, &extract::mask_mobile(p))])
            .unwrap_or_default(),
        SlotType::Amount(choices) => choices
            .iter()
            .map(|c| match language {
                Language::Zh => format!("{c}元"),
                Language::En => format!("{c} yuan"),
            })
            .collect(),
        SlotType::City => ctx
            .cities
            .iter()
            .take(4)
            .map(|c| c.name.get(language).clone())
            .collect(),
        SlotType::Day => ["today", "tomorrow", "day_after"]
            .into_iter()
            .map(|d| texts::day_name(language, d).to_owned())
            .collect(),
    }
}

/// The confirmation question with the slot values filled in.
fn confirmation(task: &ActiveTask, ctx: &Context) -> String {
    let mut text = ctx.spec.confirm_text.get(task.language).clone();
    for slot in &ctx.spec.slots {
        if let Some(value) = task.slots.get(&slot.name) {
            let shown = render_slot(slot, value, ctx.cities, task.language);
            text = text.replace(&format!("{{{}}}", slot.name), &shown);
        }
    }
    text
}

/// A slot value as shown to the customer: mobile numbers masked, cities and days named.
pub fn render_slot(slot: &SlotSpec, value: &str, cities: &[City], language: Language) -> String {
    match slot.kind {
        SlotType::Mobile => extract::mask_mobile(value),
        SlotType::Amount(_) => value.to_owned(),
        SlotType::City => cities
            .iter()
            .find(|c| c.id == value)
            .map_or_else(|| value.to_owned(), |c| c.name.get(language).clone()),
        SlotType::Day => texts::day_name(language, value).to_owned(),
    }
}
