//! Property-based fuzzing (proptest, on the stable toolchain; `cargo fuzz` needs nightly):
//! client bytes decoded into a ticket request, the abusive-language lexicon (its TOML and
//! the matching of any text), and evidence canonicalisation. Each target first replays
//! the kept corpus in `fuzz-corpus/` (inputs that once mattered), then runs generated
//! cases; CI runs the default count (`PROPTEST_CASES` raises it for a longer local run),
//! and proptest records any failure in `proptest-regressions/` to replay for ever.

use std::time::{Duration, SystemTime};

use proptest::prelude::*;
use prost::Message;

use crate::domain::{
    Sender,
    evidence::{self, EvidenceItem},
    moderation::Lexicon,
};

/// The kept corpus of `target`.
fn corpus(target: &str) -> Vec<Vec<u8>> {
    server_kit::corpus::corpus(env!("CARGO_MANIFEST_DIR"), target)
}

/// Decoding and checking a `CreateTicketRequest` never panics, and whatever is accepted
/// keeps its times through the store's millisecond form.
fn ticket_request(bytes: &[u8]) {
    let Ok(request) = honeydesk_proto::agent::v1::CreateTicketRequest::decode(bytes) else {
        return;
    };
    let Ok(escalation) = crate::grpc::convert::escalation_from_pb(request) else {
        return;
    };
    if escalation.validate().is_err() {
        return;
    }
    for line in &escalation.transcript {
        let stored = server_kit::time::unix_millis(line.at);
        let back = server_kit::time::from_unix_millis(stored);
        let lost = line.at.duration_since(back).unwrap_or(Duration::MAX);
        assert!(
            lost < Duration::from_millis(1),
            "{:?} stored as {stored}",
            line.at
        );
    }
}

/// Any lexicon TOML is loaded or refused, never a panic; a loaded one checks any text.
fn lexicon_text(toml: &str, text: &str) {
    if let Ok(lexicon) = Lexicon::parse(toml, "fuzz".into()) {
        lexicon.check(text);
    }
}

fn item(id: usize, text: String, secs: u64) -> EvidenceItem {
    EvidenceItem {
        message_id: format!("m-{id}"),
        sender: if id.is_multiple_of(2) {
            Sender::Customer
        } else {
            Sender::Agent
        },
        author: String::new(),
        text,
        at: SystemTime::UNIX_EPOCH + Duration::from_secs(secs),
    }
}

#[test]
fn the_kept_corpus_passes() {
    for bytes in corpus("ticket_request") {
        ticket_request(&bytes);
    }
    for toml in corpus("lexicon") {
        lexicon_text(&String::from_utf8_lossy(&toml), "你是傻逼吗 idiot");
    }
}

proptest! {
    #[test]
    fn ticket_requests_decode_or_refuse(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        ticket_request(&bytes);
    }

    #[test]
    fn well_formed_ticket_requests_keep_their_times(
        seconds in any::<i64>(),
        nanos in any::<i32>(),
        text in "\\PC{0,40}",
    ) {
        use honeydesk_proto::agent::v1 as pb;
        let request = pb::CreateTicketRequest {
            idempotency_key: "k-1".into(),
            customer_id: "c-1".into(),
            entrance: pb::Entrance::Consumer as i32,
            skill: "orders".into(),
            transcript: vec![pb::TranscriptEntry {
                sender: pb::Sender::Customer as i32,
                text,
                at: Some(prost_types::Timestamp { seconds, nanos }),
                intent: String::new(),
            }],
            ..Default::default()
        };
        ticket_request(&request.encode_to_vec());
    }

    #[test]
    fn any_lexicon_loads_or_is_refused(toml in "\\PC{0,200}", text in "\\PC{0,80}") {
        lexicon_text(&toml, &text);
    }

    #[test]
    fn a_term_is_found_wherever_it_is_written(
        before in "[a-z ]{0,10}",
        after in "[a-z ]{0,10}",
    ) {
        let lexicon = Lexicon::new(["傻逼", "idiot"]).expect("terms");
        let text = format!("{before} 你是傻逼 {after}");
        prop_assert_eq!(lexicon.check(&text), vec!["傻逼".to_string()]);
    }

    #[test]
    fn sealed_evidence_verifies_and_any_change_is_named(
        texts in proptest::collection::vec("\\PC{0,30}", 1..12),
        changed in any::<prop::sample::Index>(),
        extra in "\\PC{1,5}",
    ) {
        let items: Vec<EvidenceItem> = texts
            .into_iter()
            .enumerate()
            .map(|(i, t)| item(i, t, 1_700_000_000 + i as u64))
            .collect();
        let links = evidence::seal(&items);
        let digest = evidence::final_digest(&links);
        prop_assert!(evidence::verify(&links, &digest, &items).intact);
        let mut tampered = items.clone();
        let at = changed.index(tampered.len());
        tampered[at].text.push_str(&extra);
        let found = evidence::verify(&links, &digest, &tampered);
        prop_assert!(!found.intact);
        prop_assert_eq!(found.first_mismatch, Some(items[at].message_id.clone()));
    }
}
