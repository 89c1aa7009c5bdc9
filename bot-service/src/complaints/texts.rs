//! What the robot says while taking a complaint, in Chinese and English: the choice of
//! conversation (工号 and date on each button), the questions, the confirmation, the
//! filed complaint with its reference and deadlines, and the honest failures.

use std::time::SystemTime;

use server_kit::time::civil;

use super::{Category, Complainable, Draft, Filed, Standing};
use crate::vocabulary::{Entrance, Language};

/// Times are shown in China Standard Time.
const CHINA_OFFSET_SECS: i64 = 8 * 3600;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A date and time as the customer reads it: China time, saying so (a customer abroad
/// must not guess the zone of a deadline).
pub fn when(language: Language, t: SystemTime) -> String {
    let c = civil(t, CHINA_OFFSET_SECS);
    match language {
        Language::Zh => format!(
            "{}月{}日 {:02}:{:02}（北京时间）",
            c.month, c.day, c.hour, c.minute
        ),
        Language::En => format!(
            "{} {} {:02}:{:02} (UTC+8)",
            c.day,
            MONTHS[(c.month as usize).saturating_sub(1) % 12],
            c.hour,
            c.minute
        ),
    }
}

/// The button for one conversation: the agent's 工号, name and when it started.
pub fn choice_label(language: Language, c: &Complainable) -> String {
    let at = when(language, c.started_at);
    match language {
        Language::Zh => format!(
            "工号{} {} · {at}",
            c.agent.work_number, c.agent.display_name
        ),
        Language::En => format!(
            "Agent {} ({}) · {at}",
            c.agent.work_number, c.agent.display_name
        ),
    }
}

/// The button for a category.
pub fn category_label(language: Language, category: Category) -> &'static str {
    match (language, category) {
        (Language::Zh, Category::AbusiveLanguage) => "辱骂/说脏话",
        (Language::Zh, Category::RudeAttitude) => "态度恶劣",
        (Language::Zh, Category::WrongInformation) => "信息错误",
        (Language::Zh, Category::SlowOrNoResponse) => "回复慢/不回复",
        (Language::Zh, Category::Other) => "其他",
        (Language::En, Category::AbusiveLanguage) => "Abusive language",
        (Language::En, Category::RudeAttitude) => "Rude attitude",
        (Language::En, Category::WrongInformation) => "Wrong information",
        (Language::En, Category::SlowOrNoResponse) => "Slow or no response",
        (Language::En, Category::Other) => "Other",
    }
}

fn cancel_button(language: Language) -> String {
    match language {
        Language::Zh => "取消投诉".to_owned(),
        Language::En => "Cancel".to_owned(),
    }
}

/// "Which conversation?", with one button per conversation and a cancel button.
pub fn choose(language: Language, choices: &[Complainable]) -> (String, Vec<String>) {
    let text = match language {
        Language::Zh => {
            "非常抱歉给你带来了不好的体验。请选择要投诉的那次人工对话（按客服工号和时间）："
        }
        Language::En => {
            "I'm very sorry about that experience. Which conversation with an agent is the complaint about (by agent number and time)?"
        }
    };
    let mut buttons: Vec<String> = choices.iter().map(|c| choice_label(language, c)).collect();
    buttons.push(cancel_button(language));
    (text.to_owned(), buttons)
}

/// The choice was not understood.
pub fn choose_again(language: Language, choices: &[Complainable]) -> (String, Vec<String>) {
    let (_, buttons) = choose(language, choices);
    let text = match language {
        Language::Zh => {
            "没有找到这次对话，请点下面的按钮选择（或回复序号 1、2…），也可以说“取消”。"
        }
        Language::En => {
            "I couldn't tell which conversation you mean. Please tap one below (or reply 1, 2…), or say \"cancel\"."
        }
    };
    (text.to_owned(), buttons)
}

/// No conversation with a person to complain about: the robot cannot be complained
/// about; how to give feedback or reach a person instead.
pub fn robot_only(language: Language, hotline: &str) -> (String, Vec<String>) {
    match language {
        Language::Zh => (
            format!(
                "最近没有找到你和人工客服的对话。我是机器人，不是真人，所以不能被投诉～如果是我答得不好，可以在回答下面点「有帮助」或「没帮助」，或直接告诉我哪里不对，我会改进。需要真人处理请说“转人工”，或拨打客服热线 {hotline}。"
            ),
            vec!["转人工".to_owned()],
        ),
        Language::En => (
            format!(
                "I can't find a recent conversation of yours with a human agent. I'm a robot, not a person, so I can't be complained about; if my answers were unhelpful, rate them \"Helpful\" or \"Not helpful\" or tell me what was wrong and I'll improve. To reach a person, say \"talk to a person\" or call our hotline {hotline}."
            ),
            vec!["Talk to a person".to_owned()],
        ),
    }
}

/// "What happened?" about the chosen conversation.
pub fn ask_description(language: Language, chosen: &Complainable) -> (String, Vec<String>) {
    let who = choice_label(language, chosen);
    let text = match language {
        Language::Zh => {
            format!("好的，投诉对象：{who}。请说说发生了什么（比如客服说了什么、怎么处理的）：")
        }
        Language::En => format!(
            "OK, the complaint is about {who}. Please tell me what happened (what the agent said or did):"
        ),
    };
    (text, vec![cancel_button(language)])
}

/// The description is missing or too long.
pub fn bad_description(language: Language, max: usize) -> String {
    match language {
        Language::Zh => format!("请用 1 到 {max} 个字说说发生了什么，或说“取消”。"),
        Language::En => {
            format!("Please describe what happened in 1 to {max} characters, or say \"cancel\".")
        }
    }
}

/// "Which kind of problem?", one button per category.
pub fn ask_category(language: Language) -> (String, Vec<String>) {
    let text = match language {
        Language::Zh => "收到。这属于哪一类问题？",
        Language::En => "Thank you. Which kind of problem was it?",
    };
    let buttons = Category::ALL
        .iter()
        .map(|c| category_label(language, *c).to_owned())
        .collect();
    (text.to_owned(), buttons)
}

/// The whole complaint, and "shall I file it?".
pub fn confirm(language: Language, draft: &Draft) -> (String, Vec<String>) {
    let who = draft
        .chosen
        .as_ref()
        .map(|c| choice_label(language, c))
        .unwrap_or_default();
    let category = category_label(language, draft.category.unwrap_or(Category::Other));
    let text = match language {
        Language::Zh => format!(
            "请确认投诉内容：\n对象：{who}\n类型：{category}\n经过：{}\n对话记录会作为凭证一并提交。确认提交吗？",
            draft.description
        ),
        Language::En => format!(
            "Please check your complaint:\nAbout: {who}\nKind: {category}\nWhat happened: {}\nThe conversation transcript goes with it as evidence. Shall I file it?",
            draft.description
        ),
    };
    let buttons = match language {
        Language::Zh => vec!["确认提交".to_owned(), cancel_button(language)],
        Language::En => vec!["Yes, file it".to_owned(), cancel_button(language)],
    };
    (text, buttons)
}

/// The complaint was dropped at the customer's word.
pub fn cancelled(language: Language) -> String {
    match language {
        Language::Zh => "好的，已取消，投诉没有提交。还有什么可以帮你？".to_owned(),
        Language::En => {
            "OK, cancelled; no complaint was filed. Anything else I can help with?".to_owned()
        }
    }
}

/// The complaint is filed (or was filed before for that conversation): reference,
/// deadlines, how to follow it up.
pub fn filed(language: Language, f: &Filed, hotline: &str, entrance: Entrance) -> String {
    let (ack, decide) = (
        when(language, f.acknowledge_by),
        when(language, f.decide_by),
    );
    let r = &f.reference;
    if !f.created && f.standing != Standing::Open {
        return already_settled(language, f, hotline, entrance);
    }
    if !f.created {
        return match language {
            Language::Zh => format!(
                "这次对话你已经投诉过了，投诉单号 {r}，不会重复立案。投诉团队会在 {ack} 前受理，并在 {decide} 前给出处理结果。跟进进度请提供单号 {r} 联系人工客服或拨打投诉热线 {hotline}。"
            ),
            Language::En => format!(
                "You have already complained about this conversation: reference {r} (a second complaint is not opened). The complaints team will acknowledge it by {ack} and decide by {decide}. To follow it up, quote {r} to an agent or call our complaint hotline {hotline}."
            ),
        };
    }
    match language {
        Language::Zh => format!(
            "投诉已提交，投诉单号 {r}。对话记录已作为凭证封存，投诉团队会在 {ack} 前受理，并在 {decide} 前给出处理结果，结果会通过消息通知你。跟进进度请提供单号 {r} 联系人工客服或拨打投诉热线 {hotline}。"
        ),
        Language::En => format!(
            "Your complaint is filed under reference {r}. The conversation is sealed as evidence; the complaints team will acknowledge it by {ack} and decide by {decide}, and you will be told the outcome. To follow it up, quote {r} to an agent or call our complaint hotline {hotline}."
        ),
    }
}

/// A complaint about this conversation was filed before and has been decided or
/// withdrawn: the outcome, and where to turn next (12315 is for consumers; sellers
/// appeal through the platform's merchant channel).
fn already_settled(language: Language, f: &Filed, hotline: &str, entrance: Entrance) -> String {
    let r = &f.reference;
    let decided = |upheld: bool, outcome: &str| match language {
        Language::Zh => format!(
            "这次对话你已经投诉过了（投诉单号 {r}），投诉团队已作出处理：{}。处理结果：{outcome}\n{}",
            if upheld {
                "投诉成立"
            } else {
                "投诉未被支持"
            },
            recourse(language, entrance, hotline)
        ),
        Language::En => format!(
            "You have already complained about this conversation (reference {r}) and the complaints team has decided it: {}. The outcome: {outcome}\n{}",
            if upheld { "upheld" } else { "not upheld" },
            recourse(language, entrance, hotline)
        ),
    };
    match (&f.standing, language) {
        (Standing::Upheld(outcome), _) => decided(true, outcome),
        (Standing::NotUpheld(outcome), _) => decided(false, outcome),
        (_, Language::Zh) => format!(
            "这次对话的投诉（单号 {r}）你已经撤回，不会重复立案。如仍需反映，请拨打投诉热线 {hotline}。"
        ),
        (_, Language::En) => format!(
            "You withdrew your complaint about this conversation (reference {r}), so it is not opened again. If you still want to raise it, call our complaint hotline {hotline}."
        ),
    }
}

/// Where to turn if not satisfied with a decision, in one language: shoppers have 12315,
/// sellers the platform's appeal (12315 takes consumers' complaints, not sellers').
pub(super) fn recourse(language: Language, entrance: Entrance, hotline: &str) -> String {
    match (language, entrance) {
        (Language::Zh, Entrance::Consumer) => format!(
            "如对处理结果不满意，可拨打投诉热线 {hotline} 申请复核；也可以拨打全国消费者投诉举报电话 12315 向市场监管部门投诉（一般在 7 个工作日内决定是否受理）。"
        ),
        (Language::Zh, Entrance::Merchant) => format!(
            "如对处理结果不满意，可拨打投诉热线 {hotline} 申请复核，或在卖家中心（千牛「服务中心 → 申诉」）提交申诉。"
        ),
        (Language::En, Entrance::Consumer) => format!(
            "If you are not satisfied with a decision, call our complaint hotline {hotline} for a review, or complain to the market regulator on the national consumer hotline 12315 (it normally decides within 7 working days whether to take a complaint up)."
        ),
        (Language::En, Entrance::Merchant) => format!(
            "If you are not satisfied with a decision, call our complaint hotline {hotline} for a review, or appeal in the seller centre (Qianniu: Service centre → Appeals)."
        ),
    }
}

/// The complaint intake could not be reached: nothing was filed.
pub fn unavailable(language: Language, hotline: &str, confirming: bool) -> String {
    match (language, confirming) {
        (Language::Zh, true) => format!(
            "抱歉，投诉系统暂时无法连接，投诉还没有提交。稍后回复“确认提交”可以再试，或拨打投诉热线 {hotline}。"
        ),
        (Language::Zh, false) => format!(
            "抱歉，投诉系统暂时无法连接，请稍后再试，或拨打投诉热线 {hotline}。其他问题我可以继续为你解答。"
        ),
        (Language::En, true) => format!(
            "Sorry, the complaints system can't be reached right now and your complaint has not been filed yet. Reply \"yes\" in a moment to try again, or call our complaint hotline {hotline}."
        ),
        (Language::En, false) => format!(
            "Sorry, the complaints system can't be reached right now. Please try again later or call our complaint hotline {hotline}. I can keep helping with anything else."
        ),
    }
}

/// agent-service turned the complaint down. Its reason is written for developers (and
/// in one language), so the customer is told in theirs what they can still do; the
/// reason goes to the log.
pub fn refused(language: Language, hotline: &str) -> String {
    match language {
        Language::Zh => format!(
            "抱歉，这条投诉无法在这里提交（这次对话可能不能投诉，或已不存在）。如有疑问请拨打投诉热线 {hotline}。"
        ),
        Language::En => format!(
            "Sorry, this complaint can't be filed here (that conversation may not be open to complaints, or no longer exists). If in doubt, call our complaint hotline {hotline}."
        ),
    }
}

/// The one-step offer shown with a flagged agent message: its text and button.
pub fn offer(language: Language) -> (String, String) {
    match language {
        Language::Zh => (
            "这条客服消息可能含有不文明用语，我们已记录。如需投诉，点“一键投诉”即可，被标记的消息会作为凭证提交。".to_owned(),
            "一键投诉".to_owned(),
        ),
        Language::En => (
            "This message from the agent may contain abusive language and has been recorded. To complain, tap \"Complain\": the flagged messages go with it as evidence.".to_owned(),
            "Complain".to_owned(),
        ),
    }
}

/// The description a one-step complaint carries.
pub fn one_step_description(language: Language, flagged: usize) -> String {
    match language {
        Language::Zh => {
            format!("一键投诉：客服在对话中使用了不文明用语（系统标记了 {flagged} 条消息）。")
        }
        Language::En => format!(
            "One-step complaint: the agent used abusive language in the conversation ({flagged} message(s) flagged)."
        ),
    }
}
