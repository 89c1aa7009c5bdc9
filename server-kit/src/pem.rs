//! PEM text: the one block a key file holds (`-----BEGIN <label>-----`, base64 DER,
//! `-----END <label>-----`). Private keys for signing tokens are read with it, and
//! tests write the keys and certificates they make with it.

use base64::{Engine, engine::general_purpose::STANDARD};

/// `der` as a PEM block labelled `label` (`CERTIFICATE`, `PRIVATE KEY`).
pub fn encode(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The label and DER bytes of the first PEM block in `text`, if there is one.
pub fn decode(text: &str) -> Option<(String, Vec<u8>)> {
    let start = text.find("-----BEGIN ")?;
    let rest = &text[start + "-----BEGIN ".len()..];
    let (label, rest) = rest.split_once("-----")?;
    let end = format!("-----END {label}-----");
    let (body, _) = rest.split_once(end.as_str())?;
    let body: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    Some((label.to_owned(), STANDARD.decode(body).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_round_trips() {
        let der: Vec<u8> = (0..=255).collect();
        let text = encode("PRIVATE KEY", &der);
        assert_eq!(decode(&text), Some(("PRIVATE KEY".to_owned(), der)));
        assert_eq!(decode("no pem here"), None);
    }
}
