//! How long moderating one agent message takes with the shipped lexicon: every message
//! of the moderation test set (clean ones that contain a term's letters, disguised
//! abusive ones) in turn, one per iteration, so the figure is per message.

use std::hint::black_box;

use agent_service::domain::moderation::Lexicon;
use criterion::{Criterion, criterion_group, criterion_main};

/// The shipped test set: `clean` or `abusive`, a tab, the text.
const CHECKS: &str = include_str!("../moderation/checks.tsv");

fn moderation(c: &mut Criterion) {
    let lexicon = Lexicon::shipped();
    let messages: Vec<&str> = CHECKS
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('\t').map(|(_, text)| text))
        .collect();
    // jieba's dictionary loads on first use: not part of a message's cost.
    black_box(lexicon.check("你给我滚"));
    let mut next = 0;
    c.bench_function("moderation/check (per message)", |b| {
        b.iter(|| {
            let text = messages[next % messages.len()];
            next += 1;
            black_box(lexicon.check(black_box(text)))
        })
    });
    c.bench_function("moderation/check a long clean message", |b| {
        let long = "您好，这是给妈妈的礼物，我们已经帮您加急包装，水滚开后放入面条煮三分钟即可，\
                    包装盒可以废物利用，物流单号请在订单详情里查看，请看 s b 这个选项。"
            .repeat(4);
        b.iter(|| black_box(lexicon.check(black_box(&long))))
    });
}

criterion_group!(benches, moderation);
criterion_main!(benches);
