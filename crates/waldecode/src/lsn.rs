//! Log sequence numbers: a byte position in the WAL stream, with the
//! segment and page arithmetic the reader needs. Printed as PostgreSQL does
//! (`16/B374D848`, `LSN_FORMAT_ARGS`).

use std::fmt;
use std::str::FromStr;

use crate::layout::{MAXIMUM_ALIGNOF, XLOG_BLCKSZ};

/// A position in the WAL stream (`XLogRecPtr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Lsn(pub u64);

impl Lsn {
    pub const INVALID: Lsn = Lsn(0);

    /// Number of the segment holding this position.
    pub fn segment(self, seg_size: u32) -> u64 {
        // Segment sizes are powers of two (checked where they are read): a
        // shift instead of a division, which the reader does several times
        // per record.
        if seg_size.is_power_of_two() {
            self.0 >> seg_size.trailing_zeros()
        } else {
            self.0 / u64::from(seg_size)
        }
    }

    /// Offset of this position inside its segment.
    pub fn segment_offset(self, seg_size: u32) -> u32 {
        if seg_size.is_power_of_two() {
            (self.0 & u64::from(seg_size - 1)) as u32
        } else {
            (self.0 % u64::from(seg_size)) as u32
        }
    }

    /// Offset of this position inside its page.
    pub fn page_offset(self) -> u32 {
        (self.0 % XLOG_BLCKSZ as u64) as u32
    }

    /// Start of the page holding this position.
    pub fn page_start(self) -> Lsn {
        Lsn(self.0 - u64::from(self.page_offset()))
    }

    /// First byte of segment `segno`.
    pub fn from_segment(segno: u64, seg_size: u32) -> Lsn {
        Lsn(segno.saturating_mul(u64::from(seg_size)))
    }

    /// Rounds up to a multiple of 8 (`MAXALIGN`), where records start.
    pub fn maxalign(self) -> Lsn {
        let mask = MAXIMUM_ALIGNOF as u64 - 1;
        Lsn(self.0.saturating_add(mask) & !mask)
    }

    pub fn is_valid(self) -> bool {
        self.0 != 0
    }
}

impl fmt::Display for Lsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:X}/{:X}", self.0 >> 32, self.0 as u32)
    }
}

/// An LSN that does not parse as `hex/hex`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid LSN \"{0}\"")]
pub struct ParseLsnError(pub String);

impl FromStr for Lsn {
    type Err = ParseLsnError;

    fn from_str(s: &str) -> Result<Lsn, ParseLsnError> {
        let bad = || ParseLsnError(s.to_string());
        let (hi, lo) = s.split_once('/').ok_or_else(bad)?;
        let hi = u32::from_str_radix(hi, 16).map_err(|_| bad())?;
        let lo = u32::from_str_radix(lo, 16).map_err(|_| bad())?;
        Ok(Lsn((u64::from(hi) << 32) | u64::from(lo)))
    }
}

impl From<u64> for Lsn {
    fn from(v: u64) -> Lsn {
        Lsn(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_parse() {
        let l = Lsn(0x16_B374_D848);
        assert_eq!(l.to_string(), "16/B374D848");
        assert_eq!("16/B374D848".parse::<Lsn>().unwrap(), l);
        assert_eq!("0/0".parse::<Lsn>().unwrap(), Lsn(0));
        assert!("16".parse::<Lsn>().is_err());
        assert!("x/1".parse::<Lsn>().is_err());
    }

    #[test]
    fn segment_arithmetic() {
        let seg = 16 * 1024 * 1024;
        let l = Lsn(3 * u64::from(seg) + 8192 + 40);
        assert_eq!(l.segment(seg), 3);
        assert_eq!(l.segment_offset(seg), 8232);
        assert_eq!(l.page_offset(), 40);
        assert_eq!(l.page_start(), Lsn(3 * u64::from(seg) + 8192));
        assert_eq!(Lsn::from_segment(3, seg), Lsn(3 * u64::from(seg)));
        assert_eq!(Lsn(41).maxalign(), Lsn(48));
        assert_eq!(Lsn(48).maxalign(), Lsn(48));
    }
}
