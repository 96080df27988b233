//! The record reader: walks pages, reassembles records that continue across
//! pages and segments, and checks each record the way xlogreader.c does
//! (`XLogDecodeNextRecord`, `ValidXLogRecordHeader`, `ValidXLogRecord`,
//! `XLogFindNextRecord`). Records are handed out one at a time, borrowing
//! the reader's reused buffers ([`WalReader::next_record`]).

use crate::error::{Result, WalError};
use crate::lsn::{Lsn, XLOG_BLCKSZ};
use crate::page::{PageHeader, PageProblem, XLP_FIRST_IS_OVERWRITE_CONTRECORD};
use crate::record::{Decoded, Record, RecordHeader, MAX_RECORD_SIZE, SIZE_OF_XLOG_RECORD};
use crate::source::{SourceError, WalSource};
use crate::version::PgVersion;

const BLCKSZ: usize = XLOG_BLCKSZ as usize;
/// Highest built-in resource manager id (`RM_MAX_BUILTIN_ID`).
const RM_MAX_BUILTIN_ID: u8 = 21;
/// Lowest custom resource manager id (`RM_MIN_CUSTOM_ID`, PG 15+).
const RM_MIN_CUSTOM_ID: u8 = 128;
const RM_XLOG_ID: u8 = 0;
const XLOG_SWITCH: u8 = 0x40;

/// Reads records from a [`WalSource`].
pub struct WalReader<S> {
    src: S,
    seg_size: u32,
    page_at: Option<Lsn>,
    page_hdr: Option<PageHeader>,
    version: Option<PgVersion>,
    sysid: u64,
    min_tli: u32,
    /// Where the next record is looked for.
    next: Lsn,
    /// Start of the record read last; `None` right after positioning, when
    /// the prev-link can only be checked to point backwards.
    prev: Option<Lsn>,
    /// Records must end at or before this position.
    end: Lsn,
    buf: Vec<u8>,
    decoded: Decoded,
    cur: Lsn,
    cur_end: Lsn,
    /// The current record was read by `seek` and not handed out yet.
    pending: bool,
    /// Where the current record lies when it fits in one page: it is then
    /// used in place, not copied into `buf`.
    in_page: Option<(Lsn, usize, usize)>,
}

impl<S: WalSource> WalReader<S> {
    /// A reader over `src`; position it with [`seek`](Self::seek) or
    /// [`begin_at`](Self::begin_at).
    pub fn new(src: S) -> Self {
        let seg_size = src.segment_size();
        WalReader {
            src,
            seg_size,
            page_at: None,
            page_hdr: None,
            version: None,
            sysid: 0,
            min_tli: 0,
            next: Lsn::INVALID,
            prev: None,
            end: Lsn(u64::MAX),
            buf: Vec::with_capacity(2 * BLCKSZ),
            decoded: Decoded::default(),
            cur: Lsn::INVALID,
            cur_end: Lsn::INVALID,
            pending: false,
            in_page: None,
        }
    }

    pub fn source(&self) -> &S {
        &self.src
    }

    pub fn segment_size(&self) -> u32 {
        self.seg_size
    }

    /// The version of the WAL read so far.
    pub fn version(&self) -> Option<PgVersion> {
        self.version
    }

    /// The system identifier seen in a long page header (0 before any).
    pub fn system_identifier(&self) -> u64 {
        self.sysid
    }

    /// Only records ending at or before `end` are returned.
    pub fn set_end(&mut self, end: Lsn) {
        self.end = end;
    }

    pub fn end(&self) -> Lsn {
        self.end
    }

    /// Where the next record will be looked for.
    pub fn next_lsn(&self) -> Lsn {
        if self.pending {
            self.cur
        } else {
            self.next
        }
    }

    /// Positions the reader at `lsn`, which must be the start of a record
    /// (`XLogBeginRead`).
    pub fn begin_at(&mut self, lsn: Lsn) {
        self.next = lsn;
        self.prev = None;
        self.pending = false;
    }

    /// Positions the reader at the first valid record starting at or after
    /// `target` and returns its LSN (port of `XLogFindNextRecord`).
    pub fn seek(&mut self, target: Lsn) -> Result<Lsn> {
        self.pending = false;
        let mut pos = target;
        loop {
            let page_lsn = pos.page_start();
            self.load_page(page_lsn)?;
            let hdr = self.header()?;
            let hsize = hdr.size() as u64;
            if hdr.is_contrecord() {
                let rem = u64::from(hdr.rem_len).saturating_add(7) & !7;
                if rem >= BLCKSZ as u64 - hsize {
                    pos = Lsn(page_lsn.0 + BLCKSZ as u64);
                    continue;
                }
                pos = Lsn(page_lsn.0 + hsize + rem);
            } else {
                pos = Lsn(page_lsn.0 + hsize);
            }
            break;
        }
        self.begin_at(pos);
        loop {
            if !self.read_one()? {
                return Err(WalError::EndOfWal {
                    lsn: self.next,
                    reason: format!("no record starts between {target} and {}", self.end),
                });
            }
            if self.cur >= target {
                self.pending = true;
                return Ok(self.cur);
            }
        }
    }

    /// The record returned by the last successful
    /// [`next_record`](Self::next_record), again.
    pub fn current(&mut self) -> Option<Record<'_>> {
        if self.pending || !self.cur.is_valid() {
            return None;
        }
        self.record().ok()
    }

    /// The current record as a [`Record`].
    fn record(&mut self) -> Result<Record<'_>> {
        let version = self.version.unwrap_or(PgVersion::V15);
        let bytes: &[u8] = match self.in_page {
            Some((page, off, len)) => &Self::fetch(&mut self.src, page)?[off..off + len],
            None => &self.buf,
        };
        Ok(Record::new(self.cur, self.cur_end, bytes, &self.decoded, version))
    }

    /// The next record, `Ok(None)` once the next one would end after the
    /// end set with [`set_end`](Self::set_end). When the WAL itself ends
    /// first the error is [`WalError::EndOfWal`].
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>> {
        if self.pending {
            self.pending = false;
        } else if !self.read_one()? {
            return Ok(None);
        }
        self.record().map(Some)
    }

    fn header(&self) -> Result<PageHeader> {
        self.page_hdr.ok_or_else(|| WalError::corrupt(self.next, "no page loaded".to_string()))
    }

    /// Reads and validates the page starting at `page_lsn`.
    fn load_page(&mut self, page_lsn: Lsn) -> Result<()> {
        if self.page_at == Some(page_lsn) {
            return Ok(());
        }
        self.page_at = None;
        self.page_hdr = None;
        let segno = page_lsn.segment(self.seg_size);
        let page = Self::fetch(&mut self.src, page_lsn)?;
        let hdr = PageHeader::parse(page)
            .ok_or_else(|| WalError::corrupt(page_lsn, "short page".to_string()))?;
        let version = hdr.validate(page_lsn, self.seg_size, self.sysid, self.min_tli).map_err(
            |p| match p {
                PageProblem::Stale(reason) => WalError::EndOfWal {
                    lsn: page_lsn,
                    reason: format!("{reason} (segment {})", self.src.segment_file_name(segno)),
                },
                PageProblem::Corrupt(reason) => WalError::corrupt(page_lsn, reason),
            },
        )?;
        if self.version.is_some_and(|v| v != version) {
            return Err(WalError::corrupt(
                page_lsn,
                format!("WAL page magic {:04X} differs from earlier pages", hdr.magic),
            ));
        }
        self.version = Some(version);
        if let Some(l) = hdr.long {
            self.sysid = l.sysid;
        }
        self.min_tli = hdr.timeline;
        self.page_at = Some(page_lsn);
        self.page_hdr = Some(hdr);
        Ok(())
    }

    /// The page at `page_lsn` from the source, its errors mapped to the
    /// reader's (a segment beyond the last one is the end of WAL).
    fn fetch(src: &mut S, page_lsn: Lsn) -> Result<&[u8]> {
        src.page(page_lsn).map_err(|e| match e {
            SourceError::Missing { segment, after_last: true } => WalError::EndOfWal {
                lsn: page_lsn,
                reason: format!("WAL segment {segment} is not available"),
            },
            SourceError::Missing { segment, .. } => {
                WalError::MissingSegment { lsn: page_lsn, segment }
            }
            SourceError::Io { segment, source } => WalError::Io { lsn: page_lsn, segment, source },
        })
    }

    /// Port of `ValidXLogRecordHeader`.
    fn validate_header(&self, at: Lsn, h: &RecordHeader) -> Result<()> {
        if (h.tot_len as usize) < SIZE_OF_XLOG_RECORD {
            return Err(WalError::corrupt(
                at,
                format!(
                    "invalid record length at {at}: wanted {SIZE_OF_XLOG_RECORD}, got {}",
                    h.tot_len
                ),
            ));
        }
        let custom_ok = self.version.is_some_and(|v| v >= PgVersion::V15);
        if !(h.rmid <= RM_MAX_BUILTIN_ID || (custom_ok && h.rmid >= RM_MIN_CUSTOM_ID)) {
            return Err(WalError::corrupt(
                at,
                format!("invalid resource manager ID {} at {at}", h.rmid),
            ));
        }
        let prev_ok = match self.prev {
            None => h.prev < at,
            Some(p) => h.prev == p,
        };
        if !prev_ok {
            return Err(WalError::corrupt(
                at,
                format!("record with incorrect prev-link {} at {at}", h.prev),
            ));
        }
        Ok(())
    }

    /// Where a record of `tot_len` bytes starting at `start` ends, counting
    /// the page headers it crosses.
    fn record_end(&self, start: Lsn, tot_len: u32) -> Lsn {
        let mut remaining = u64::from(tot_len);
        let mut pos = start.0;
        let first = remaining.min(BLCKSZ as u64 - u64::from(start.page_offset()));
        remaining -= first;
        pos += first;
        while remaining > 0 {
            let h = if Lsn(pos).segment_offset(self.seg_size) == 0 { 40 } else { 24 };
            let take = remaining.min(BLCKSZ as u64 - h);
            pos += h + take;
            remaining -= take;
        }
        Lsn(pos)
    }

    /// Reads the record at `self.next` into the buffers. False when it would
    /// end beyond `self.end`.
    fn read_one(&mut self) -> Result<bool> {
        let mut rec_ptr = self.next;
        'restart: loop {
            if rec_ptr >= self.end {
                return Ok(false);
            }
            let page_lsn = rec_ptr.page_start();
            self.load_page(page_lsn)?;
            let hdr = self.header()?;
            let hsize = hdr.size();
            let mut off = rec_ptr.page_offset() as usize;
            if off == 0 {
                rec_ptr = Lsn(rec_ptr.0 + hsize as u64);
                off = hsize;
                if rec_ptr >= self.end {
                    return Ok(false);
                }
            } else if off < hsize {
                return Err(WalError::corrupt(
                    rec_ptr,
                    format!("invalid record offset at {rec_ptr}"),
                ));
            }
            if hdr.is_contrecord() && off == hsize {
                return Err(WalError::corrupt(
                    rec_ptr,
                    format!("contrecord is requested by {rec_ptr}"),
                ));
            }
            let tot_len = crate::bytes::u32_at(Self::fetch(&mut self.src, page_lsn)?, off)
                .ok_or_else(|| {
                    WalError::corrupt(rec_ptr, format!("invalid record offset at {rec_ptr}"))
                })?;
            if tot_len == 0 {
                return Err(WalError::EndOfWal {
                    lsn: rec_ptr,
                    reason: format!("invalid record length at {rec_ptr}: wanted 24, got 0"),
                });
            }
            let header_on_page = off + SIZE_OF_XLOG_RECORD <= BLCKSZ;
            if header_on_page {
                let h = RecordHeader::parse(&Self::fetch(&mut self.src, page_lsn)?[off..])
                    .ok_or_else(|| {
                        WalError::corrupt(rec_ptr, format!("invalid record offset at {rec_ptr}"))
                    })?;
                self.validate_header(rec_ptr, &h)?;
            } else if (tot_len as usize) < SIZE_OF_XLOG_RECORD {
                return Err(WalError::corrupt(
                    rec_ptr,
                    format!("invalid record length at {rec_ptr}: wanted 24, got {tot_len}"),
                ));
            }
            if tot_len > MAX_RECORD_SIZE {
                return Err(WalError::corrupt(
                    rec_ptr,
                    format!("record length {tot_len} at {rec_ptr} too long"),
                ));
            }
            if self.record_end(rec_ptr, tot_len) > self.end {
                return Ok(false);
            }

            self.buf.clear();
            let first = (tot_len as usize).min(BLCKSZ - off);
            let next;
            if (tot_len as usize) > first {
                self.in_page = None;
                self.buf
                    .extend_from_slice(&Self::fetch(&mut self.src, page_lsn)?[off..off + first]);
                let mut got = first;
                let mut have_header = header_on_page;
                let mut cont_page = page_lsn;
                loop {
                    cont_page = Lsn(cont_page.0 + BLCKSZ as u64);
                    self.load_page(cont_page).map_err(|e| match e {
                        WalError::EndOfWal { reason, .. } => WalError::EndOfWal {
                            lsn: rec_ptr,
                            reason: format!("record at {rec_ptr} is incomplete: {reason}"),
                        },
                        other => other,
                    })?;
                    let ch = self.header()?;
                    if ch.info & XLP_FIRST_IS_OVERWRITE_CONTRECORD != 0 {
                        // The rest of this record was never written; the
                        // server wrote an OVERWRITE_CONTRECORD record here.
                        rec_ptr = cont_page;
                        continue 'restart;
                    }
                    if !ch.is_contrecord() {
                        return Err(WalError::corrupt(
                            rec_ptr,
                            format!("there is no contrecord flag at {cont_page}"),
                        ));
                    }
                    if ch.rem_len == 0 || u64::from(tot_len) != u64::from(ch.rem_len) + got as u64 {
                        return Err(WalError::corrupt(
                            rec_ptr,
                            format!(
                                "invalid contrecord length {} (expected {}) at {cont_page}",
                                ch.rem_len,
                                tot_len as usize - got
                            ),
                        ));
                    }
                    let chs = ch.size();
                    let len = (BLCKSZ - chs).min(ch.rem_len as usize);
                    self.buf
                        .extend_from_slice(&Self::fetch(&mut self.src, cont_page)?[chs..chs + len]);
                    got += len;
                    if !have_header && self.buf.len() >= SIZE_OF_XLOG_RECORD {
                        let h = RecordHeader::parse(&self.buf).ok_or_else(|| {
                            WalError::corrupt(rec_ptr, "short record header".to_string())
                        })?;
                        self.validate_header(rec_ptr, &h)?;
                        have_header = true;
                    }
                    if got >= tot_len as usize {
                        let rem = (u64::from(ch.rem_len) + 7) & !7;
                        next = Lsn(cont_page.0 + chs as u64 + rem);
                        break;
                    }
                }
            } else {
                self.in_page = Some((page_lsn, off, first));
                next = Lsn(rec_ptr.0 + u64::from(tot_len)).maxalign();
            }

            // Port of ValidXLogRecord: CRC-32C over the data, then the header
            // up to the CRC field.
            let n = tot_len as usize;
            let bytes: &[u8] = match self.in_page {
                Some((page, off, len)) => &Self::fetch(&mut self.src, page)?[off..off + len],
                None => &self.buf,
            };
            let crc =
                crc32c::crc32c_append(crc32c::crc32c(&bytes[SIZE_OF_XLOG_RECORD..n]), &bytes[..20]);
            let h = RecordHeader::parse(bytes)
                .ok_or_else(|| WalError::corrupt(rec_ptr, "short record header".to_string()))?;
            if crc != h.crc {
                return Err(WalError::corrupt(
                    rec_ptr,
                    format!("incorrect resource manager data checksum in record at {rec_ptr}"),
                ));
            }
            let mut next = next;
            if h.rmid == RM_XLOG_ID && h.info & 0xF0 == XLOG_SWITCH {
                // The rest of the segment is unused.
                let seg = u64::from(self.seg_size);
                next = Lsn(next.0.div_ceil(seg) * seg);
            }
            let version = self.version.unwrap_or(PgVersion::V15);
            self.decoded.decode(bytes, rec_ptr, version)?;
            self.cur = rec_ptr;
            self.cur_end = next;
            self.prev = Some(rec_ptr);
            self.next = next;
            if next > self.end {
                return Ok(false);
            }
            return Ok(true);
        }
    }
}

#[cfg(test)]
mod tests;
