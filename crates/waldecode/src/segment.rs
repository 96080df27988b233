//! WAL segment files: names (`XLogFileName`, `XLogFromFileName` in
//! `xlog_internal.h`) and valid segment sizes (`IsValidWalSegSize`).

use std::fmt;

/// Whether `size` is a segment size PostgreSQL accepts: a power of two
/// from 1 MB to 1 GB.
pub fn is_valid_segment_size(size: u32) -> bool {
    size.is_power_of_two() && (1 << 20..=1 << 30).contains(&size)
}

/// A segment file's identity: timeline and segment number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SegmentName {
    pub timeline: u32,
    pub segno: u64,
}

impl SegmentName {
    /// The 24-hex-digit file name of this segment for `seg_size`.
    pub fn file_name(&self, seg_size: u32) -> String {
        let per_id = segments_per_xlog_id(seg_size);
        format!("{:08X}{:08X}{:08X}", self.timeline, self.segno / per_id, self.segno % per_id)
    }

    /// Parses a segment file name (exactly 24 upper- or lower-case hex
    /// digits); `None` for anything else (history files, `.partial`, …).
    pub fn parse(name: &str, seg_size: u32) -> Option<SegmentName> {
        if name.len() != 24 || !name.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let timeline = u32::from_str_radix(&name[0..8], 16).ok()?;
        let log = u64::from(u32::from_str_radix(&name[8..16], 16).ok()?);
        let seg = u64::from(u32::from_str_radix(&name[16..24], 16).ok()?);
        let per_id = segments_per_xlog_id(seg_size);
        if seg >= per_id {
            return None;
        }
        Some(SegmentName { timeline, segno: log * per_id + seg })
    }
}

/// `XLogSegmentsPerXLogId`: how many segments one "log id" (4 GB) holds.
fn segments_per_xlog_id(seg_size: u32) -> u64 {
    0x1_0000_0000 / u64::from(seg_size.max(1))
}

impl fmt::Display for SegmentName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "timeline {} segment {}", self.timeline, self.segno)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let seg = 16 << 20;
        let n = SegmentName { timeline: 1, segno: 0x1_23 };
        assert_eq!(n.file_name(seg), "000000010000000100000023");
        assert_eq!(SegmentName::parse("000000010000000100000023", seg), Some(n));
        // With 1 GB segments a log id has only 4 segments.
        let big = 1 << 30;
        let n = SegmentName { timeline: 2, segno: 9 };
        assert_eq!(n.file_name(big), "000000020000000200000001");
        assert_eq!(SegmentName::parse(&n.file_name(big), big), Some(n));
        assert_eq!(SegmentName::parse("000000010000000100000005", big), None);
        assert_eq!(SegmentName::parse("00000001.history", seg), None);
        assert_eq!(SegmentName::parse("000000010000000100000023.partial", seg), None);
    }

    #[test]
    fn segment_sizes() {
        assert!(is_valid_segment_size(16 << 20));
        assert!(is_valid_segment_size(1 << 20));
        assert!(is_valid_segment_size(1 << 30));
        assert!(!is_valid_segment_size(1 << 19));
        assert!(!is_valid_segment_size(3 << 20));
        assert!(!is_valid_segment_size(0));
    }
}
