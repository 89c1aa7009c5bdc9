//! JSON log lines: one object per event with its fields flattened, plus `service`,
//! `version`, `instance`, and the `request_id`, `trace_id` and `method` of the call the
//! event belongs to (found on the nearest enclosing span that has them, so a line
//! logged deep inside a store operation still names its call).

use std::fmt;

use serde_json::{Map, Value};
use tracing::{
    Event, Subscriber,
    field::{Field, Visit},
    span,
};
use tracing_subscriber::{
    Layer,
    fmt::{
        FmtContext, FormatEvent, FormatFields,
        format::Writer,
        time::{FormatTime, SystemTime},
    },
    layer::Context,
    registry::LookupSpan,
};

use super::Identity;

/// The span fields that say which call a line belongs to.
const CORRELATED: [&str; 3] = ["request_id", "trace_id", "method"];

/// What a span says about its call.
#[derive(Clone, Debug, Default)]
struct Correlation {
    values: [Option<String>; 3],
}

impl Visit for Correlation {
    fn record_str(&mut self, field: &Field, value: &str) {
        if let Some(i) = CORRELATED.iter().position(|n| *n == field.name()) {
            self.values[i] = Some(value.to_owned());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if let Some(i) = CORRELATED.iter().position(|n| *n == field.name()) {
            self.values[i] = Some(format!("{value:?}"));
        }
    }
}

/// Remembers each span's request id, trace id and method for [`JsonLines`].
#[derive(Clone, Copy, Debug, Default)]
pub struct CorrelationLayer;

impl<S> Layer<S> for CorrelationLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, ctx: Context<'_, S>) {
        if !attrs
            .metadata()
            .fields()
            .iter()
            .any(|f| CORRELATED.contains(&f.name()))
        {
            return;
        }
        let mut correlation = Correlation::default();
        attrs.record(&mut correlation);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(correlation);
        }
    }

    fn on_record(&self, id: &span::Id, values: &span::Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id)
            && let Some(c) = span.extensions_mut().get_mut::<Correlation>()
        {
            values.record(c);
        }
    }
}

/// The JSON line format.
#[derive(Clone, Debug)]
pub struct JsonLines {
    identity: [(&'static str, Value); 3],
}

impl JsonLines {
    /// Lines that name `identity`.
    pub fn new(identity: &Identity) -> Self {
        Self {
            identity: [
                ("service", Value::from(identity.service)),
                ("version", Value::from(identity.version)),
                ("instance", Value::from(identity.instance.clone())),
            ],
        }
    }
}

struct Fields<'a>(&'a mut Map<String, Value>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().to_owned(), Value::from(format!("{value:?}")));
    }
}

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut line = Map::new();
        let mut timestamp = String::new();
        SystemTime.format_time(&mut Writer::new(&mut timestamp))?;
        line.insert("timestamp".into(), Value::from(timestamp));
        line.insert(
            "level".into(),
            Value::from(event.metadata().level().as_str()),
        );
        line.insert("target".into(), Value::from(event.metadata().target()));
        event.record(&mut Fields(&mut line));
        if let Some(scope) = ctx.event_scope() {
            let mut found: [Option<String>; 3] = Default::default();
            let mut leaf = None;
            for span in scope {
                leaf.get_or_insert_with(|| span.name());
                if let Some(c) = span.extensions().get::<Correlation>() {
                    for (slot, value) in found.iter_mut().zip(&c.values) {
                        if slot.is_none() {
                            slot.clone_from(value);
                        }
                    }
                }
            }
            if let Some(name) = leaf {
                line.insert("span".into(), Value::from(name));
            }
            for (name, value) in CORRELATED.iter().zip(found) {
                if let Some(v) = value {
                    line.insert((*name).into(), Value::from(v));
                }
            }
        }
        for (name, value) in &self.identity {
            line.insert((*name).into(), value.clone());
        }
        let text = serde_json::to_string(&line).map_err(|_| fmt::Error)?;
        writeln!(writer, "{text}")
    }
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::prelude::*;

    use super::super::capture::Buffer;
    use super::*;

    #[test]
    fn a_line_names_the_process_and_the_call_it_belongs_to() {
        let buffer = Buffer::default();
        let identity = Identity {
            service: "agent-service",
            version: "9.9.9",
            instance: "pod-7".into(),
        };
        let subscriber = tracing_subscriber::registry().with(CorrelationLayer).with(
            tracing_subscriber::fmt::layer()
                .event_format(JsonLines::new(&identity))
                .with_writer(buffer.clone()),
        );
        tracing::subscriber::with_default(subscriber, || {
            let call = tracing::info_span!(
                "rpc",
                request_id = "req-1",
                method = "/x.Y/Z",
                trace_id = tracing::field::Empty
            );
            call.record("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736");
            let _in_call = call.enter();
            let _inner = tracing::info_span!("store", otel.name = "store.ticket").entered();
            tracing::info!(ticket = "t-1", "looked up");
        });
        let text = buffer.text();
        let line: Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(line["message"], "looked up");
        assert_eq!(line["ticket"], "t-1");
        assert_eq!(line["service"], "agent-service");
        assert_eq!(line["version"], "9.9.9");
        assert_eq!(line["instance"], "pod-7");
        assert_eq!(line["request_id"], "req-1");
        assert_eq!(line["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(line["method"], "/x.Y/Z");
        assert_eq!(line["span"], "store");
    }
}
