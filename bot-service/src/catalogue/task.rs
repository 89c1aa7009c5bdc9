//! Task intents in the catalogue: the slots a task needs (typed, with the question that
//! asks for each), whether it must be confirmed, which back end carries it out, and the
//! cities that city slots recognise. Operators add tasks by editing the file; this module
//! checks what they wrote.

use std::collections::HashSet;

use super::file::{RawCity, RawSlot, RawTask};
use super::model::Bilingual;
use super::problem::{Issue, Scope};
use super::validate::Checker;
use crate::vocabulary::IntentKind;

/// What kind of value a slot holds, which decides how it is recognised and checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SlotType {
    /// A mainland mobile number: 11 digits, `1[3-9]…`.
    Mobile,
    /// An amount of yuan from a fixed list.
    Amount(Vec<u32>),
    /// A city from the catalogue's `[[city]]` list.
    City,
    /// Today, tomorrow or the day after.
    Day,
}

impl SlotType {
    /// The catalogue's spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            SlotType::Mobile => "mobile",
            SlotType::Amount(_) => "amount",
            SlotType::City => "city",
            SlotType::Day => "day",
        }
    }
}

/// One value a task needs before it can run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotSpec {
    /// The name the back end receives it under (`phone`, `amount`…).
    pub name: String,
    /// Its type.
    pub kind: SlotType,
    /// The question that asks for it.
    pub ask: Bilingual<String>,
    /// Whether "my own number" may be taken from the caller's profile (mobile slots).
    pub from_profile: bool,
}

/// How a task intent runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskSpec {
    /// The back end's name; bot-service's settings map it to an address.
    pub backend: String,
    /// Whether the task spends money, so it runs only after an explicit yes.
    pub confirm: bool,
    /// The confirmation question, with `{slot}` placeholders (mobile numbers masked).
    pub confirm_text: Bilingual<String>,
    /// Where the customer can check the outcome when it is unknown; may be empty.
    pub check: Bilingual<String>,
    /// The slots, asked for in this order.
    pub slots: Vec<SlotSpec>,
}

/// A city that city slots recognise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct City {
    /// Stable id sent to back ends (`hangzhou`).
    pub id: String,
    /// Its names: Chinese, English.
    pub name: Bilingual<String>,
    /// Other spellings (lower case), e.g. pinyin without spaces.
    pub aliases: Vec<String>,
}

/// Checks the `[[city]]` list.
pub(super) fn check_cities(checker: &mut Checker, raw: Vec<RawCity>) -> Vec<City> {
    let scope = Scope::Section("city");
    let mut seen = HashSet::new();
    let mut cities = Vec::with_capacity(raw.len());
    for city in raw {
        let id = city.id.trim().to_owned();
        if !super::validate::is_identifier(&id) {
            checker.report(&scope, Issue::BadName(id.clone()));
        } else if !seen.insert(id.clone()) {
            checker.report(&scope, Issue::Duplicate("city", id.clone()));
        }
        cities.push(City {
            name: Bilingual {
                zh: checker.text(&scope, "zh", city.zh),
                en: checker.text(&scope, "en", city.en),
            },
            aliases: checker
                .list(&scope, "aliases", city.aliases)
                .into_iter()
                .map(|a| a.to_lowercase())
                .collect(),
            id,
        });
    }
    cities
}

/// Checks an intent's `[intent.task]` table, if any.
pub(super) fn check_task(
    checker: &mut Checker,
    scope: &Scope,
    kind: IntentKind,
    has_cities: bool,
    raw: Option<RawTask>,
) -> Option<TaskSpec> {
    let raw = raw?;
    if kind != IntentKind::Task {
        checker.report(scope, Issue::TaskOnOtherKind);
    }
    let backend = checker.text(scope, "task.backend", raw.backend);
    if !backend.is_empty() && !super::validate::is_identifier(&backend) {
        checker.report(scope, Issue::BadName(backend.clone()));
    }
    let mut names = HashSet::new();
    let mut slots = Vec::with_capacity(raw.slots.len());
    for slot in raw.slots {
        let slot = check_slot(checker, scope, has_cities, slot);
        if !names.insert(slot.name.clone()) {
            checker.report(scope, Issue::Duplicate("slot", slot.name.clone()));
        }
        slots.push(slot);
    }
    let (confirm_text, check) = if raw.confirm {
        (
            Bilingual {
                zh: checker.text(scope, "task.confirm_zh", raw.confirm_zh),
                en: checker.text(scope, "task.confirm_en", raw.confirm_en),
            },
            Bilingual {
                zh: raw.check_zh.unwrap_or_default().trim().to_owned(),
                en: raw.check_en.unwrap_or_default().trim().to_owned(),
            },
        )
    } else {
        let empty = || Bilingual {
            zh: String::new(),
            en: String::new(),
        };
        (empty(), empty())
    };
    for (field, text) in [
        ("task.confirm_zh", &confirm_text.zh),
        ("task.confirm_en", &confirm_text.en),
    ] {
        for placeholder in super::validate::placeholders_in(text) {
            let name = &placeholder[1..placeholder.len() - 1];
            if !names.contains(name) {
                checker.report(
                    scope,
                    Issue::UnknownSlotPlaceholder {
                        field,
                        placeholder: placeholder.clone(),
                    },
                );
            }
        }
    }
    Some(TaskSpec {
        backend,
        confirm: raw.confirm,
        confirm_text,
        check,
        slots,
    })
}

fn check_slot(checker: &mut Checker, scope: &Scope, has_cities: bool, raw: RawSlot) -> SlotSpec {
    let name = raw.name.trim().to_owned();
    if !super::validate::is_identifier(&name) {
        checker.report(scope, Issue::BadName(name.clone()));
    }
    let word = checker.text(scope, "task.slot.type", raw.kind);
    let kind = match word.as_str() {
        "mobile" => SlotType::Mobile,
        "amount" => {
            let mut choices = Vec::with_capacity(raw.choices.len());
            for c in &raw.choices {
                match u32::try_from(*c) {
                    Ok(c) if c > 0 && !choices.contains(&c) => choices.push(c),
                    _ => checker.report(scope, Issue::BadChoice(name.clone(), *c)),
                }
            }
            if raw.choices.is_empty() {
                checker.report(scope, Issue::Missing("task.slot.choices"));
            }
            SlotType::Amount(choices)
        }
        "city" => {
            if !has_cities {
                checker.report(scope, Issue::NoCities(name.clone()));
            }
            SlotType::City
        }
        "day" => SlotType::Day,
        "" => SlotType::Day,
        other => {
            checker.report(scope, Issue::UnknownSlotType(other.to_owned()));
            SlotType::Day
        }
    };
    if raw.from_profile && kind != SlotType::Mobile {
        checker.report(scope, Issue::ProfileNotMobile(name.clone()));
    }
    SlotSpec {
        ask: Bilingual {
            zh: checker.text(scope, "task.slot.ask_zh", raw.ask_zh),
            en: checker.text(scope, "task.slot.ask_en", raw.ask_en),
        },
        from_profile: raw.from_profile,
        kind,
        name,
    }
}
