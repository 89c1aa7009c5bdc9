//! Turns the raw TOML layout into a [`Catalogue`], collecting every problem at once so an
//! operator can fix a broken file in one pass. Each problem says where it is (an intent
//! by name, or a section) and what is wrong.

use std::collections::{HashMap, HashSet};

use super::file::{RawCatalogue, RawEntrance, RawFallback, RawIntent};
use super::model::{
    Bilingual, Catalogue, EntranceSettings, FallbackTexts, HOTLINE_PLACEHOLDER, Intent,
};
use super::problem::{Issue, Problem, Scope};
use super::task::{check_cities, check_task};
use crate::text::{canonical, normalise_question};
use crate::vocabulary::{Entrance, IntentKind};

/// Collects problems while building the catalogue.
#[derive(Default)]
pub(super) struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    pub(super) fn report(&mut self, scope: &Scope, issue: Issue) {
        self.problems.push(Problem {
            scope: scope.clone(),
            issue,
        });
    }

    pub(super) fn text(
        &mut self,
        scope: &Scope,
        field: &'static str,
        value: Option<String>,
    ) -> String {
        let value = value.unwrap_or_default().trim().to_owned();
        if value.is_empty() {
            self.report(scope, Issue::Missing(field));
        }
        value
    }

    pub(super) fn list(
        &mut self,
        scope: &Scope,
        field: &'static str,
        values: Vec<String>,
    ) -> Vec<String> {
        if values.iter().any(|value| value.trim().is_empty()) {
            self.report(scope, Issue::BlankEntry(field));
        }
        values
            .into_iter()
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
            .collect()
    }

    fn required_list(
        &mut self,
        scope: &Scope,
        field: &'static str,
        values: Vec<String>,
    ) -> Vec<String> {
        let values = self.list(scope, field, values);
        if values.is_empty() {
            self.report(scope, Issue::Missing(field));
        }
        values
    }

    fn placeholders(&mut self, scope: &Scope, field: &'static str, texts: &[String]) {
        for text in texts {
            for placeholder in unknown_placeholders(text) {
                self.report(scope, Issue::UnknownPlaceholder { field, placeholder });
            }
        }
    }

    fn skill(&mut self, scope: &Scope, skills: &HashSet<&str>, skill: &str) {
        if !skill.is_empty() && !skills.contains(skill) {
            self.report(scope, Issue::UnknownSkill(skill.to_owned()));
        }
    }
}

/// Builds the catalogue, or lists everything wrong with it.
pub(super) fn validate(raw: RawCatalogue, origin: &str) -> Result<Catalogue, Vec<Problem>> {
    let mut checker = Checker::default();
    let skills = check_skills(&mut checker, raw.skills);
    let known: HashSet<&str> = skills.iter().map(String::as_str).collect();
    let consumer = check_entrance(
        &mut checker,
        &known,
        "entrances.consumer",
        raw.entrances.consumer,
    );
    let merchant = check_entrance(
        &mut checker,
        &known,
        "entrances.merchant",
        raw.entrances.merchant,
    );
    let fallback = check_fallback(&mut checker, raw.fallback);
    let cities = check_cities(&mut checker, raw.cities);
    let slang = check_slang(&mut checker, raw.slang);
    let mut intents = Vec::with_capacity(raw.intents.len());
    let mut by_name = HashMap::new();
    for (index, raw_intent) in raw.intents.into_iter().enumerate() {
        let intent = check_intent(
            &mut checker,
            &known,
            !cities.is_empty(),
            index + 1,
            raw_intent,
        );
        if by_name.insert(intent.name.clone(), intents.len()).is_some() {
            checker.report(&Scope::Intent(intent.name.clone()), Issue::DuplicateIntent);
        }
        intents.push(intent);
    }
    check_shared_examples(&mut checker, &intents, &fallback);
    check_clarifies(&mut checker, &intents, &by_name);
    if !checker.problems.is_empty() {
        return Err(checker.problems);
    }
    Ok(Catalogue {
        origin: origin.to_owned(),
        skills,
        consumer,
        merchant,
        fallback,
        intents,
        by_name,
        cities,
        slang,
    })
}

/// Slang entries: both sides filled in; stored in folded, simplified form.
fn check_slang(
    checker: &mut Checker,
    raw: std::collections::BTreeMap<String, String>,
) -> Vec<(String, String)> {
    let scope = Scope::Section("slang");
    let mut slang = Vec::with_capacity(raw.len());
    for (from, to) in raw {
        let from = canonical(from.trim());
        if from.is_empty() {
            checker.report(&scope, Issue::BlankEntry("slang"));
            continue;
        }
        slang.push((from, canonical(to.trim())));
    }
    slang
}

fn check_skills(checker: &mut Checker, raw: Vec<String>) -> Vec<String> {
    let skills = checker.required_list(&Scope::Skills, "skills", raw);
    let mut seen = HashSet::new();
    for skill in &skills {
        if !is_identifier(skill) {
            checker.report(&Scope::Skills, Issue::BadName(skill.clone()));
        }
        if !seen.insert(skill.as_str()) {
            checker.report(&Scope::Skills, Issue::DuplicateSkill(skill.clone()));
        }
    }
    skills
}

fn check_entrance(
    checker: &mut Checker,
    skills: &HashSet<&str>,
    section: &'static str,
    raw: Option<RawEntrance>,
) -> EntranceSettings {
    let scope = Scope::Section(section);
    let raw = raw.unwrap_or_else(|| {
        checker.report(&scope, Issue::MissingTable);
        RawEntrance::default()
    });
    let default_skill = checker.text(&scope, "default_skill", raw.default_skill);
    checker.skill(&scope, skills, &default_skill);
    EntranceSettings {
        greeting: Bilingual {
            zh: checker.text(&scope, "greeting_zh", raw.greeting_zh),
            en: checker.text(&scope, "greeting_en", raw.greeting_en),
        },
        quick_replies: Bilingual {
            zh: checker.list(&scope, "quick_replies_zh", raw.quick_replies_zh),
            en: checker.list(&scope, "quick_replies_en", raw.quick_replies_en),
        },
        default_skill,
    }
}

fn check_fallback(checker: &mut Checker, raw: Option<RawFallback>) -> FallbackTexts {
    let scope = Scope::Section("fallback");
    let raw = raw.unwrap_or_else(|| {
        checker.report(&scope, Issue::MissingTable);
        RawFallback::default()
    });
    let answers = Bilingual {
        zh: checker.required_list(&scope, "answers_zh", raw.answers_zh),
        en: checker.required_list(&scope, "answers_en", raw.answers_en),
    };
    let ask_problem = Bilingual {
        zh: checker.text(&scope, "ask_problem_zh", raw.ask_problem_zh),
        en: checker.text(&scope, "ask_problem_en", raw.ask_problem_en),
    };
    checker.placeholders(&scope, "answers_zh", &answers.zh);
    checker.placeholders(&scope, "answers_en", &answers.en);
    let examples = Bilingual {
        zh: checker.list(&scope, "examples_zh", raw.examples_zh),
        en: checker.list(&scope, "examples_en", raw.examples_en),
    };
    let other_services = checker.list(&scope, "other_services", raw.other_services);
    FallbackTexts {
        answers,
        ask_problem,
        examples,
        other_services: other_services.iter().map(|s| canonical(s)).collect(),
    }
}

fn check_intent(
    checker: &mut Checker,
    skills: &HashSet<&str>,
    has_cities: bool,
    position: usize,
    raw: RawIntent,
) -> Intent {
    let name = raw.name.trim().to_owned();
    let scope = if name.is_empty() {
        Scope::UnnamedIntent(position)
    } else {
        Scope::Intent(name.clone())
    };
    if name.is_empty() {
        checker.report(&scope, Issue::Missing("name"));
    } else if !is_identifier(&name) {
        checker.report(&scope, Issue::BadName(name.clone()));
    }
    let entrances = check_entrances(checker, &scope, &raw.entrances);
    let kind = check_kind(checker, &scope, raw.kind);
    let skill = checker.text(&scope, "skill", raw.skill);
    checker.skill(&scope, skills, &skill);
    let answers = Bilingual {
        zh: checker.required_list(&scope, "answers_zh", raw.answers_zh),
        en: checker.required_list(&scope, "answers_en", raw.answers_en),
    };
    checker.placeholders(&scope, "answers_zh", &answers.zh);
    checker.placeholders(&scope, "answers_en", &answers.en);
    let task = check_task(checker, &scope, kind, has_cities, raw.task);
    Intent {
        task,
        name,
        entrances,
        kind,
        skill,
        title: Bilingual {
            zh: checker.text(&scope, "title_zh", raw.title_zh),
            en: checker.text(&scope, "title_en", raw.title_en),
        },
        examples: Bilingual {
            zh: checker.required_list(&scope, "examples_zh", raw.examples_zh),
            en: checker.required_list(&scope, "examples_en", raw.examples_en),
        },
        answers,
        quick_replies: Bilingual {
            zh: checker.list(&scope, "quick_replies_zh", raw.quick_replies_zh),
            en: checker.list(&scope, "quick_replies_en", raw.quick_replies_en),
        },
        clarifies: checker.list(&scope, "clarifies", raw.clarifies),
    }
}

/// Every intent a `clarifies` list names is another intent of the catalogue.
fn check_clarifies(checker: &mut Checker, intents: &[Intent], by_name: &HashMap<String, usize>) {
    for intent in intents {
        for name in &intent.clarifies {
            if name == &intent.name || !by_name.contains_key(name) {
                let issue = Issue::UnknownIntent {
                    field: "clarifies",
                    name: name.clone(),
                };
                checker.report(&Scope::Intent(intent.name.clone()), issue);
            }
        }
    }
}

fn check_entrances(checker: &mut Checker, scope: &Scope, raw: &[String]) -> Vec<Entrance> {
    if raw.is_empty() {
        checker.report(scope, Issue::Missing("entrances"));
    }
    let mut entrances = Vec::with_capacity(raw.len());
    for word in raw {
        let word = word.trim();
        match Entrance::ALL.into_iter().find(|e| e.as_str() == word) {
            Some(entrance) if entrances.contains(&entrance) => {
                checker.report(scope, Issue::DuplicateEntrance(word.to_owned()));
            }
            Some(entrance) => entrances.push(entrance),
            None => checker.report(scope, Issue::UnknownEntrance(word.to_owned())),
        }
    }
    entrances
}

fn check_kind(checker: &mut Checker, scope: &Scope, raw: Option<String>) -> IntentKind {
    const KINDS: [IntentKind; 5] = [
        IntentKind::Faq,
        IntentKind::Task,
        IntentKind::Chitchat,
        IntentKind::Handoff,
        IntentKind::Complaint,
    ];
    let word = checker.text(scope, "kind", raw);
    match KINDS.into_iter().find(|kind| kind.as_str() == word) {
        Some(kind) => kind,
        None => {
            if !word.is_empty() {
                checker.report(scope, Issue::UnknownKind(word));
            }
            IntentKind::Faq
        }
    }
}

/// The same question taught to two intents of one entrance (or to an intent and to the
/// out-of-scope examples) makes both unreliable.
fn check_shared_examples(checker: &mut Checker, intents: &[Intent], fallback: &FallbackTexts) {
    let mut owners: HashMap<(Entrance, String), &str> = HashMap::new();
    for example in fallback.examples.zh.iter().chain(&fallback.examples.en) {
        for entrance in Entrance::ALL {
            owners.insert((entrance, normalise_question(example)), "fallback");
        }
    }
    for intent in intents {
        let scope = Scope::Intent(intent.name.clone());
        let examples = intent.examples.zh.iter().chain(&intent.examples.en);
        for example in examples {
            let key = normalise_question(example);
            for &entrance in &intent.entrances {
                match owners.get(&(entrance, key.clone())) {
                    Some(&other) if other != intent.name => {
                        let issue = Issue::SharedExample {
                            example: example.clone(),
                            other: other.to_owned(),
                        };
                        checker.report(&scope, issue);
                        break;
                    }
                    Some(_) => {}
                    None => {
                        owners.insert((entrance, key.clone()), &intent.name);
                    }
                }
            }
        }
    }
}

/// Whether `word` is made of lowercase letters, digits, '.', '_' or '-'.
pub(super) fn is_identifier(word: &str) -> bool {
    !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
}

/// `{word}` placeholders other than the hotline; other braces are left alone.
fn unknown_placeholders(text: &str) -> Vec<String> {
    placeholders_in(text)
        .into_iter()
        .filter(|p| p != HOTLINE_PLACEHOLDER)
        .collect()
}

/// Every `{word}` placeholder of `text`, braces included; other braces are left alone.
pub(super) fn placeholders_in(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open..];
        let Some(close) = after.find('}') else { break };
        let candidate = &after[..=close];
        let inner = &candidate[1..candidate.len() - 1];
        let looks_like_placeholder =
            !inner.is_empty() && inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if looks_like_placeholder {
            found.push(candidate.to_owned());
        }
        rest = &after[close + 1..];
    }
    found
}
