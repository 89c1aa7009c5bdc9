//! Long messages are stories: three sentences of background, then the question. They are
//! cut into clauses so that each can be scored on its own and the strongest evidence
//! decides, instead of the question drowning in the story's words.

/// Messages up to this many characters are taken whole.
const LONG_MESSAGE_CHARS: usize = 24;

/// Characters that end a clause in either script.
fn ends_clause(c: char) -> bool {
    matches!(
        c,
        '。' | '！' | '？' | '；' | '，' | '、' | '!' | '?' | ';' | ',' | '.' | '\n' | '…'
    )
}

/// The clauses of a long message (at least two, each with some text), or `None` when the
/// message is short or has a single clause.
pub(super) fn clauses(text: &str) -> Option<Vec<&str>> {
    if text.chars().count() <= LONG_MESSAGE_CHARS {
        return None;
    }
    let parts: Vec<&str> = text
        .split(ends_clause)
        .map(str::trim)
        .filter(|part| part.chars().any(char::is_alphanumeric))
        .collect();
    (parts.len() > 1).then_some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_are_cut_at_clause_punctuation() {
        let text = "上周买了一双鞋,收到以后发现开胶了,寄回去三天了。请问退款什么时候到?";
        assert_eq!(
            clauses(text).unwrap(),
            vec![
                "上周买了一双鞋",
                "收到以后发现开胶了",
                "寄回去三天了",
                "请问退款什么时候到"
            ]
        );
        assert_eq!(clauses("退款什么时候到?"), None);
        assert_eq!(
            clauses("a very long message without any punctuation at all"),
            None
        );
    }
}
