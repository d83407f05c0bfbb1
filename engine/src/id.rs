//! Fresh ids: version-7 UUIDs (RFC 9562), time-ordered so that new rows land at
//! the end of their indexes, made without a system call each.
//!
//! Layout: 48 bits of Unix milliseconds, the version, a 42-bit counter (split
//! around the variant bits), 32 random bits. The counter starts at a random value
//! below 2^41 every millisecond and counts up within it, so ids of one process
//! are strictly increasing (RFC 9562's method 1); if the clock goes back, the last
//! millisecond is kept. The random bits come from a SplitMix64 generator seeded
//! once from the operating system: ids need to be unique, not unguessable.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

struct State {
    ms: u64,
    counter: u64,
    rng: u64,
}

static STATE: Mutex<Option<State>> = Mutex::new(None);

const COUNTER_BITS: u32 = 42;

fn splitmix64(s: &mut u64) -> u64 {
    *s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *s;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl State {
    fn new(seed: u64) -> State {
        State {
            ms: 0,
            counter: 0,
            rng: seed,
        }
    }

    /// The next id as a `u128`, at clock reading `now_ms`.
    fn next(&mut self, now_ms: u64) -> u128 {
        if now_ms > self.ms {
            self.ms = now_ms;
            self.counter = splitmix64(&mut self.rng) >> (64 - (COUNTER_BITS - 1));
        } else {
            self.counter += 1;
            if self.counter >> COUNTER_BITS != 0 {
                // 2^41 ids in one millisecond: borrow the next one.
                self.ms += 1;
                self.counter = splitmix64(&mut self.rng) >> (64 - (COUNTER_BITS - 1));
            }
        }
        let random = splitmix64(&mut self.rng) & 0xFFFF_FFFF;
        let ms = u128::from(self.ms & 0xFFFF_FFFF_FFFF);
        let counter = u128::from(self.counter);
        (ms << 80)
            | (0x7 << 76)
            | ((counter >> 30) << 64)
            | (0b10 << 62)
            | ((counter & 0x3FFF_FFFF) << 32)
            | u128::from(random)
    }
}

/// A fresh id, hyphenated lower-case.
pub(crate) fn new_id() -> String {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let id = {
        let mut state = STATE.lock().unwrap_or_else(|p| p.into_inner());
        // Only the seed comes from the operating system.
        state
            .get_or_insert_with(|| State::new(uuid::Uuid::new_v4().as_u64_pair().0))
            .next(now_ms)
    };
    let mut buf = uuid::Uuid::encode_buffer();
    uuid::Uuid::from_u128(id)
        .hyphenated()
        .encode_lower(&mut buf)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_version_7_and_strictly_increasing() {
        let ids: Vec<String> = (0..10_000).map(|_| new_id()).collect();
        for pair in ids.windows(2) {
            assert!(pair[0] < pair[1], "{} then {}", pair[0], pair[1]);
        }
        let u = uuid::Uuid::parse_str(&ids[0]).unwrap();
        assert_eq!(u.get_version_num(), 7);
        assert_eq!(u.get_variant(), uuid::Variant::RFC4122);
        let (secs, _) = u.get_timestamp().unwrap().to_unix();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(now.abs_diff(secs) < 60);
    }

    #[test]
    fn a_clock_going_back_or_a_crowded_millisecond_keeps_the_order() {
        let mut s = State::new(1);
        let a = s.next(1_000);
        let b = s.next(5);
        assert!(b > a);
        s.counter = (1 << COUNTER_BITS) - 1;
        let c = s.next(1_000);
        assert!(c > b);
        assert_eq!(s.ms, 1_001);
    }
}
