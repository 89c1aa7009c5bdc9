//! How long intent recognition takes per message: on the default catalogue (budget:
//! under 50 µs per message at p99 in release: the percentiles over every message of the
//! evaluation set are printed first), and on a synthetic catalogue of 1,000 intents × 20
//! examples built from the default examples, to show the cost follows shared postings
//! and not catalogue size; and how long learning the default catalogue takes (budget:
//! under 1 s).

use std::fmt::Write;
use std::hint::black_box;
use std::time::{Duration, Instant};

use bot_service::catalogue::{Catalogue, DEFAULT_CATALOGUE_PATH};
use bot_service::evaluation::{DEV_CASES_PATH, TEST_CASES_PATH, load_cases};
use bot_service::recognition::Recognizer;
use bot_service::vocabulary::{Entrance, Language};
use criterion::{Criterion, criterion_group, criterion_main};

/// A mix of Chinese, English, mixed-script and out-of-scope messages.
const MESSAGES: &[&str] = &[
    "我买的裙子拍下三天了卖家还没发货",
    "快递到哪了",
    "退款什么时候到账",
    "我要转人工",
    "客服态度太差了我要投诉",
    "推荐一部电影",
    "where is my parcel",
    "I can't log into my account",
    "my order 20240615123456 still not shipped",
    "what's the capital of France",
];

const SYNTHETIC_INTENTS: usize = 1_000;
const SYNTHETIC_EXAMPLES: usize = 20;

/// Characters for made-up product words, so every synthetic intent is distinct.
const SYLLABLES: &[char] = &[
    '甲', '乙', '丙', '丁', '戊', '己', '庚', '辛', '壬', '癸', '子', '丑', '寅', '卯', '辰', '巳',
    '午', '未', '申', '酉', '戌', '亥', '金', '木', '水', '火', '土', '春', '夏', '秋', '冬', '东',
    '南', '西', '北', '梅', '兰', '竹', '菊', '松',
];

/// 1,000 intents whose examples are the default catalogue's, each tagged with a product
/// word of its own: the common words' postings grow with the catalogue, as they would.
fn synthetic_catalogue(default: &Catalogue) -> Catalogue {
    let pool = |language| -> Vec<&str> {
        default
            .intents()
            .iter()
            .flat_map(|intent| intent.examples(language))
            .map(String::as_str)
            .collect()
    };
    let (zh, en) = (pool(Language::Zh), pool(Language::En));
    let mut text = String::from(
        "skills = [\"general\"]\n\
         [entrances.consumer]\ngreeting_zh = \"你好\"\ngreeting_en = \"Hi\"\ndefault_skill = \"general\"\n\
         [entrances.merchant]\ngreeting_zh = \"你好\"\ngreeting_en = \"Hi\"\ndefault_skill = \"general\"\n\
         [fallback]\nanswers_zh = [\"?\"]\nanswers_en = [\"?\"]\nask_problem_zh = \"?\"\nask_problem_en = \"?\"\n",
    );
    for i in 0..SYNTHETIC_INTENTS {
        let n = SYLLABLES.len();
        let product: String = [SYLLABLES[i % n], SYLLABLES[(i / n) % n]].iter().collect();
        let examples = |pool: &[&str], count: usize, tag: &str| -> String {
            (0..count)
                .map(|j| {
                    format!(
                        "\"{} {tag}\"",
                        pool[(i * SYNTHETIC_EXAMPLES + j) % pool.len()]
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let zh_count = SYNTHETIC_EXAMPLES * 7 / 10;
        let en_count = SYNTHETIC_EXAMPLES - zh_count;
        write!(
            text,
            "[[intent]]\nname = \"synthetic.{i}\"\nentrances = [\"consumer\"]\nkind = \"faq\"\n\
             skill = \"general\"\ntitle_zh = \"{product}\"\ntitle_en = \"item {i}\"\n\
             examples_zh = [{}]\nexamples_en = [{}]\nanswers_zh = [\"好\"]\nanswers_en = [\"ok\"]\n",
            examples(&zh, zh_count, &format!("{product}款")),
            examples(&en, en_count, &format!("model{i}")),
        )
        .expect("writing to a String");
    }
    Catalogue::parse(&text, "synthetic").expect("synthetic catalogue is valid")
}

/// Classifies the messages in turn, one per iteration, so the figure is per message.
fn bench_messages(c: &mut Criterion, name: &str, recognizer: &Recognizer) {
    let mut next = 0;
    c.bench_function(name, |b| {
        b.iter(|| {
            let text = MESSAGES[next % MESSAGES.len()];
            next += 1;
            black_box(recognizer.classify(Entrance::Consumer, black_box(text), 3))
        })
    });
}

/// Rounds over the evaluation set when measuring percentiles.
const PERCENTILE_ROUNDS: usize = 20;

/// The per-message budget at p99.
const BUDGET: Duration = Duration::from_micros(50);

/// Messages from this many characters are the long stories clause scoring is for.
const LONG_CHARS: usize = 60;

/// Times every message of the evaluation set one by one (dev and test parts, both
/// entrances, after one warm-up round) and prints the median, p90, p99 and worst time
/// per message, overall and for the long stories: criterion reports means, the budget
/// is on the tail.
fn print_percentiles(recognizer: &Recognizer) {
    let mut cases = load_cases(DEV_CASES_PATH).expect("dev cases");
    cases.extend(load_cases(TEST_CASES_PATH).expect("test cases"));
    for case in &cases {
        black_box(recognizer.classify(case.entrance, black_box(&case.text), 3));
    }
    let mut times: Vec<Duration> = Vec::with_capacity(cases.len() * PERCENTILE_ROUNDS);
    let mut long_times: Vec<Duration> = Vec::new();
    let mut fastest = vec![Duration::MAX; cases.len()];
    for _ in 0..PERCENTILE_ROUNDS {
        for (case, fastest) in cases.iter().zip(&mut fastest) {
            let started = Instant::now();
            black_box(recognizer.classify(case.entrance, black_box(&case.text), 3));
            let took = started.elapsed();
            times.push(took);
            if case.text.chars().count() >= LONG_CHARS {
                long_times.push(took);
            }
            *fastest = (*fastest).min(took);
        }
    }
    let mut by_cost: Vec<(Duration, &str)> = fastest
        .iter()
        .zip(&cases)
        .map(|(t, c)| (*t, c.text.as_str()))
        .collect();
    by_cost.sort_unstable_by_key(|b| std::cmp::Reverse(b.0));
    for (took, text) in by_cost.iter().take(3) {
        println!(
            "  costliest message ({took:?} at best): {}",
            text.chars().take(40).collect::<String>()
        );
    }
    let over = times.iter().filter(|&&t| t > BUDGET).count();
    println!(
        "classify/evaluation set ({} messages x {PERCENTILE_ROUNDS}): {}; over {BUDGET:?}: {:.2}%",
        cases.len(),
        percentiles(&mut times),
        100.0 * over as f64 / times.len().max(1) as f64,
    );
    println!(
        "classify/evaluation set, {} messages of {LONG_CHARS}+ characters: {}",
        long_times.len() / PERCENTILE_ROUNDS,
        percentiles(&mut long_times),
    );
}

/// "p50 …, p90 …, p99 …, max …" of a set of times.
fn percentiles(times: &mut [Duration]) -> String {
    if times.is_empty() {
        return "no messages".to_owned();
    }
    times.sort_unstable();
    let at = |share: f64| times[((times.len() - 1) as f64 * share) as usize];
    format!(
        "p50 {:.1?}, p90 {:.1?}, p99 {:.1?}, max {:.1?}",
        at(0.5),
        at(0.9),
        at(0.99),
        times[times.len() - 1]
    )
}

fn recognition(c: &mut Criterion) {
    let default = Catalogue::load(DEFAULT_CATALOGUE_PATH).expect("default catalogue");
    let recognizer = Recognizer::new(&default);
    print_percentiles(&recognizer);
    bench_messages(c, "classify/default catalogue (per message)", &recognizer);

    let synthetic = synthetic_catalogue(&default);
    let large = Recognizer::new(&synthetic);
    bench_messages(
        c,
        "classify/1000 intents x 20 examples (per message)",
        &large,
    );

    let mut group = c.benchmark_group("build");
    group.sample_size(10);
    group.bench_function("recognizer/default catalogue", |b| {
        b.iter(|| black_box(Recognizer::new(&default)))
    });
    group.bench_function("recognizer/1000 intents x 20 examples", |b| {
        b.iter(|| black_box(Recognizer::new(&synthetic)))
    });
    group.finish();
}

criterion_group!(benches, recognition);
criterion_main!(benches);
