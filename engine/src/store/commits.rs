//! What the writer's group commits look like: how many commands each held and how
//! long each took, counted in histograms of atomics the writer adds to after
//! every commit and anyone may read without stopping it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::types::{Commits, Histogram};

/// Upper bounds of the group-size buckets: powers of two up to the largest group.
const SIZE_BOUNDS: [u64; 10] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

/// Upper bounds of the commit-time buckets, in microseconds: from half a
/// millisecond (an in-memory or `synchronous=NORMAL` commit) to seconds (a disk
/// in trouble).
const MICROS_BOUNDS: [u64; 12] = [
    500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000,
    2_500_000,
];

/// A histogram over whole numbers with fixed bounds, kept in atomics: an
/// observation is two additions, and a reading never blocks the writer. A
/// reading taken while an observation lands may see its bucket before its sum;
/// the next reading sees both.
#[derive(Debug)]
struct Atomic<const N: usize> {
    bounds: [u64; N],
    /// Observations per bucket (not cumulative); the last one is above every bound.
    counts: [AtomicU64; N],
    above: AtomicU64,
    sum: AtomicU64,
}

impl<const N: usize> Atomic<N> {
    fn new(bounds: [u64; N]) -> Self {
        Atomic {
            bounds,
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
            above: AtomicU64::new(0),
            sum: AtomicU64::new(0),
        }
    }

    fn observe(&self, value: u64) {
        match self.bounds.iter().position(|b| value <= *b) {
            Some(i) => self.counts[i].fetch_add(1, Ordering::Relaxed),
            None => self.above.fetch_add(1, Ordering::Relaxed),
        };
        self.sum.fetch_add(value, Ordering::Relaxed);
    }

    /// The reading, each bound and the sum divided by `scale`.
    fn read(&self, scale: f64) -> Histogram {
        let mut buckets = Vec::with_capacity(N);
        let mut below = 0u64;
        for (bound, count) in self.bounds.iter().zip(&self.counts) {
            below += count.load(Ordering::Relaxed);
            #[allow(clippy::cast_precision_loss)] // bounds are small
            buckets.push((*bound as f64 / scale, below));
        }
        let count = below + self.above.load(Ordering::Relaxed);
        #[allow(clippy::cast_precision_loss)] // exact below 2^53
        let sum = self.sum.load(Ordering::Relaxed) as f64 / scale;
        Histogram {
            buckets,
            count,
            sum,
        }
    }
}

/// The group-commit histograms.
#[derive(Debug)]
pub(crate) struct Stats {
    size: Atomic<10>,
    micros: Atomic<12>,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            size: Atomic::new(SIZE_BOUNDS),
            micros: Atomic::new(MICROS_BOUNDS),
        }
    }
}

impl Stats {
    /// Counts a committed group of `size` commands that took `took`.
    pub(crate) fn committed(&self, size: usize, took: Duration) {
        self.size.observe(u64::try_from(size).unwrap_or(u64::MAX));
        self.micros
            .observe(u64::try_from(took.as_micros()).unwrap_or(u64::MAX));
    }

    /// The histograms as they stand.
    pub(crate) fn read(&self) -> Commits {
        Commits {
            size: self.size.read(1.0),
            seconds: self.micros.read(1_000_000.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_cumulative_buckets() {
        let stats = Stats::default();
        stats.committed(1, Duration::from_micros(300));
        stats.committed(3, Duration::from_millis(2));
        stats.committed(600, Duration::from_secs(3));
        let read = stats.read();
        assert_eq!(read.size.count, 3);
        assert!((read.size.sum - 604.0).abs() < f64::EPSILON);
        assert_eq!(read.size.buckets[0], (1.0, 1));
        assert_eq!(read.size.buckets[1], (2.0, 1));
        assert_eq!(read.size.buckets[2], (4.0, 2));
        assert_eq!(read.size.buckets[9], (512.0, 2));
        assert_eq!(read.seconds.buckets[0], (0.0005, 1));
        assert_eq!(read.seconds.buckets[2], (0.0025, 2));
        assert_eq!(read.seconds.buckets[11].1, 2);
        assert_eq!(read.seconds.count, 3);
        assert!((read.seconds.sum - 3.0023).abs() < 1e-9);
    }
}
