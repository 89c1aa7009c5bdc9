//! Reading a metrics endpoint the way Prometheus does, for end-to-end tests: one
//! HTTP/1.1 `GET /metrics`, and look-ups of one series' value in the text format.

use std::{collections::BTreeMap, net::SocketAddr};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One scrape's series: (name, labels) → value.
#[derive(Clone, Debug, Default)]
pub struct Scrape {
    series: Vec<(String, BTreeMap<String, String>, f64)>,
    /// The text as served.
    pub text: String,
}

impl Scrape {
    /// The value of the series `name` whose labels include `labels` (summed when
    /// several match); `None` when none does.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let matching: Vec<f64> = self
            .series
            .iter()
            .filter(|(n, l, _)| {
                n == name
                    && labels
                        .iter()
                        .all(|(k, v)| l.get(*k).is_some_and(|x| x == v))
            })
            .map(|(_, _, v)| *v)
            .collect();
        (!matching.is_empty()).then(|| matching.iter().sum())
    }

    /// [`Scrape::value`], 0 when the series is absent (a counter never incremented).
    pub fn or_zero(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.value(name, labels).unwrap_or(0.0)
    }
}

/// Scrapes `http://addr/metrics`.
pub async fn scrape(addr: SocketAddr) -> Scrape {
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connect to the metrics listener");
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        .await
        .expect("send the scrape");
    let mut raw = String::new();
    stream
        .read_to_string(&mut raw)
        .await
        .expect("read the scrape");
    let (head, body) = raw.split_once("\r\n\r\n").expect("an HTTP response");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/plain"),
        "{head}"
    );
    Scrape {
        series: body.lines().filter_map(parse).collect(),
        text: body.to_owned(),
    }
}

/// `name{a="x",b="y"} value` → its parts (comments and blank lines: `None`).
fn parse(line: &str) -> Option<(String, BTreeMap<String, String>, f64)> {
    if line.starts_with('#') || line.trim().is_empty() {
        return None;
    }
    let (series, value) = line.rsplit_once(' ')?;
    let value: f64 = value.parse().ok()?;
    let (name, labels) = match series.split_once('{') {
        Some((name, rest)) => (name, rest.trim_end_matches('}')),
        None => (series, ""),
    };
    let labels = labels
        .split("\",")
        .filter(|p| !p.is_empty())
        .filter_map(|pair| {
            let (k, v) = pair.split_once("=\"")?;
            Some((k.to_owned(), v.trim_end_matches('"').to_owned()))
        })
        .collect();
    Some((name.to_owned(), labels, value))
}
