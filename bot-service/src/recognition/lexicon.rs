//! The word lists the tokeniser relies on: domain words for jieba, stop words in both
//! languages, and the English forms and synonyms that suffix rules cannot unify. Kept
//! apart from the tokenising code so they can be reviewed and extended as data; looked
//! up through hash sets built on first use, since every word of every message is checked.

use std::sync::LazyLock;

use rustc_hash::{FxHashMap, FxHashSet};

static CHINESE_STOP_SET: LazyLock<FxHashSet<&str>> =
    LazyLock::new(|| CHINESE_STOP_WORDS.iter().copied().collect());

static ENGLISH_STOP_SET: LazyLock<FxHashSet<&str>> =
    LazyLock::new(|| ENGLISH_STOP_WORDS.iter().copied().collect());

static ENGLISH_FORM_MAP: LazyLock<FxHashMap<&str, &str>> = LazyLock::new(|| {
    let mut map = FxHashMap::default();
    for &(form, base) in ENGLISH_FORMS {
        map.entry(form).or_insert(base);
    }
    map
});

/// Whether a jieba word is one of [`CHINESE_STOP_WORDS`].
pub(super) fn is_chinese_stop_word(word: &str) -> bool {
    CHINESE_STOP_SET.contains(word)
}

/// Whether a lower-case word is one of [`ENGLISH_STOP_WORDS`].
pub(super) fn is_english_stop_word(word: &str) -> bool {
    ENGLISH_STOP_SET.contains(word)
}

/// The common form of an irregular form, contraction or synonym ([`ENGLISH_FORMS`]).
pub(super) fn english_form(word: &str) -> Option<&'static str> {
    ENGLISH_FORM_MAP.get(word).copied()
}

/// Words of the customer-service domain that jieba's general dictionary splits apart.
pub(super) const DOMAIN_WORDS: &[&str] = &[
    "小蜜",
    "万象",
    "转人工",
    "人工客服",
    "仅退款",
    "退货退款",
    "违约金",
    "保证金",
    "充话费",
    "运费险",
    "千牛",
    "淘金币",
    "差评",
    "没发货",
    "不发货",
];

/// Chinese particles that carry tone, and the question and wanting words that every
/// intent's examples share: they say how something is asked, not what.
pub(super) const CHINESE_STOP_WORDS: &[&str] = &[
    "的",
    "了",
    "吗",
    "呢",
    "啊",
    "吧",
    "呀",
    "哦",
    "嘛",
    "啦",
    "呗",
    "哇",
    "着",
    "地",
    "得",
    "滴",
    "哈",
    "嗯",
    "么",
    "我",
    "我们",
    "一下",
    "怎么",
    "怎么办",
    "怎样",
    "如何",
    "什么",
    "什么样",
    "什么时候",
    "为什么",
    "为啥",
    "咋",
    "咋办",
    "请问",
    "是不是",
    "能不能",
    "可不可以",
    "可以",
    "还",
    "就",
    "都",
    "也",
    "又",
    "这个",
    "那个",
    "这",
    "那",
    "我要",
    "我想",
    "想",
    "要",
    "需要",
];

/// English words too common to tell one question from another, and the question and
/// wanting words that say how something is asked. Negations, "where", "why" and "you"
/// stay: "not shipped", "where is it" and "are you a bot" need them.
pub(super) const ENGLISH_STOP_WORDS: &[&str] = &[
    "a", "an", "the", "is", "are", "am", "was", "were", "be", "been", "i", "me", "my", "mine",
    "what", "how", "when", "which", "who", "it", "its", "to", "of", "for", "in", "on", "at", "and",
    "or", "this", "that", "these", "those", "do", "does", "did", "please", "can", "could", "would",
    "will", "should", "there", "here", "with", "about", "so", "just", "some", "any", "we", "our",
    "us", "have", "has", "had", "s", "t", "d", "ll", "re", "ve", "m", "pls", "plz", "by", "from",
    "as", "if", "then", "than", "also", "too", "very", "really", "still", "yet", "like", "want",
    "need", "wanna", "ok", "okay",
];

/// Irregular forms, contractions and synonyms mapped to the form the stemmer would give
/// the common word ("bot" and "chatbot" are a "robot").
pub(super) const ENGLISH_FORMS: &[(&str, &str)] = &[
    ("paid", "pay"),
    ("bought", "buy"),
    ("sent", "send"),
    ("got", "get"),
    ("gotten", "get"),
    ("cancelled", "cancel"),
    ("cancelling", "cancel"),
    ("canceled", "cancel"),
    ("cannot", "not"),
    ("can't", "not"),
    ("won't", "not"),
    ("never", "not"),
    ("thx", "thank"),
    ("thanx", "thank"),
    ("ty", "thank"),
    ("bot", "robot"),
    ("bots", "robot"),
    ("chatbot", "robot"),
    ("complaint", "complain"),
    ("complaints", "complain"),
    ("hi", "hello"),
    ("hey", "hello"),
    ("ai", "robot"),
];
