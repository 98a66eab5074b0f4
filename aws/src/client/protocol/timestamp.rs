//! Timestamps between the JSON of runbooks and responses and the formats the protocols put
//! on the wire.
//!
//! Parameters may give a timestamp as an ISO 8601 string (with or without an offset, which
//! then means UTC), a date, an HTTP date, or epoch seconds, as boto3 accepts. Responses carry
//! every timestamp as the string Python's `datetime.isoformat()` gives for the UTC datetime
//! boto3 returns (`2024-01-15T10:00:00+00:00`, `2024-01-15T10:00:00.123000+00:00`).

use jiff::Timestamp;
use serde_json::Value;

/// A wire format of timestamps, as the models name them (`timestampFormat`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WireFormat {
    /// `2024-01-15T10:00:00Z`.
    Iso8601,
    /// Epoch seconds.
    Unix,
    /// `Mon, 15 Jan 2024 10:00:00 GMT`.
    Rfc822,
}

impl WireFormat {
    /// The format a model names, or `default` when it names none (or one unknown).
    pub(crate) fn named(name: Option<&str>, default: Self) -> Self {
        match name.map(str::to_ascii_lowercase).as_deref() {
            Some("iso8601") => Self::Iso8601,
            Some("unixtimestamp") => Self::Unix,
            Some("rfc822") => Self::Rfc822,
            _ => default,
        }
    }
}

/// Reads a timestamp from a parameter or a response value.
pub(crate) fn parse(value: &Value) -> Option<Timestamp> {
    match value {
        Value::Number(number) => from_epoch(number.as_f64()?),
        Value::String(text) => parse_text(text.trim()),
        _ => None,
    }
}

fn parse_text(text: &str) -> Option<Timestamp> {
    if let Ok(timestamp) = text.parse::<Timestamp>() {
        return Some(timestamp);
    }
    if let Ok(datetime) = text.parse::<jiff::civil::DateTime>() {
        return jiff::tz::TimeZone::UTC.to_timestamp(datetime).ok();
    }
    if let Ok(date) = text.parse::<jiff::civil::Date>() {
        return jiff::tz::TimeZone::UTC
            .to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
            .ok();
    }
    if let Ok(timestamp) = jiff::fmt::rfc2822::DateTimeParser::new().parse_timestamp(text) {
        return Some(timestamp);
    }
    text.parse::<f64>().ok().and_then(from_epoch)
}

/// Epoch seconds, rounded to the microsecond as Python's `datetime` does.
fn from_epoch(seconds: f64) -> Option<Timestamp> {
    if !seconds.is_finite() {
        return None;
    }
    #[allow(clippy::cast_possible_truncation, reason = "checked finite; jiff rejects out-of-range")]
    let micros = (seconds * 1_000_000.0).round() as i64;
    Timestamp::from_microsecond(micros).ok()
}

/// The response form: `datetime.isoformat()` of a UTC datetime.
pub(crate) fn to_response(timestamp: Timestamp) -> String {
    let base = timestamp.strftime("%Y-%m-%dT%H:%M:%S");
    match timestamp.subsec_microsecond() {
        0 => format!("{base}+00:00"),
        micros => format!("{base}.{micros:06}+00:00"),
    }
}

/// A response value that should be a timestamp, in the response form; kept as it is when it
/// cannot be read.
pub(crate) fn response_value(value: &Value) -> Value {
    parse(value).map_or_else(|| value.clone(), |timestamp| Value::String(to_response(timestamp)))
}

/// The wire text of a timestamp (query strings, headers, XML).
pub(crate) fn to_wire_text(timestamp: Timestamp, format: WireFormat) -> String {
    match format {
        WireFormat::Iso8601 => {
            let base = timestamp.strftime("%Y-%m-%dT%H:%M:%S");
            match timestamp.subsec_microsecond() {
                0 => format!("{base}Z"),
                micros => format!("{base}.{micros:06}Z"),
            }
        }
        WireFormat::Unix => timestamp.as_second().to_string(),
        WireFormat::Rfc822 => jiff::fmt::rfc2822::DateTimePrinter::new()
            .timestamp_to_rfc9110_string(&timestamp)
            .unwrap_or_else(|_| timestamp.as_second().to_string()),
    }
}

/// The JSON wire value of a timestamp (epoch seconds are a number).
pub(crate) fn to_wire_json(timestamp: Timestamp, format: WireFormat) -> Value {
    match format {
        WireFormat::Unix => Value::from(timestamp.as_second()),
        other => Value::String(to_wire_text(timestamp, other)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_accepted_inputs_all_read() {
        let expected = "2024-01-15T10:00:00+00:00";
        for input in [
            json!("2024-01-15T10:00:00Z"),
            json!("2024-01-15T12:00:00+02:00"),
            json!("2024-01-15T10:00:00"),
            json!("2024-01-15 10:00:00"),
            json!("Mon, 15 Jan 2024 10:00:00 GMT"),
            json!(1_705_312_800),
            json!("1705312800"),
        ] {
            assert_eq!(parse(&input).map(to_response).as_deref(), Some(expected), "{input}");
        }
        assert_eq!(
            parse(&json!("2024-01-15")).map(to_response).as_deref(),
            Some("2024-01-15T00:00:00+00:00")
        );
        assert_eq!(parse(&json!("yesterday")), None);
        assert_eq!(parse(&json!(true)), None);
    }

    #[test]
    fn fractions_round_to_the_microsecond_like_python() {
        let timestamp = parse(&json!(1_795_913_564.304)).unwrap();
        assert_eq!(to_response(timestamp), "2026-11-29T00:52:44.304000+00:00");
        assert_eq!(to_wire_text(timestamp, WireFormat::Iso8601), "2026-11-29T00:52:44.304000Z");
    }

    #[test]
    fn wire_formats() {
        let timestamp = parse(&json!("2024-01-15T10:00:00Z")).unwrap();
        assert_eq!(to_wire_text(timestamp, WireFormat::Iso8601), "2024-01-15T10:00:00Z");
        assert_eq!(to_wire_text(timestamp, WireFormat::Rfc822), "Mon, 15 Jan 2024 10:00:00 GMT");
        assert_eq!(to_wire_json(timestamp, WireFormat::Unix), json!(1_705_312_800));
        assert_eq!(WireFormat::named(Some("unixTimestamp"), WireFormat::Iso8601), WireFormat::Unix);
        assert_eq!(WireFormat::named(None, WireFormat::Rfc822), WireFormat::Rfc822);
    }
}
