//! The record reader: walks pages, reassembles records that continue across
//! pages and segments, and checks each record the way xlogreader.c does
//! (`XLogDecodeNextRecord`, `ValidXLogRecordHeader`, `ValidXLogRecord`,
//! `XLogFindNextRecord`). Records are handed out one at a time, borrowing
//! the reader's reused buffers ([`WalReader::next_record`]).

use crate::bytes::u32_at;
use crate::error::{Result, WalError};
use crate::layout::XLOG_BLCKSZ;
use crate::lsn::Lsn;
use crate::page::{
    PageHeader, PageProblem, SIZE_OF_LONG_PHD, SIZE_OF_SHORT_PHD, XLP_FIRST_IS_OVERWRITE_CONTRECORD,
};
use crate::record::{
    Decoded, Record, RecordHeader, MAX_RECORD_SIZE, SIZE_OF_XLOG_RECORD, XL_CRC_OFFSET,
};
use crate::rmgr::{self, xlog};
use crate::source::{SourceError, WalSource};
use crate::version::PgVersion;

/// Reads records from a [`WalSource`].
pub struct WalReader<S> {
    src: S,
    seg_size: u32,
    page_at: Option<Lsn>,
    page_hdr: Option<PageHeader>,
    version: Option<PgVersion>,
    sysid: u64,
    /// The segment whose first page (long header) was validated last.
    identified_seg: Option<u64>,
    /// The page read last and its timeline (`latestPagePtr`,
    /// `latestPageTLI`): timelines may not go backwards as reading moves
    /// forward.
    latest_page: Lsn,
    latest_tli: u32,
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
    /// Records are decoded without their block references
    /// ([`Decoded::decode_headers_only`]).
    headers_only: bool,
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
            identified_seg: None,
            latest_page: Lsn::INVALID,
            latest_tli: 0,
            next: Lsn::INVALID,
            prev: None,
            end: Lsn(u64::MAX),
            buf: Vec::with_capacity(2 * XLOG_BLCKSZ),
            decoded: Decoded::default(),
            cur: Lsn::INVALID,
            cur_end: Lsn::INVALID,
            pending: false,
            in_page: None,
            headers_only: false,
        }
    }

    /// A reader over `src` that holds WAL to what this one has read: the
    /// same system identifier and version, so a segment of another system
    /// is refused wherever the new reader starts.
    pub fn fork_with(&self, src: S) -> Self {
        let mut r = WalReader::new(src);
        r.version = self.version;
        r.sysid = self.sysid;
        r.end = self.end;
        r.headers_only = self.headers_only;
        r
    }

    /// From the next record on, records come without their block
    /// references (`blocks()` is empty), every check still made: for work
    /// that needs only headers, lengths and main data (statistics).
    pub fn set_headers_only(&mut self, on: bool) {
        self.headers_only = on;
    }

    /// The timeline of the page read last.
    pub fn latest_timeline(&self) -> u32 {
        self.latest_tli
    }

    /// Positions the reader where the record at `prev` ended (`next`): as if
    /// it had just read that record, so the next one's prev-link must point
    /// at it.
    pub fn continue_after(&mut self, next: Lsn, prev: Lsn) {
        self.next = next;
        self.prev = Some(prev);
        self.pending = false;
    }

    pub fn source(&self) -> &S {
        &self.src
    }

    /// The source back, when reading is done (the fuzzer reuses it).
    pub fn into_source(self) -> S {
        self.src
    }

    pub fn segment_size(&self) -> u32 {
        self.seg_size
    }

    /// The version of the WAL read so far.
    pub fn version(&self) -> Option<PgVersion> {
        self.version
    }

    /// The system identifier seen in a long page header (0 before any):
    /// positioning reads the long header of the segment it lands in, and
    /// every later segment's must name the same system.
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
    /// `target` and returns its LSN (port of `XLogFindNextRecord`); the
    /// end set when no record from there ends by it. The server's flush
    /// LSN can fall within a record (its first pages written, the rest not
    /// yet): that record is not there yet, it is not damage.
    pub fn seek(&mut self, target: Lsn) -> Result<Lsn> {
        self.pending = false;
        let first = self.first_record_start_from(target)?;
        self.begin_at(first);
        loop {
            if !self.read_one()? {
                self.begin_at(self.end);
                return Ok(self.end);
            }
            if self.cur >= target {
                self.pending = true;
                return Ok(self.cur);
            }
        }
    }

    /// Where a record may start on `target`'s page or a later one: past
    /// the page header and past the rest of a record continued from an
    /// earlier page.
    fn first_record_start_from(&mut self, target: Lsn) -> Result<Lsn> {
        let mut page_lsn = target.page_start();
        loop {
            if page_lsn >= self.end {
                // Continued past the end: nothing starts before it.
                return Ok(self.end);
            }
            self.load_page(page_lsn)?;
            let hdr = self.header()?;
            let hsize = hdr.size() as u64;
            if !hdr.is_contrecord() {
                return Ok(Lsn(page_lsn.0 + hsize));
            }
            let rem = Lsn(u64::from(hdr.rem_len)).maxalign().0;
            if rem < XLOG_BLCKSZ as u64 - hsize {
                return Ok(Lsn(page_lsn.0 + hsize + rem));
            }
            page_lsn = Lsn(page_lsn.0 + XLOG_BLCKSZ as u64);
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
        let version = self.version.ok_or_else(|| {
            WalError::corrupt(self.cur, "no WAL page header read before the record".to_string())
        })?;
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

    /// Reads and validates the page starting at `page_lsn`. Entering a
    /// segment anywhere but at its start, its first page is read and
    /// validated first, as `ReadPageInternal` does: its long header
    /// identifies the database system, and every segment read must be of
    /// the same one.
    fn load_page(&mut self, page_lsn: Lsn) -> Result<()> {
        if self.page_at == Some(page_lsn) {
            return Ok(());
        }
        let segno = page_lsn.segment(self.seg_size);
        let seg_start = Lsn::from_segment(segno, self.seg_size);
        if self.identified_seg != Some(segno) && page_lsn != seg_start {
            self.validate_page(seg_start)?;
        }
        self.validate_page(page_lsn)
    }

    fn validate_page(&mut self, page_lsn: Lsn) -> Result<()> {
        self.page_at = None;
        self.page_hdr = None;
        let segno = page_lsn.segment(self.seg_size);
        let page = Self::fetch(&mut self.src, page_lsn)?;
        let hdr = PageHeader::parse(page)
            .ok_or_else(|| WalError::corrupt(page_lsn, "short page".to_string()))?;
        // As XLogReaderValidatePageHeader: the timeline is only checked
        // when reading moves forward, not when a page is read again.
        let min_tli = if page_lsn > self.latest_page { self.latest_tli } else { 0 };
        let version = hdr.validate(page_lsn, self.seg_size, self.sysid, min_tli).map_err(|p| {
            // A page that does not belong where it was read, from a
            // file that is gone or renamed: a checkpoint recycled the
            // segment while it was being read.
            if self.src.replaced(segno) {
                let segment = self.src.segment_file_name(segno);
                return WalError::Removed { lsn: page_lsn, segment };
            }
            match p {
                PageProblem::Stale(reason) => WalError::EndOfWal {
                    lsn: page_lsn,
                    reason: format!("{reason} (segment {})", self.src.segment_file_name(segno)),
                },
                PageProblem::Corrupt(reason) => WalError::corrupt(page_lsn, reason),
            }
        })?;
        if self.version.is_some_and(|v| v != version) {
            return Err(WalError::corrupt(
                page_lsn,
                format!("WAL page magic {:04X} differs from earlier pages", hdr.magic),
            ));
        }
        self.version = Some(version);
        if let Some(l) = hdr.long {
            self.sysid = l.sysid;
            self.identified_seg = Some(segno);
        }
        self.latest_page = page_lsn;
        self.latest_tli = hdr.timeline;
        self.page_at = Some(page_lsn);
        self.page_hdr = Some(hdr);
        Ok(())
    }

    /// The page at `page_lsn` from the source, its errors mapped to the
    /// reader's (a segment beyond the last one is the end of WAL).
    #[inline]
    fn fetch(src: &mut S, page_lsn: Lsn) -> Result<&[u8]> {
        src.page(page_lsn).map_err(|e| Self::source_error(page_lsn, e))
    }

    #[cold]
    fn source_error(page_lsn: Lsn, e: SourceError) -> WalError {
        match e {
            SourceError::Missing { segment, after_last: true } => WalError::EndOfWal {
                lsn: page_lsn,
                reason: format!("WAL segment {segment} is not available"),
            },
            SourceError::Missing { segment, .. } => {
                WalError::MissingSegment { lsn: page_lsn, segment }
            }
            SourceError::Removed { segment } => WalError::Removed { lsn: page_lsn, segment },
            e @ SourceError::Short { .. } => WalError::corrupt(page_lsn, e.to_string()),
            SourceError::Io { segment, source } => WalError::Io { lsn: page_lsn, segment, source },
        }
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
        let custom_ok = self.version.is_some_and(PgVersion::allows_custom_rmgrs);
        if !(h.rmid <= rmgr::RM_MAX_BUILTIN_ID || (custom_ok && h.rmid >= rmgr::RM_MIN_CUSTOM_ID)) {
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
        let page = XLOG_BLCKSZ as u64;
        let mut remaining = u64::from(tot_len);
        let mut pos = start.0;
        let first = remaining.min(page - u64::from(start.page_offset()));
        remaining -= first;
        pos += first;
        while remaining > 0 {
            let h = if Lsn(pos).segment_offset(self.seg_size) == 0 {
                SIZE_OF_LONG_PHD
            } else {
                SIZE_OF_SHORT_PHD
            } as u64;
            let take = remaining.min(page - h);
            pos += h + take;
            remaining -= take;
        }
        Lsn(pos)
    }

    /// Reads the record at `self.next` into the buffers. False when it would
    /// end beyond `self.end`.
    fn read_one(&mut self) -> Result<bool> {
        let mut at = self.next;
        loop {
            let Some((start, off)) = self.record_start(at)? else {
                return Ok(false);
            };
            at = start;
            let (tot_len, header_checked) = self.read_header(at, off)?;
            let in_page = tot_len as usize <= XLOG_BLCKSZ - off;
            let end =
                if in_page { Lsn(at.0 + u64::from(tot_len)) } else { self.record_end(at, tot_len) };
            if end > self.end {
                return Ok(false);
            }
            let next = if in_page {
                self.in_page = Some((at.page_start(), off, tot_len as usize));
                end.maxalign()
            } else {
                match self.reassemble(at, off, tot_len, header_checked)? {
                    Reassembled::Next(next) => next,
                    Reassembled::Overwritten(page) => {
                        // The rest of this record was never written; the
                        // server wrote an OVERWRITE_CONTRECORD record here.
                        at = page;
                        continue;
                    }
                }
            };
            return self.finish(at, tot_len, next);
        }
    }

    /// Loads the page of a record that should start at `at` and returns
    /// where it really starts (past the page header when `at` is a page's
    /// first byte) and its offset in the page; `None` at the end set.
    fn record_start(&mut self, at: Lsn) -> Result<Option<(Lsn, usize)>> {
        if at >= self.end {
            return Ok(None);
        }
        self.load_page(at.page_start())?;
        let hdr = self.header()?;
        let hsize = hdr.size();
        let mut at = at;
        let mut off = at.page_offset() as usize;
        if off == 0 {
            at = Lsn(at.0 + hsize as u64);
            off = hsize;
            if at >= self.end {
                return Ok(None);
            }
        } else if off < hsize {
            return Err(WalError::corrupt(at, format!("invalid record offset at {at}")));
        }
        if hdr.is_contrecord() && off == hsize {
            return Err(WalError::corrupt(at, format!("contrecord is requested by {at}")));
        }
        Ok(Some((at, off)))
    }

    /// Reads `xl_tot_len` of the record at `at` (offset `off` of the loaded
    /// page) and checks the header when it lies wholly on this page. Returns
    /// the length and whether the header was checked.
    fn read_header(&mut self, at: Lsn, off: usize) -> Result<(u32, bool)> {
        let page = Self::fetch(&mut self.src, at.page_start())?;
        let bad_offset = || WalError::corrupt(at, format!("invalid record offset at {at}"));
        let tot_len = u32_at(page, off).ok_or_else(bad_offset)?;
        if tot_len == 0 {
            return Err(WalError::EndOfWal {
                lsn: at,
                reason: format!(
                    "invalid record length at {at}: wanted {SIZE_OF_XLOG_RECORD}, got 0"
                ),
            });
        }
        let on_page = off + SIZE_OF_XLOG_RECORD <= XLOG_BLCKSZ;
        if on_page {
            let h = RecordHeader::parse(&page[off..]).ok_or_else(bad_offset)?;
            self.validate_header(at, &h)?;
        } else if (tot_len as usize) < SIZE_OF_XLOG_RECORD {
            return Err(WalError::corrupt(
                at,
                format!(
                    "invalid record length at {at}: wanted {SIZE_OF_XLOG_RECORD}, got {tot_len}"
                ),
            ));
        }
        if tot_len > MAX_RECORD_SIZE {
            return Err(WalError::corrupt(at, format!("record length {tot_len} at {at} too long")));
        }
        Ok((tot_len, on_page))
    }

    /// Copies a record that continues on later pages into `buf`, page by
    /// page, checking each continuation page's header (and the record
    /// header once its 24 bytes are together, if it was split).
    fn reassemble(
        &mut self,
        at: Lsn,
        off: usize,
        tot_len: u32,
        mut header_checked: bool,
    ) -> Result<Reassembled> {
        self.in_page = None;
        self.buf.clear();
        let first_page = at.page_start();
        let first = XLOG_BLCKSZ - off;
        self.buf.extend_from_slice(&Self::fetch(&mut self.src, first_page)?[off..]);
        let mut got = first;
        let mut page = first_page;
        loop {
            page = Lsn(page.0 + XLOG_BLCKSZ as u64);
            self.load_page(page).map_err(|e| match e {
                WalError::EndOfWal { reason, .. } => WalError::EndOfWal {
                    lsn: at,
                    reason: format!("record at {at} is incomplete: {reason}"),
                },
                other => other,
            })?;
            let ch = self.header()?;
            if ch.info & XLP_FIRST_IS_OVERWRITE_CONTRECORD != 0 {
                return Ok(Reassembled::Overwritten(page));
            }
            if !ch.is_contrecord() {
                return Err(WalError::corrupt(
                    at,
                    format!("there is no contrecord flag at {page}"),
                ));
            }
            if ch.rem_len == 0 || u64::from(tot_len) != u64::from(ch.rem_len) + got as u64 {
                return Err(WalError::corrupt(
                    at,
                    format!(
                        "invalid contrecord length {} (expected {}) at {page}",
                        ch.rem_len,
                        tot_len as usize - got
                    ),
                ));
            }
            let chs = ch.size();
            let len = (XLOG_BLCKSZ - chs).min(ch.rem_len as usize);
            self.buf.extend_from_slice(&Self::fetch(&mut self.src, page)?[chs..chs + len]);
            got += len;
            if !header_checked && self.buf.len() >= SIZE_OF_XLOG_RECORD {
                let h = RecordHeader::parse(&self.buf)
                    .ok_or_else(|| WalError::corrupt(at, "short record header".to_string()))?;
                self.validate_header(at, &h)?;
                header_checked = true;
            }
            if got >= tot_len as usize {
                let rem = Lsn(u64::from(ch.rem_len)).maxalign().0;
                return Ok(Reassembled::Next(Lsn(page.0 + chs as u64 + rem)));
            }
        }
    }

    /// Checks the CRC of the record now in the buffers, decodes it and
    /// makes it the current record. False when it ends beyond the end set.
    fn finish(&mut self, at: Lsn, tot_len: u32, next: Lsn) -> Result<bool> {
        let version = self.version.ok_or_else(|| {
            WalError::corrupt(at, "no WAL page header read before the record".to_string())
        })?;
        let bytes: &[u8] = match self.in_page {
            Some((page, off, len)) => &Self::fetch(&mut self.src, page)?[off..off + len],
            None => &self.buf,
        };
        let h = RecordHeader::parse(bytes)
            .ok_or_else(|| WalError::corrupt(at, "short record header".to_string()))?;
        // Port of ValidXLogRecord: CRC-32C over the data, then the header
        // up to the CRC field.
        let data = bytes.get(SIZE_OF_XLOG_RECORD..tot_len as usize).unwrap_or(&[]);
        let crc = crate::crc::record_crc(data, &bytes[..XL_CRC_OFFSET]);
        if crc != h.crc {
            return Err(WalError::corrupt(
                at,
                format!("incorrect resource manager data checksum in record at {at}"),
            ));
        }
        let mut next = next;
        if xlog::is_switch(h.rmid, h.info) {
            // The rest of the segment is unused.
            let seg = u64::from(self.seg_size);
            next = Lsn(next.0.div_ceil(seg) * seg);
        }
        if self.headers_only {
            self.decoded.decode_headers_only(bytes, at, version)?;
        } else {
            self.decoded.decode(bytes, at, version)?;
        }
        self.cur = at;
        self.cur_end = next;
        self.prev = Some(at);
        self.next = next;
        Ok(next <= self.end)
    }
}

/// How reassembling a multi-page record ended.
enum Reassembled {
    /// The record is whole; the next one starts here.
    Next(Lsn),
    /// The record was abandoned: an OVERWRITE_CONTRECORD record starts on
    /// this page instead.
    Overwritten(Lsn),
}

#[cfg(test)]
mod tests;
