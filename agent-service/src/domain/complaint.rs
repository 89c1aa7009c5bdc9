//! Complaints against human agents: categories, the review workflow (RECEIVED →
//! IN_REVIEW → RESOLVED | REJECTED, or WITHDRAWN before a decision), readable references,
//! deadlines, and what a customer can do when not satisfied. The robot is never a party.

use std::{
    fmt,
    str::FromStr,
    time::{Duration, SystemTime},
};

use super::{AgentCard, DomainError, Entrance, Language, vocabulary::text_enum};

/// Shortest and longest description, in characters.
pub const DESCRIPTION_CHARS: std::ops::RangeInclusive<usize> = 1..=2000;
/// Longest outcome or audit note, in characters.
pub const MAX_NOTE_CHARS: usize = 2000;

/// What the complaint is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Category {
    /// Swearing, insults.
    AbusiveLanguage,
    /// Rude or dismissive.
    RudeAttitude,
    /// Told something false.
    WrongInformation,
    /// Left waiting, or no answer.
    SlowOrNoResponse,
    /// Anything else.
    Other,
}

text_enum!(Category {
    AbusiveLanguage => "abusive_language",
    RudeAttitude => "rude_attitude",
    WrongInformation => "wrong_information",
    SlowOrNoResponse => "slow_or_no_response",
    Other => "other",
});

/// Where a complaint stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ComplaintStatus {
    /// Filed, not yet picked up.
    Received,
    /// A supervisor is looking into it.
    InReview,
    /// Upheld, with an outcome.
    Resolved,
    /// Not upheld, with the reason.
    Rejected,
    /// The customer took it back before a decision.
    Withdrawn,
}

text_enum!(ComplaintStatus {
    Received => "received",
    InReview => "in_review",
    Resolved => "resolved",
    Rejected => "rejected",
    Withdrawn => "withdrawn",
});

impl ComplaintStatus {
    /// Whether a decision was made (the agent may now read it).
    pub fn is_decided(self) -> bool {
        matches!(self, ComplaintStatus::Resolved | ComplaintStatus::Rejected)
    }

    /// Whether nothing can change any more.
    pub fn is_final(self) -> bool {
        self.is_decided() || self == ComplaintStatus::Withdrawn
    }

    /// Whether a supervisor may move a complaint from `self` to `to`: RECEIVED →
    /// IN_REVIEW → RESOLVED | REJECTED. A decision always follows a review, so the audit
    /// trail shows who took the complaint up and when.
    pub fn supervisor_may_move_to(self, to: ComplaintStatus) -> bool {
        use ComplaintStatus::*;
        matches!(
            (self, to),
            (Received, InReview) | (InReview, Resolved) | (InReview, Rejected)
        )
    }
}

/// The deadlines every complaint gets, from configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadlines {
    /// From filing to being taken into review.
    pub acknowledge_within: Duration,
    /// From filing to a decision.
    pub decide_within: Duration,
}

impl Default for Deadlines {
    fn default() -> Self {
        Self {
            acknowledge_within: Duration::from_secs(24 * 3600),
            decide_within: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// One status change, for the audit trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// Who (user id).
    pub actor_id: String,
    /// In which role.
    pub actor_role: String,
    /// When.
    pub at: SystemTime,
    /// From (None for the filing itself).
    pub from: Option<ComplaintStatus>,
    /// To.
    pub to: ComplaintStatus,
    /// Why.
    pub note: String,
}

/// A complaint as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Complaint {
    /// Readable reference, e.g. `TS-20261125-000042`.
    pub reference: String,
    /// The conversation complained about.
    pub ticket_id: String,
    /// Who complains.
    pub customer_id: String,
    /// At which door the conversation happened.
    pub entrance: Entrance,
    /// The language the customer complained in: what is written for them uses it.
    pub language: Language,
    /// The agent complained about.
    pub agent_id: String,
    /// What the customer saw of them.
    pub agent: AgentCard,
    /// What about.
    pub category: Category,
    /// What happened, in the customer's words.
    pub description: String,
    /// Where it stands.
    pub status: ComplaintStatus,
    /// The decision text, once decided.
    pub outcome: String,
    /// When filed.
    pub filed_at: SystemTime,
    /// Review must start by then.
    pub acknowledge_by: SystemTime,
    /// A decision is due by then.
    pub decide_by: SystemTime,
    /// Final SHA-256 of the sealed transcript chain.
    pub evidence_digest: String,
    /// How many messages were sealed.
    pub evidence_messages: u32,
    /// Messages the customer pointed at.
    pub highlighted_message_ids: Vec<String>,
    /// Every status change, oldest first.
    pub audit: Vec<AuditEntry>,
}

impl Complaint {
    /// Whether a deadline has passed at `now` without the step it demands.
    pub fn is_overdue(&self, now: SystemTime) -> bool {
        match self.status {
            ComplaintStatus::Received => now > self.acknowledge_by || now > self.decide_by,
            ComplaintStatus::InReview => now > self.decide_by,
            _ => false,
        }
    }
}

/// `TS-YYYYMMDD-NNNNNN`: the filing day (UTC) and that day's running number.
pub fn reference(day: &str, number: u64) -> String {
    format!("TS-{day}-{number:06}")
}

/// INVALID_ARGUMENT unless the description has 1-2000 characters of substance.
pub fn validate_description(description: &str) -> Result<(), DomainError> {
    // Zero-width and other invisible characters do not make a description longer.
    let chars = description
        .trim_matches(server_kit::text::is_invisible)
        .chars()
        .count();
    if !DESCRIPTION_CHARS.contains(&chars) {
        return Err(DomainError::invalid(
            "description",
            format!(
                "must be {}-{} characters (got {chars})",
                DESCRIPTION_CHARS.start(),
                DESCRIPTION_CHARS.end()
            ),
        ));
    }
    Ok(())
}

/// INVALID_ARGUMENT if a note or outcome is too long.
pub fn validate_note(field: &str, text: &str) -> Result<(), DomainError> {
    if text.chars().count() > MAX_NOTE_CHARS {
        return Err(DomainError::invalid(
            field,
            format!("must be at most {MAX_NOTE_CHARS} characters"),
        ));
    }
    Ok(())
}

/// Where a customer can turn when not satisfied with a decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recourse {
    /// The platform's complaint hotline.
    pub hotline: String,
    /// The national consumer hotline; empty for sellers (12315 takes consumers'
    /// complaints, not sellers').
    pub consumer_hotline: String,
    /// The explanation shown to the customer, in their language only.
    pub text: String,
}

/// The national consumer complaint hotline.
pub const CONSUMER_HOTLINE: &str = "12315";

/// What to do when not satisfied, in the complaint's one language: shoppers may ask the
/// platform for a review or go to the market regulator through 12315 (quoting its rule);
/// sellers ask for a review or appeal through the seller centre.
pub fn recourse(hotline: &str, entrance: Entrance, language: Language) -> Recourse {
    let text = match (entrance, language) {
        (Entrance::Consumer, Language::Zh) => format!(
            "如对处理结果不满意，您可拨打平台官方投诉热线 {hotline} 申请复核；也可通过全国 12315 \
             平台（电话 12315 或 www.12315.cn）向市场监管部门投诉，监管部门一般在收到投诉之日起 \
             7 个工作日内作出是否受理的决定，受理后可组织调解。"
        ),
        (Entrance::Consumer, Language::En) => format!(
            "If you are not satisfied, call our complaint hotline {hotline} for a review, or \
             complain to the market regulator through 12315 (phone 12315 or www.12315.cn): it \
             decides whether to accept a complaint within 7 working days of receiving it and may \
             then mediate."
        ),
        (Entrance::Merchant, Language::Zh) => format!(
            "如对处理结果不满意，您可拨打平台官方投诉热线 {hotline} 申请复核，或在卖家中心通过\
             规则申诉通道提交申诉。"
        ),
        (Entrance::Merchant, Language::En) => format!(
            "If you are not satisfied, call our complaint hotline {hotline} for a review, or \
             appeal through the rules-appeal channel in the seller centre."
        ),
    };
    Recourse {
        hotline: hotline.to_owned(),
        consumer_hotline: match entrance {
            Entrance::Consumer => CONSUMER_HOTLINE.to_owned(),
            Entrance::Merchant => String::new(),
        },
        text,
    }
}

impl fmt::Display for Complaint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}, {})", self.reference, self.category, self.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ComplaintStatus::*;

    #[test]
    fn only_the_workflow_moves_are_allowed() {
        let all = [Received, InReview, Resolved, Rejected, Withdrawn];
        let allowed = [
            (Received, InReview),
            (InReview, Resolved),
            (InReview, Rejected),
        ];
        for from in all {
            for to in all {
                assert_eq!(
                    from.supervisor_may_move_to(to),
                    allowed.contains(&(from, to)),
                    "{from} → {to}"
                );
            }
        }
        assert!(Resolved.is_decided() && Rejected.is_decided() && !Withdrawn.is_decided());
        assert!(Withdrawn.is_final() && !InReview.is_final());
    }

    #[test]
    fn references_are_readable_and_sortable() {
        assert_eq!(reference("20261125", 42), "TS-20261125-000042");
        assert!(reference("20261125", 9) < reference("20261125", 10));
    }

    #[test]
    fn descriptions_need_substance_and_a_limit() {
        assert!(validate_description("客服骂人").is_ok());
        assert!(validate_description(&"长".repeat(2000)).is_ok());
        for bad in ["", "   ", &"长".repeat(2001)] {
            let e = validate_description(bad).unwrap_err().to_string();
            assert!(e.starts_with("description"), "{e}");
        }
    }

    #[test]
    fn recourse_is_in_one_language_and_12315_only_for_shoppers() {
        let han = |t: &str| t.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        let zh = recourse("9510-8888", Entrance::Consumer, Language::Zh);
        assert!(zh.text.contains("9510-8888") && zh.text.contains("7 个工作日"));
        assert!(!zh.text.contains("If you") && zh.consumer_hotline == "12315");
        let en = recourse("9510-8888", Entrance::Consumer, Language::En);
        assert!(en.text.contains("7 working days") && !han(&en.text));
        for language in [Language::Zh, Language::En] {
            let seller = recourse("9510-8888", Entrance::Merchant, language);
            assert!(!seller.text.contains("12315") && seller.consumer_hotline.is_empty());
            assert!(seller.text.contains("9510-8888"));
        }
        let seller = recourse("9510-8888", Entrance::Merchant, Language::En);
        assert!(!han(&seller.text), "{}", seller.text);
    }
}
