//! Dates as Camunda writes and reads them: `yyyy-MM-dd'T'HH:mm:ss.SSSZ`.
//!
//! Baton keeps every instant as milliseconds since the Unix epoch (UTC). It
//! writes them with milliseconds and a `+0000` offset and reads them leniently:
//! with or without milliseconds (any number of fraction digits), with `Z`,
//! `+hh:mm`, `+hhmm`, `+hh` or no offset (read as UTC).

/// Formats `ms` (milliseconds since the epoch) as `2026-11-20T10:00:00.000+0000`.
pub fn format(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let rest = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}+0000",
        rest / 3_600_000,
        rest / 60_000 % 60,
        rest / 1000 % 60,
        rest % 1000
    )
}

/// Reads an ISO 8601 duration (`PT1H`, `P3D`, `P1DT12H`) as milliseconds; months
/// and years count from the Unix epoch (31 and 365 days), so give days for exact
/// offsets.
///
/// # Errors
///
/// A message naming what is wrong with `text`.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    crate::timer::parse(crate::timer::TimerKind::Duration, text.trim())
        .map_err(|e| e.to_string())?
        .first(0)
        .ok_or_else(|| format!("'{text}' is not a duration"))
}

/// Parses an ISO 8601 date-time as Camunda clients send it.
///
/// # Errors
///
/// A message saying what part of the text is wrong.
pub fn parse(text: &str) -> Result<i64, String> {
    let t = text.trim().as_bytes();
    let num = |range: std::ops::Range<usize>, what: &str| -> Result<i64, String> {
        let part = t
            .get(range)
            .ok_or_else(|| format!("'{text}' is too short: {what} is missing"))?;
        if !part.iter().all(u8::is_ascii_digit) {
            return Err(format!("'{text}' has no valid {what}"));
        }
        Ok(part.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let year = num(0..4, "year")?;
    if t.get(4) != Some(&b'-') || t.get(7) != Some(&b'-') {
        return Err(format!("'{text}' is not a date of the form yyyy-MM-dd"));
    }
    let month = num(5..7, "month")?;
    let day = num(8..10, "day")?;
    // Two digits each, so both fit a u32.
    let (month, day) = (month as u32, day as u32);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err(format!("'{text}' is not a valid calendar date"));
    }
    let mut ms = days_from_civil(year, month, day) * 86_400_000;
    let mut i = 10;
    if matches!(t.get(i), Some(b'T' | b't' | b' ')) {
        let hour = num(11..13, "hour")?;
        if t.get(13) != Some(&b':') {
            return Err(format!("'{text}' has no minutes"));
        }
        let minute = num(14..16, "minute")?;
        i = 16;
        let mut second = 0;
        if t.get(i) == Some(&b':') {
            second = num(17..19, "second")?;
            i = 19;
        }
        if hour > 23 || minute > 59 || second > 60 {
            return Err(format!("'{text}' is not a valid time of day"));
        }
        ms += (hour * 3600 + minute * 60 + second) * 1000;
        if t.get(i) == Some(&b'.') || t.get(i) == Some(&b',') {
            i += 1;
            let start = i;
            let mut frac = 0;
            let mut scale = 100;
            while let Some(d) = t.get(i).filter(|d| d.is_ascii_digit()) {
                frac += i64::from(d - b'0') * scale;
                scale /= 10;
                i += 1;
            }
            if i == start {
                return Err(format!("'{text}' has an empty fraction of a second"));
            }
            ms += frac;
        }
    }
    let offset_min = match t.get(i) {
        None => 0,
        Some(b'Z' | b'z') if i + 1 == t.len() => 0,
        Some(&sign @ (b'+' | b'-')) => {
            let hours = num(i + 1..i + 3, "offset")?;
            let minutes = match t.len() - (i + 3) {
                0 => 0,
                2 => num(i + 3..i + 5, "offset")?,
                3 if t[i + 3] == b':' => num(i + 4..i + 6, "offset")?,
                _ => return Err(format!("'{text}' has a malformed offset")),
            };
            let total = hours * 60 + minutes;
            if sign == b'-' { -total } else { total }
        }
        Some(_) => return Err(format!("'{text}' has unexpected text after the time")),
    };
    Ok(ms - offset_min * 60_000)
}

// Calendar arithmetic (proleptic Gregorian, UTC), shared with the timer module.

/// Whether `year` has a February 29.
pub(crate) fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// The number of days in `month` (1–12) of `year`.
pub(crate) fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of the date `year-month-day`.
///
/// Counts in 400-year eras of 146 097 days, with years starting on March 1 so that
/// the leap day is the last day of a year.
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let (month, day) = (i64::from(month), i64::from(day));
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let march_month = (month + 9) % 12;
    let day_of_year = (153 * march_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date `(year, month, day)` that is `days` days after 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let march_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * march_month + 2) / 5 + 1;
    let month = if march_month < 10 {
        march_month + 3
    } else {
        march_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    // Both are small and positive by construction: day 1–31, month 1–12.
    (year, month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_as_camunda_does() {
        assert_eq!(format(0), "1970-01-01T00:00:00.000+0000");
        assert_eq!(format(1_795_168_800_123), "2026-11-20T10:00:00.123+0000");
        assert_eq!(format(-1), "1969-12-31T23:59:59.999+0000");
    }

    #[test]
    fn parses_leniently() {
        let expected = 1_795_168_800_000;
        for text in [
            "2026-11-20T10:00:00.000+0000",
            "2026-11-20T10:00:00Z",
            "2026-11-20T10:00:00",
            "2026-11-20T11:00:00.000+01:00",
            "2026-11-20T11:00:00+01",
            "2026-11-20T09:30:00.000-0030",
            "2026-11-20T10:00",
        ] {
            assert_eq!(parse(text), Ok(expected), "{text}");
        }
        assert_eq!(parse("2026-11-20"), Ok(expected - 10 * 3_600_000));
        assert_eq!(parse("2026-11-20T10:00:00.5Z"), Ok(expected + 500));
    }

    #[test]
    fn refuses_what_is_not_a_date() {
        for text in [
            "",
            "yesterday",
            "2026-13-01",
            "2026-02-30",
            "2026-11-20T25:00",
            "2026-11-20T10:00:00+1",
            "2026-11-20T10:00:00.",
            "2026-11-20T10:00:00 junk",
        ] {
            assert!(parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn round_trips_every_day_of_four_centuries() {
        for day in (-146_097..146_097).step_by(7) {
            let ms = day * 86_400_000 + 12_345;
            assert_eq!(parse(&format(ms)), Ok(ms));
        }
    }
}
