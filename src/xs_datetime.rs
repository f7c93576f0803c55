//! xs:dateTime (XML Schema Part 2, 3.2.7), the one parser for every SAML and metadata
//! timestamp.
//!
//! `[-]YYYY-MM-DDThh:mm:ss[.f+][Z|(+|-)hh:mm]`, with the lexical rules chrono's RFC 3339
//! parser does not follow: a year of more than four digits (no leading zero then),
//! `24:00:00` meaning the first instant of the next day, any number of fractional digits
//! (read to the nanosecond, the rest dropped), and no zone at all (read as UTC, which is
//! what SAML means: its times are UTC). Whitespace around the value is collapsed away, as
//! the type's `whiteSpace` facet says.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};

/// Why a value is not an xs:dateTime (or one chrono cannot represent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XsDateTimeError(pub &'static str);

impl std::fmt::Display for XsDateTimeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// Parses an xs:dateTime into UTC.
pub fn parse(value: &str) -> Result<DateTime<Utc>, XsDateTimeError> {
    let mut s = Cursor(value.trim());
    let negative = s.eat('-');
    let year_digits = s.digits();
    if year_digits.len() < 4 || (year_digits.len() > 4 && year_digits.starts_with('0')) {
        return Err(XsDateTimeError("the year needs four digits (more only without a leading zero)"));
    }
    let year: i32 = year_digits.parse().map_err(|_| XsDateTimeError("the year is out of range"))?;
    if year == 0 {
        return Err(XsDateTimeError("year 0000 is not allowed"));
    }
    let year = if negative { -year } else { year };
    let month = s.expect('-').and_then(|()| s.two_digits())?;
    let day = s.expect('-').and_then(|()| s.two_digits())?;
    s.expect('T')?;
    let hour = s.two_digits()?;
    let minute = s.expect(':').and_then(|()| s.two_digits())?;
    let second = s.expect(':').and_then(|()| s.two_digits())?;
    let mut nanos = 0u32;
    let mut fraction_nonzero = false;
    if s.eat('.') {
        let digits = s.digits();
        if digits.is_empty() {
            return Err(XsDateTimeError("a '.' must be followed by fractional digits"));
        }
        for (i, d) in digits.bytes().enumerate() {
            let d = u32::from(d - b'0');
            fraction_nonzero |= d != 0;
            if i < 9 {
                nanos += d * 10u32.pow(8 - u32::try_from(i).unwrap_or(8));
            }
        }
    }
    let offset_seconds = zone(&mut s)?;
    if !s.0.is_empty() {
        return Err(XsDateTimeError("unexpected text after the time"));
    }

    let date = NaiveDate::from_ymd_opt(year, month, day)
        .ok_or(XsDateTimeError("no such date (month 01-12, day within the month)"))?;
    // 24:00:00 is the first instant of the next day; only with zero minutes, seconds, fraction.
    let end_of_day = hour == 24;
    if end_of_day && (minute != 0 || second != 0 || fraction_nonzero) {
        return Err(XsDateTimeError("hour 24 is only allowed as 24:00:00"));
    }
    let time = NaiveTime::from_hms_nano_opt(if end_of_day { 0 } else { hour }, minute, second, nanos)
        .filter(|_| second < 60)
        .ok_or(XsDateTimeError("the time is out of range (hh 00-23, mm 00-59, ss 00-59)"))?;
    let local = NaiveDateTime::new(date, time);
    let local = if end_of_day { local.checked_add_signed(Duration::days(1)) } else { Some(local) };
    local
        .and_then(|t| t.checked_sub_signed(Duration::seconds(offset_seconds)))
        .map(|t| t.and_utc())
        .ok_or(XsDateTimeError("the date is out of the supported range"))
}

/// `Z`, `+hh:mm`, `-hh:mm` (at most 14:00) or nothing (UTC). Returns the offset in seconds.
fn zone(s: &mut Cursor<'_>) -> Result<i64, XsDateTimeError> {
    if s.eat('Z') {
        return Ok(0);
    }
    let sign = if s.eat('+') {
        1
    } else if s.eat('-') {
        -1
    } else {
        return Ok(0);
    };
    let hours = s.two_digits()?;
    let minutes = s.expect(':').and_then(|()| s.two_digits())?;
    if minutes > 59 || hours > 14 || (hours == 14 && minutes != 0) {
        return Err(XsDateTimeError("the time zone offset is out of range (-14:00 to +14:00)"));
    }
    Ok(sign * (i64::from(hours) * 3600 + i64::from(minutes) * 60))
}

struct Cursor<'a>(&'a str);

impl<'a> Cursor<'a> {
    fn eat(&mut self, c: char) -> bool {
        match self.0.strip_prefix(c) {
            Some(rest) => {
                self.0 = rest;
                true
            }
            None => false,
        }
    }

    fn expect(&mut self, c: char) -> Result<(), XsDateTimeError> {
        if self.eat(c) { Ok(()) } else { Err(XsDateTimeError("not of the form YYYY-MM-DDThh:mm:ss")) }
    }

    fn digits(&mut self) -> &'a str {
        let end = self.0.find(|c: char| !c.is_ascii_digit()).unwrap_or(self.0.len());
        let (digits, rest) = self.0.split_at(end);
        self.0 = rest;
        digits
    }

    fn two_digits(&mut self) -> Result<u32, XsDateTimeError> {
        let digits = self.0.get(..2).filter(|d| d.bytes().all(|b| b.is_ascii_digit()));
        let Some(digits) = digits else { return Err(XsDateTimeError("not of the form YYYY-MM-DDThh:mm:ss")) };
        self.0 = self.0.get(2..).unwrap_or_default();
        digits.parse().map_err(|_| XsDateTimeError("not of the form YYYY-MM-DDThh:mm:ss"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> i64 {
        parse(s).unwrap_or_else(|e| panic!("{s}: {e}")).timestamp()
    }

    #[test]
    fn saml_forms() {
        assert_eq!(ts("2028-07-19T17:28:34.000Z"), 1_847_640_514);
        assert_eq!(ts(" 2030-01-01T00:00:00 "), 1_893_456_000);
        assert_eq!(ts("2030-01-01T01:00:00+01:00"), 1_893_456_000);
        assert_eq!(ts("2029-12-31T23:00:00-01:00"), 1_893_456_000);
        // AD FS: seven fractional digits; any length is allowed.
        let t = parse("2026-01-15T10:00:00.1234567Z").unwrap();
        assert_eq!(t.timestamp_subsec_nanos(), 123_456_700);
        let t = parse("2026-01-15T10:00:00.123456789987654321Z").unwrap();
        assert_eq!(t.timestamp_subsec_nanos(), 123_456_789);
    }

    #[test]
    fn end_of_day_is_the_next_midnight() {
        assert_eq!(ts("2029-12-31T24:00:00Z"), ts("2030-01-01T00:00:00Z"));
        assert_eq!(ts("2024-02-28T24:00:00.000Z"), ts("2024-02-29T00:00:00Z"));
        assert!(parse("2029-12-31T24:00:01Z").is_err());
        assert!(parse("2029-12-31T24:01:00Z").is_err());
        assert!(parse("2029-12-31T24:00:00.5Z").is_err());
    }

    #[test]
    fn years_past_9999() {
        assert!(ts("10000-01-01T00:00:00Z") > ts("9999-12-31T23:59:59Z"));
        assert!(parse("099999-01-01T00:00:00Z").is_err(), "leading zero in a 5+ digit year");
        assert!(parse("999-01-01T00:00:00Z").is_err());
        assert!(ts("-0044-03-15T12:00:00Z") < 0);
    }

    #[test]
    fn invalid_values() {
        for bad in [
            "tomorrow",
            "",
            "2026-01-15",
            "2026-01-15 10:00:00Z",
            "2026-1-15T10:00:00Z",
            "2026-02-30T10:00:00Z",
            "2026-13-01T10:00:00Z",
            "2026-01-15T25:00:00Z",
            "2026-01-15T10:60:00Z",
            "2026-01-15T10:00:60Z",
            "2026-01-15T10:00:00.Z",
            "2026-01-15T10:00:00+15:00",
            "2026-01-15T10:00:00+0100",
            "2026-01-15T10:00:00ZZ",
            "0000-01-01T00:00:00Z",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should be invalid");
        }
    }
}
