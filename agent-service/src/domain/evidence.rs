//! Sealed evidence: at filing, every message of the conversation (robot part and human
//! part) is chained by SHA-256 to the one before, and the complaint keeps each link and
//! the final digest. Verification recomputes the chain from the messages as stored now
//! and names the first one that no longer matches.

use std::time::SystemTime;

use sha2::{Digest, Sha256};

use super::Sender;

/// The chain's starting value, so digests of different purposes never collide.
const GENESIS: &str = "honeydesk.evidence.v1";

/// One message as it is sealed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceItem {
    /// Stable id of the message within its ticket (`bot-3`, `msg-12`).
    pub message_id: String,
    /// Who wrote it.
    pub sender: Sender,
    /// The agent who wrote it (agent messages), else empty.
    pub author: String,
    /// What was written.
    pub text: String,
    /// When.
    pub at: SystemTime,
}

/// One link of a sealed chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// The message it seals.
    pub message_id: String,
    /// SHA-256 (hex) over the previous link and this message.
    pub digest: String,
}

/// The outcome of checking a seal against the stored messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    /// Whether every sealed message is stored unchanged.
    pub intact: bool,
    /// The first message that differs (or is missing).
    pub first_mismatch: Option<String>,
    /// What was found, for people.
    pub detail: String,
    /// The final digest kept in the complaint.
    pub sealed_digest: String,
    /// The final digest of the messages as stored now.
    pub recomputed_digest: String,
}

/// Chains `items` in order; the last link's digest is the complaint's evidence digest.
pub fn seal(items: &[EvidenceItem]) -> Vec<Link> {
    let mut previous = hex::encode(Sha256::digest(GENESIS.as_bytes()));
    items
        .iter()
        .map(|item| {
            previous = link(&previous, item);
            Link {
                message_id: item.message_id.clone(),
                digest: previous.clone(),
            }
        })
        .collect()
}

/// The final digest of a chain (of the genesis value when empty).
pub fn final_digest(links: &[Link]) -> String {
    links.last().map_or_else(
        || hex::encode(Sha256::digest(GENESIS.as_bytes())),
        |l| l.digest.clone(),
    )
}

/// Checks `sealed` (with its final `sealed_digest`) against the messages stored now.
/// Messages added after the seal do not matter; changed or missing ones do.
pub fn verify(sealed: &[Link], sealed_digest: &str, stored: &[EvidenceItem]) -> Verification {
    let now = seal(stored);
    let chain_ok = final_digest(sealed) == sealed_digest;
    let mismatch = sealed
        .iter()
        .enumerate()
        .find_map(|(i, link)| match now.get(i) {
            None => Some((
                link.message_id.clone(),
                format!(
                    "message {} (#{}) is missing from the store",
                    link.message_id,
                    i + 1
                ),
            )),
            Some(current) if current.message_id != link.message_id => Some((
                link.message_id.clone(),
                format!(
                    "message {} (#{}) is missing or out of order: found {} in its place",
                    link.message_id,
                    i + 1,
                    current.message_id
                ),
            )),
            Some(current) if current.digest != link.digest => Some((
                link.message_id.clone(),
                format!(
                    "message {} (#{}) was altered after the complaint was filed",
                    link.message_id,
                    i + 1
                ),
            )),
            Some(_) => None,
        });
    let recomputed_digest = now
        .get(sealed.len().wrapping_sub(1))
        .filter(|_| !sealed.is_empty())
        .map_or_else(|| final_digest(&[]), |l| l.digest.clone());
    match mismatch {
        Some((id, detail)) => Verification {
            intact: false,
            first_mismatch: Some(id),
            detail,
            sealed_digest: sealed_digest.to_owned(),
            recomputed_digest,
        },
        None if !chain_ok => Verification {
            intact: false,
            first_mismatch: None,
            detail: "the complaint's evidence digest does not match its sealed chain".into(),
            sealed_digest: sealed_digest.to_owned(),
            recomputed_digest,
        },
        None => Verification {
            intact: true,
            first_mismatch: None,
            detail: format!("all {} sealed messages are intact", sealed.len()),
            sealed_digest: sealed_digest.to_owned(),
            recomputed_digest,
        },
    }
}

/// SHA-256 over the previous digest and a length-prefixed encoding of the message.
fn link(previous: &str, item: &EvidenceItem) -> String {
    let mut h = Sha256::new();
    let millis = server_kit::time::unix_millis(item.at);
    for field in [
        previous,
        item.message_id.as_str(),
        item.sender.as_str(),
        item.author.as_str(),
        item.text.as_str(),
        &millis.to_string(),
    ] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn items() -> Vec<EvidenceItem> {
        let at = |s: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + s);
        let item = |id: &str, sender, author: &str, text: &str, s| EvidenceItem {
            message_id: id.into(),
            sender,
            author: author.into(),
            text: text.into(),
            at: at(s),
        };
        vec![
            item("bot-1", Sender::Customer, "", "转人工", 0),
            item("bot-2", Sender::Bot, "", "正在为您转接", 1),
            item("msg-3", Sender::Agent, "a-1024", "爱买不买", 2),
            item("msg-4", Sender::Customer, "", "你怎么骂人", 3),
        ]
    }

    #[test]
    fn an_untouched_transcript_verifies() {
        let links = seal(&items());
        let digest = final_digest(&links);
        let v = verify(&links, &digest, &items());
        assert!(v.intact, "{v:?}");
        assert_eq!(v.recomputed_digest, digest);
        // Messages after the seal do not break it.
        let mut more = items();
        more.push(EvidenceItem {
            message_id: "msg-9".into(),
            ..items()[3].clone()
        });
        assert!(verify(&links, &digest, &more).intact);
    }

    #[test]
    fn an_altered_missing_or_reordered_message_is_named() {
        let links = seal(&items());
        let digest = final_digest(&links);

        let mut altered = items();
        altered[2].text = "您好，请问还有什么可以帮您".into();
        let v = verify(&links, &digest, &altered);
        assert!(!v.intact);
        assert_eq!(v.first_mismatch.as_deref(), Some("msg-3"));
        assert!(v.detail.contains("altered"), "{}", v.detail);
        assert_ne!(v.recomputed_digest, digest);

        let mut deleted = items();
        deleted.remove(2);
        let v = verify(&links, &digest, &deleted);
        assert_eq!(v.first_mismatch.as_deref(), Some("msg-3"));

        let mut backdated = items();
        backdated[0].at -= Duration::from_secs(60);
        assert_eq!(
            verify(&links, &digest, &backdated)
                .first_mismatch
                .as_deref(),
            Some("bot-1")
        );

        let v = verify(&links, "0000", &items());
        assert!(!v.intact && v.first_mismatch.is_none());
    }

    #[test]
    fn field_boundaries_are_part_of_the_seal() {
        let mut a = items();
        a[0].author = "ab".into();
        a[0].text = "c".into();
        let mut b = items();
        b[0].author = "a".into();
        b[0].text = "bc".into();
        assert_ne!(final_digest(&seal(&a)), final_digest(&seal(&b)));
    }
}
