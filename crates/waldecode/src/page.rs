//! WAL page headers (`XLogPageHeaderData`, `XLogLongPageHeaderData` in
//! `xlog_internal.h`) and their validation, a port of
//! `XLogReaderValidatePageHeader` (xlogreader.c).

use crate::bytes::{u16_at, u32_at, u64_at};
use crate::layout::XLOG_BLCKSZ;
use crate::lsn::Lsn;
use crate::version::PgVersion;

pub const SIZE_OF_SHORT_PHD: usize = 24;
pub const SIZE_OF_LONG_PHD: usize = 40;

pub const XLP_FIRST_IS_CONTRECORD: u16 = 0x0001;
pub const XLP_LONG_HEADER: u16 = 0x0002;
pub const XLP_BKP_REMOVABLE: u16 = 0x0004;
pub const XLP_FIRST_IS_OVERWRITE_CONTRECORD: u16 = 0x0008;
pub const XLP_ALL_FLAGS: u16 = 0x000F;

/// A decoded page header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageHeader {
    pub magic: u16,
    pub info: u16,
    pub timeline: u32,
    pub pageaddr: Lsn,
    pub rem_len: u32,
    /// Present on the first page of a segment.
    pub long: Option<LongHeader>,
}

/// The extra fields of a segment's first page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LongHeader {
    pub sysid: u64,
    pub seg_size: u32,
    pub xlog_blcksz: u32,
}

/// Why a page header is not acceptable. `Stale` means the page belongs to
/// another position (a recycled segment) or was never written (all zeros):
/// the normal end of WAL, not damage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageProblem {
    Stale(String),
    Corrupt(String),
}

impl PageHeader {
    /// Parses the header at the start of `page` (at least 24 bytes, 40 when
    /// the long-header flag is set).
    pub fn parse(page: &[u8]) -> Option<PageHeader> {
        let info = u16_at(page, 2)?;
        let long = if info & XLP_LONG_HEADER != 0 {
            Some(LongHeader {
                sysid: u64_at(page, 24)?,
                seg_size: u32_at(page, 32)?,
                xlog_blcksz: u32_at(page, 36)?,
            })
        } else {
            None
        };
        Some(PageHeader {
            magic: u16_at(page, 0)?,
            info,
            timeline: u32_at(page, 4)?,
            pageaddr: Lsn(u64_at(page, 8)?),
            rem_len: u32_at(page, 16)?,
            long,
        })
    }

    /// `XLogPageHeaderSize`.
    pub fn size(&self) -> usize {
        if self.info & XLP_LONG_HEADER != 0 {
            SIZE_OF_LONG_PHD
        } else {
            SIZE_OF_SHORT_PHD
        }
    }

    pub fn is_contrecord(&self) -> bool {
        self.info & XLP_FIRST_IS_CONTRECORD != 0
    }

    /// Checks this header as the header of the page at `expected`, the way
    /// `XLogReaderValidatePageHeader` does. `sysid` is the system identifier
    /// seen so far (0 = not yet known); `min_tli` the newest timeline seen.
    pub fn validate(
        &self,
        expected: Lsn,
        seg_size: u32,
        sysid: u64,
        min_tli: u32,
    ) -> Result<PgVersion, PageProblem> {
        let at = expected;
        if self.magic == 0 && self.pageaddr.0 == 0 {
            return Err(PageProblem::Stale(format!("empty page at {at}")));
        }
        let version = PgVersion::from_page_magic(self.magic).ok_or_else(|| {
            PageProblem::Corrupt(format!(
                "invalid magic number {:04X} in WAL segment at {at}",
                self.magic
            ))
        })?;
        if self.info & !XLP_ALL_FLAGS != 0 {
            return Err(PageProblem::Corrupt(format!(
                "invalid info bits {:04X} in WAL page at {at}",
                self.info
            )));
        }
        if self.pageaddr != expected {
            return Err(PageProblem::Stale(format!(
                "unexpected pageaddr {} in WAL page at {at}",
                self.pageaddr
            )));
        }
        let first_in_segment = expected.segment_offset(seg_size) == 0;
        match (first_in_segment, self.long) {
            (true, None) => {
                return Err(PageProblem::Corrupt(format!(
                    "missing long page header in WAL segment start at {at}"
                )))
            }
            (_, Some(l)) => {
                if sysid != 0 && l.sysid != sysid {
                    return Err(PageProblem::Corrupt(format!(
                        "WAL file is from a different database system at {at}: \
                         WAL file database system identifier is {}, expected {sysid}",
                        l.sysid
                    )));
                }
                if l.seg_size != seg_size {
                    return Err(PageProblem::Corrupt(format!(
                        "WAL file is from a different database system at {at}: \
                         incorrect segment size {} in page header, expected {seg_size}",
                        l.seg_size
                    )));
                }
                if l.xlog_blcksz as usize != XLOG_BLCKSZ {
                    return Err(PageProblem::Corrupt(format!(
                        "WAL file is from a different database system at {at}: \
                         incorrect XLOG_BLCKSZ {} in page header",
                        l.xlog_blcksz
                    )));
                }
            }
            (false, None) => {}
        }
        if self.timeline < min_tli {
            return Err(PageProblem::Corrupt(format!(
                "out-of-sequence timeline ID {} (after {min_tli}) in WAL page at {at}",
                self.timeline
            )));
        }
        Ok(version)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Writes a page header into `page` (test helper shared with the reader's tests).
    pub(crate) fn write_header(
        page: &mut [u8],
        magic: u16,
        info: u16,
        tli: u32,
        addr: u64,
        rem_len: u32,
        long: Option<(u64, u32)>,
    ) {
        page[0..2].copy_from_slice(&magic.to_le_bytes());
        let info = if long.is_some() { info | XLP_LONG_HEADER } else { info };
        page[2..4].copy_from_slice(&info.to_le_bytes());
        page[4..8].copy_from_slice(&tli.to_le_bytes());
        page[8..16].copy_from_slice(&addr.to_le_bytes());
        page[16..20].copy_from_slice(&rem_len.to_le_bytes());
        if let Some((sysid, seg)) = long {
            page[24..32].copy_from_slice(&sysid.to_le_bytes());
            page[32..36].copy_from_slice(&seg.to_le_bytes());
            page[36..40].copy_from_slice(&(XLOG_BLCKSZ as u32).to_le_bytes());
        }
    }

    #[test]
    fn parse_and_validate() {
        let seg = 1 << 20;
        let mut p = vec![0u8; 8192];
        write_header(&mut p, 0xD110, 0, 1, 0x10_0000, 0, Some((42, seg)));
        let h = PageHeader::parse(&p).unwrap();
        assert_eq!(h.size(), SIZE_OF_LONG_PHD);
        assert_eq!(h.validate(Lsn(0x10_0000), seg, 42, 1), Ok(PgVersion::V15));
        assert!(matches!(h.validate(Lsn(0x10_0000), seg, 43, 1), Err(PageProblem::Corrupt(_))));
        assert!(matches!(h.validate(Lsn(0x20_0000), seg, 42, 1), Err(PageProblem::Stale(_))));
        assert!(matches!(h.validate(Lsn(0x10_0000), seg, 42, 2), Err(PageProblem::Corrupt(_))));

        let mut p = vec![0u8; 8192];
        write_header(&mut p, 0xD110, XLP_FIRST_IS_CONTRECORD, 1, 0x10_2000, 77, None);
        let h = PageHeader::parse(&p).unwrap();
        assert_eq!(h.size(), SIZE_OF_SHORT_PHD);
        assert!(h.is_contrecord());
        assert_eq!(h.rem_len, 77);
        assert_eq!(h.validate(Lsn(0x10_2000), seg, 0, 1), Ok(PgVersion::V15));
        // A short header where a segment starts is damage.
        assert!(h.validate(Lsn(0x20_0000), seg, 0, 1).is_err());

        let zero = vec![0u8; 8192];
        let h = PageHeader::parse(&zero).unwrap();
        assert!(matches!(h.validate(Lsn(0x10_2000), seg, 0, 1), Err(PageProblem::Stale(_))));

        let mut p = vec![0u8; 8192];
        write_header(&mut p, 0xBEEF, 0, 1, 0x10_2000, 0, None);
        let h = PageHeader::parse(&p).unwrap();
        assert!(matches!(h.validate(Lsn(0x10_2000), seg, 0, 1), Err(PageProblem::Corrupt(_))));
        write_header(&mut p, 0xD110, 0x40, 1, 0x10_2000, 0, None);
        let h = PageHeader::parse(&p).unwrap();
        assert!(matches!(h.validate(Lsn(0x10_2000), seg, 0, 1), Err(PageProblem::Corrupt(_))));
    }
}
