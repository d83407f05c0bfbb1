//! The engine's counts of what committed ([`Activity`]): totals in atomics, read
//! without a lock, and the same counts by the minute of their commit, so that a
//! question about a time window (Camunda's `/metrics/{name}/sum?startDate=…`)
//! has an answer.
//!
//! Only the writer thread adds, once per committed group that did something. The
//! minutes of the last [`MINUTES_KEPT`] are kept as they are; older ones are
//! folded into their hour, so a year of steady work holds at most about 9,000
//! hour buckets (under a megabyte) and a window's edges are exact to the minute
//! within the last two days and to the hour before. Everything here lives in
//! memory: it starts at zero when the engine opens.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::types::Activity;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;

/// How long counts stay by the minute, in minutes (two days).
const MINUTES_KEPT: i64 = 48 * 60;

/// The counts, in total and over time.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    totals: [AtomicU64; Activity::LEN],
    series: Mutex<Series>,
}

impl Counters {
    /// Adds what a group committed at `now` (milliseconds since the epoch).
    pub(crate) fn add(&self, now: i64, done: Activity) {
        for (total, n) in self.totals.iter().zip(done.to_array()) {
            if n > 0 {
                total.fetch_add(n, Ordering::Relaxed);
            }
        }
        self.series
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .add(now, done);
    }

    /// Everything since the engine opened.
    pub(crate) fn total(&self) -> Activity {
        Activity::from_array(std::array::from_fn(|i| {
            self.totals[i].load(Ordering::Relaxed)
        }))
    }

    /// What committed from `start` (inclusive) to `end` (exclusive), each `None`
    /// for no bound: the buckets (minutes, or hours past two days) that begin in
    /// the window.
    pub(crate) fn between(&self, start: Option<i64>, end: Option<i64>) -> Activity {
        if start.is_none() && end.is_none() {
            return self.total();
        }
        self.series
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .between(start.unwrap_or(i64::MIN), end.unwrap_or(i64::MAX))
    }
}

/// The counts by the minute they committed in, then by the hour.
#[derive(Debug, Default)]
struct Series {
    /// Whole hours, oldest first, each with the hour's start.
    hours: Vec<(i64, Activity)>,
    /// The last two days' minutes that saw a commit, oldest first.
    minutes: VecDeque<(i64, Activity)>,
}

impl Series {
    fn add(&mut self, now: i64, done: Activity) {
        let minute = now.div_euclid(MINUTE) * MINUTE;
        match self.minutes.back_mut() {
            // A clock set back (a manual one) adds to the latest minute: buckets
            // stay in order.
            Some((last, counts)) if *last >= minute => *counts = counts.plus(done),
            _ => self.minutes.push_back((minute, done)),
        }
        let newest = self.minutes.back().map_or(minute, |(m, _)| *m);
        while let Some(&(oldest, counts)) = self.minutes.front() {
            if newest - oldest < MINUTES_KEPT * MINUTE {
                break;
            }
            self.minutes.pop_front();
            let hour = oldest.div_euclid(HOUR) * HOUR;
            match self.hours.last_mut() {
                Some((last, sum)) if *last >= hour => *sum = sum.plus(counts),
                _ => self.hours.push((hour, counts)),
            }
        }
    }

    fn between(&self, start: i64, end: i64) -> Activity {
        let inside = |at: i64| start <= at && at < end;
        let hours = self.hours.iter().filter(|(at, _)| inside(*at));
        let minutes = self.minutes.iter().filter(|(at, _)| inside(*at));
        hours
            .chain(minutes)
            .fold(Activity::default(), |sum, (_, counts)| sum.plus(*counts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn started(n: u64) -> Activity {
        Activity {
            instances_started: n,
            ..Activity::default()
        }
    }

    #[test]
    fn windows_count_the_minutes_that_begin_in_them() {
        let c = Counters::default();
        let t0 = 1_700_000_000_000 / MINUTE * MINUTE;
        c.add(t0 + 5_000, started(1));
        c.add(t0 + 59_000, started(2));
        c.add(t0 + MINUTE, started(4));
        c.add(t0 + 10 * MINUTE, started(8));
        assert_eq!(c.total().instances_started, 15);
        assert_eq!(c.between(None, None).instances_started, 15);
        assert_eq!(c.between(Some(t0), None).instances_started, 15);
        assert_eq!(c.between(Some(t0 + 1), None).instances_started, 12);
        assert_eq!(c.between(None, Some(t0 + MINUTE)).instances_started, 3);
        assert_eq!(
            c.between(Some(t0 + MINUTE), Some(t0 + 2 * MINUTE))
                .instances_started,
            4
        );
        assert_eq!(c.between(Some(t0 + 11 * MINUTE), None).instances_started, 0);
    }

    #[test]
    fn old_minutes_fold_into_hours() {
        let c = Counters::default();
        let t0 = 1_700_000_000_000 / HOUR * HOUR;
        for m in 0..60 {
            c.add(t0 + m * MINUTE, started(1));
        }
        c.add(t0 + 3 * 24 * HOUR, started(100));
        let series = c.series.lock().expect("the lock");
        assert_eq!(series.hours, vec![(t0, started(60))]);
        assert_eq!(series.minutes.len(), 1);
        drop(series);
        assert_eq!(c.between(Some(t0), Some(t0 + HOUR)).instances_started, 60);
        assert_eq!(
            c.between(Some(t0 + 1), Some(t0 + HOUR)).instances_started,
            0
        );
        assert_eq!(c.total().instances_started, 160);
    }

    #[test]
    fn a_clock_set_back_adds_to_the_latest_minute() {
        let c = Counters::default();
        let t0 = 1_700_000_000_000 / MINUTE * MINUTE;
        c.add(t0 + 5 * MINUTE, started(1));
        c.add(t0, started(2));
        assert_eq!(c.between(Some(t0 + 5 * MINUTE), None).instances_started, 3);
    }
}
