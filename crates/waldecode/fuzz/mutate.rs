//! Mutations: a seeded generator and the edits made to bytes.

use std::ops::Range;

/// SplitMix64: small, fast, and the same everywhere.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

const INTERESTING_8: [u8; 7] = [0, 1, 2, 0x7F, 0x80, 0xFE, 0xFF];
const INTERESTING_16: [u16; 11] = [0, 1, 2, 23, 24, 0x7FFF, 0x8000, 0xFFFF, 8191, 8192, 8193];
const INTERESTING_32: [u32; 12] =
    [0, 1, 3, 4, 24, 40, 8192, 0x3FFF_FFFF, 0x4000_0000, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF];

/// Applies one to four random edits to `data[window]`: bit flips,
/// interesting or random bytes and 16/32-bit words, small increments,
/// copied or zeroed runs; with `resize`, also cuts and insertions.
pub fn mutate(rng: &mut Rng, data: &mut Vec<u8>, window: Range<usize>, resize: bool) {
    let edits = 1 + rng.below(4);
    for _ in 0..edits {
        let lo = window.start.min(data.len());
        let hi = window.end.min(data.len());
        if hi <= lo {
            if resize {
                data.extend((0..1 + rng.below(16)).map(|_| rng.next() as u8));
            }
            continue;
        }
        let at = lo + rng.below(hi - lo);
        match rng.below(if resize { 11 } else { 9 }) {
            0 | 1 => data[at] ^= 1 << rng.below(8),
            2 => data[at] = *rng.pick(&INTERESTING_8),
            3 => data[at] = rng.next() as u8,
            4 => {
                let v = rng.pick(&INTERESTING_16).to_le_bytes();
                let n = v.len().min(data.len() - at);
                data[at..at + n].copy_from_slice(&v[..n]);
            }
            5 => {
                let v = if rng.one_in(3) {
                    (data.len() as u32).wrapping_add(rng.below(9) as u32).wrapping_sub(4)
                } else {
                    *rng.pick(&INTERESTING_32)
                };
                let v = v.to_le_bytes();
                let n = v.len().min(data.len() - at);
                data[at..at + n].copy_from_slice(&v[..n]);
            }
            6 => {
                let delta = 1 + rng.below(16) as u8;
                data[at] = if rng.one_in(2) {
                    data[at].wrapping_add(delta)
                } else {
                    data[at].wrapping_sub(delta)
                };
            }
            7 => {
                // Copy a run from elsewhere in the window.
                let len = 1 + rng.below(64.min(hi - lo));
                let from = lo + rng.below(hi - lo);
                let len = len.min(hi - from).min(data.len() - at);
                let run = data[from..from + len].to_vec();
                data[at..at + len].copy_from_slice(&run);
            }
            8 => {
                let len = (1 + rng.below(256)).min(data.len() - at);
                data[at..at + len].fill(if rng.one_in(2) { 0 } else { 0xFF });
            }
            9 => data.truncate(at),
            _ => {
                let n = 1 + rng.below(32);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                data.splice(at..at, bytes);
            }
        }
    }
}
