//! The log line format: one JSON object per event, written straight into the line buffer.
//!
//! `{"timestamp":"2026-12-02T07:50:00.123456Z","level":"INFO","fields":{"message":"…",…},"target":"…"}`,
//! plus `"span":{"name":"…",…}` when the event happens inside a span. This is the shape of
//! tracing-subscriber's JSON formatter, which collects every event's fields into a map of
//! `serde_json::Value`s first; that cost a token check ~7 % of its throughput when every request
//! logs a line. Here each field is escaped and written as it is visited: no allocation per event.

use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// The event format ([`FormatEvent`]).
pub struct JsonLines;

/// The field format ([`FormatFields`]): `"name":value` pairs separated by commas, used for the
/// events' fields and for the spans' (kept by the subscriber between a span's records).
pub struct JsonFields;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        let meta = event.metadata();
        writer.write_str("{\"timestamp\":\"")?;
        write_timestamp(&mut writer, time::OffsetDateTime::now_utc())?;
        writer.write_str("\",\"level\":\"")?;
        writer.write_str(meta.level().as_str())?;
        writer.write_str("\",\"fields\":{")?;
        let mut fields = FieldWriter::new(&mut writer);
        event.record(&mut fields);
        fields.result?;
        writer.write_str("},\"target\":")?;
        write_string(&mut writer, meta.target())?;
        if let Some(span) = ctx.lookup_current() {
            writer.write_str(",\"span\":{\"name\":")?;
            write_string(&mut writer, span.name())?;
            let extensions = span.extensions();
            if let Some(recorded) = extensions.get::<FormattedFields<N>>().filter(|f| !f.is_empty()) {
                writer.write_char(',')?;
                writer.write_str(recorded)?;
            }
            writer.write_char('}')?;
        }
        writer.write_str("}\n")
    }
}

impl<'writer> FormatFields<'writer> for JsonFields {
    fn format_fields<R: RecordFields>(&self, mut writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut visitor = FieldWriter::new(&mut writer);
        fields.record(&mut visitor);
        visitor.result
    }

    fn add_fields(
        &self,
        current: &'writer mut FormattedFields<Self>,
        fields: &tracing::span::Record<'_>,
    ) -> fmt::Result {
        let first = current.fields.is_empty();
        let mut visitor = FieldWriter { out: &mut current.fields, first, result: Ok(()) };
        fields.record(&mut visitor);
        visitor.result
    }
}

/// RFC 3339 in UTC with microseconds, digit by digit into one buffer (`write!` with padding
/// costs more than the rest of the line).
fn write_timestamp(out: &mut impl fmt::Write, now: time::OffsetDateTime) -> fmt::Result {
    let (date, clock) = (now.date(), now.time());
    let mut text = *b"0000-00-00T00:00:00.000000Z";
    let mut digits = |at: usize, width: usize, mut value: u32| {
        for slot in text[at..at + width].iter_mut().rev() {
            *slot = b'0' + (value % 10) as u8;
            value /= 10;
        }
    };
    digits(0, 4, u32::try_from(date.year()).unwrap_or(0).min(9999));
    digits(5, 2, u32::from(u8::from(date.month())));
    digits(8, 2, u32::from(date.day()));
    digits(11, 2, u32::from(clock.hour()));
    digits(14, 2, u32::from(clock.minute()));
    digits(17, 2, u32::from(clock.second()));
    digits(20, 6, clock.microsecond());
    out.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
}

/// Writes each visited field as `"name":value`, the first without a leading comma.
struct FieldWriter<'a, W: fmt::Write> {
    out: &'a mut W,
    first: bool,
    result: fmt::Result,
}

impl<'a, W: fmt::Write> FieldWriter<'a, W> {
    fn new(out: &'a mut W) -> Self {
        FieldWriter { out, first: true, result: Ok(()) }
    }

    fn field(&mut self, field: &Field, value: impl FnOnce(&mut W) -> fmt::Result) {
        if self.result.is_err() {
            return;
        }
        let separator = if std::mem::take(&mut self.first) { "" } else { "," };
        self.result = self
            .out
            .write_str(separator)
            .and_then(|()| write_string(self.out, field.name()))
            .and_then(|()| self.out.write_str(":"))
            .and_then(|()| value(self.out));
    }
}

impl<W: fmt::Write> Visit for FieldWriter<'_, W> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.field(field, |out| {
            out.write_char('"')?;
            write!(Escaped(out), "{value:?}")?;
            out.write_char('"')
        });
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.field(field, |out| write_string(out, value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.field(field, |out| out.write_str(itoa::Buffer::new().format(value)));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.field(field, |out| out.write_str(itoa::Buffer::new().format(value)));
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        self.field(field, |out| out.write_str(itoa::Buffer::new().format(value)));
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        self.field(field, |out| out.write_str(itoa::Buffer::new().format(value)));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.field(field, |out| out.write_str(if value { "true" } else { "false" }));
    }

    /// JSON has no NaN or infinity: those are written as strings.
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.field(field, |out| if value.is_finite() { write!(out, "{value}") } else { write!(out, "\"{value}\"") });
    }
}

fn write_string(out: &mut impl fmt::Write, value: &str) -> fmt::Result {
    out.write_char('"')?;
    Escaped(out).write_str(value)?;
    out.write_char('"')
}

/// A writer that escapes what passes through it for the inside of a JSON string.
struct Escaped<'a, W: fmt::Write>(&'a mut W);

/// The bytes that cannot stand for themselves inside a JSON string (and DEL, escaped so that a
/// terminal showing the log is not fooled).
static NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = true;
        byte += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table[0x7f] = true;
    table
};

impl<W: fmt::Write> fmt::Write for Escaped<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let bytes = s.as_bytes();
        let mut clean = 0;
        while let Some(offset) = bytes[clean..].iter().position(|&b| NEEDS_ESCAPE[usize::from(b)]) {
            let at = clean + offset;
            self.0.write_str(&s[clean..at])?;
            match bytes[at] {
                b'"' => self.0.write_str("\\\"")?,
                b'\\' => self.0.write_str("\\\\")?,
                b'\n' => self.0.write_str("\\n")?,
                b'\r' => self.0.write_str("\\r")?,
                b'\t' => self.0.write_str("\\t")?,
                other => write!(self.0, "\\u{other:04x}")?,
            }
            clean = at + 1;
        }
        self.0.write_str(&s[clean..])
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use serde_json::{Value, json};
    use tracing_subscriber::fmt::MakeWriter;

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Captured {
            self.clone()
        }
    }

    /// The lines `log` wrote, each parsed.
    fn lines(log: impl FnOnce()) -> Vec<Value> {
        text(log).lines().map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"))).collect()
    }

    /// What `log` wrote.
    fn text(log: impl FnOnce()) -> String {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .event_format(JsonLines)
            .fmt_fields(JsonFields)
            .with_writer(captured.clone())
            .with_max_level(tracing::Level::TRACE)
            .finish();
        tracing::subscriber::with_default(subscriber, log);
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(text.ends_with('\n'), "{text}");
        text
    }

    #[test]
    fn an_event_is_one_json_object_with_its_fields_level_target_and_time() {
        let lines = lines(|| {
            tracing::info!(target: "roster::test", request_id = "r-1", status = 401u16, latency_us = 12u64,
                delta = -3i64, ok = true, ratio = 0.5, "finished processing request");
        });
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["target"], "roster::test");
        assert_eq!(
            line["fields"],
            json!({"message": "finished processing request", "request_id": "r-1", "status": 401,
                "latency_us": 12, "delta": -3, "ok": true, "ratio": 0.5})
        );
        let timestamp = line["timestamp"].as_str().unwrap();
        assert!(
            time::OffsetDateTime::parse(timestamp, &time::format_description::well_known::Rfc3339).is_ok(),
            "{timestamp}"
        );
        assert!(line.get("span").is_none());
    }

    #[test]
    fn quotes_backslashes_and_control_characters_are_escaped() {
        let nasty = "a \"quoted\" \\path\\ with\nnew line,\ttab, \u{1} and \u{7f} and é";
        let lines = lines(|| tracing::warn!(value = nasty, debugged = ?nasty, "{nasty}"));
        assert_eq!(lines[0]["fields"]["value"], nasty);
        assert_eq!(lines[0]["fields"]["message"], nasty);
        assert_eq!(lines[0]["fields"]["debugged"], format!("{nasty:?}"));
    }

    #[test]
    fn numbers_json_cannot_hold_are_written_as_strings() {
        let lines = lines(|| tracing::info!(nan = f64::NAN, inf = f64::INFINITY, "x"));
        assert_eq!(lines[0]["fields"]["nan"], "NaN");
        assert_eq!(lines[0]["fields"]["inf"], "inf");
    }

    #[test]
    fn wide_integers_are_written_whole() {
        let text = text(|| tracing::info!(big = u128::MAX, small = i128::MIN, "x"));
        assert!(text.contains(&format!("\"big\":{},\"small\":{}", u128::MAX, i128::MIN)), "{text}");
    }

    #[test]
    fn an_event_inside_a_span_carries_the_spans_name_and_fields() {
        let lines = lines(|| {
            let span = tracing::info_span!("job", queue = "mail", attempt = tracing::field::Empty);
            span.record("attempt", 2u64);
            let _entered = span.enter();
            tracing::info!("sent");
            let empty = tracing::info_span!("bare");
            let _inner = empty.enter();
            tracing::info!("inner");
        });
        assert_eq!(lines[0]["span"], json!({"name": "job", "queue": "mail", "attempt": 2}));
        assert_eq!(lines[1]["span"], json!({"name": "bare"}));
    }
}
