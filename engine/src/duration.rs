//! ISO 8601 durations (`PT10M`) and timestamps (`2020-01-01T01:00:00Z`), as `aws:sleep` takes
//! them.

use std::time::Duration;

/// Parses an ISO 8601 duration: `P[nW][nD][T[nH][nM][n[.n]S]]`. Years and months are refused
/// because they have no fixed length; negative durations are refused as the service does.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid = || format!("`{text}` is not an ISO 8601 duration such as PT10M or P1DT2H");
    let body = text.strip_prefix('P').ok_or_else(invalid)?;
    if body.is_empty() || body == "T" {
        return Err(invalid());
    }
    let mut seconds = 0f64;
    let mut in_time = false;
    let mut number = String::new();
    let mut last_rank = 0u8;
    for c in body.chars() {
        if c == 'T' {
            if in_time || !number.is_empty() {
                return Err(invalid());
            }
            in_time = true;
            continue;
        }
        if c.is_ascii_digit() || c == '.' || c == ',' {
            number.push(if c == ',' { '.' } else { c });
            continue;
        }
        let (rank, unit) = match (in_time, c) {
            (false, 'Y' | 'M') => {
                return Err(format!(
                    "`{text}`: years and months have no fixed length; use days (P30D) instead"
                ));
            }
            (false, 'W') => (1, 604_800.0),
            (false, 'D') => (2, 86_400.0),
            (true, 'H') => (3, 3_600.0),
            (true, 'M') => (4, 60.0),
            (true, 'S') => (5, 1.0),
            _ => return Err(invalid()),
        };
        if rank <= last_rank || number.is_empty() {
            return Err(invalid());
        }
        // `1.` and `.5` are not ISO 8601 numbers (a fraction has digits on both sides), though
        // Rust's float parser takes them.
        if number.starts_with('.') || number.ends_with('.') {
            return Err(invalid());
        }
        let value: f64 = number.parse().map_err(|_| invalid())?;
        if number.contains('.') && c != 'S' {
            return Err(format!("`{text}`: only seconds may have a fraction"));
        }
        seconds += value * unit;
        number.clear();
        last_rank = rank;
    }
    if !number.is_empty() || (in_time && last_rank < 3) {
        return Err(invalid());
    }
    Duration::try_from_secs_f64(seconds).map_err(|_| invalid())
}

/// Parses an ISO 8601 timestamp with a zone (`2020-01-01T01:00:00Z`, `...+02:00`). An offset
/// must be under 24 hours (RFC 3339's hours are 00 to 23). A valid timestamp beyond what the
/// run's clock can hold (past `9999-12-30T22:00:00Z`) is refused saying so.
pub fn parse_timestamp(text: &str) -> Result<jiff::Timestamp, String> {
    use jiff::fmt::temporal::{Pieces, PiecesOffset};
    let invalid = || format!("`{text}` is not an ISO 8601 timestamp such as 2020-01-01T01:00:00Z");
    let pieces = Pieces::parse(text).map_err(|_| invalid())?;
    let time = pieces.time().ok_or_else(invalid)?;
    let offset = match pieces.offset() {
        Some(PiecesOffset::Zulu) => jiff::tz::Offset::UTC,
        Some(PiecesOffset::Numeric(numeric)) => numeric.offset(),
        _ => return Err(invalid()),
    };
    if offset.seconds().unsigned_abs() >= 24 * 3600 {
        return Err(format!(
            "`{text}`: a time zone offset is less than a day, from -23:59 to +23:59"
        ));
    }
    offset.to_timestamp(pieces.date().to_datetime(time)).map_err(|_| {
        format!(
            "`{text}` is outside the times a run can reach, {} to {}",
            jiff::Timestamp::MIN,
            jiff::Timestamp::MAX
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_to_seconds() {
        assert_eq!(parse_duration("PT10M"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("PT3S"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("P1DT2H"), Ok(Duration::from_secs(93_600)));
        assert_eq!(parse_duration("P1W"), Ok(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("PT0.5S"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("PT0S"), Ok(Duration::ZERO));
    }

    #[test]
    fn malformed_durations_are_refused() {
        for text in [
            "",
            "P",
            "PT",
            "10M",
            "PT10",
            "PT1M2H",
            "-PT1S",
            "PT10Mgarbage",
            "P1.5D",
            "PT1H1H",
            "PT1.S",
            "PT.5S",
            "PT1,S",
        ] {
            assert!(parse_duration(text).is_err(), "{text} should be refused");
        }
        assert!(parse_duration("P1M").unwrap_err().contains("months"));
    }

    #[test]
    fn timestamps_need_a_zone() {
        assert!(parse_timestamp("2020-01-01T01:00:00Z").is_ok());
        assert!(parse_timestamp("2020-01-01T01:00:00+02:00").is_ok());
        assert!(parse_timestamp("2020-01-01T01:00:00").is_err());
        assert!(parse_timestamp("tomorrow").is_err());
        assert!(parse_timestamp("2020-01-01").is_err());
    }

    #[test]
    fn offsets_beyond_a_day_are_refused_saying_so() {
        assert!(parse_timestamp("2020-01-01T01:00:00+23:59").is_ok());
        assert!(parse_timestamp("2020-01-01T01:00:00-14:00").is_ok());
        let error = parse_timestamp("2020-01-01T01:00:00+25:00").unwrap_err();
        assert!(error.contains("offset is less than a day, from -23:59 to +23:59"), "{error}");
        assert!(parse_timestamp("2020-01-01T01:00:00-24:00").is_err());
    }

    #[test]
    fn the_last_iso_8601_second_is_a_timestamp_beyond_the_runs_reach() {
        let error = parse_timestamp("9999-12-31T23:59:59Z").unwrap_err();
        assert!(!error.contains("not an ISO 8601 timestamp"), "{error}");
        assert!(error.contains("outside the times a run can reach"), "{error}");
        assert!(parse_timestamp("9999-12-30T21:00:00Z").is_ok());
    }
}
