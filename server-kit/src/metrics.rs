//! Prometheus metrics without a process-global recorder: each server owns a [`Meter`]
//! (a Prometheus recorder of its own, or nothing when metrics are off) and hands typed
//! handles to its domain, so two services in one process (the dev launcher, the
//! end-to-end tests) never mix their figures. The meter is served as text on its own
//! HTTP listener ([`MetricsEndpoint`]); gauges that describe state (queue lengths,
//! presence, live sessions) are read by a collector just before each scrape, so a
//! scrape always shows the state of that moment.

mod endpoint;

use std::{borrow::Cow, sync::Arc};

pub use metrics::Unit;
use metrics::{Counter, Gauge, Histogram, Key, Label, Level, Metadata, Recorder};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

pub use endpoint::{Collector, MetricsEndpoint};

/// Histogram buckets for durations, in seconds: 0.5 ms to 10 s.
pub const SECONDS_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Why the metrics exporter could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// Bucket boundaries were rejected.
    #[error("metrics buckets: {0}")]
    Buckets(String),
    /// The listener could not be bound.
    #[error("binding the metrics listener {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

static METADATA: Metadata<'static> = Metadata::new("honeydesk", Level::INFO, None);

/// Where a server records its metrics. Cheap to clone; a disabled meter hands out
/// handles that do nothing.
#[derive(Clone, Default)]
pub struct Meter {
    recorder: Option<Arc<PrometheusRecorder>>,
}

impl std::fmt::Debug for Meter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Meter")
            .field("enabled", &self.recorder.is_some())
            .finish()
    }
}

impl Meter {
    /// A meter that records nothing.
    pub fn disabled() -> Self {
        Self::default()
    }

    /// A Prometheus meter: histograms named in `buckets` get those boundaries, every
    /// other histogram gets [`SECONDS_BUCKETS`]. Returns the handle that renders it.
    pub fn prometheus(
        buckets: &[(&str, &[f64])],
    ) -> Result<(Self, PrometheusHandle), MetricsError> {
        let mut builder = PrometheusBuilder::new()
            .set_buckets(SECONDS_BUCKETS)
            .map_err(|e| MetricsError::Buckets(e.to_string()))?;
        for (name, bounds) in buckets {
            builder = builder
                .set_buckets_for_metric(Matcher::Full((*name).to_owned()), bounds)
                .map_err(|e| MetricsError::Buckets(e.to_string()))?;
        }
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        Ok((
            Self {
                recorder: Some(Arc::new(recorder)),
            },
            handle,
        ))
    }

    /// Whether anything is recorded.
    pub fn is_enabled(&self) -> bool {
        self.recorder.is_some()
    }

    /// The counter `name` with `labels`.
    pub fn counter(&self, name: &'static str, labels: &[(&'static str, &str)]) -> Counter {
        match &self.recorder {
            Some(r) => r.register_counter(&key(name, labels), &METADATA),
            None => Counter::noop(),
        }
    }

    /// The gauge `name` with `labels`.
    pub fn gauge(&self, name: &'static str, labels: &[(&'static str, &str)]) -> Gauge {
        match &self.recorder {
            Some(r) => r.register_gauge(&key(name, labels), &METADATA),
            None => Gauge::noop(),
        }
    }

    /// The histogram `name` with `labels`.
    pub fn histogram(&self, name: &'static str, labels: &[(&'static str, &str)]) -> Histogram {
        match &self.recorder {
            Some(r) => r.register_histogram(&key(name, labels), &METADATA),
            None => Histogram::noop(),
        }
    }

    /// Describes a counter (its `# HELP` line).
    pub fn describe_counter(&self, name: &'static str, unit: Option<Unit>, help: &'static str) {
        if let Some(r) = &self.recorder {
            r.describe_counter(name.into(), unit, help.into());
        }
    }

    /// Describes a gauge.
    pub fn describe_gauge(&self, name: &'static str, unit: Option<Unit>, help: &'static str) {
        if let Some(r) = &self.recorder {
            r.describe_gauge(name.into(), unit, help.into());
        }
    }

    /// Describes a histogram.
    pub fn describe_histogram(&self, name: &'static str, unit: Option<Unit>, help: &'static str) {
        if let Some(r) = &self.recorder {
            r.describe_histogram(name.into(), unit, help.into());
        }
    }
}

fn key(name: &'static str, labels: &[(&'static str, &str)]) -> Key {
    let labels: Vec<Label> = labels
        .iter()
        .map(|(k, v)| Label::new(*k, Cow::Owned((*v).to_owned())))
        .collect();
    Key::from_parts(name, labels)
}

/// `honeydesk_build_info{service, version} 1`, so dashboards can tell versions apart.
pub fn record_build_info(meter: &Meter, service: &str, version: &str) {
    meter.describe_gauge(
        "honeydesk_build_info",
        None,
        "Always 1; labelled with the service and its version.",
    );
    meter
        .gauge(
            "honeydesk_build_info",
            &[("service", service), ("version", version)],
        )
        .set(1.0);
}

/// Sets gauges of one family from a fresh reading, zeroing the label sets seen in an
/// earlier reading but absent now (a queue that emptied reads 0, not its last value).
#[derive(Debug, Default)]
pub struct GaugeFamily {
    seen: std::sync::Mutex<std::collections::HashSet<Vec<String>>>,
}

impl GaugeFamily {
    /// Sets `name` to each reading's value, labelled `label_names` = the reading's values.
    pub fn set(
        &self,
        meter: &Meter,
        name: &'static str,
        label_names: &[&'static str],
        readings: impl IntoIterator<Item = (Vec<String>, f64)>,
    ) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let mut now = std::collections::HashSet::new();
        for (values, value) in readings {
            meter.gauge(name, &zip(label_names, &values)).set(value);
            now.insert(values);
        }
        for gone in seen.difference(&now) {
            meter.gauge(name, &zip(label_names, gone)).set(0.0);
        }
        *seen = now;
    }
}

fn zip<'a>(names: &[&'static str], values: &'a [String]) -> Vec<(&'static str, &'a str)> {
    names
        .iter()
        .zip(values)
        .map(|(n, v)| (*n, v.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prometheus_meter_renders_what_it_recorded() {
        let (meter, handle) = Meter::prometheus(&[("x_ratio", &[0.5, 1.0])]).unwrap();
        meter.counter("x_total", &[("k", "v")]).increment(2);
        meter.histogram("x_ratio", &[]).record(0.7);
        meter.histogram("x_seconds", &[]).record(0.003);
        let text = handle.render();
        assert!(text.contains("x_total{k=\"v\"} 2"), "{text}");
        assert!(text.contains("x_ratio_bucket{le=\"1\"} 1"), "{text}");
        assert!(text.contains("x_seconds_bucket{le=\"0.005\"} 1"), "{text}");
    }

    #[test]
    fn a_family_zeroes_what_went_away() {
        let (meter, handle) = Meter::prometheus(&[]).unwrap();
        let family = GaugeFamily::default();
        family.set(&meter, "q", &["s"], [(vec!["a".into()], 3.0)]);
        family.set(&meter, "q", &["s"], [(vec!["b".into()], 1.0)]);
        let text = handle.render();
        assert!(text.contains("q{s=\"a\"} 0"), "{text}");
        assert!(text.contains("q{s=\"b\"} 1"), "{text}");
    }
}
