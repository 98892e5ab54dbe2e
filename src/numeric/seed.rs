//! The seeding rule: every random input of every trial has its own generator, a pure function
//! of `(seed, trial, input key)`.
//!
//! Because no generator is shared between inputs or trials, a trial's draws do not depend on
//! the thread count, the batch size, the shard layout, or on which other sites and streams the
//! scenario has. Paired comparisons (common random numbers) rely on this. Changing anything here
//! changes every result for a given seed: it is a breaking change, pinned by `value_stability`.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The generator behind every draw. Named rather than `StdRng`/`SmallRng`, whose algorithms may
/// change between rand versions.
pub type TrialRng = Xoshiro256PlusPlus;

/// SplitMix64's finaliser (Steele, Lea, Flood 2014): a bijective 64-bit mix.
pub const fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A stable 64-bit key for a named input (FNV-1a), e.g. `"site/new-carlisle/phase/0"`.
pub const fn input_key(name: &str) -> u64 {
    let bytes = name.as_bytes();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

/// The generator for one input of one trial.
pub fn input_rng(seed: u64, trial: u64, key: u64) -> TrialRng {
    TrialRng::seed_from_u64(mix64(mix64(mix64(seed) ^ trial) ^ key))
}

/// A generator for unit tests.
#[cfg(test)]
pub(crate) fn test_rng(seed: u64) -> TrialRng {
    TrialRng::seed_from_u64(seed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn value_stability() {
        // Pinned on purpose: if this fails, every result for a given seed has changed.
        let mut rng = input_rng(42, 0, input_key("site/a/phase/0"));
        let draws: Vec<u64> = (0..3).map(|_| rng.random::<u64>()).collect();
        assert_eq!(draws, PINNED);
    }

    const PINNED: [u64; 3] = [
        15_105_665_538_541_658_055,
        12_103_061_496_445_553_318,
        15_195_043_243_146_154_275,
    ];

    #[test]
    fn keys_and_trials_give_distinct_streams() {
        let a = input_rng(1, 0, input_key("x")).random::<u64>();
        let b = input_rng(1, 1, input_key("x")).random::<u64>();
        let c = input_rng(1, 0, input_key("y")).random::<u64>();
        let d = input_rng(2, 0, input_key("x")).random::<u64>();
        assert!(a != b && a != c && a != d && b != c);
    }
}
