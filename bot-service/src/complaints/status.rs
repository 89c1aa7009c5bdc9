//! The customer's own complaints as the robot reports them when asked (`complaint.status`,
//! 我的投诉处理得怎么样了): each with its reference, the agent, where it stands, the
//! deadline still ahead (times with their zone), and once decided the outcome and where
//! to turn if not satisfied (12315 for shoppers; sellers have their own appeal channel).

use std::time::SystemTime;

use super::texts::{recourse, when};
use crate::{
    handoff::AgentCard,
    vocabulary::{Entrance, Language},
};

/// At most this many complaints are listed in one answer (newest first).
pub const MAX_LISTED: usize = 5;

/// Where a complaint stands in agent-service's workflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Filed, not yet taken into review.
    Received,
    /// Being reviewed.
    InReview,
    /// Decided for the customer.
    Resolved,
    /// Decided against the customer.
    Rejected,
    /// Withdrawn by the customer.
    Withdrawn,
}

/// One of the customer's complaints, as agent-service reports it to the customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MyComplaint {
    /// Readable reference, e.g. TS-20261125-000042.
    pub reference: String,
    /// The entrance it was filed at.
    pub entrance: Entrance,
    /// The agent complained about.
    pub agent: Option<AgentCard>,
    /// Where it stands.
    pub progress: Progress,
    /// When it was filed.
    pub filed_at: SystemTime,
    /// It must be taken into review by then.
    pub acknowledge_by: SystemTime,
    /// It must be decided by then.
    pub decide_by: SystemTime,
    /// A deadline passed without the step it promised.
    pub overdue: bool,
    /// The decision, once resolved or rejected.
    pub outcome: String,
}

/// The answer listing `complaints` (at most [`MAX_LISTED`], newest first), in one
/// language; `None` when there is nothing to list (the catalogue's answer says so).
pub fn report(
    language: Language,
    entrance: Entrance,
    complaints: &[MyComplaint],
    hotline: &str,
) -> Option<String> {
    if complaints.is_empty() {
        return None;
    }
    let mut sorted: Vec<&MyComplaint> = complaints.iter().collect();
    sorted.sort_by_key(|c| std::cmp::Reverse(c.filed_at));
    let shown = &sorted[..sorted.len().min(MAX_LISTED)];
    let mut lines = vec![match language {
        Language::Zh => format!("你共有 {} 条投诉，最近的情况如下：", complaints.len()),
        Language::En => format!(
            "You have {} complaint{}; here is where they stand:",
            complaints.len(),
            if complaints.len() == 1 { "" } else { "s" }
        ),
    }];
    for (i, c) in shown.iter().enumerate() {
        lines.push(format!("{}. {}", i + 1, line(language, c)));
    }
    let decided = shown
        .iter()
        .any(|c| matches!(c.progress, Progress::Resolved | Progress::Rejected));
    if decided {
        lines.push(recourse(language, entrance, hotline));
    } else {
        lines.push(match language {
            Language::Zh => format!("跟进时请提供投诉单号；也可以拨打投诉热线 {hotline}。"),
            Language::En => format!(
                "Quote the reference when you follow up, or call our complaint hotline {hotline}."
            ),
        });
    }
    Some(lines.join("\n"))
}

/// One complaint: reference, agent, where it stands and what comes next.
fn line(language: Language, c: &MyComplaint) -> String {
    let r = &c.reference;
    let agent = c.agent.as_ref().map(|a| match language {
        Language::Zh => format!("（工号{} {}）", a.work_number, a.display_name),
        Language::En => format!(" (agent {}, {})", a.work_number, a.display_name),
    });
    let agent = agent.unwrap_or_default();
    let (ack, decide) = (
        when(language, c.acknowledge_by),
        when(language, c.decide_by),
    );
    let late = match (language, c.overdue) {
        (_, false) => "",
        (Language::Zh, true) => "已超过承诺时间，我们已催办，抱歉让你久等。",
        (Language::En, true) => " It is past its deadline; it has been chased, sorry for the wait.",
    };
    match (language, c.progress) {
        (Language::Zh, Progress::Received) => {
            format!(
                "投诉单号 {r}{agent}：已收到，等待受理；{ack} 前受理，{decide} 前给出处理结果。{late}"
            )
        }
        (Language::Zh, Progress::InReview) => {
            format!("投诉单号 {r}{agent}：审核中，{decide} 前给出处理结果。{late}")
        }
        (Language::Zh, Progress::Resolved) => {
            format!(
                "投诉单号 {r}{agent}：已处理，投诉成立。处理结果：{}",
                c.outcome
            )
        }
        (Language::Zh, Progress::Rejected) => {
            format!(
                "投诉单号 {r}{agent}：已处理，投诉未获支持。处理说明：{}",
                c.outcome
            )
        }
        (Language::Zh, Progress::Withdrawn) => format!("投诉单号 {r}{agent}：你已撤回。"),
        (Language::En, Progress::Received) => format!(
            "{r}{agent}: received, waiting to be taken up; it will be acknowledged by {ack} and decided by {decide}.{late}"
        ),
        (Language::En, Progress::InReview) => {
            format!("{r}{agent}: under review; it will be decided by {decide}.{late}")
        }
        (Language::En, Progress::Resolved) => {
            format!("{r}{agent}: decided in your favour. Outcome: {}", c.outcome)
        }
        (Language::En, Progress::Rejected) => {
            format!("{r}{agent}: decided, not upheld. Reason: {}", c.outcome)
        }
        (Language::En, Progress::Withdrawn) => format!("{r}{agent}: withdrawn by you."),
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    fn complaint(reference: &str, progress: Progress, filed: u64) -> MyComplaint {
        let at = UNIX_EPOCH + Duration::from_secs(1_764_000_000 + filed);
        MyComplaint {
            reference: reference.to_owned(),
            entrance: Entrance::Consumer,
            agent: Some(AgentCard {
                work_number: "1024".into(),
                display_name: "小美".into(),
            }),
            progress,
            filed_at: at,
            acknowledge_by: at + Duration::from_secs(24 * 3600),
            decide_by: at + Duration::from_secs(7 * 24 * 3600),
            overdue: false,
            outcome: if progress == Progress::Resolved {
                "已约谈客服".into()
            } else {
                String::new()
            },
        }
    }

    #[test]
    fn nothing_to_list_leaves_the_catalogue_answer() {
        assert_eq!(report(Language::Zh, Entrance::Consumer, &[], "9510"), None);
    }

    #[test]
    fn newest_first_with_deadlines_or_outcome_and_one_language() {
        let list = [
            complaint("TS-1", Progress::Resolved, 0),
            complaint("TS-2", Progress::Received, 60),
        ];
        let zh = report(Language::Zh, Entrance::Consumer, &list, "9510").unwrap();
        assert!(zh.find("TS-2").unwrap() < zh.find("TS-1").unwrap(), "{zh}");
        assert!(zh.contains("等待受理") && zh.contains("北京时间"), "{zh}");
        assert!(
            zh.contains("处理结果：已约谈客服") && zh.contains("12315"),
            "{zh}"
        );
        assert!(!zh.chars().any(|c| c.is_ascii_lowercase()), "{zh}");
        let en = report(Language::En, Entrance::Merchant, &list, "9510").unwrap();
        assert!(en.contains("waiting to be taken up"), "{en}");
        assert!(!en.contains("12315") && en.contains("Appeals"), "{en}");
        assert!(!en.contains("投诉单号") && !en.contains("北京时间"), "{en}");
    }

    #[test]
    fn at_most_five_are_listed_but_all_are_counted() {
        let list: Vec<MyComplaint> = (0..7)
            .map(|i| complaint(&format!("TS-{i}"), Progress::InReview, i))
            .collect();
        let text = report(Language::En, Entrance::Consumer, &list, "9510").unwrap();
        assert!(text.starts_with("You have 7 complaints"), "{text}");
        assert!(text.contains("TS-6") && !text.contains("TS-1:"), "{text}");
    }
}
