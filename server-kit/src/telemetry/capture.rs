//! Logs captured in memory, for tests that check what the services write: every event
//! of every level, with the fields of the spans it happened in, as the text format
//! prints them (the check that no personal data reaches the logs reads this).

use std::sync::{Arc, Mutex, PoisonError};

use tracing::subscriber::DefaultGuard;
use tracing_subscriber::fmt::MakeWriter;

/// An in-memory log sink; clones share the bytes.
#[derive(Clone, Debug, Default)]
pub struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Buffer {
    /// Everything written so far, as text.
    pub fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl std::io::Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Buffer {
    type Writer = Buffer;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Captures every log line written on this thread (a current-thread runtime runs the
/// services' tasks on it) until the guard is dropped; read them with
/// [`Buffer::text`]. Other threads keep logging as before.
pub fn on_this_thread() -> (Buffer, DefaultGuard) {
    let buffer = Buffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(buffer.clone())
        .finish();
    (buffer, tracing::subscriber::set_default(subscriber))
}

#[cfg(test)]
mod tests {
    #[test]
    fn events_and_their_span_fields_are_captured_on_this_thread_only() {
        let (logs, guard) = super::on_this_thread();
        let span = tracing::info_span!("rpc", request_id = "req-9");
        span.in_scope(|| tracing::debug!(ticket = "t-1", "looked up"));
        std::thread::spawn(|| tracing::info!("elsewhere"))
            .join()
            .unwrap();
        drop(guard);
        tracing::info!("after");
        let text = logs.text();
        assert!(
            text.contains("looked up") && text.contains("req-9"),
            "{text}"
        );
        assert!(
            !text.contains("elsewhere") && !text.contains("after"),
            "{text}"
        );
    }
}
