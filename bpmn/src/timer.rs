//! Timer schedules for BPMN timer events (`timeDate`, `timeDuration`, `timeCycle`),
//! evaluated as Camunda 7 evaluates them.
//!
//! This module is pure: no I/O and no clock. [`parse`] turns the text of a timer
//! definition (its expression already evaluated by the caller) into a [`Schedule`],
//! and the schedule answers when the timer is first due ([`Schedule::first`]) and,
//! for cycles, when it is due again after a firing ([`Schedule::next`]). Every
//! instant is an `i64` of milliseconds since the Unix epoch, UTC.
//!
//! It lives in this crate, not in the engine, so that there is one timer grammar:
//! `baton validate` checks every timer text it can know before deployment with the
//! same [`parse`] the engine schedules timers with, and the two cannot disagree.
//!
//! # Time zone
//!
//! Camunda reads a date-time without an offset, adds months and years, and matches
//! cron fields in the JVM's default time zone. Baton does all of this in **UTC**:
//! `2026-01-01T10:00:00` is 10:00 UTC, `P1D` is always 24 hours (there is no
//! daylight saving time in UTC), and `0 0 12 * * ?` fires at 12:00 UTC. A model that
//! needs local times writes an offset (`2026-01-01T10:00:00+02:00`). On a Camunda
//! server running in UTC the two behave the same.
//!
//! # What is accepted
//!
//! - `timeDate`: an ISO 8601 date-time `2026-01-01T10:00:00Z`, with `Z`, `+02:00`,
//!   `+0200`, `+02` or no offset (UTC), optional seconds and fraction of a second; a
//!   date alone (`2026-01-01`, midnight UTC). Like Camunda's `DueDateBusinessCalendar`,
//!   a duration (`PT5M`) is accepted too and counts from the timer's creation; an
//!   interval (`R3/PT5M`) is not, there as here.
//! - `timeDuration`: an ISO 8601 duration `PnYnMnWnDTnHnMnS` (each part optional, in
//!   that order, at least one present; only seconds may have a fraction). Years and
//!   months are calendar years and months, added one field after the other as
//!   `javax.xml.datatype.Duration.addTo` does, keeping the time of day and clamping the
//!   day of month (Jan 31 + `P1M` = Feb 28, or Feb 29 in a leap year). Like Camunda's
//!   `DurationBusinessCalendar`, which reads it with `DurationHelper`, a timeDuration
//!   may also be an interval: `R10/PT5S` (and every other repeating interval) is due
//!   once, at its first occurrence after the timer's creation (five seconds later),
//!   and never repeats, since Camunda gives only cycle timers a repeat; `<start>/PT1H`
//!   is due at the start plus the period; `PT1H/<end>` and `<start>/<end>` at the end.
//! - `timeCycle`: an ISO 8601 repeating interval (`R3/PT10M`, `R/PT1H`,
//!   `R3/<start>/P1D`, `R3/PT1M/<end>`, `R3/<start>/<end>`), or a Quartz cron
//!   expression (`0 15 10 ? * MON-FRI`), see [`Cron`].
//!
//! # Cycles as Camunda runs them
//!
//! Read from Camunda 7's `DurationHelper`, `CycleBusinessCalendar`, `TimerEntity` and
//! `TimerDeclarationImpl`:
//!
//! - `R3/PT10M` is anchored at the timer's creation (Camunda rewrites it to
//!   `R3/<now>/PT10M`): due at now+10m, +20m, +30m, then done: `n` firings.
//! - With a start (`R3/<start>/P1D`) the candidate instants are `start`,
//!   `start + P`, …, `start + n·P` (Camunda adds the period at most `n` times to the
//!   start, so a start in the future gives **n + 1** firings). The timer is due at the
//!   first candidate strictly after the reference time, so a start in the past skips
//!   the candidates already gone.
//! - With an end (`R3/PT1M/<end>`) the candidates are `end`, `end - P`, …,
//!   `end - n·P`, and again the first one strictly after the reference time is due.
//! - `R3/<start>/<end>` is `R3/<start>/P` with `P` the exact time between the two.
//! - When no candidate lies ahead when the timer is created (a cycle whose last
//!   repetition is past, `R0/...`, a cron expression that never matches again),
//!   Camunda creates the job without a due date, and its job executor runs such a job
//!   at once, one time. [`Schedule::first`] returns `now` then, and `next` returns
//!   `None`.
//! - A cron expression is due at the first whole second strictly after the
//!   reference time that matches it (Quartz's `getTimeAfter`).
//!
//! Camunda computes a follow-up from the clock at the moment the job runs, so a job
//! executor that was down skips occurrences it missed. [`Schedule::next`] computes
//! from the previous due time instead; a caller that wants Camunda's skipping calls
//! `next` again (counting each skipped occurrence as fired) while the result is not
//! after the current time.
//!
//! # Deliberate differences from Camunda
//!
//! - UTC instead of the server's zone (above).
//! - `PnW` is `7·n` days, and the period of `R/<start>/<end>` is the exact time
//!   between them. Camunda turns both into milliseconds and back into a `Duration`,
//!   which re-reads them as months and days from 1970-01-01, so its `P5W` is one
//!   month and four days.
//! - Camunda anchors `R3/PT10M` at the creation time cut to whole seconds, so its
//!   second and later due times lose the first one's milliseconds; Baton keeps them.
//! - Periods longer than 1000 years are refused, so that every accepted text falls due
//!   within the years 1 to 9999 (Java's dates go further).
//! - A repeating interval's period must not be zero (Camunda loops forever on `R/PT0S`); `R-1` and
//!   other negative counts are refused (Camunda treats them as `R0`).
//! - Date-times must lie within the years 0001 to 9999. Joda's rarer ISO forms (week
//!   dates `2026-W01-1`, ordinal dates, the basic format without separators, a time
//!   without a date) are refused.
//! - Camunda 7.24 replaced Quartz by cron-utils with Spring's syntax (day-of-week
//!   1 = Monday, no year field). Baton follows Quartz, which Camunda 7.0–7.23 used.
//! - Cron evaluation stops at the end of the year 2299 (Quartz: the current year
//!   plus 100). Quartz ignores fields after the seventh; Baton refuses them. `15W`
//!   and `L-n` never fire in a month that lacks the day they name, where Quartz's
//!   lenient calendar rolls over into the next month. `W`, `L` and `#` may not be
//!   combined with other days in a list (Quartz refuses some such lists and reads the
//!   others oddly).

use std::fmt;

/// Milliseconds in a second.
const SECOND_MS: i64 = 1_000;
/// Milliseconds in a minute.
const MINUTE_MS: i64 = 60 * SECOND_MS;
/// Milliseconds in an hour.
const HOUR_MS: i64 = 60 * MINUTE_MS;
/// Milliseconds in a day (UTC has no daylight saving time).
const DAY_MS: i64 = 24 * HOUR_MS;

/// The first year a due time may fall in.
const MIN_YEAR: i64 = 1;
/// The last year a due time may fall in.
const MAX_YEAR: i64 = 9999;
/// The first year a cron expression can match (Quartz's lower bound).
const CRON_FIRST_YEAR: i64 = 1970;
/// The last year a cron expression is evaluated in; after it, there is no next time.
const CRON_LAST_YEAR: i64 = 2299;
/// The longest period accepted, in years: short enough that a timer created before
/// the year 8990 always falls due within the calendar (deployment refuses a timer
/// start event that never falls due, so validation must refuse such a text first).
const MAX_PERIOD_YEARS: i64 = 1_000;
/// How much of a rejected text an error message quotes, in characters.
const QUOTE_CHARS: usize = 120;

/// Which BPMN timer definition element a text comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimerKind {
    /// `timeDate`: one instant.
    Date,
    /// `timeDuration`: one instant, a duration after the timer's creation.
    Duration,
    /// `timeCycle`: a repeating interval or a cron expression.
    Cycle,
}

impl TimerKind {
    /// The element's name in BPMN XML.
    pub fn element(self) -> &'static str {
        match self {
            TimerKind::Date => "timeDate",
            TimerKind::Duration => "timeDuration",
            TimerKind::Cycle => "timeCycle",
        }
    }
}

impl fmt::Display for TimerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.element())
    }
}

/// Why the text of a timer definition cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} '{text}': {reason}")]
pub struct TimerError {
    /// The element the text came from.
    kind: TimerKind,
    /// The text (its first [`QUOTE_CHARS`] characters).
    text: String,
    /// What is wrong with it.
    reason: String,
}

impl TimerError {
    /// An error for `text` of `kind`.
    fn new(kind: TimerKind, text: &str, reason: String) -> Self {
        let mut quoted: String = text.chars().take(QUOTE_CHARS).collect();
        if quoted.len() < text.len() {
            quoted.push('…');
        }
        TimerError {
            kind,
            text: quoted,
            reason,
        }
    }

    /// What is wrong, without the text.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// A parsed timer definition: when the timer is first due, and when again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// What the text said.
    plan: Plan,
}

/// The forms a timer definition takes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Plan {
    /// At a fixed instant (`timeDate`).
    At(i64),
    /// A period after the timer's creation (`timeDuration`, or a `timeDate` written as
    /// a duration).
    After(Period),
    /// An ISO 8601 repeating interval (`timeCycle` starting with `R`).
    Repeat(Repeat),
    /// A repeating interval in a `timeDuration`: due once, at its first candidate
    /// after the timer's creation, as Camunda's `DurationHelper.getDateAfter` computes.
    Once(Repeat),
    /// A Quartz cron expression (any other `timeCycle`).
    Cron(Box<Cron>),
}

/// Parses the text of a timer definition of `kind`. Surrounding whitespace is ignored.
///
/// # Errors
///
/// A [`TimerError`] naming the text and saying what is wrong with it.
pub fn parse(kind: TimerKind, text: &str) -> Result<Schedule, TimerError> {
    let trimmed = text.trim();
    let plan = match kind {
        TimerKind::Date => parse_date_plan(trimmed),
        TimerKind::Duration => parse_duration_plan(trimmed),
        TimerKind::Cycle => parse_cycle_plan(trimmed),
    };
    plan.map(|plan| Schedule { plan })
        .map_err(|reason| TimerError::new(kind, trimmed, reason))
}

impl Schedule {
    /// The first due time of a timer created at `now`.
    ///
    /// A `timeDate` in the past is returned as it is (the timer is overdue and fires
    /// at once). A cycle with no occurrence ahead gives `now`, as explained in the
    /// module documentation. `None` only when the due time falls outside the years
    /// 1 to 9999.
    pub fn first(&self, now: i64) -> Option<i64> {
        match &self.plan {
            Plan::At(at) => Some(*at),
            Plan::After(period) => period.add_to(now),
            Plan::Repeat(repeat) | Plan::Once(repeat) => Some(repeat.first(now).unwrap_or(now)),
            Plan::Cron(cron) => Some(cron.after(now).unwrap_or(now)),
        }
    }

    /// The due time after a firing of a cycle: `previous_due` is the due time of the
    /// firing, and `fired_count` how many times the timer has fired, counting that
    /// firing (1 after the first). `None` when the repetitions are exhausted, the end
    /// is reached, the cron expression matches no later time, or the schedule does not
    /// repeat.
    ///
    /// Only a cycle anchored at its creation (`R3/PT10M`) uses `fired_count`: the
    /// others find their place in the cycle from `previous_due`.
    pub fn next(&self, previous_due: i64, fired_count: u32) -> Option<i64> {
        match &self.plan {
            Plan::At(_) | Plan::After(_) | Plan::Once(_) => None,
            Plan::Repeat(repeat) => repeat.next(previous_due, fired_count),
            Plan::Cron(cron) => cron.after(previous_due),
        }
    }

    /// Whether the schedule is a cycle, which may be due again after a firing.
    pub fn repeats(&self) -> bool {
        matches!(self.plan, Plan::Repeat(_) | Plan::Cron(_))
    }
}

// ---------------------------------------------------------------------------------
// Calendar arithmetic (proleptic Gregorian, UTC)
// ---------------------------------------------------------------------------------

/// Whether `year` is a leap year in the proleptic Gregorian calendar.
fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// The number of days in `month` (1–12) of `year`.
fn days_in_month(year: i64, month: u32) -> u32 {
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
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
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
fn civil_from_days(days: i64) -> (i64, u32, u32) {
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

/// The day of the week of the day `days` after 1970-01-01 (a Thursday), numbered as
/// Quartz does: 1 = Sunday … 7 = Saturday.
fn weekday(days: i64) -> u32 {
    (days + 4).rem_euclid(7) as u32 + 1
}

/// The earliest instant a due time may be: 0001-01-01T00:00:00Z.
fn min_instant() -> i64 {
    days_from_civil(MIN_YEAR, 1, 1) * DAY_MS
}

/// The latest instant a due time may be: 9999-12-31T23:59:59.999Z.
fn max_instant() -> i64 {
    days_from_civil(MAX_YEAR + 1, 1, 1) * DAY_MS - 1
}

/// `ms` if it lies within the years 1 to 9999.
fn in_range(ms: i64) -> Option<i64> {
    (min_instant()..=max_instant()).contains(&ms).then_some(ms)
}

/// `ms` moved by `months` calendar months, keeping the time of day and clamping the
/// day to the target month's length. `None` outside the years 1 to 9999.
fn add_months(ms: i64, months: i64) -> Option<i64> {
    if months == 0 {
        return Some(ms);
    }
    let days = ms.div_euclid(DAY_MS);
    let time_of_day = ms.rem_euclid(DAY_MS);
    let (year, month, day) = civil_from_days(days);
    let index = year
        .checked_mul(12)?
        .checked_add(i64::from(month) - 1)?
        .checked_add(months)?;
    let new_year = index.div_euclid(12);
    if !(MIN_YEAR..=MAX_YEAR).contains(&new_year) {
        return None;
    }
    let new_month = index.rem_euclid(12) as u32 + 1;
    let new_day = day.min(days_in_month(new_year, new_month));
    Some(days_from_civil(new_year, new_month, new_day) * DAY_MS + time_of_day)
}

// ---------------------------------------------------------------------------------
// Durations
// ---------------------------------------------------------------------------------

/// An ISO 8601 duration: calendar years and months, and a fixed number of
/// milliseconds (weeks, days, hours, minutes and seconds, all exact in UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Period {
    /// Calendar years.
    years: i64,
    /// Calendar months.
    months: i64,
    /// Everything else, in milliseconds.
    millis: i64,
}

impl Period {
    /// Whether the period is empty (`P0D`).
    fn is_zero(self) -> bool {
        self.years == 0 && self.months == 0 && self.millis == 0
    }

    /// Whether the period has the same length wherever it is added (no years or
    /// months).
    fn is_fixed(self) -> bool {
        self.years == 0 && self.months == 0
    }

    /// `ms` plus the period: years first, then months, then the rest, as
    /// `Duration.addTo(Calendar)` does. `None` outside the years 1 to 9999.
    fn add_to(self, ms: i64) -> Option<i64> {
        let ms = add_months(ms, self.years.checked_mul(12)?)?;
        let ms = add_months(ms, self.months)?;
        in_range(ms.checked_add(self.millis)?)
    }

    /// `ms` minus the period (Camunda adds the negated duration). `None` outside the
    /// years 1 to 9999.
    fn subtract_from(self, ms: i64) -> Option<i64> {
        let ms = add_months(ms, self.years.checked_mul(-12)?)?;
        let ms = add_months(ms, -self.months)?;
        in_range(ms.checked_sub(self.millis)?)
    }
}

/// Reads a run of ASCII digits as a number of at most nine digits (999,999,999), the
/// largest accepted in a duration or a repetition count.
fn whole_number(digits: &str) -> Result<i64, String> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{digits}' is not a whole number"));
    }
    let significant = digits.trim_start_matches('0');
    if significant.len() > 9 {
        return Err(format!("{digits} is too large"));
    }
    Ok(significant
        .bytes()
        .fold(0, |n, b| n * 10 + i64::from(b - b'0')))
}

/// The character of `text` at byte `at` (a character boundary), for messages.
fn char_at(text: &str, at: usize) -> String {
    text.get(at..)
        .and_then(|rest| rest.chars().next())
        .map_or_else(|| "end".to_owned(), |c| format!("'{c}'"))
}

/// Parses an ISO 8601 duration, `PnYnMnWnDTnHnMnS`.
fn parse_period(text: &str) -> Result<Period, String> {
    const SYNTAX: &str = "a duration is written PnYnMnWnDTnHnMnS, as in PT5M, P1D or P1Y2M";
    let bytes = text.as_bytes();
    if bytes.first() != Some(&b'P') {
        return Err(format!("{SYNTAX}; it must start with 'P'"));
    }
    let mut at = 1;
    let mut in_time = false;
    let mut time_parts = 0;
    let mut parts = 0;
    // The rank of the last designator read: Y M W D, then (after T) H M S.
    let mut last_rank = 0;
    let mut period = Period {
        years: 0,
        months: 0,
        millis: 0,
    };
    while at < bytes.len() {
        if bytes[at] == b'T' {
            if in_time {
                return Err(format!("'T' appears twice; {SYNTAX}"));
            }
            in_time = true;
            at += 1;
            continue;
        }
        let start = at;
        while at < bytes.len() && bytes[at].is_ascii_digit() {
            at += 1;
        }
        let whole = &text[start..at];
        let mut fraction = None;
        if at < bytes.len() && (bytes[at] == b'.' || bytes[at] == b',') {
            at += 1;
            let fraction_start = at;
            while at < bytes.len() && bytes[at].is_ascii_digit() {
                at += 1;
            }
            if at == fraction_start {
                return Err("a decimal point must be followed by digits".to_owned());
            }
            fraction = Some(&text[fraction_start..at]);
        }
        if whole.is_empty() {
            return Err(format!(
                "expected a number at {}; {SYNTAX}",
                char_at(text, start)
            ));
        }
        let Some(&designator) = bytes.get(at) else {
            return Err(format!(
                "the number {whole} has no unit (Y, M, W, D, H, M or S)"
            ));
        };
        let rank = match (in_time, designator) {
            (false, b'Y') => 1,
            (false, b'M') => 2,
            (false, b'W') => 3,
            (false, b'D') => 4,
            (true, b'H') => 5,
            (true, b'M') => 6,
            (true, b'S') => 7,
            (false, b'H' | b'S') => {
                return Err(format!(
                    "hours, minutes and seconds must follow a 'T' (as in PT{whole}{})",
                    char::from(designator)
                ));
            }
            (true, b'Y' | b'W' | b'D') => {
                return Err("years, weeks and days must come before the 'T'".to_owned());
            }
            _ => {
                return Err(format!(
                    "unexpected {} after {whole}; {SYNTAX}",
                    char_at(text, at)
                ));
            }
        };
        at += 1;
        if rank <= last_rank {
            return Err(format!("its parts are repeated or out of order; {SYNTAX}"));
        }
        last_rank = rank;
        if fraction.is_some() && rank != 7 {
            return Err("only the seconds may have a fraction".to_owned());
        }
        let n = whole_number(whole)?;
        match rank {
            1 => period.years = n,
            2 => period.months = n,
            3 => period.millis += n * 7 * DAY_MS,
            4 => period.millis += n * DAY_MS,
            5 => period.millis += n * HOUR_MS,
            6 => period.millis += n * MINUTE_MS,
            _ => {
                let digits = fraction.unwrap_or("").as_bytes();
                let millis = (0..3).fold(0, |ms, i| {
                    ms * 10 + digits.get(i).map_or(0, |d| i64::from(d - b'0'))
                });
                period.millis += n * SECOND_MS + millis;
            }
        }
        parts += 1;
        if in_time {
            time_parts += 1;
        }
    }
    if in_time && time_parts == 0 {
        return Err(format!(
            "'T' must be followed by hours, minutes or seconds; {SYNTAX}"
        ));
    }
    if parts == 0 {
        return Err(format!("it has no parts; {SYNTAX}"));
    }
    // Measured from 0001-01-01, all parts together, with the calendar's own years.
    let from = days_from_civil(MIN_YEAR, 1, 1) * DAY_MS;
    let limit = days_from_civil(MIN_YEAR + MAX_PERIOD_YEARS, 1, 1) * DAY_MS;
    match period.add_to(from) {
        Some(end) if end <= limit => Ok(period),
        _ => Err(format!("it is longer than {MAX_PERIOD_YEARS} years")),
    }
}

// ---------------------------------------------------------------------------------
// Date-times
// ---------------------------------------------------------------------------------

/// Reads `len` ASCII digits of `bytes` at `at` as a number, naming `what` if they are
/// missing.
fn digits_at(bytes: &[u8], at: usize, len: usize, what: &str) -> Result<i64, String> {
    match bytes.get(at..at + len) {
        Some(digits) if digits.iter().all(u8::is_ascii_digit) => {
            Ok(digits.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
        }
        _ => Err(format!(
            "expected {len} digits of {what} at position {}",
            at + 1
        )),
    }
}

/// Parses an ISO 8601 date-time (or date) to milliseconds since the epoch; without
/// an offset it is UTC.
fn parse_date_time(text: &str) -> Result<i64, String> {
    const SYNTAX: &str = "a date-time is written 2026-01-01T10:00:00Z (or +02:00, or no offset for UTC), or a date 2026-01-01";
    let b = text.as_bytes();
    let year = digits_at(b, 0, 4, "the year").map_err(|e| format!("{e}; {SYNTAX}"))?;
    if b.get(4) != Some(&b'-') {
        return Err(format!("expected '-' after the year; {SYNTAX}"));
    }
    let month = digits_at(b, 5, 2, "the month")?;
    if b.get(7) != Some(&b'-') {
        return Err(format!("expected '-' after the month; {SYNTAX}"));
    }
    let day = digits_at(b, 8, 2, "the day")?;
    if !(1..=12).contains(&month) {
        return Err(format!("month {month} does not exist"));
    }
    // In range now: month 1–12, day two digits.
    let (month, day) = (month as u32, day as u32);
    if day < 1 || day > days_in_month(year, month) {
        return Err(format!("day {day} does not exist in {year:04}-{month:02}"));
    }
    let date_ms = days_from_civil(year, month, day) * DAY_MS;
    if b.len() == 10 {
        return in_range(date_ms).ok_or_else(|| "the year 0000 is out of range".to_owned());
    }
    if b[10] != b'T' {
        return Err(format!(
            "expected 'T' and a time after the date, not {}",
            char_at(text, 10)
        ));
    }
    let hour = digits_at(b, 11, 2, "the hour")?;
    let mut at = 13;
    let (mut minute, mut second, mut millis) = (0, 0, 0);
    if b.get(at) == Some(&b':') {
        minute = digits_at(b, at + 1, 2, "the minutes")?;
        at += 3;
        if b.get(at) == Some(&b':') {
            second = digits_at(b, at + 1, 2, "the seconds")?;
            at += 3;
            if matches!(b.get(at), Some(b'.' | b',')) {
                at += 1;
                let start = at;
                while b.get(at).is_some_and(u8::is_ascii_digit) {
                    if at - start < 3 {
                        millis = millis * 10 + i64::from(b[at] - b'0');
                    }
                    at += 1;
                }
                if at == start {
                    return Err("a decimal point must be followed by digits".to_owned());
                }
                for _ in (at - start)..3 {
                    millis *= 10;
                }
            }
        }
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err(format!(
            "{hour:02}:{minute:02}:{second:02} is not a time of day"
        ));
    }
    let local = date_ms + hour * HOUR_MS + minute * MINUTE_MS + second * SECOND_MS + millis;
    let offset = match b.get(at) {
        None => 0,
        Some(b'Z') => {
            at += 1;
            0
        }
        Some(&sign @ (b'+' | b'-')) => {
            let hours = digits_at(b, at + 1, 2, "the offset's hours")?;
            at += 3;
            let mut minutes = 0;
            if b.get(at) == Some(&b':') {
                minutes = digits_at(b, at + 1, 2, "the offset's minutes")?;
                at += 3;
            } else if b.get(at).is_some_and(u8::is_ascii_digit) {
                minutes = digits_at(b, at, 2, "the offset's minutes")?;
                at += 2;
            }
            if hours > 23 || minutes > 59 {
                return Err(format!(
                    "the offset {hours:02}:{minutes:02} is out of range"
                ));
            }
            let offset = hours * HOUR_MS + minutes * MINUTE_MS;
            if sign == b'-' { -offset } else { offset }
        }
        Some(_) => {
            return Err(format!(
                "unexpected {} after the time; {SYNTAX}",
                char_at(text, at)
            ));
        }
    };
    if at != b.len() {
        return Err(format!("unexpected {} after the offset", char_at(text, at)));
    }
    in_range(local - offset)
        .ok_or_else(|| "it lies outside the years 0001 to 9999 (UTC)".to_owned())
}

// ---------------------------------------------------------------------------------
// The three kinds
// ---------------------------------------------------------------------------------

/// A `timeDate`: a date-time, or (as Camunda allows) a duration from now.
fn parse_date_plan(text: &str) -> Result<Plan, String> {
    if text.is_empty() {
        return Err("it is empty".to_owned());
    }
    if text.starts_with('R') {
        // Camunda's DueDateBusinessCalendar reads a duration or a date, never an interval.
        return Err(
            "a repeating interval (R...) belongs in a timeCycle, or in a timeDuration to \
             wait once; a timeDate is a date-time such as 2026-01-01T10:00:00Z, or a duration"
                .to_owned(),
        );
    }
    if text.starts_with('P') {
        return parse_period(text).map(Plan::After);
    }
    parse_date_time(text).map(Plan::At)
}

/// A `timeDuration`: whatever Camunda's `DurationHelper` reads, due once at its
/// `getDateAfter(now)` (`DurationBusinessCalendar`; only a cycle timer repeats):
///
/// - a duration, `PT5M`: that long after the timer's creation;
/// - a repeating interval, `R3/PT10M`, `R3/<start>/P1D` or `R3/PT1M/<end>`: its first
///   candidate after the creation, as for a cycle (`R10/PT5S` waits five seconds, once);
/// - an interval `<start>/PT1H`: the start plus the period; `PT1H/<end>` and
///   `<start>/<end>`: the end.
fn parse_duration_plan(text: &str) -> Result<Plan, String> {
    const SYNTAX: &str = "a timeDuration is a duration such as PT5M, or an interval \
                          <start>/PT5M, PT5M/<end>, <start>/<end> or R3/PT5M";
    if text.is_empty() {
        return Err("it is empty".to_owned());
    }
    if text.starts_with('R') {
        return parse_repeat(text).map(Plan::Once);
    }
    let is_period = |part: &str| part.starts_with('P');
    match text.split('/').collect::<Vec<_>>()[..] {
        [period] if is_period(period) => parse_period(period).map(Plan::After),
        [date] if parse_date_time(date).is_ok() => {
            Err(format!("{SYNTAX}; for a date and time, use a timeDate"))
        }
        [other] => parse_period(other).map(Plan::After),
        [first, second] if is_period(first) && is_period(second) => {
            Err(format!("it has two durations; {SYNTAX}"))
        }
        [period, end] if is_period(period) => {
            parse_period(period)?;
            parse_date_time(end).map(Plan::At)
        }
        [start, period] if is_period(period) => {
            let start = parse_date_time(start)?;
            parse_period(period)?
                .add_to(start)
                .map(Plan::At)
                .ok_or_else(|| {
                    "its start plus its duration lies outside the years 0001 to 9999".to_owned()
                })
        }
        [start, end] => {
            parse_date_time(start)?;
            parse_date_time(end).map(Plan::At)
        }
        _ => Err(format!(
            "{SYNTAX}; it has at most two parts separated by '/' (three with R)"
        )),
    }
}

/// A `timeCycle`: a repeating interval when it starts with `R` (as Camunda's
/// `CycleBusinessCalendar` decides), a cron expression otherwise.
fn parse_cycle_plan(text: &str) -> Result<Plan, String> {
    if text.is_empty() {
        return Err("it is empty".to_owned());
    }
    if text.starts_with('R') {
        return parse_repeat(text).map(Plan::Repeat);
    }
    if text.starts_with('P') {
        return Err(format!(
            "a cycle repeats: write R/{text} to repeat forever or R3/{text} for three times, \
             or use a timeDuration to wait once"
        ));
    }
    Cron::parse(text).map(|cron| Plan::Cron(Box::new(cron)))
}

// ---------------------------------------------------------------------------------
// Repeating intervals
// ---------------------------------------------------------------------------------

/// An ISO 8601 repeating interval (`R3/PT10M`, `R/<start>/P1D`, `R2/PT1M/<end>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Repeat {
    /// How many times the period is repeated (`R3`), `None` for `R` (no limit).
    times: Option<u32>,
    /// What the repetitions count from.
    anchor: Anchor,
    /// The period, never zero.
    period: Period,
}

/// What a repeating interval counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Anchor {
    /// `R3/PT10M`: the timer's creation.
    Creation,
    /// `R3/<start>/PT10M` or `R3/<start>/<end>`: forward from a start.
    Start(i64),
    /// `R3/PT10M/<end>`: back from an end.
    End(i64),
}

/// Parses a repeating interval (the text starts with `R`).
fn parse_repeat(text: &str) -> Result<Repeat, String> {
    const SYNTAX: &str =
        "a repeating interval is written R3/PT10M, R/PT1H, R3/<start>/P1D or R3/PT1M/<end>";
    let parts: Vec<&str> = text.split('/').collect();
    if parts.len() < 2 || parts.len() > 3 {
        return Err(format!("{SYNTAX}; it needs 2 or 3 parts separated by '/'"));
    }
    let count = &parts[0][1..];
    let times = if count.is_empty() {
        None
    } else if count.bytes().all(|b| b.is_ascii_digit()) {
        let n = whole_number(count)
            .map_err(|_| format!("the repetition count {count} is too large"))?;
        // At most nine digits.
        Some(n as u32)
    } else {
        return Err(format!(
            "the repetition count '{count}' must be a whole number of 0 or more"
        ));
    };
    let is_period = |part: &str| part.starts_with('P');
    let (anchor, period) = match parts[1..] {
        [period] if is_period(period) => (Anchor::Creation, parse_period(period)?),
        [start] => {
            return Err(format!(
                "'{start}' is not a period (starting with 'P'); {SYNTAX}"
            ));
        }
        [period, end] if is_period(period) => {
            if is_period(end) {
                return Err(format!("it has two periods; {SYNTAX}"));
            }
            (Anchor::End(parse_date_time(end)?), parse_period(period)?)
        }
        [start, period] if is_period(period) => (
            Anchor::Start(parse_date_time(start)?),
            parse_period(period)?,
        ),
        [start, end] => {
            let start = parse_date_time(start)?;
            let end = parse_date_time(end)?;
            if end <= start {
                return Err("its end must come after its start".to_owned());
            }
            let period = Period {
                years: 0,
                months: 0,
                millis: end - start,
            };
            (Anchor::Start(start), period)
        }
        _ => return Err(SYNTAX.to_owned()),
    };
    if period.is_zero() {
        return Err("the period of a repeating interval must not be zero".to_owned());
    }
    Ok(Repeat {
        times,
        anchor,
        period,
    })
}

impl Repeat {
    /// The first due time of a timer created at `now`; `None` when no candidate lies
    /// ahead.
    fn first(&self, now: i64) -> Option<i64> {
        match self.anchor {
            Anchor::Creation if self.times == Some(0) => None,
            Anchor::Creation => self.period.add_to(now),
            Anchor::Start(start) => self.after_start(start, now),
            Anchor::End(end) => self.after_end(end, now),
        }
    }

    /// The due time after the firing at `previous_due`, the `fired_count`th.
    fn next(&self, previous_due: i64, fired_count: u32) -> Option<i64> {
        match self.anchor {
            Anchor::Creation if self.times.is_some_and(|n| fired_count >= n) => None,
            Anchor::Creation => self.period.add_to(previous_due),
            Anchor::Start(start) => self.after_start(start, previous_due),
            Anchor::End(end) => self.after_end(end, previous_due),
        }
    }

    /// The first of `start`, `start + P`, …, `start + n·P` strictly after `t` (each
    /// found by adding the period to the one before, as Camunda does).
    fn after_start(&self, start: i64, t: i64) -> Option<i64> {
        if start > t {
            return Some(start);
        }
        if self.period.is_fixed() {
            let step = self.period.millis;
            let k = t.checked_sub(start)? / step + 1;
            if self.times.is_some_and(|n| k > i64::from(n)) {
                return None;
            }
            return in_range(start.checked_add(k.checked_mul(step)?)?);
        }
        // Calendar periods: each step is at least 28 days and the years stop at 9999,
        // so this loop is short.
        let mut current = start;
        let mut k: u32 = 0;
        while current <= t {
            if self.times.is_some_and(|n| k >= n) {
                return None;
            }
            current = self.period.add_to(current)?;
            k = k.saturating_add(1);
        }
        Some(current)
    }

    /// The first of `end - n·P`, …, `end - P`, `end` strictly after `t` (each found
    /// by subtracting the period from the one after, as Camunda does).
    fn after_end(&self, end: i64, t: i64) -> Option<i64> {
        if end <= t {
            return None;
        }
        if self.period.is_fixed() {
            let step = self.period.millis;
            // The most steps back that stay after `t`, and within the years 1–9999.
            let mut k = (end.saturating_sub(t) - 1) / step;
            k = k.min((end - min_instant()) / step);
            if let Some(n) = self.times {
                k = k.min(i64::from(n));
            }
            return in_range(end - k * step);
        }
        let mut current = end;
        let mut k: u32 = 0;
        while self.times.is_none_or(|n| k < n) {
            match self.period.subtract_from(current) {
                Some(earlier) if earlier > t => current = earlier,
                _ => break,
            }
            k = k.saturating_add(1);
        }
        Some(current)
    }
}

// ---------------------------------------------------------------------------------
// Cron expressions
// ---------------------------------------------------------------------------------

/// A set of small numbers (0 to 63), one bit each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bits(u64);

impl Bits {
    /// The set of `values` (each below 64).
    fn of(values: &[u32]) -> Bits {
        Bits(values.iter().fold(0, |bits, &v| bits | 1u64 << (v & 63)))
    }

    /// Whether `value` is in the set.
    fn contains(self, value: u32) -> bool {
        value < 64 && (self.0 >> value) & 1 == 1
    }

    /// The smallest member not below `value`.
    fn next_from(self, value: u32) -> Option<u32> {
        if value >= 64 {
            return None;
        }
        let rest = self.0 >> value;
        (rest != 0).then(|| value + rest.trailing_zeros())
    }
}

/// A set of years from [`CRON_FIRST_YEAR`] to [`CRON_LAST_YEAR`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Years([u64; 6]);

impl Years {
    /// The set of `years` (each within the bounds).
    fn of(years: &[u32]) -> Years {
        let mut words = [0u64; 6];
        for &year in years {
            let i = (i64::from(year) - CRON_FIRST_YEAR).clamp(0, 383) as usize;
            words[i / 64] |= 1 << (i % 64);
        }
        Years(words)
    }

    /// Whether `year` is in the set.
    fn contains(&self, year: i64) -> bool {
        (CRON_FIRST_YEAR..=CRON_LAST_YEAR).contains(&year) && {
            let i = (year - CRON_FIRST_YEAR) as usize;
            (self.0[i / 64] >> (i % 64)) & 1 == 1
        }
    }

    /// The smallest member not below `year`.
    fn next_from(&self, year: i64) -> Option<i64> {
        let mut i = (year.max(CRON_FIRST_YEAR) - CRON_FIRST_YEAR) as usize;
        while i < 64 * self.0.len() {
            let rest = self.0[i / 64] >> (i % 64);
            if rest != 0 {
                let found = CRON_FIRST_YEAR + (i + rest.trailing_zeros() as usize) as i64;
                return (found <= CRON_LAST_YEAR).then_some(found);
            }
            i = (i / 64 + 1) * 64;
        }
        None
    }
}

/// Which days a cron expression fires on: its day-of-month field or its day-of-week
/// field, whichever is not `?`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Days {
    /// Days of the month (bit `d` for day `d`); days a month lacks never match.
    OfMonth(Bits),
    /// `L`, `L-3`: the last day of the month, or that many days before it; with `W`
    /// (`LW`, `L-3W`) the weekday nearest to it.
    LastOfMonth {
        /// Days before the last day (0 to 30).
        offset: u32,
        /// Whether the nearest weekday is meant.
        weekday: bool,
    },
    /// `15W`: the weekday (Monday to Friday) nearest to that day, within the month.
    NearestWeekday(u32),
    /// Days of the week (bit 1 = Sunday … bit 7 = Saturday).
    OfWeek(Bits),
    /// `6L`: the last such day of the week in the month.
    LastWeekday(u32),
    /// `6#3`: the nth such day of the week in the month.
    NthWeekday {
        /// The day of the week, 1 = Sunday.
        weekday: u32,
        /// Which one, 1 to 5.
        nth: u32,
    },
}

/// A Quartz cron expression: `seconds minutes hours day-of-month month day-of-week
/// [year]`.
///
/// Each field takes `*`, a number, a range `a-b` (wrapping around when `b < a`, as
/// `FRI-MON` or `22-2`), a step `*/5`, `a/5` or `a-b/5`, or a comma-separated list of
/// these. Months may be written `JAN`–`DEC` and days of the week `SUN`–`SAT`
/// (1 = Sunday … 7 = Saturday), in any case. Exactly one of day-of-month and
/// day-of-week is `?`. Day-of-month also takes `L` (last day), `L-3`, `LW` (last
/// weekday), `L-3W` and `15W` (weekday nearest the 15th, within the month);
/// day-of-week takes `L` (Saturday), `6L` (last Friday) and `6#3` (third Friday).
/// The year is 1970 to 2299, every year when omitted.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cron {
    /// Seconds 0–59.
    seconds: Bits,
    /// Minutes 0–59.
    minutes: Bits,
    /// Hours 0–23.
    hours: Bits,
    /// The day rule.
    days: Days,
    /// Months 1–12.
    months: Bits,
    /// Years.
    years: Years,
}

/// How one numeric field of a cron expression is read.
struct Field {
    /// Its name, for messages.
    name: &'static str,
    /// The smallest value.
    min: u32,
    /// The largest value.
    max: u32,
    /// The largest step.
    max_step: u32,
    /// Names of the values from `min` on, if any.
    names: &'static [&'static str],
    /// Whether a range may wrap around (`b < a`).
    wraps: bool,
}

/// The seconds field.
const SECONDS: Field = Field {
    name: "seconds",
    min: 0,
    max: 59,
    max_step: 59,
    names: &[],
    wraps: true,
};
/// The minutes field.
const MINUTES: Field = Field {
    name: "minutes",
    ..SECONDS
};
/// The hours field.
const HOURS: Field = Field {
    name: "hours",
    max: 23,
    max_step: 23,
    ..SECONDS
};
/// The day-of-month field.
const DAY_OF_MONTH: Field = Field {
    name: "day-of-month",
    min: 1,
    max: 31,
    max_step: 31,
    names: &[],
    wraps: true,
};
/// The month field.
const MONTH: Field = Field {
    name: "month",
    min: 1,
    max: 12,
    max_step: 12,
    names: &[
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ],
    wraps: true,
};
/// The day-of-week field.
const DAY_OF_WEEK: Field = Field {
    name: "day-of-week",
    min: 1,
    max: 7,
    max_step: 7,
    names: &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
    wraps: true,
};
/// The year field.
const YEAR: Field = Field {
    name: "year",
    min: CRON_FIRST_YEAR as u32,
    max: CRON_LAST_YEAR as u32,
    max_step: (CRON_LAST_YEAR - CRON_FIRST_YEAR) as u32,
    names: &[],
    wraps: false,
};

impl Field {
    /// One value: a number or a name, within the field's range.
    fn value(&self, token: &str) -> Result<u32, String> {
        if token.is_empty() {
            return Err(format!("{}: a value is missing", self.name));
        }
        if let Some(i) = self.names.iter().position(|name| *name == token) {
            // At most 12 names.
            return Ok(self.min + i as u32);
        }
        if !token.bytes().all(|b| b.is_ascii_digit()) {
            let hint = match self.names.first() {
                Some(first) => format!(" or a name such as {first}"),
                None => String::new(),
            };
            return Err(format!("{}: '{token}' is not a number{hint}", self.name));
        }
        match whole_number(token) {
            Ok(n) if (i64::from(self.min)..=i64::from(self.max)).contains(&n) => Ok(n as u32),
            _ => Err(format!(
                "{}: {token} is out of range {}-{}",
                self.name, self.min, self.max
            )),
        }
    }

    /// A comma-separated list of values, ranges and steps, as the values it stands
    /// for.
    fn values(&self, text: &str) -> Result<Vec<u32>, String> {
        if text == "?" {
            return Err(format!(
                "{}: '?' is only allowed in day-of-month or day-of-week",
                self.name
            ));
        }
        let mut values = Vec::new();
        for item in text.split(',') {
            if item.is_empty() {
                return Err(format!("{}: '{text}' has an empty list item", self.name));
            }
            let (base, step) = match item.split_once('/') {
                Some((base, step)) => {
                    let n = whole_number(step)
                        .ok()
                        .filter(|n| (1..=i64::from(self.max_step)).contains(n));
                    let Some(n) = n else {
                        return Err(format!(
                            "{}: the step in '{item}' must be a number from 1 to {}",
                            self.name, self.max_step
                        ));
                    };
                    (base, Some(n as u32))
                }
                None => (item, None),
            };
            let (from, to) = if base == "*" || (base.is_empty() && step.is_some()) {
                (self.min, self.max)
            } else if let Some((a, b)) = base.split_once('-') {
                (self.value(a)?, self.value(b)?)
            } else {
                let v = self.value(base)?;
                (v, if step.is_some() { self.max } else { v })
            };
            let span = self.max - self.min + 1;
            let to = if to >= from {
                to
            } else if self.wraps {
                to + span
            } else {
                return Err(format!("{}: the range '{base}' runs backwards", self.name));
            };
            let step = step.unwrap_or(1);
            let mut v = from;
            while v <= to {
                values.push(self.min + (v - self.min) % span);
                v += step;
            }
        }
        Ok(values)
    }
}

impl Cron {
    /// Parses a Quartz cron expression.
    fn parse(text: &str) -> Result<Cron, String> {
        const SYNTAX: &str = "a cron expression has 6 or 7 fields: seconds minutes hours day-of-month month \
             day-of-week [year], as in '0 15 10 ? * MON-FRI'";
        let upper = text.to_ascii_uppercase();
        let fields: Vec<&str> = upper.split_ascii_whitespace().collect();
        if fields.len() == 5 {
            return Err(format!(
                "it has 5 fields; {SYNTAX} (Quartz starts with the seconds)"
            ));
        }
        if fields.len() != 6 && fields.len() != 7 {
            return Err(format!("it has {} fields; {SYNTAX}", fields.len()));
        }
        let seconds = Bits::of(&SECONDS.values(fields[0])?);
        let minutes = Bits::of(&MINUTES.values(fields[1])?);
        let hours = Bits::of(&HOURS.values(fields[2])?);
        let months = Bits::of(&MONTH.values(fields[4])?);
        let years = match fields.get(6) {
            Some(field) => Years::of(&YEAR.values(field)?),
            None => Years([u64::MAX; 6]),
        };
        let days = match (fields[3], fields[5]) {
            ("?", "?") => {
                return Err("only one of day-of-month and day-of-week may be '?'".to_owned());
            }
            (day_of_month, "?") => parse_day_of_month(day_of_month)?,
            ("?", day_of_week) => parse_day_of_week(day_of_week)?,
            _ => {
                return Err(
                    "one of day-of-month and day-of-week must be '?': Quartz does not \
                     support both (as in '0 0 12 * * ?' or '0 0 12 ? * MON')"
                        .to_owned(),
                );
            }
        };
        Ok(Cron {
            seconds,
            minutes,
            hours,
            days,
            months,
            years,
        })
    }

    /// The first whole second strictly after `t` that matches, `None` if there is
    /// none before the end of [`CRON_LAST_YEAR`].
    ///
    /// Jumps from year to matching year, month to matching month and day to matching
    /// day, then finds the time within the day; at most a few steps per month.
    fn after(&self, t: i64) -> Option<i64> {
        const MIDNIGHT: (u32, u32, u32) = (0, 0, 0);
        let start = t
            .div_euclid(SECOND_MS)
            .checked_add(1)?
            .checked_mul(SECOND_MS)?;
        let start = start.max(days_from_civil(CRON_FIRST_YEAR, 1, 1) * DAY_MS);
        let (mut year, mut month, mut day) = civil_from_days(start.div_euclid(DAY_MS));
        let second_of_day = start.rem_euclid(DAY_MS) / SECOND_MS;
        // The earliest time of day still allowed on `day`; within a day, all small.
        let mut from = (
            (second_of_day / 3600) as u32,
            (second_of_day / 60 % 60) as u32,
            (second_of_day % 60) as u32,
        );
        loop {
            if year > CRON_LAST_YEAR {
                return None;
            }
            if !self.years.contains(year) {
                year = self.years.next_from(year + 1)?;
                (month, day, from) = (1, 1, MIDNIGHT);
                continue;
            }
            if !self.months.contains(month) {
                match self.months.next_from(month + 1) {
                    Some(later) => month = later,
                    None => (year, month) = (year + 1, 1),
                }
                (day, from) = (1, MIDNIGHT);
                continue;
            }
            match Bits(self.day_mask(year, month)).next_from(day) {
                Some(found) => {
                    if found != day {
                        (day, from) = (found, MIDNIGHT);
                    }
                    if let Some((h, m, s)) = self.time_from(from) {
                        let date = days_from_civil(year, month, day) * DAY_MS;
                        let time = i64::from(h) * HOUR_MS
                            + i64::from(m) * MINUTE_MS
                            + i64::from(s) * SECOND_MS;
                        return Some(date + time);
                    }
                    (day, from) = (day + 1, MIDNIGHT);
                }
                None => {
                    if month == 12 {
                        (year, month) = (year + 1, 1);
                    } else {
                        month += 1;
                    }
                    (day, from) = (1, MIDNIGHT);
                }
            }
        }
    }

    /// The first time of day not before `from` that the time fields match.
    fn time_from(&self, from: (u32, u32, u32)) -> Option<(u32, u32, u32)> {
        let (from_hour, from_minute, from_second) = from;
        let mut hour = self.hours.next_from(from_hour)?;
        loop {
            let same_hour = hour == from_hour;
            let mut minute = self
                .minutes
                .next_from(if same_hour { from_minute } else { 0 });
            while let Some(m) = minute {
                let second_from = if same_hour && m == from_minute {
                    from_second
                } else {
                    0
                };
                if let Some(s) = self.seconds.next_from(second_from) {
                    return Some((hour, m, s));
                }
                minute = self.minutes.next_from(m + 1);
            }
            hour = self.hours.next_from(hour + 1)?;
        }
    }

    /// The days of `month` in `year` the day rule matches, bit `d` for day `d`.
    fn day_mask(&self, year: i64, month: u32) -> u64 {
        let last = days_in_month(year, month);
        let first_weekday = weekday(days_from_civil(year, month, 1));
        let weekday_of = |day: u32| (first_weekday - 1 + day - 1) % 7 + 1;
        let nearest_weekday = |day: u32| match weekday_of(day) {
            7 if day == 1 => 3,
            7 => day - 1,
            1 if day == last => day - 2,
            1 => day + 1,
            _ => day,
        };
        match self.days {
            Days::OfMonth(bits) => bits.0 & (((1u64 << last) - 1) << 1),
            Days::LastOfMonth { offset, weekday } => {
                if offset >= last {
                    return 0;
                }
                let day = last - offset;
                1 << if weekday { nearest_weekday(day) } else { day }
            }
            Days::NearestWeekday(day) if day <= last => 1 << nearest_weekday(day),
            Days::NearestWeekday(_) => 0,
            Days::OfWeek(bits) => (1..=last)
                .filter(|&day| bits.contains(weekday_of(day)))
                .fold(0, |mask, day| mask | 1 << day),
            Days::LastWeekday(wanted) => 1 << (last - (weekday_of(last) + 7 - wanted) % 7),
            Days::NthWeekday { weekday, nth } => {
                let day = 1 + (weekday + 7 - first_weekday) % 7 + 7 * (nth - 1);
                if day <= last { 1 << day } else { 0 }
            }
        }
    }
}

/// The day-of-month field (not `?`).
fn parse_day_of_month(field: &str) -> Result<Days, String> {
    const NAME: &str = "day-of-month";
    if !field.contains(['L', 'W']) {
        let values = DAY_OF_MONTH.values(field)?;
        return Ok(Days::OfMonth(Bits::of(&values)));
    }
    if field.contains(',') {
        return Err(format!(
            "{NAME}: 'L' and 'W' cannot be combined with other days in a list"
        ));
    }
    if let Some(rest) = field.strip_prefix('L') {
        let (rest, weekday) = match rest.strip_suffix('W') {
            Some(rest) => (rest, true),
            None => (rest, false),
        };
        let offset = if rest.is_empty() {
            0
        } else {
            match rest.strip_prefix('-').map(whole_number) {
                Some(Ok(n)) if n <= 30 => n as u32,
                _ => {
                    return Err(format!(
                        "{NAME}: '{field}' is not L, L-n (n up to 30), LW or L-nW"
                    ));
                }
            }
        };
        return Ok(Days::LastOfMonth { offset, weekday });
    }
    match field.strip_suffix('W').map(|day| DAY_OF_MONTH.value(day)) {
        Some(Ok(day)) => Ok(Days::NearestWeekday(day)),
        Some(Err(e)) => Err(format!(
            "{e} (in '{field}': 'W' follows one day, as in 15W)"
        )),
        None => Err(format!(
            "{NAME}: '{field}' is not L, L-n, LW, L-nW or a day followed by W (15W)"
        )),
    }
}

/// The day-of-week field (not `?`).
fn parse_day_of_week(field: &str) -> Result<Days, String> {
    const NAME: &str = "day-of-week";
    if field == "L" {
        // Quartz: 'L' alone is the last day of the week, Saturday.
        return Ok(Days::OfWeek(Bits::of(&[7])));
    }
    if field.contains(['#', 'L']) && field.contains(',') {
        return Err(format!(
            "{NAME}: 'L' and '#' cannot be combined with other days in a list"
        ));
    }
    if let Some((day, nth)) = field.split_once('#') {
        let weekday = DAY_OF_WEEK.value(day)?;
        return match whole_number(nth) {
            Ok(n) if (1..=5).contains(&n) => Ok(Days::NthWeekday {
                weekday,
                nth: n as u32,
            }),
            _ => Err(format!(
                "{NAME}: '#' must be followed by a number from 1 to 5 (as in 6#3)"
            )),
        };
    }
    if let Some(day) = field.strip_suffix('L') {
        return DAY_OF_WEEK.value(day).map(Days::LastWeekday);
    }
    Ok(Days::OfWeek(Bits::of(&DAY_OF_WEEK.values(field)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The instant an ISO 8601 date-time names (through the module's own parser,
    /// itself checked against literal numbers in `date_times`).
    fn at(text: &str) -> i64 {
        parse_date_time(text).expect("a valid date-time in a test")
    }

    /// Parses `text` as `kind`, which must succeed.
    fn schedule(kind: TimerKind, text: &str) -> Schedule {
        match parse(kind, text) {
            Ok(schedule) => schedule,
            Err(e) => panic!("{text}: {e}"),
        }
    }

    /// The reason `text` of `kind` is refused (it must be).
    fn refusal(kind: TimerKind, text: &str) -> String {
        match parse(kind, text) {
            Ok(schedule) => panic!("{text} was accepted as {schedule:?}"),
            Err(e) => e.reason().to_owned(),
        }
    }

    /// Formats an instant as ISO 8601, for readable failures.
    fn iso(ms: i64) -> String {
        let (y, m, d) = civil_from_days(ms.div_euclid(DAY_MS));
        let rest = ms.rem_euclid(DAY_MS);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
            rest / HOUR_MS,
            rest / MINUTE_MS % 60,
            rest / SECOND_MS % 60,
            rest % SECOND_MS
        )
    }

    /// The due times of a cycle created at `now`: `first`, then `next` until `None`,
    /// at most `limit` of them.
    fn firings(schedule: &Schedule, now: i64, limit: usize) -> Vec<String> {
        let mut due = schedule.first(now);
        let mut out = Vec::new();
        let mut count = 0;
        while let Some(t) = due {
            if out.len() == limit {
                break;
            }
            out.push(iso(t));
            count += 1;
            due = schedule.next(t, count);
        }
        out
    }

    /// The due times of a cron expression after `from`.
    fn cron_times(expression: &str, from: &str, count: usize) -> Vec<String> {
        firings(&schedule(TimerKind::Cycle, expression), at(from), count)
    }

    #[test]
    fn civil_dates_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(weekday(0), 5, "1970-01-01 was a Thursday");
        let mut expected = (1600, 1, 1);
        for days in days_from_civil(1600, 1, 1)..days_from_civil(2401, 1, 1) {
            assert_eq!(civil_from_days(days), expected);
            assert_eq!(days_from_civil(expected.0, expected.1, expected.2), days);
            expected = if expected.2 < days_in_month(expected.0, expected.1) {
                (expected.0, expected.1, expected.2 + 1)
            } else if expected.1 < 12 {
                (expected.0, expected.1 + 1, 1)
            } else {
                (expected.0 + 1, 1, 1)
            };
        }
        assert!(is_leap(2028) && is_leap(2000) && !is_leap(2100) && !is_leap(2026));
        assert_eq!(iso(min_instant()), "0001-01-01T00:00:00.000Z");
        assert_eq!(iso(max_instant()), "9999-12-31T23:59:59.999Z");
    }

    #[test]
    fn date_times() {
        let date = |text: &str| schedule(TimerKind::Date, text).first(0).unwrap();
        // 2026-01-01T00:00:00Z is 1 767 225 600 s after the epoch.
        assert_eq!(date("2026-01-01T00:00:00Z"), 1_767_225_600_000);
        assert_eq!(date("2026-01-01"), 1_767_225_600_000);
        assert_eq!(date("2026-01-01T00:00:00"), 1_767_225_600_000);
        assert_eq!(date("1970-01-01T00:00:00Z"), 0);
        assert_eq!(date("1969-12-31T23:59:59.999Z"), -1);
        assert_eq!(date("  2026-01-01T00:00:00Z\n"), 1_767_225_600_000);
        // 2026-03-01T10:15:30Z = 1 772 360 130 s.
        assert_eq!(date("2026-03-01T10:15:30Z"), 1_772_360_130_000);
        assert_eq!(date("2026-03-01T12:15:30+02:00"), 1_772_360_130_000);
        assert_eq!(date("2026-03-01T12:15:30+0200"), 1_772_360_130_000);
        assert_eq!(date("2026-03-01T12:15:30+02"), 1_772_360_130_000);
        assert_eq!(date("2026-03-01T05:15:30-05:00"), 1_772_360_130_000);
        assert_eq!(date("2026-03-01T15:45:30+05:30"), 1_772_360_130_000);
        assert_eq!(date("2026-03-01T10:15:30.250Z"), 1_772_360_130_250);
        assert_eq!(date("2026-03-01T10:15:30,5Z"), 1_772_360_130_500);
        assert_eq!(date("2026-03-01T10:15:30.123456789Z"), 1_772_360_130_123);
        assert_eq!(date("2026-03-01T10:15"), 1_772_360_100_000);
        assert_eq!(date("2026-03-01T10Z"), 1_772_359_200_000);
        assert_eq!(
            iso(date("2028-02-29T23:59:59Z")),
            "2028-02-29T23:59:59.000Z"
        );
        assert_eq!(
            iso(date("2026-01-01T01:00:00+02:00")),
            "2025-12-31T23:00:00.000Z"
        );
        assert_eq!(date("0001-01-01"), min_instant());
        assert_eq!(date("9999-12-31T23:59:59.999Z"), max_instant());
    }

    #[test]
    fn a_time_date_is_due_at_its_instant_even_when_past() {
        let s = schedule(TimerKind::Date, "2026-01-01T00:00:00Z");
        assert!(!s.repeats());
        assert_eq!(
            s.first(at("2025-06-01T00:00:00Z")),
            Some(at("2026-01-01T00:00:00Z"))
        );
        assert_eq!(
            s.first(at("2027-06-01T00:00:00Z")),
            Some(at("2026-01-01T00:00:00Z"))
        );
        assert_eq!(s.next(at("2026-01-01T00:00:00Z"), 1), None);
    }

    #[test]
    fn a_time_date_may_be_a_duration_as_in_camunda() {
        let s = schedule(TimerKind::Date, "PT1H");
        let now = at("2026-05-05T10:00:00Z");
        assert_eq!(s.first(now), Some(at("2026-05-05T11:00:00Z")));
        assert!(!s.repeats());
    }

    #[test]
    fn bad_date_times_are_refused() {
        for (text, says) in [
            ("", "empty"),
            ("tomorrow", "year"),
            ("2026-1-1", "month"),
            ("2026/01/01", "'-' after the year"),
            ("2026-02-30", "day 30 does not exist in 2026-02"),
            ("2026-02-29", "day 29 does not exist"),
            ("2026-13-01", "month 13 does not exist"),
            ("2026-00-10", "month 0"),
            ("2026-01-00", "day 0"),
            ("2026-01-01T24:00:00Z", "not a time of day"),
            ("2026-01-01T10:60", "not a time of day"),
            ("2026-01-01T10:00:60Z", "not a time of day"),
            ("2026-01-01T", "hour"),
            ("2026-01-01 10:00:00", "expected 'T'"),
            (
                "2026-01-01T10:00:00Zjunk",
                "unexpected 'j' after the offset",
            ),
            ("2026-01-01T10:00:00 Z", "unexpected ' '"),
            ("2026-01-01T10:00:00.Z", "decimal point"),
            ("2026-01-01T10:00:00+25:00", "offset"),
            ("2026-01-01T10:00:00+02:0", "offset's minutes"),
            ("2026-01-01T10:00:00+2", "offset's hours"),
            ("2026-01-01Z", "expected 'T'"),
            ("2026-01-01T10:0", "minutes"),
            ("2026-01-01T10:00:00ü", "unexpected 'ü'"),
            ("0000-06-01", "0000"),
            ("0000-06-01T00:00:00Z", "outside the years"),
            ("0001-01-01T00:00:00+01:00", "outside the years"),
            ("9999-12-31T23:00:00-02:00", "outside the years"),
        ] {
            let reason = refusal(TimerKind::Date, text);
            assert!(reason.contains(says), "{text}: {reason}");
        }
        let e = parse(TimerKind::Date, "2026-02-30").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid timeDate '2026-02-30': day 30 does not exist in 2026-02"
        );
    }

    #[test]
    fn durations() {
        let from = |text: &str, now: &str| {
            let s = schedule(TimerKind::Duration, text);
            assert!(!s.repeats());
            assert_eq!(s.next(at(now), 1), None);
            iso(s.first(at(now)).unwrap())
        };
        let now = "2026-03-10T08:30:00Z";
        assert_eq!(from("PT10M", now), "2026-03-10T08:40:00.000Z");
        assert_eq!(from("PT36H", now), "2026-03-11T20:30:00.000Z");
        assert_eq!(from("P1D", now), "2026-03-11T08:30:00.000Z");
        assert_eq!(from("P2W", now), "2026-03-24T08:30:00.000Z");
        assert_eq!(from("PT1.5S", now), "2026-03-10T08:30:01.500Z");
        assert_eq!(from("PT0,001S", now), "2026-03-10T08:30:00.001Z");
        assert_eq!(from("PT90M", now), "2026-03-10T10:00:00.000Z");
        assert_eq!(from("P0D", now), "2026-03-10T08:30:00.000Z");
        assert_eq!(from("P1DT2H3M4S", now), "2026-03-11T10:33:04.000Z");
        assert_eq!(from(" PT5M ", now), "2026-03-10T08:35:00.000Z");
        // Camunda's DurationHelperTest: from 1970-01-01.
        let epoch = "1970-01-01T00:00:00Z";
        assert_eq!(
            from("P1Y5M21DT19H47M55S", epoch),
            "1971-06-22T19:47:55.000Z"
        );
        assert_eq!(from("P2W", epoch), "1970-01-15T00:00:00.000Z");
        assert_eq!(from("P4W", epoch), "1970-01-29T00:00:00.000Z");
        assert_eq!(from("P5W", epoch), "1970-02-05T00:00:00.000Z");
        assert_eq!(from("P22W", epoch), "1970-06-04T00:00:00.000Z");
    }

    /// Camunda reads a `timeDuration` with its `DurationHelper`, which also reads
    /// repeating intervals and intervals with a start or an end: the timer is due once,
    /// at `getDateAfter(now)`, and never repeats (only a cycle timer gets a repeat).
    #[test]
    fn a_time_duration_reads_every_interval_camundas_duration_helper_reads() {
        let now = "2026-03-10T08:30:00Z";
        let from = |text: &str| {
            let s = schedule(TimerKind::Duration, text);
            assert!(!s.repeats(), "{text} repeats");
            let first = s.first(at(now)).unwrap();
            assert_eq!(s.next(first, 1), None, "{text} fires again");
            iso(first)
        };
        // The JavaScript client's order example: wait five seconds, once.
        assert_eq!(from("R10/PT5S"), "2026-03-10T08:30:05.000Z");
        assert_eq!(from("R/PT5S"), "2026-03-10T08:30:05.000Z");
        assert_eq!(from("R1/PT1H"), "2026-03-10T09:30:00.000Z");
        // No repetition: no candidate ahead, so Camunda's job has no due date and runs at once.
        assert_eq!(from("R0/PT5S"), "2026-03-10T08:30:00.000Z");
        // With a start or an end: the first candidate strictly after now, as in a cycle.
        assert_eq!(
            from("R3/2026-03-10T09:00:00Z/PT1H"),
            "2026-03-10T09:00:00.000Z"
        );
        assert_eq!(
            from("R3/2026-03-10T06:00:00Z/PT1H"),
            "2026-03-10T09:00:00.000Z"
        );
        assert_eq!(
            from("R2/2026-03-10T06:00:00Z/PT1H"),
            "2026-03-10T08:30:00.000Z"
        );
        assert_eq!(
            from("R3/PT1H/2026-03-10T12:00:00Z"),
            "2026-03-10T09:00:00.000Z"
        );
        // Without R: the end if there is one (DurationHelper: "TODO: is this correct?"),
        // else the start plus the period.
        assert_eq!(
            from("PT1H/2026-03-10T12:00:00Z"),
            "2026-03-10T12:00:00.000Z"
        );
        assert_eq!(
            from("2026-03-10T12:00:00Z/PT1H"),
            "2026-03-10T13:00:00.000Z"
        );
        assert_eq!(
            from("2026-03-10T12:00:00Z/2026-03-10T14:00:00Z"),
            "2026-03-10T14:00:00.000Z"
        );
        // In the past: overdue, it fires at once.
        assert_eq!(
            from("2026-03-01T00:00:00Z/PT1H"),
            "2026-03-01T01:00:00.000Z"
        );

        for (text, says) in [
            ("2026-03-10T12:00:00Z", "use a timeDate"),
            ("PT1H/PT2H", "two durations"),
            ("PT1H/2026-03-10T12:00:00Z/PT2H", "at most two parts"),
            ("R3/PT0S", "must not be zero"),
            ("R3/", "is not a period"),
            ("Rx/PT1M", "repetition count"),
            ("PT1H/tomorrow", "expected 4 digits of the year"),
            ("9999-12-31T23:00:00Z/PT2H", "outside the years"),
        ] {
            let reason = refusal(TimerKind::Duration, text);
            assert!(reason.contains(says), "{text}: {reason}");
        }
    }

    /// Deployment schedules a timer start event at once, and refuses it if it never
    /// falls due; so no accepted text may leave the years 1 to 9999 for a timer
    /// created before the year 9000.
    #[test]
    fn an_accepted_period_is_due_within_the_calendar() {
        let late = at("8999-12-31T23:59:59.999Z");
        for text in ["P1000Y", "P12000M", "P365000DT23H59M59.999S", "R/P1000Y"] {
            for kind in [TimerKind::Date, TimerKind::Duration] {
                if kind == TimerKind::Date && text.starts_with('R') {
                    continue;
                }
                let s = schedule(kind, text);
                assert!(s.first(late).is_some(), "{kind} {text}");
            }
        }
        for text in ["P1001Y", "P12012M", "P366001D"] {
            let reason = refusal(TimerKind::Duration, text);
            assert!(
                reason.contains("longer than 1000 years"),
                "{text}: {reason}"
            );
        }
    }

    #[test]
    fn a_time_date_is_no_interval() {
        let reason = refusal(TimerKind::Date, "R10/PT5S");
        assert!(reason.contains("timeCycle"), "{reason}");
    }

    #[test]
    fn months_and_years_are_calendar_months_clamped_to_the_month_end() {
        let from = |text: &str, now: &str| {
            iso(schedule(TimerKind::Duration, text).first(at(now)).unwrap())
        };
        assert_eq!(
            from("P1M", "2026-01-31T12:00:00Z"),
            "2026-02-28T12:00:00.000Z"
        );
        assert_eq!(
            from("P1M", "2028-01-31T12:00:00Z"),
            "2028-02-29T12:00:00.000Z"
        );
        assert_eq!(
            from("P1M", "2026-03-31T00:00:00Z"),
            "2026-04-30T00:00:00.000Z"
        );
        assert_eq!(
            from("P1M", "2026-12-15T06:00:00Z"),
            "2027-01-15T06:00:00.000Z"
        );
        assert_eq!(
            from("P2M", "2025-12-31T00:00:00Z"),
            "2026-02-28T00:00:00.000Z"
        );
        assert_eq!(
            from("P13M", "2026-01-31T00:00:00Z"),
            "2027-02-28T00:00:00.000Z"
        );
        assert_eq!(
            from("P1Y", "2028-02-29T09:00:00Z"),
            "2029-02-28T09:00:00.000Z"
        );
        assert_eq!(
            from("P4Y", "2028-02-29T09:00:00Z"),
            "2032-02-29T09:00:00.000Z"
        );
        // Years, then months, each clamped (Duration.addTo): not 13 months at once.
        assert_eq!(
            from("P1Y1M", "2028-02-29T00:00:00Z"),
            "2029-03-28T00:00:00.000Z"
        );
        assert_eq!(
            from("P13M", "2028-02-29T00:00:00Z"),
            "2029-03-29T00:00:00.000Z"
        );
        // Months, then days.
        assert_eq!(
            from("P1M1D", "2026-01-31T00:00:00Z"),
            "2026-03-01T00:00:00.000Z"
        );
        assert_eq!(
            from("P1Y", "2027-02-28T00:00:00Z"),
            "2028-02-28T00:00:00.000Z"
        );
    }

    #[test]
    fn bad_durations_are_refused() {
        for (text, says) in [
            ("", "empty"),
            ("P", "no parts"),
            ("PT", "'T' must be followed"),
            ("P1DT", "'T' must be followed"),
            ("1D", "must start with 'P'"),
            ("5 minutes", "must start with 'P'"),
            ("P1H", "must follow a 'T'"),
            ("PT1D", "before the 'T'"),
            ("P1.5D", "only the seconds"),
            ("PT1.5M", "only the seconds"),
            ("P-1D", "expected a number at '-'"),
            ("P1M1Y", "out of order"),
            ("P1Y1Y", "out of order"),
            ("PT1S1M", "out of order"),
            ("PT1H2", "has no unit"),
            ("PT5M junk", "expected a number at ' '"),
            ("PT5X", "unexpected 'X'"),
            ("PT1.S", "decimal point"),
            ("PTT1H", "twice"),
            ("P1DTT", "twice"),
            ("P99999999999Y", "too large"),
            ("P2000Y", "longer than 1000 years"),
            ("P999999999W", "longer than 1000 years"),
            ("P366001D", "longer than 1000 years"),
            ("pt5m", "must start with 'P'"),
        ] {
            let reason = refusal(TimerKind::Duration, text);
            assert!(reason.contains(says), "{text}: {reason}");
        }
        let e = parse(TimerKind::Duration, "PT").unwrap_err();
        assert!(
            e.to_string().starts_with("invalid timeDuration 'PT': "),
            "{e}"
        );
    }

    #[test]
    fn a_counted_cycle_fires_that_many_times_from_its_creation() {
        let s = schedule(TimerKind::Cycle, "R3/PT10M");
        assert!(s.repeats());
        assert_eq!(
            firings(&s, at("2026-01-01T12:00:00.500Z"), 10),
            [
                "2026-01-01T12:10:00.500Z",
                "2026-01-01T12:20:00.500Z",
                "2026-01-01T12:30:00.500Z"
            ]
        );
        // Camunda's DurationHelperTest.shouldNotExceedNumber: R2/PT10S created at 0.
        let s = schedule(TimerKind::Cycle, "R2/PT10S");
        assert_eq!(s.first(0), Some(10_000));
        assert_eq!(s.next(10_000, 1), Some(20_000));
        assert_eq!(s.next(20_000, 2), None);
        // One repetition: fires once.
        let s = schedule(TimerKind::Cycle, "R1/P1D");
        assert_eq!(
            firings(&s, at("2026-01-01T00:00:00Z"), 10),
            ["2026-01-02T00:00:00.000Z"]
        );
    }

    #[test]
    fn an_unbounded_cycle_never_ends() {
        let s = schedule(TimerKind::Cycle, "R/PT1H");
        let now = at("2026-01-01T00:00:00Z");
        assert_eq!(s.first(now), Some(at("2026-01-01T01:00:00Z")));
        assert_eq!(s.next(now, u32::MAX), Some(at("2026-01-01T01:00:00Z")));
        assert_eq!(firings(&s, now, 50).len(), 50);
        // Calendar months repeat from the clamped date, as Camunda adds them one by one.
        let s = schedule(TimerKind::Cycle, "R/P1M");
        assert_eq!(
            firings(&s, at("2026-01-31T08:00:00Z"), 3),
            [
                "2026-02-28T08:00:00.000Z",
                "2026-03-28T08:00:00.000Z",
                "2026-04-28T08:00:00.000Z"
            ]
        );
    }

    #[test]
    fn a_cycle_of_no_repetitions_is_due_at_once_and_only_once() {
        let s = schedule(TimerKind::Cycle, "R0/PT1M");
        let now = at("2026-01-01T00:00:00Z");
        assert_eq!(s.first(now), Some(now));
        assert_eq!(s.next(now, 1), None);
    }

    #[test]
    fn a_cycle_with_a_future_start_fires_at_the_start_and_n_times_more() {
        let s = schedule(TimerKind::Cycle, "R3/2026-01-01T00:00:00Z/P1D");
        assert_eq!(
            firings(&s, at("2025-12-31T12:00:00Z"), 10),
            [
                "2026-01-01T00:00:00.000Z",
                "2026-01-02T00:00:00.000Z",
                "2026-01-03T00:00:00.000Z",
                "2026-01-04T00:00:00.000Z"
            ]
        );
        // Camunda's DurationHelperTest with a start date equal to the creation time.
        let s = schedule(TimerKind::Cycle, "R2/1970-01-01T00:00:00Z/PT10S");
        assert_eq!(s.first(0), Some(10_000), "strictly after the creation");
        assert_eq!(s.first(15_000), Some(20_000));
        assert_eq!(s.next(20_000, 2), None);
    }

    #[test]
    fn a_cycle_with_a_past_start_skips_what_is_gone() {
        let s = schedule(TimerKind::Cycle, "R3/2026-01-01T00:00:00Z/P1D");
        assert_eq!(
            firings(&s, at("2026-01-02T06:00:00Z"), 10),
            ["2026-01-03T00:00:00.000Z", "2026-01-04T00:00:00.000Z"]
        );
        assert_eq!(
            firings(&s, at("2026-01-01T00:00:00Z"), 10),
            [
                "2026-01-02T00:00:00.000Z",
                "2026-01-03T00:00:00.000Z",
                "2026-01-04T00:00:00.000Z"
            ]
        );
        // All repetitions past: due at once (Camunda: a job without due date), once.
        let now = at("2026-02-01T00:00:00Z");
        assert_eq!(s.first(now), Some(now));
        assert_eq!(s.next(now, 1), None);
        // Unbounded: the next one after now, computed without stepping through them.
        let s = schedule(TimerKind::Cycle, "R/2026-01-01T00:00:00Z/P1D");
        assert_eq!(
            iso(s.first(at("2026-03-15T10:00:00Z")).unwrap()),
            "2026-03-16T00:00:00.000Z"
        );
        assert_eq!(
            iso(s.first(at("9999-12-30T10:00:00Z")).unwrap()),
            "9999-12-31T00:00:00.000Z"
        );
        let s = schedule(TimerKind::Cycle, "R/1970-01-01T00:00:00Z/PT1S");
        assert_eq!(
            s.first(at("2026-01-01T00:00:00.500Z")),
            Some(at("2026-01-01T00:00:01Z"))
        );
        // Calendar periods step from the start, clamping as they go.
        let s = schedule(TimerKind::Cycle, "R/2026-01-31T00:00:00Z/P1M");
        assert_eq!(
            firings(&s, at("2026-01-01T00:00:00Z"), 4),
            [
                "2026-01-31T00:00:00.000Z",
                "2026-02-28T00:00:00.000Z",
                "2026-03-28T00:00:00.000Z",
                "2026-04-28T00:00:00.000Z"
            ]
        );
        assert_eq!(
            iso(s.first(at("2026-05-01T00:00:00Z")).unwrap()),
            "2026-05-28T00:00:00.000Z"
        );
        let s = schedule(TimerKind::Cycle, "R2/2026-01-31T00:00:00Z/P1M");
        assert_eq!(
            iso(s.first(at("2026-03-01T00:00:00Z")).unwrap()),
            "2026-03-28T00:00:00.000Z"
        );
        assert_eq!(s.next(at("2026-03-28T00:00:00Z"), 1), None);
    }

    #[test]
    fn a_cycle_with_start_and_end_repeats_their_distance() {
        // Camunda's DurationHelperTest.shouldNotExceedNumberPeriods.
        let s = schedule(
            TimerKind::Cycle,
            "R2/1970-01-01T00:00:00Z/1970-01-01T00:00:10Z",
        );
        assert_eq!(s.first(15_000), Some(20_000));
        assert_eq!(s.next(20_000, 1), None);
        let s = schedule(
            TimerKind::Cycle,
            "R/2026-01-01T00:00:00Z/2026-01-01T06:00:00Z",
        );
        assert_eq!(
            firings(&s, at("2026-01-01T07:00:00Z"), 2),
            ["2026-01-01T12:00:00.000Z", "2026-01-01T18:00:00.000Z"]
        );
    }

    #[test]
    fn a_cycle_with_an_end_counts_back_from_it() {
        let s = schedule(TimerKind::Cycle, "R2/PT1M/2026-01-01T00:10:00Z");
        assert_eq!(
            firings(&s, at("2026-01-01T00:00:00Z"), 10),
            [
                "2026-01-01T00:08:00.000Z",
                "2026-01-01T00:09:00.000Z",
                "2026-01-01T00:10:00.000Z"
            ]
        );
        assert_eq!(
            firings(&s, at("2026-01-01T00:08:30Z"), 10),
            ["2026-01-01T00:09:00.000Z", "2026-01-01T00:10:00.000Z"]
        );
        let after_end = at("2026-01-01T00:10:00Z");
        assert_eq!(s.first(after_end), Some(after_end));
        assert_eq!(s.next(after_end, 1), None);
        // Camunda's DurationHelperTest.shouldNotExceedNumberNegative.
        let s = schedule(TimerKind::Cycle, "R2/PT10S/1970-01-01T00:00:50Z");
        assert_eq!(s.first(20_000), Some(30_000));
        assert_eq!(s.first(35_000), Some(40_000));
        // Unbounded, far back.
        let s = schedule(TimerKind::Cycle, "R/PT1H/2026-01-01T00:00:00Z");
        assert_eq!(
            iso(s.first(at("2025-06-01T00:30:00Z")).unwrap()),
            "2025-06-01T01:00:00.000Z"
        );
        assert_eq!(s.first(i64::MIN), Some(min_instant()));
        // Calendar periods step back from the end, clamping as they go.
        let s = schedule(TimerKind::Cycle, "R3/P1M/2026-03-31T00:00:00Z");
        assert_eq!(
            firings(&s, at("2025-01-01T00:00:00Z"), 10),
            [
                "2025-12-28T00:00:00.000Z",
                "2026-01-28T00:00:00.000Z",
                "2026-02-28T00:00:00.000Z",
                "2026-03-31T00:00:00.000Z"
            ]
        );
    }

    #[test]
    fn bad_cycles_are_refused() {
        for (text, says) in [
            ("", "empty"),
            ("R-1/PT1M", "whole number of 0 or more"),
            ("RX/PT1M", "whole number"),
            ("R1.5/PT1M", "whole number"),
            ("R99999999999/PT1M", "too large"),
            ("R3", "2 or 3 parts"),
            ("R3/", "not a period"),
            ("R3/P", "no parts"),
            ("R3/PT", "'T' must be followed"),
            ("R3/PT0S", "must not be zero"),
            ("R/P0D", "must not be zero"),
            ("R3/PT1M/PT1M", "two periods"),
            ("R3/2026-01-01T00:00:00Z", "not a period"),
            (
                "R3/2026-01-02T00:00:00Z/2026-01-01T00:00:00Z",
                "end must come after",
            ),
            (
                "R3/2026-01-01T00:00:00Z/2026-01-01T00:00:00Z",
                "end must come after",
            ),
            ("R3/2026-02-30T00:00:00Z/P1D", "day 30"),
            ("R3/PT1M/2026-01-01T00:00:00Z/PT1M", "2 or 3 parts"),
            ("R3/PT1M/x", "year"),
            ("R/PT1H/0000-01-01T00:00:00Z", "outside the years"),
            ("PT5M", "R/PT5M"),
            ("R3 / PT1M", "whole number"),
        ] {
            let reason = refusal(TimerKind::Cycle, text);
            assert!(reason.contains(says), "{text}: {reason}");
        }
    }

    #[test]
    fn cron_daily_at_noon() {
        assert_eq!(
            cron_times("0 0 12 * * ?", "2026-03-10T11:59:59.999Z", 3),
            [
                "2026-03-10T12:00:00.000Z",
                "2026-03-11T12:00:00.000Z",
                "2026-03-12T12:00:00.000Z"
            ]
        );
        // Strictly after: at noon exactly, the next is tomorrow's.
        assert_eq!(
            cron_times("0 0 12 * * ?", "2026-03-10T12:00:00Z", 1),
            ["2026-03-11T12:00:00.000Z"]
        );
        // At whole seconds, the first after the second that holds `now`.
        assert_eq!(
            cron_times("* * * * * ?", "2026-03-10T12:00:00.400Z", 2),
            ["2026-03-10T12:00:01.000Z", "2026-03-10T12:00:02.000Z"]
        );
        assert!(schedule(TimerKind::Cycle, "0 0 12 * * ?").repeats());
    }

    #[test]
    fn cron_weekdays() {
        // 2026-03-13 is a Friday.
        assert_eq!(
            cron_times("0 15 10 ? * MON-FRI", "2026-03-13T11:00:00Z", 3),
            [
                "2026-03-16T10:15:00.000Z",
                "2026-03-17T10:15:00.000Z",
                "2026-03-18T10:15:00.000Z"
            ]
        );
        assert_eq!(
            cron_times("0 15 10 ? * 2-6", "2026-03-13T10:00:00Z", 2),
            ["2026-03-13T10:15:00.000Z", "2026-03-16T10:15:00.000Z"]
        );
        // Wrapping around the week: Friday to Monday.
        assert_eq!(
            cron_times("0 0 9 ? * fri-mon", "2026-03-12T00:00:00Z", 5),
            [
                "2026-03-13T09:00:00.000Z",
                "2026-03-14T09:00:00.000Z",
                "2026-03-15T09:00:00.000Z",
                "2026-03-16T09:00:00.000Z",
                "2026-03-20T09:00:00.000Z"
            ]
        );
        // 'L' alone in day-of-week is Saturday.
        assert_eq!(
            cron_times("0 0 0 ? * L", "2026-03-12T00:00:00Z", 1),
            ["2026-03-14T00:00:00.000Z"]
        );
        assert_eq!(
            cron_times("0 0 0 ? * SUN,SAT", "2026-03-12T00:00:00Z", 3),
            [
                "2026-03-14T00:00:00.000Z",
                "2026-03-15T00:00:00.000Z",
                "2026-03-21T00:00:00.000Z"
            ]
        );
    }

    #[test]
    fn cron_steps_and_ranges() {
        assert_eq!(
            cron_times("0 0/5 14 * * ?", "2026-03-10T14:07:00Z", 2),
            ["2026-03-10T14:10:00.000Z", "2026-03-10T14:15:00.000Z"]
        );
        assert_eq!(
            cron_times("0 0/5 14 * * ?", "2026-03-10T14:55:00Z", 1),
            ["2026-03-11T14:00:00.000Z"]
        );
        assert_eq!(
            cron_times("0 */20 * * * ?", "2026-03-10T23:50:00Z", 2),
            ["2026-03-11T00:00:00.000Z", "2026-03-11T00:20:00.000Z"]
        );
        assert_eq!(
            cron_times("0 10-30/10 8 * * ?", "2026-03-10T08:15:00Z", 3),
            [
                "2026-03-10T08:20:00.000Z",
                "2026-03-10T08:30:00.000Z",
                "2026-03-11T08:10:00.000Z"
            ]
        );
        assert_eq!(
            cron_times("30 0 22-2 * * ?", "2026-03-10T21:00:00Z", 6),
            [
                "2026-03-10T22:00:30.000Z",
                "2026-03-10T23:00:30.000Z",
                "2026-03-11T00:00:30.000Z",
                "2026-03-11T01:00:30.000Z",
                "2026-03-11T02:00:30.000Z",
                "2026-03-11T22:00:30.000Z"
            ]
        );
        assert_eq!(
            cron_times("0 0 0 1 JAN-MAR,dec ?", "2026-03-10T00:00:00Z", 3),
            [
                "2026-12-01T00:00:00.000Z",
                "2027-01-01T00:00:00.000Z",
                "2027-02-01T00:00:00.000Z"
            ]
        );
        // Quartz's '/n' alone is '*/n'.
        assert_eq!(
            cron_times("/30 * * * * ?", "2026-03-10T00:00:10Z", 2),
            ["2026-03-10T00:00:30.000Z", "2026-03-10T00:01:00.000Z"]
        );
        // Camunda's CycleBusinessCalendarTest, from 2010-02-11 17:23.
        let from = "2010-02-11T17:23:00Z";
        assert_eq!(
            cron_times("0 0 * * * ?", from, 1),
            ["2010-02-11T18:00:00.000Z"]
        );
        assert_eq!(
            cron_times("0 0 8-10 * * ?", from, 1),
            ["2010-02-12T08:00:00.000Z"]
        );
        assert_eq!(
            cron_times("0 0/30 8-10 * * ?", from, 1),
            ["2010-02-12T08:00:00.000Z"]
        );
        assert_eq!(
            cron_times("0 0 9-17 * * ?", from, 1),
            ["2010-02-12T09:00:00.000Z"]
        );
        assert_eq!(
            cron_times("0 0 0 25 12 ?", from, 1),
            ["2010-12-25T00:00:00.000Z"]
        );
        assert_eq!(
            cron_times("0 0 0 L 12 ?", from, 1),
            ["2010-12-31T00:00:00.000Z"]
        );
        assert_eq!(
            cron_times("0 0 6,19 * * ?", from, 1),
            ["2010-02-11T19:00:00.000Z"]
        );
        assert_eq!(
            cron_times("0 0 0 ? * 5L", from, 1),
            ["2010-02-25T00:00:00.000Z"]
        );
        assert_eq!(
            cron_times("0 0 0 ? * 6#2", from, 1),
            ["2010-02-12T00:00:00.000Z"]
        );
        assert_eq!(
            cron_times("0 0 0 1W * ?", from, 1),
            ["2010-03-01T00:00:00.000Z"]
        );
    }

    #[test]
    fn cron_last_day_of_the_month() {
        assert_eq!(
            cron_times("0 15 10 L * ?", "2026-02-10T00:00:00Z", 3),
            [
                "2026-02-28T10:15:00.000Z",
                "2026-03-31T10:15:00.000Z",
                "2026-04-30T10:15:00.000Z"
            ]
        );
        assert_eq!(
            cron_times("0 15 10 L * ?", "2028-02-10T00:00:00Z", 1),
            ["2028-02-29T10:15:00.000Z"]
        );
        assert_eq!(
            cron_times("0 15 10 L * ?", "2026-02-28T11:00:00Z", 1),
            ["2026-03-31T10:15:00.000Z"]
        );
        // Camunda's CycleBusinessCalendarTest (L-n).
        let from = "2025-02-14T12:00:00Z";
        assert_eq!(
            cron_times("0 37 14 L-22 * ?", from, 1),
            ["2025-03-09T14:37:00.000Z"]
        );
        assert_eq!(
            cron_times("0 23 8 L-2 * ?", from, 1),
            ["2025-02-26T08:23:00.000Z"]
        );
        assert_eq!(
            cron_times("0 37 8 L-1 * ?", from, 1),
            ["2025-02-27T08:37:00.000Z"]
        );
        assert_eq!(
            cron_times("0 0 12 L-15 * ?", from, 1),
            ["2025-03-16T12:00:00.000Z"]
        );
        assert_eq!(
            cron_times("0 0 12 L-27 * ?", from, 1),
            ["2025-03-04T12:00:00.000Z"]
        );
        assert_eq!(
            cron_times("0 15 10 L-3 2 ?", "2000-02-26T10:00:00Z", 1),
            ["2000-02-26T10:15:00.000Z"]
        );
        assert_eq!(
            cron_times("0 15 10 L-3 2 ?", "2000-02-27T10:00:00Z", 1),
            ["2001-02-25T10:15:00.000Z"]
        );
        // L-30 only exists in 31-day months.
        assert_eq!(
            cron_times("0 0 0 L-30 * ?", "2026-02-10T00:00:00Z", 2),
            ["2026-03-01T00:00:00.000Z", "2026-05-01T00:00:00.000Z"]
        );
        // The last weekday: 2026-05-31 is a Sunday, 2026-10-31 a Saturday.
        assert_eq!(
            cron_times("0 0 18 LW 5,10 ?", "2026-01-01T00:00:00Z", 2),
            ["2026-05-29T18:00:00.000Z", "2026-10-30T18:00:00.000Z"]
        );
    }

    #[test]
    fn cron_last_and_nth_weekday_of_the_month() {
        // Last Fridays: 2026-03-27, 2026-04-24, 2026-05-29.
        assert_eq!(
            cron_times("0 15 10 ? * 6L", "2026-03-01T00:00:00Z", 3),
            [
                "2026-03-27T10:15:00.000Z",
                "2026-04-24T10:15:00.000Z",
                "2026-05-29T10:15:00.000Z"
            ]
        );
        assert_eq!(
            cron_times("0 15 10 ? * FRIL", "2026-03-27T10:15:00Z", 1),
            ["2026-04-24T10:15:00.000Z"]
        );
        // Third Fridays: 2026-03-20, 2026-04-17, 2026-05-15.
        assert_eq!(
            cron_times("0 15 10 ? * 6#3", "2026-03-01T00:00:00Z", 3),
            [
                "2026-03-20T10:15:00.000Z",
                "2026-04-17T10:15:00.000Z",
                "2026-05-15T10:15:00.000Z"
            ]
        );
        // A fifth Monday: 2026-03-30, then 2026-06-29.
        assert_eq!(
            cron_times("0 0 0 ? * MON#5", "2026-03-01T00:00:00Z", 2),
            ["2026-03-30T00:00:00.000Z", "2026-06-29T00:00:00.000Z"]
        );
        // The first Sunday when the month starts on one: 2026-03-01.
        assert_eq!(
            cron_times("0 0 0 ? * 1#1", "2026-02-28T00:00:00Z", 1),
            ["2026-03-01T00:00:00.000Z"]
        );
    }

    #[test]
    fn cron_nearest_weekday() {
        // 2026-08-15 is a Saturday: Friday the 14th. 2026-11-15 is a Sunday: Monday
        // the 16th. 2026-09-15 is a Tuesday.
        assert_eq!(
            cron_times("0 0 12 15W * ?", "2026-08-01T00:00:00Z", 4),
            [
                "2026-08-14T12:00:00.000Z",
                "2026-09-15T12:00:00.000Z",
                "2026-10-15T12:00:00.000Z",
                "2026-11-16T12:00:00.000Z"
            ]
        );
        // 2027-05-01 is a Saturday: not back into April, but Monday the 3rd.
        assert_eq!(
            cron_times("0 0 12 1W 5 ?", "2027-01-01T00:00:00Z", 1),
            ["2027-05-03T12:00:00.000Z"]
        );
        // 2026-05-31 is a Sunday: not on into June, but Friday the 29th.
        assert_eq!(
            cron_times("0 0 12 31W 5 ?", "2026-01-01T00:00:00Z", 1),
            ["2026-05-29T12:00:00.000Z"]
        );
        // 31W fires only in months with a 31st.
        assert_eq!(
            cron_times("0 0 12 31W * ?", "2026-04-01T00:00:00Z", 1),
            ["2026-05-29T12:00:00.000Z"]
        );
    }

    #[test]
    fn cron_years_and_leap_days() {
        let s = schedule(TimerKind::Cycle, "0 0 0 1 1 ? 2030");
        assert_eq!(
            firings(&s, at("2026-06-01T00:00:00Z"), 5),
            ["2030-01-01T00:00:00.000Z"]
        );
        // Never again: due at once, as Camunda runs a timer without due date, once.
        let now = at("2031-01-01T00:00:00Z");
        assert_eq!(s.first(now), Some(now));
        assert_eq!(s.next(now, 1), None);
        assert_eq!(
            cron_times("0 0 0 29 2 ?", "2026-01-01T00:00:00Z", 3),
            [
                "2028-02-29T00:00:00.000Z",
                "2032-02-29T00:00:00.000Z",
                "2036-02-29T00:00:00.000Z"
            ]
        );
        // 2100 is no leap year.
        assert_eq!(
            cron_times("0 0 0 29 2 ?", "2096-03-01T00:00:00Z", 1),
            ["2104-02-29T00:00:00.000Z"]
        );
        assert_eq!(
            cron_times("0 0 0 1 1 ? 2028-2040/4", "2026-01-01T00:00:00Z", 10),
            [
                "2028-01-01T00:00:00.000Z",
                "2032-01-01T00:00:00.000Z",
                "2036-01-01T00:00:00.000Z",
                "2040-01-01T00:00:00.000Z"
            ]
        );
        assert_eq!(
            cron_times("0 0 0 1 1 ? *", "2026-01-01T00:00:00Z", 1),
            ["2027-01-01T00:00:00.000Z"]
        );
        // Evaluation ends with 2299, and starts with 1970.
        assert_eq!(
            cron_times("59 59 23 31 12 ?", "2299-12-31T23:59:58Z", 5),
            ["2299-12-31T23:59:59.000Z"]
        );
        assert_eq!(
            cron_times("0 0 0 1 1 ?", "1900-06-01T00:00:00Z", 1),
            ["1970-01-01T00:00:00.000Z"]
        );
        // Never matches: gives up (quickly) rather than looping.
        let s = schedule(TimerKind::Cycle, "0 0 0 30 2 ?");
        assert_eq!(s.next(0, 1), None);
        let s = schedule(TimerKind::Cycle, "0 0 0 ? 2 2#5 2027");
        assert_eq!(s.next(0, 1), None);
    }

    #[test]
    fn bad_cron_expressions_are_refused() {
        for (text, says) in [
            ("0 0 12 * *", "5 fields"),
            ("0 0 12", "3 fields"),
            ("0 0 12 * * ? 2030 1", "8 fields"),
            ("0 60 12 * * ?", "minutes: 60 is out of range 0-59"),
            ("60 0 12 * * ?", "seconds: 60"),
            ("0 0 24 * * ?", "hours: 24"),
            ("0 0 0 32 * ?", "day-of-month: 32"),
            ("0 0 0 0 * ?", "day-of-month: 0"),
            ("0 0 0 1 13 ?", "month: 13 is out of range 1-12"),
            ("0 0 0 1 0 ?", "month: 0"),
            ("0 0 0 ? * 8", "day-of-week: 8"),
            ("0 0 0 ? * 0", "day-of-week: 0"),
            ("0 0 12 * * *", "must be '?'"),
            ("0 0 12 1 * MON", "must be '?'"),
            ("0 0 12 ? * ?", "only one"),
            ("? 0 12 * * ?", "'?' is only allowed"),
            ("0 0 0 1 1 ? ?", "'?' is only allowed"),
            ("0 0 0 L,15 * ?", "cannot be combined"),
            ("0 0 0 15W,20 * ?", "cannot be combined"),
            ("0 0 0 ? * 6L,2", "cannot be combined"),
            ("0 0 0 ? * 6#3,2", "cannot be combined"),
            ("0 0 0 ? * 6#6", "1 to 5"),
            ("0 0 0 ? * 6#0", "1 to 5"),
            ("0 0 0 ? * 6#", "1 to 5"),
            ("0 0 0 ? * 6#3#2", "1 to 5"),
            ("0 0 0 ? * #3", "value is missing"),
            ("0 0 0 ? * 9L", "day-of-week: 9"),
            ("0 0 0 32W * ?", "day-of-month: 32"),
            ("0 0 0 1-5W * ?", "day-of-month"),
            ("0 0 0 W * ?", "value is missing"),
            ("0 0 0 L-31 * ?", "L-n"),
            ("0 0 0 L-x * ?", "L-n"),
            ("0 0 0 LX * ?", "L-n"),
            ("0 0 0 5L * ?", "'5L' is not"),
            (
                "*/0 * * * * ?",
                "step in '*/0' must be a number from 1 to 59",
            ),
            ("*/60 * * * * ?", "from 1 to 59"),
            ("0 0 */24 * * ?", "from 1 to 23"),
            ("0 0 0 1 1 ? 1969", "year: 1969 is out of range 1970-2299"),
            ("0 0 0 1 1 ? 2300", "year: 2300"),
            ("0 0 0 1 1 ? 2040-2030", "runs backwards"),
            (
                "0 0 0 1 FOO ?",
                "month: 'FOO' is not a number or a name such as JAN",
            ),
            ("0 0 0 ? * MONDAY", "'MONDAY' is not a number"),
            ("0 0 0 ? JANUARY MON", "'JANUARY'"),
            ("0 0 0 1 * ? X", "year: 'X' is not a number"),
            ("0 0 12- * * ?", "value is missing"),
            ("0 0 -3 * * ?", "value is missing"),
            ("0 0 1-2-3 * * ?", "'2-3' is not a number"),
            ("0 0 1,,2 * * ?", "empty list item"),
            ("0 0 1, * * ?", "empty list item"),
            ("0 0 1/2/3 * * ?", "step"),
            ("0 0 +1 * * ?", "'+1' is not a number"),
            ("0 0 ١ * * ?", "is not a number"),
            ("0 0 1 ? * MON-", "value is missing"),
        ] {
            let reason = refusal(TimerKind::Cycle, text);
            assert!(reason.contains(says), "{text}: {reason}");
        }
        let e = parse(TimerKind::Cycle, "0 60 12 * * ?").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid timeCycle '0 60 12 * * ?': minutes: 60 is out of range 0-59"
        );
    }

    #[test]
    fn long_texts_are_quoted_shortly() {
        let text = "x".repeat(1000);
        let e = parse(TimerKind::Cycle, &text).unwrap_err();
        assert!(e.to_string().len() < 400, "{e}");
        assert!(e.to_string().contains('…'));
    }

    #[test]
    fn extreme_times_do_not_overflow() {
        let texts = [
            (TimerKind::Date, "2026-01-01T00:00:00Z"),
            (TimerKind::Date, "P1Y"),
            (TimerKind::Duration, "PT1S"),
            (TimerKind::Duration, "P1000Y"),
            (TimerKind::Duration, "P365000DT23H59M59.999S"),
            (TimerKind::Duration, "R/PT1S"),
            (TimerKind::Duration, "R/P1M/9999-12-31T23:59:59Z"),
            (TimerKind::Duration, "0001-01-01T00:00:00Z/P1000Y"),
            (TimerKind::Cycle, "R/PT1S"),
            (TimerKind::Cycle, "R/P1M"),
            (TimerKind::Cycle, "R5/P1Y"),
            (TimerKind::Cycle, "R/0001-01-01T00:00:00Z/PT1S"),
            (TimerKind::Cycle, "R/0001-01-01T00:00:00Z/P1M"),
            (TimerKind::Cycle, "R/9999-12-31T23:59:59Z/P1Y"),
            (TimerKind::Cycle, "R/PT1S/9999-12-31T23:59:59Z"),
            (TimerKind::Cycle, "R/P1M/9999-12-31T23:59:59Z"),
            (TimerKind::Cycle, "R999999999/P1M/0001-03-01T00:00:00Z"),
            (TimerKind::Cycle, "* * * * * ?"),
            (TimerKind::Cycle, "0 0 0 ? * 1#5 2299"),
        ];
        let times = [
            i64::MIN,
            i64::MIN + 1,
            -1,
            0,
            1,
            min_instant() - 1,
            min_instant(),
            max_instant(),
            max_instant() + 1,
            at("2299-12-31T23:59:59Z"),
            i64::MAX - 1,
            i64::MAX,
        ];
        for (kind, text) in texts {
            let s = schedule(kind, text);
            for &t in &times {
                if let Some(first) = s.first(t) {
                    assert!((min_instant()..=max_instant()).contains(&first) || first == t);
                }
                for count in [0, 1, 2, u32::MAX] {
                    if let Some(next) = s.next(t, count) {
                        assert!(next > t, "{text} after {t}: {next}");
                    }
                }
            }
        }
        // A long period from near the end of year 9999 is out of range.
        let s = schedule(TimerKind::Duration, "P1D");
        assert_eq!(s.first(max_instant()), None);
    }

    /// A small deterministic pseudo-random generator (SplitMix64).
    struct Rng(u64);

    impl Rng {
        fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        /// A number in `low..=high`.
        fn range(&mut self, low: u32, high: u32) -> u32 {
            low + (self.next_u64() % u64::from(high - low + 1)) as u32
        }

        /// True with probability `percent`/100.
        fn chance(&mut self, percent: u32) -> bool {
            self.range(1, 100) <= percent
        }

        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.range(0, items.len() as u32 - 1) as usize]
        }
    }

    /// A random value list for a field `min..=max`: `*`, values, ranges (some
    /// wrapping), steps and lists, sometimes with names.
    fn random_field(rng: &mut Rng, min: u32, max: u32, names: &[&str], wraps: bool) -> String {
        let value = |rng: &mut Rng| {
            let v = rng.range(min, max);
            if !names.is_empty() && rng.chance(30) {
                names[(v - min) as usize].to_owned()
            } else {
                v.to_string()
            }
        };
        let items = rng.range(1, 3);
        let mut out = Vec::new();
        for _ in 0..items {
            let item = match rng.range(0, 6) {
                0 => "*".to_owned(),
                1 | 2 => value(rng),
                3 => {
                    let (a, b) = (value(rng), value(rng));
                    let (na, nb) = (field_number(&a, min, names), field_number(&b, min, names));
                    if na <= nb || wraps {
                        format!("{a}-{b}")
                    } else {
                        format!("{b}-{a}")
                    }
                }
                4 => format!("*/{}", rng.range(1, (max - min).max(1))),
                5 => format!("{}/{}", value(rng), rng.range(1, (max - min).max(1))),
                _ => {
                    let (a, b) = (value(rng), value(rng));
                    let (na, nb) = (field_number(&a, min, names), field_number(&b, min, names));
                    let (a, b) = if na <= nb || wraps { (a, b) } else { (b, a) };
                    format!("{a}-{b}/{}", rng.range(1, (max - min).max(1)))
                }
            };
            out.push(item);
        }
        out.join(",")
    }

    /// The number a value of `random_field` stands for.
    fn field_number(token: &str, min: u32, names: &[&str]) -> u32 {
        match names.iter().position(|n| *n == token) {
            Some(i) => min + i as u32,
            None => token.parse().expect("a number"),
        }
    }

    /// A random valid Quartz cron expression.
    fn random_cron(rng: &mut Rng) -> String {
        let months = [
            "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
        ];
        let weekdays = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
        let seconds = if rng.chance(60) {
            rng.range(0, 59).to_string()
        } else {
            random_field(rng, 0, 59, &[], true)
        };
        let minutes = if rng.chance(40) {
            rng.range(0, 59).to_string()
        } else {
            random_field(rng, 0, 59, &[], true)
        };
        let hours = random_field(rng, 0, 23, &[], true);
        let month = if rng.chance(40) {
            "*".to_owned()
        } else {
            random_field(rng, 1, 12, &months, true)
        };
        let (day_of_month, day_of_week) = if rng.chance(50) {
            let dom = match rng.range(0, 7) {
                0 => "L".to_owned(),
                1 => format!("L-{}", rng.range(0, 30)),
                2 => "LW".to_owned(),
                3 => format!("L-{}W", rng.range(0, 30)),
                4 => format!("{}W", rng.range(1, 31)),
                _ => random_field(rng, 1, 31, &[], true),
            };
            (dom, "?".to_owned())
        } else {
            let day = |rng: &mut Rng| {
                if rng.chance(50) {
                    rng.pick(&weekdays).to_owned()
                } else {
                    rng.range(1, 7).to_string()
                }
            };
            let dow = match rng.range(0, 7) {
                0 => format!("{}L", day(rng)),
                1 => format!("{}#{}", day(rng), rng.range(1, 5)),
                2 => "L".to_owned(),
                _ => random_field(rng, 1, 7, &weekdays, true),
            };
            ("?".to_owned(), dow)
        };
        let mut fields = vec![seconds, minutes, hours, day_of_month, month, day_of_week];
        if rng.chance(25) {
            fields.push(match rng.range(0, 3) {
                0 => "*".to_owned(),
                1 => rng.range(2000, 2120).to_string(),
                2 => {
                    let a = rng.range(2000, 2100);
                    format!("{a}-{}", a + rng.range(0, 30))
                }
                _ => format!("{}/{}", rng.range(2000, 2100), rng.range(1, 9)),
            });
        }
        fields.join(" ")
    }

    /// Whether day `day` of `month` in `year` matches the day rule, decided from the
    /// rule's definition (independently of `Cron::day_mask`).
    fn day_matches(days: &Days, year: i64, month: u32, day: u32) -> bool {
        let last = days_in_month(year, month);
        let weekday_of = |d: u32| weekday(days_from_civil(year, month, d));
        let closest_weekday = |target: u32| {
            (1..=last)
                .filter(|&d| (2..=6).contains(&weekday_of(d)))
                .min_by_key(|&d| d.abs_diff(target))
                .expect("every month has weekdays")
        };
        match *days {
            Days::OfMonth(bits) => bits.contains(day),
            Days::LastOfMonth { offset, weekday } => {
                offset < last && {
                    let target = last - offset;
                    day == if weekday {
                        closest_weekday(target)
                    } else {
                        target
                    }
                }
            }
            Days::NearestWeekday(target) => target <= last && day == closest_weekday(target),
            Days::OfWeek(bits) => bits.contains(weekday_of(day)),
            Days::LastWeekday(wanted) => weekday_of(day) == wanted && day + 7 > last,
            Days::NthWeekday { weekday, nth } => {
                weekday_of(day) == weekday && (day - 1) / 7 + 1 == nth
            }
        }
    }

    /// Whether the instant `t` matches `cron`, field by field.
    fn cron_matches(cron: &Cron, t: i64) -> bool {
        let (year, month, day) = civil_from_days(t.div_euclid(DAY_MS));
        let seconds = t.rem_euclid(DAY_MS) / SECOND_MS;
        t.rem_euclid(SECOND_MS) == 0
            && cron.years.contains(year)
            && cron.months.contains(month)
            && day_matches(&cron.days, year, month, day)
            && cron.hours.contains((seconds / 3600) as u32)
            && cron.minutes.contains((seconds / 60 % 60) as u32)
            && cron.seconds.contains((seconds % 60) as u32)
    }

    /// The first match strictly after `t`, found day by day and second by second.
    fn brute_after(cron: &Cron, t: i64) -> Option<i64> {
        let start = ((t.div_euclid(1000) + 1) * 1000).max(0);
        let mut day = start.div_euclid(DAY_MS);
        let mut from_second = start.rem_euclid(DAY_MS) / SECOND_MS;
        loop {
            let (year, month, d) = civil_from_days(day);
            if year > CRON_LAST_YEAR {
                return None;
            }
            if cron.years.contains(year)
                && cron.months.contains(month)
                && day_matches(&cron.days, year, month, d)
            {
                for second in from_second..DAY_MS / SECOND_MS {
                    let instant = day * DAY_MS + second * SECOND_MS;
                    if cron.hours.contains((second / 3600) as u32)
                        && cron.minutes.contains((second / 60 % 60) as u32)
                        && cron.seconds.contains((second % 60) as u32)
                    {
                        return Some(instant);
                    }
                }
            }
            day += 1;
            from_second = 0;
        }
    }

    #[test]
    fn random_cron_expressions_step_forward_through_matching_instants() {
        let mut rng = Rng(0x5EED_CAFE);
        for _ in 0..250 {
            let text = random_cron(&mut rng);
            let Plan::Cron(cron) = schedule(TimerKind::Cycle, &text).plan else {
                panic!("{text} is not a cron expression");
            };
            let mut t = i64::from(rng.range(946_684_800, 4_102_444_800)) * 1000
                + i64::from(rng.range(0, 999));
            for _ in 0..6 {
                let next = cron.after(t);
                assert_eq!(next, brute_after(&cron, t), "{text} after {}", iso(t));
                let Some(next) = next else { break };
                assert!(next > t, "{text}: {} is not after {}", iso(next), iso(t));
                assert!(
                    cron_matches(&cron, next),
                    "{text} does not match {}",
                    iso(next)
                );
                t = next;
            }
        }
    }

    /// Valid texts of every form, for the fuzz tests to mutate.
    const SEEDS: &[&str] = &[
        "2026-01-01T10:15:30.250+02:00",
        "2026-01-01",
        "P1Y2M3W4DT5H6M7.8S",
        "PT10M",
        "R3/PT10M",
        "R/2026-01-01T00:00:00Z/P1D",
        "R2/PT1M/2026-01-01T00:10:00Z",
        "R2/2026-01-01T00:00:00Z/2026-01-02T00:00:00Z",
        "0 15 10 ? * MON-FRI",
        "0 0/5 14 * * ? 2030",
        "0 15 10 L-3W * ?",
        "0 15 10 ? * 6#3",
        "*/7 1-50/3 22-2 ? JAN,MAR-MAY FRIL",
    ];

    /// Parses `text` as every kind and evaluates what parses; nothing may panic.
    fn exercise(text: &str) {
        for kind in [TimerKind::Date, TimerKind::Duration, TimerKind::Cycle] {
            if let Ok(s) = parse(kind, text) {
                let now = at("2026-06-15T12:34:56.789Z");
                let mut due = s.first(now);
                for count in 1..4 {
                    let Some(t) = due else { break };
                    due = s.next(t, count);
                    if let Some(next) = due {
                        assert!(next > t, "{text}: {next} is not after {t}");
                    }
                }
            }
        }
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = Rng(7);
        for _ in 0..3000 {
            let len = rng.range(0, 40) as usize;
            let bytes: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
            exercise(&String::from_utf8_lossy(&bytes));
        }
    }

    #[test]
    fn random_texts_of_timer_characters_never_panic() {
        let alphabet: Vec<char> = "0123456789RPTYMWDHSZLW#?*/-+:.,  JANMONFRIé"
            .chars()
            .collect();
        let mut rng = Rng(11);
        for _ in 0..6000 {
            let len = rng.range(0, 30) as usize;
            let text: String = (0..len)
                .map(|_| alphabet[rng.range(0, alphabet.len() as u32 - 1) as usize])
                .collect();
            exercise(&text);
        }
    }

    #[test]
    fn mutated_valid_texts_never_panic() {
        let alphabet: Vec<char> = "0123456789RPTYMWDHSZLW#?*/-+:., é".chars().collect();
        let mut rng = Rng(13);
        for seed in SEEDS {
            exercise(seed);
            assert!(
                [TimerKind::Date, TimerKind::Duration, TimerKind::Cycle]
                    .iter()
                    .any(|&kind| parse(kind, seed).is_ok()),
                "{seed}"
            );
            for _ in 0..400 {
                let mut chars: Vec<char> = seed.chars().collect();
                for _ in 0..rng.range(1, 3) {
                    let i = rng.range(0, chars.len() as u32) as usize;
                    let c = alphabet[rng.range(0, alphabet.len() as u32 - 1) as usize];
                    match rng.range(0, 2) {
                        0 => chars.insert(i, c),
                        1 if i < chars.len() => {
                            chars.remove(i);
                        }
                        _ if i < chars.len() => chars[i] = c,
                        _ => chars.push(c),
                    }
                }
                exercise(&chars.into_iter().collect::<String>());
            }
        }
    }
}
