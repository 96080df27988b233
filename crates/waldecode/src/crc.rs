//! CRC-32C of WAL records (`COMP_CRC32C` over the data, then the header
//! up to its CRC field). The `crc32c` crate is fast on long inputs, but
//! most records are a few dozen bytes, where its two calls per record
//! (feature check, alignment split, empty three-way loops) cost as much as
//! the CRC itself: on x86-64 with SSE 4.2, inputs shorter than
//! [`SHORT_INPUT`] go through one plain loop of `crc32` instructions
//! instead (72-byte records: 9 ns against 21 ns per record; at 1 kB the
//! crate's three-way loop is faster).
//!
//! This is the one module of the crate with `unsafe`: calling a function
//! compiled for SSE 4.2, only after the CPU was seen to have it.

/// Inputs from this length on go to the `crc32c` crate.
const SHORT_INPUT: usize = 512;

/// `crc32c(data ++ header)`, as a record's `xl_crc` holds it.
pub(crate) fn record_crc(data: &[u8], header: &[u8]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    if data.len() < SHORT_INPUT && std::arch::is_x86_feature_detected!("sse4.2") {
        // SAFETY: the CPU supports SSE 4.2, checked just above; the
        // function is otherwise safe (slices are read by safe code).
        #[allow(unsafe_code)]
        return unsafe { sse42::append(sse42::append(0, data), header) };
    }
    crc32c::crc32c_append(crc32c::crc32c(data), header)
}

#[cfg(target_arch = "x86_64")]
mod sse42 {
    use std::arch::x86_64::{_mm_crc32_u32, _mm_crc32_u64, _mm_crc32_u8};

    /// Extends `crc` (of the bytes before) over `bytes`.
    #[target_feature(enable = "sse4.2")]
    pub(super) fn append(crc: u32, bytes: &[u8]) -> u32 {
        let (words, mut rest) = bytes.as_chunks::<8>();
        let mut c = u64::from(!crc);
        for w in words {
            c = _mm_crc32_u64(c, u64::from_le_bytes(*w));
        }
        let mut c = c as u32;
        if let Some((w, tail)) = rest.split_first_chunk::<4>() {
            c = _mm_crc32_u32(c, u32::from_le_bytes(*w));
            rest = tail;
        }
        for &b in rest {
            c = _mm_crc32_u8(c, b);
        }
        !c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_crate_at_every_length_and_alignment() {
        let bytes: Vec<u8> = (0..4 * SHORT_INPUT as u32).map(|i| (i * 131 % 251) as u8).collect();
        for start in 0..9 {
            for len in (0..SHORT_INPUT + 40).chain([1000, 1500]) {
                let data = &bytes[start..start + len];
                let header = &bytes[len % 7..len % 7 + 20];
                assert_eq!(
                    record_crc(data, header),
                    crc32c::crc32c_append(crc32c::crc32c(data), header),
                    "start {start}, length {len}"
                );
            }
        }
    }

    #[test]
    fn known_value() {
        // RFC 3720's test vector: 32 bytes of zeros.
        assert_eq!(record_crc(&[0u8; 12], &[0u8; 20]), 0x8A91_36AA);
    }
}
