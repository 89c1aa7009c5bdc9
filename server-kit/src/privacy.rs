//! Personal data taken out of what operators and logs see: an unanswered question is
//! stored and shown to supervisors, a flagged agent message is shown to them, and a back
//! end's refusal is logged, so mobile numbers, ID-card numbers, e-mail addresses and
//! other long numbers (bank cards, order numbers) are replaced by a label first
//! ("钱 13911112222 的问题" → "钱 [mobile] 的问题"). Both services use it, so it lives here.

/// `text` with personal data replaced by `[mobile]`, `[id-card]`, `[email]` or
/// `[number]`. Short numbers (amounts, years, 12315) are kept.
pub fn mask(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if let Some(end) = email_at(&chars, i) {
            out.push_str("[email]");
            i = end;
        } else if chars[i].is_ascii_digit() {
            let (end, digits) = number_at(&chars, i);
            match label(&digits) {
                Some(label) => out.push_str(label),
                None => out.extend(&chars[i..end]),
            }
            i = end;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// Characters an e-mail address is made of.
fn emailish(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+' | '@')
}

/// The end of an e-mail address starting at `i` (a word start), if one does.
fn email_at(chars: &[char], i: usize) -> Option<usize> {
    if i > 0 && emailish(chars[i - 1]) {
        return None;
    }
    let end = (i..chars.len())
        .find(|&j| !emailish(chars[j]))
        .unwrap_or(chars.len());
    let word: String = chars[i..end].iter().collect();
    let (user, domain) = word.split_once('@')?;
    (!user.is_empty() && domain.contains('.') && !domain.starts_with('.')).then_some(end)
}

/// The digits of the number starting at `i` (groups joined by single spaces or dashes,
/// as in 139 1111 2222) and where it ends; an ID card's final X belongs to it.
fn number_at(chars: &[char], i: usize) -> (usize, String) {
    let mut digits = String::new();
    let mut j = i;
    let mut end = i;
    while j < chars.len() {
        let c = chars[j];
        if c.is_ascii_digit() {
            digits.push(c);
            j += 1;
            end = j;
        } else if matches!(c, ' ' | '-')
            && chars.get(j + 1).is_some_and(char::is_ascii_digit)
            && digits.len() < 18
        {
            j += 1;
        } else {
            break;
        }
    }
    if digits.len() == 17 && matches!(chars.get(end), Some('x' | 'X')) {
        digits.push('x');
        end += 1;
    }
    (end, digits)
}

fn label(digits: &str) -> Option<&'static str> {
    let mobile =
        |d: &str| d.len() == 11 && d.starts_with('1') && matches!(d.as_bytes()[1], b'3'..=b'9');
    if mobile(digits) || digits.strip_prefix("86").is_some_and(mobile) {
        Some("[mobile]")
    } else if digits.len() == 18 {
        Some("[id-card]")
    } else if digits.len() >= 7 {
        Some("[number]")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn personal_data_is_replaced_and_the_question_kept() {
        assert_eq!(mask("钱 13911112222 的问题"), "钱 [mobile] 的问题");
        assert_eq!(mask("给139 1111 2222充值"), "给[mobile]充值");
        assert_eq!(mask("call me on 8613911112222"), "call me on [mobile]");
        assert_eq!(mask("身份证11010519491231002x丢了"), "身份证[id-card]丢了");
        assert_eq!(mask("mail a.b@example.com please"), "mail [email] please");
        assert_eq!(mask("卡号6222020200112233445退款"), "卡号[number]退款");
        assert_eq!(mask("订单 2024112512345678"), "订单 [number]");
    }

    #[test]
    fn short_numbers_and_plain_text_are_kept() {
        assert_eq!(mask("充50元"), "充50元");
        assert_eq!(mask("打12315投诉"), "打12315投诉");
        assert_eq!(mask("2025年的订单"), "2025年的订单");
        assert_eq!(mask("what is @ in email"), "what is @ in email");
    }
}
