//! The sandbox action back end, for local use and tests: it "tops up" phones by writing
//! to an in-memory ledger (keyed by idempotency key, so a replay never charges twice)
//! and answers the weather from a small table. Every reply says it is a sandbox.
//! Served over gRPC by [`app::SandboxApp`] (`bot-service sandbox`, and the dev launcher).

pub mod app;
mod grpc;
pub mod weather;

use std::{
    collections::{BTreeMap, HashMap},
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use async_trait::async_trait;

pub use app::{SandboxApp, SandboxSettings};
pub use grpc::SandboxApi;

use crate::{
    actions::{ActionBackend, ActionDone, ActionError, ActionRequest},
    tasks::mask_mobile,
    vocabulary::Language,
};

/// One recorded top-up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopUp {
    /// The key it was carried out under.
    pub idempotency_key: String,
    /// Who asked.
    pub user_id: String,
    /// The number topped up.
    pub phone: String,
    /// Yuan.
    pub amount: u32,
    /// The sandbox's reference (SBX-000001).
    pub reference: String,
}

#[derive(Default)]
struct Ledger {
    top_ups: Vec<TopUp>,
    answers: HashMap<String, ActionDone>,
}

/// The sandbox back end.
#[derive(Default)]
pub struct Sandbox {
    ledger: Mutex<Ledger>,
    delay_ms: AtomicU64,
}

impl Sandbox {
    /// An empty sandbox that answers at once.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes every answer wait `delay` after the work is done (to play a slow back end
    /// whose charge went through but whose answer is late).
    pub fn set_delay(&self, delay: Duration) {
        self.delay_ms
            .store(delay.as_millis() as u64, Ordering::Relaxed);
    }

    /// Every top-up recorded, oldest first.
    pub fn top_ups(&self) -> Vec<TopUp> {
        self.lock().top_ups.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn top_up(&self, r: &ActionRequest) -> Result<ActionDone, ActionError> {
        let zh = r.language == Language::Zh;
        let phone = r.slots.get("phone").map(String::as_str).unwrap_or_default();
        let amount = r.slots.get("amount").and_then(|a| a.parse::<u32>().ok());
        let valid_phone = phone.len() == 11 && phone.bytes().all(|b| b.is_ascii_digit());
        let (Some(amount), true) = (amount.filter(|a| *a > 0), valid_phone) else {
            return Err(ActionError::Rejected(if zh {
                "【沙箱】号码或金额无效，未充值，没有扣款。".to_owned()
            } else {
                "[sandbox] Invalid number or amount; nothing was charged.".to_owned()
            }));
        };
        let masked = mask_mobile(phone);
        if phone.ends_with("0000") {
            return Err(ActionError::Rejected(if zh {
                format!("【沙箱】{masked} 是空号，未充值，没有扣款。")
            } else {
                format!("[sandbox] {masked} is not in service; nothing was charged.")
            }));
        }
        let mut ledger = self.lock();
        if let Some(done) = ledger.answers.get(&r.idempotency_key) {
            return Ok(done.clone());
        }
        let reference = format!("SBX-{:06}", ledger.top_ups.len() + 1);
        let text = if zh {
            format!(
                "【沙箱】已为 {masked} 充值 {amount} 元（模拟，未真实扣款），流水号 {reference}。"
            )
        } else {
            format!(
                "[sandbox] Topped up {masked} with {amount} yuan (simulated, no real charge); reference {reference}."
            )
        };
        let done = ActionDone {
            text,
            data: BTreeMap::from([
                ("reference".to_owned(), reference.clone()),
                ("phone".to_owned(), phone.to_owned()),
                ("amount".to_owned(), amount.to_string()),
            ]),
        };
        ledger.top_ups.push(TopUp {
            idempotency_key: r.idempotency_key.clone(),
            user_id: r.user_id.clone(),
            phone: phone.to_owned(),
            amount,
            reference,
        });
        ledger
            .answers
            .insert(r.idempotency_key.clone(), done.clone());
        Ok(done)
    }

    fn weather(r: &ActionRequest) -> Result<ActionDone, ActionError> {
        let zh = r.language == Language::Zh;
        let city = r.slots.get("city").map(String::as_str).unwrap_or_default();
        let day = r.slots.get("day").map(String::as_str).unwrap_or("today");
        let Some((name_zh, name_en, f)) = weather::lookup(city, day) else {
            return Err(ActionError::Rejected(if zh {
                format!("【沙箱】没有“{city}”的天气数据。")
            } else {
                format!("[sandbox] No weather data for '{city}'.")
            }));
        };
        let text = if zh {
            let day = match day {
                "tomorrow" => "明天",
                "day_after" => "后天",
                _ => "今天",
            };
            format!(
                "【沙箱天气】{name_zh}{day}：{}，{}～{}°C。",
                f.zh, f.low, f.high
            )
        } else {
            let day = match day {
                "tomorrow" => "tomorrow",
                "day_after" => "the day after tomorrow",
                _ => "today",
            };
            format!(
                "[sandbox weather] {name_en} {day}: {}, {}–{}°C.",
                f.en, f.low, f.high
            )
        };
        Ok(ActionDone {
            text,
            data: BTreeMap::from([
                ("condition".to_owned(), f.en.to_owned()),
                ("low_c".to_owned(), f.low.to_string()),
                ("high_c".to_owned(), f.high.to_string()),
            ]),
        })
    }
}

#[async_trait]
impl ActionBackend for Sandbox {
    async fn execute(&self, request: &ActionRequest) -> Result<ActionDone, ActionError> {
        let outcome = match request.task.as_str() {
            "topup.phone" => self.top_up(request),
            "weather.query" => Self::weather(request),
            other => Err(ActionError::Rejected(format!(
                "[sandbox] unknown task '{other}'"
            ))),
        };
        let delay = self.delay_ms.load(Ordering::Relaxed);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn top_up(key: &str, phone: &str) -> ActionRequest {
        ActionRequest {
            task: "topup.phone".into(),
            slots: BTreeMap::from([
                ("phone".into(), phone.into()),
                ("amount".into(), "50".into()),
            ]),
            user_id: "u".into(),
            idempotency_key: key.into(),
            language: Language::Zh,
        }
    }

    #[tokio::test]
    async fn a_replayed_key_is_charged_once() {
        let s = Sandbox::new();
        let first = s.execute(&top_up("k1", "13812345678")).await.unwrap();
        let again = s.execute(&top_up("k1", "13812345678")).await.unwrap();
        assert_eq!(first, again);
        assert!(first.text.contains("沙箱") && first.text.contains("138****5678"));
        s.execute(&top_up("k2", "13812345678")).await.unwrap();
        assert_eq!(s.top_ups().len(), 2);
        assert!(matches!(
            s.execute(&top_up("k3", "13800000000")).await,
            Err(ActionError::Rejected(_))
        ));
    }

    #[tokio::test]
    async fn weather_comes_from_the_table() {
        let s = Sandbox::new();
        let r = ActionRequest {
            task: "weather.query".into(),
            slots: BTreeMap::from([
                ("city".into(), "hangzhou".into()),
                ("day".into(), "tomorrow".into()),
            ]),
            user_id: "u".into(),
            idempotency_key: "w".into(),
            language: Language::En,
        };
        let done = s.execute(&r).await.unwrap();
        assert_eq!(
            done.text,
            "[sandbox weather] Hangzhou tomorrow: light rain, 18–24°C."
        );
    }
}
