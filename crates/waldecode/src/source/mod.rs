//! Where WAL bytes come from. The reader knows nothing about files: it asks a
//! [`WalSource`] for one page at a time (as xlogreader.c asks its
//! `page_read` callback). [`DirSource`] reads a directory of segment files
//! (the server's `pg_wal`, an archive, a copy from another host) along one
//! timeline's history, `.partial` files included; [`MemSource`] serves
//! segments held in memory, for tests and fuzzing.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

use crate::bytes::u32_at;
use crate::layout::XLOG_BLCKSZ;
use crate::lsn::Lsn;
use crate::page::{PageHeader, XLP_LONG_HEADER};
use crate::segment::{is_valid_segment_size, SegmentName};
use crate::timeline::{history_file_name, parse_history_file_name, History};

/// Why a page could not be had.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// No file holds the segment. `after_last` tells whether it lies beyond
    /// the newest segment the source has (the end of the WAL) rather than
    /// in a gap.
    #[error("WAL segment {segment} is not available")]
    Missing { segment: String, after_last: bool },
    /// The segment's file was there when the source was opened and is not
    /// any more, or another file has taken its name: a checkpoint removed
    /// or recycled it.
    #[error("WAL segment {segment} was removed while it was being read")]
    Removed { segment: String },
    /// The segment's file ends before the page: it is shorter than a
    /// segment (a truncated copy).
    #[error("WAL segment file {segment} is truncated: {len} bytes instead of {seg_size}")]
    Short { segment: String, len: u64, seg_size: u32 },
    #[error("could not read WAL segment {segment}: {source}")]
    Io {
        segment: String,
        #[source]
        source: io::Error,
    },
}

/// A provider of WAL pages.
pub trait WalSource {
    /// The segment size of this WAL.
    fn segment_size(&self) -> u32;

    /// The page that starts at `page` (`XLOG_BLCKSZ` bytes), borrowed from
    /// the source's buffer until the next call.
    fn page(&mut self, page: Lsn) -> Result<&[u8], SourceError>;

    /// Copies the page that starts at `page` into `buf`.
    fn read_page(&mut self, page: Lsn, buf: &mut [u8]) -> Result<(), SourceError> {
        buf.copy_from_slice(self.page(page)?);
        Ok(())
    }

    /// The oldest and newest segment numbers available, if any.
    fn segment_range(&self) -> Option<(u64, u64)>;

    /// The first position of the oldest segment available (0 when none).
    fn oldest_lsn(&self) -> Lsn {
        self.segment_range()
            .map_or(Lsn::INVALID, |(first, _)| Lsn::from_segment(first, self.segment_size()))
    }

    /// The file name of the segment holding `lsn`, for messages.
    fn segment_file_name(&self, segno: u64) -> String;

    /// Whether the file segment `segno` was read from has been removed or
    /// replaced since: pages that do not belong where they were read are
    /// then a segment recycled under the reader, not damage.
    fn replaced(&self, _segno: u64) -> bool {
        false
    }
}

/// Errors opening a directory of segments.
#[derive(Debug, thiserror::Error)]
pub enum DirSourceError {
    #[error("could not open WAL directory \"{path}\": {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("no WAL segment files in directory \"{0}\"")]
    Empty(String),
    #[error("WAL segment file \"{path}\" is not valid: {reason}")]
    BadSegment { path: String, reason: String },
    #[error("timeline history file \"{path}\" is not valid: {reason}")]
    BadHistory { path: String, reason: String },
}

/// Bytes read from a file at a time: enough to amortize system calls, and
/// small enough to stay in the CPU's L2 cache until the pages are used
/// (measured: 64 kB reads from the page cache run at ~8 GB/s, 512 kB
/// reads at ~1.7 GB/s on the 2-core machine).
const CHUNK: usize = 8 * XLOG_BLCKSZ;

/// The file chosen for one segment.
#[derive(Debug, Clone)]
struct SegFile {
    tli: u32,
    path: PathBuf,
    partial: bool,
    /// Set when the file is an older timeline's, read because the
    /// timeline that follows on the history has no file for the segment:
    /// the WAL of this file ends at the switch point (the LSN), past which
    /// the segment belongs to the newer timeline (the id).
    ends_at: Option<(Lsn, u32)>,
}

/// The segment file open for reading, and its identity when opened.
struct OpenFile {
    segno: u64,
    file: File,
    dev: u64,
    ino: u64,
    len: u64,
}

/// Segment files in one directory, along one timeline's history: for each
/// segment the file of the timeline that holds the segment's end on the
/// history of the newest timeline (that timeline's `.history` file), as the
/// server's recovery and `xlogutils.c` pick them; WAL of a timeline past
/// the point where the history leaves it is not read. Without a history
/// file (timeline 1, or a copy that lacks it) the newest timeline's file of
/// each segment is used. A `.partial` file stands for its segment when no
/// complete file does.
pub struct DirSource {
    seg_size: u32,
    files: BTreeMap<u64, SegFile>,
    history: Option<History>,
    open: Option<OpenFile>,
    chunk: Vec<u8>,
    chunk_at: Option<(u64, u32)>,
    /// Bytes of the chunk read (less than a chunk at a truncated file's end).
    chunk_len: usize,
    /// The chunk's file's [`SegFile::ends_at`]: the reader asks for a page
    /// several times per record, and the file map is not searched again
    /// while it stays in the chunk.
    chunk_ends_at: Option<(Lsn, u32)>,
    /// LSN of the chunk's first byte, and how many bytes from there whole
    /// pages are served without the checks of a chunk change (0: none):
    /// the reader asks for the same page two or three times per record.
    chunk_lsn: u64,
    chunk_servable: u64,
}

/// What a directory holds, by name.
#[derive(Default)]
struct Listing {
    /// Complete and `.partial` segment files: name without suffix, partial.
    segments: Vec<(String, bool)>,
    /// Timelines with a history file.
    histories: Vec<u32>,
}

fn list(dir: &Path) -> Result<Listing, DirSourceError> {
    let io_err = |source| DirSourceError::Io { path: dir.display().to_string(), source };
    let mut l = Listing::default();
    for entry in std::fs::read_dir(dir).map_err(io_err)? {
        let entry = entry.map_err(io_err)?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(tli) = parse_history_file_name(name) {
            l.histories.push(tli);
            continue;
        }
        let (base, partial) = match name.strip_suffix(".partial") {
            Some(b) => (b, true),
            None => (name, false),
        };
        // 1 GB segments give the narrowest valid names; this only filters.
        if SegmentName::parse(base, 1 << 30).is_some()
            || SegmentName::parse(base, 1 << 20).is_some()
        {
            l.segments.push((base.to_string(), partial));
        }
    }
    l.segments.sort();
    Ok(l)
}

impl DirSource {
    /// Lists the segments in `dir`. `seg_size`, when known (the server's
    /// `wal_segment_size`), is checked against the files; otherwise it is
    /// read from the long page header of the oldest segment. `timeline` is
    /// the timeline whose history is followed (the server's own); by
    /// default the newest one the directory has segments or a history
    /// file of.
    pub fn open(
        dir: &Path,
        seg_size: Option<u32>,
        timeline: Option<u32>,
    ) -> Result<DirSource, DirSourceError> {
        let listing = list(dir)?;
        let Some((first, first_partial)) = listing.segments.first() else {
            return Err(DirSourceError::Empty(dir.display().to_string()));
        };
        let seg_size = match seg_size {
            Some(s) => s,
            None => read_segment_size(&dir.join(file_name(first, *first_partial)))?,
        };
        // (timeline, segno) -> (file name, partial); a complete file wins.
        let mut found: HashMap<(u32, u64), (String, bool)> = HashMap::new();
        for (base, partial) in &listing.segments {
            let Some(seg) = SegmentName::parse(base, seg_size) else {
                continue;
            };
            let e = found.entry((seg.timeline, seg.segno)).or_insert((base.clone(), *partial));
            if e.1 && !*partial {
                *e = (base.clone(), false);
            }
        }
        let newest = found.keys().map(|k| k.0).chain(listing.histories.iter().copied()).max();
        let target = timeline.or(newest).unwrap_or(1);
        let history = read_history(dir, target, &listing.histories)?;
        let files = match &history {
            Some(h) => along_history(h, &found, seg_size, dir),
            None => newest_per_segment(target, &found, dir),
        };
        if files.is_empty() {
            return Err(DirSourceError::Empty(dir.display().to_string()));
        }
        Ok(DirSource::over(seg_size, files, history))
    }

    /// A source over `files`, nothing read yet.
    fn over(seg_size: u32, files: BTreeMap<u64, SegFile>, history: Option<History>) -> DirSource {
        DirSource {
            seg_size,
            files,
            history,
            open: None,
            chunk: vec![0; CHUNK],
            chunk_at: None,
            chunk_len: 0,
            chunk_ends_at: None,
            chunk_lsn: 0,
            chunk_servable: 0,
        }
    }

    /// Another source over the same files (the same choice of file per
    /// segment), with buffers of its own: for reading a range on several
    /// threads.
    pub fn fork(&self) -> DirSource {
        DirSource::over(self.seg_size, self.files.clone(), self.history.clone())
    }

    /// The timeline whose history is followed, when it has one.
    pub fn history(&self) -> Option<&History> {
        self.history.as_ref()
    }

    /// The timeline of the file read for segment `segno`.
    pub fn timeline_of(&self, segno: u64) -> Option<u32> {
        self.files.get(&segno).map(|f| f.tli)
    }

    fn open_segment(&mut self, segno: u64) -> Result<(), SourceError> {
        self.open = None;
        self.chunk_at = None;
        self.chunk_servable = 0;
        let name = self.segment_file_name(segno);
        let Some(f) = self.files.get(&segno) else {
            let after_last = self.files.keys().next_back().is_none_or(|last| segno > *last);
            return Err(SourceError::Missing { segment: name, after_last });
        };
        let file = File::open(&f.path).map_err(|source| {
            if source.kind() == io::ErrorKind::NotFound {
                // Listed when the source was opened: removed since.
                SourceError::Removed { segment: name.clone() }
            } else {
                SourceError::Io { segment: name.clone(), source }
            }
        })?;
        let meta = file.metadata().map_err(|source| SourceError::Io { segment: name, source })?;
        self.open =
            Some(OpenFile { segno, file, dev: meta.dev(), ino: meta.ino(), len: meta.len() });
        Ok(())
    }

    #[inline(never)]
    fn page_slow(&mut self, page: Lsn) -> Result<&[u8], SourceError> {
        let segno = page.segment(self.seg_size);
        let off = page.segment_offset(self.seg_size);
        let chunk_off = off - off % CHUNK as u32;
        let in_chunk = self.chunk_at == Some((segno, chunk_off));
        let ends_at = if in_chunk {
            self.chunk_ends_at
        } else {
            self.files.get(&segno).and_then(|f| f.ends_at)
        };
        if let Some((end, newer)) = ends_at {
            if page >= end {
                let segment = SegmentName { timeline: newer, segno }.file_name(self.seg_size);
                return Err(SourceError::Missing { segment, after_last: true });
            }
        }
        if !in_chunk {
            self.load_chunk(segno, chunk_off)?;
        }
        let start = (off - chunk_off) as usize;
        if start + XLOG_BLCKSZ > self.chunk_len {
            return Err(SourceError::Short {
                segment: self.segment_file_name(segno),
                len: self.open.as_ref().map_or(0, |o| o.len),
                seg_size: self.seg_size,
            });
        }
        Ok(&self.chunk[start..start + XLOG_BLCKSZ])
    }

    fn load_chunk(&mut self, segno: u64, chunk_off: u32) -> Result<(), SourceError> {
        if self.open.as_ref().map(|o| o.segno) != Some(segno) {
            self.open_segment(segno)?;
        }
        let Some(open) = &self.open else {
            let name = self.segment_file_name(segno);
            return Err(SourceError::Missing { segment: name, after_last: false });
        };
        // The buffer is overwritten now: until the read succeeds it holds
        // no chunk to serve.
        self.chunk_at = None;
        self.chunk_servable = 0;
        let want = CHUNK.min((self.seg_size - chunk_off) as usize);
        let got = read_up_to(&open.file, &mut self.chunk[..want], u64::from(chunk_off))
            .map_err(|source| SourceError::Io { segment: self.segment_file_name(segno), source })?;
        let buf = &mut self.chunk[..got];
        // An older timeline's file past its switch point holds WAL that is
        // not on the history followed: it is not served.
        let ends_at = self.files.get(&segno).and_then(|f| f.ends_at);
        if let Some((end, _)) = ends_at {
            let end_off = u64::from(end.segment_offset(self.seg_size));
            let from = end_off.saturating_sub(u64::from(chunk_off)).min(got as u64) as usize;
            buf[from..].fill(0);
        }
        self.chunk_len = got;
        self.chunk_at = Some((segno, chunk_off));
        self.chunk_ends_at = ends_at;
        self.chunk_lsn = Lsn::from_segment(segno, self.seg_size).0 + u64::from(chunk_off);
        // A file that ends at a switch point serves pages only below it,
        // which the slow path checks: none served fast then.
        self.chunk_servable = if ends_at.is_some() {
            0
        } else {
            ((got - got % XLOG_BLCKSZ) as u64 + 1).saturating_sub(XLOG_BLCKSZ as u64)
        };
        Ok(())
    }
}

/// Reads into `buf` from `offset` until it is full or the file ends;
/// returns the bytes read (fewer at the end of a short file).
fn read_up_to(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read_at(&mut buf[got..], offset + got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// `name`, with the `.partial` suffix when `partial`.
fn file_name(base: &str, partial: bool) -> String {
    if partial {
        format!("{base}.partial")
    } else {
        base.to_string()
    }
}

/// The history of `target`, from its history file in `dir`; `None` when a
/// timeline after the first has no history file there.
fn read_history(
    dir: &Path,
    target: u32,
    histories: &[u32],
) -> Result<Option<History>, DirSourceError> {
    if target <= 1 {
        return Ok(Some(History::single(target)));
    }
    if !histories.contains(&target) {
        return Ok(None);
    }
    let path = dir.join(history_file_name(target));
    let bad =
        |reason: String| DirSourceError::BadHistory { path: path.display().to_string(), reason };
    let text = std::fs::read_to_string(&path).map_err(|e| bad(e.to_string()))?;
    History::parse(target, &text).map(Some).map_err(bad)
}

/// Each segment's file along `history`: the file of the timeline that
/// holds the segment's last byte. When that file is missing and the
/// segment is past every other one, the file of an older timeline that
/// ends inside the segment is read up to its switch point (the old
/// primary's last segment, often a `.partial`): the WAL of the directory
/// then ends there. A segment missing in the middle stays missing.
fn along_history(
    history: &History,
    found: &HashMap<(u32, u64), (String, bool)>,
    seg_size: u32,
    dir: &Path,
) -> BTreeMap<u64, SegFile> {
    let segnos: BTreeSet<u64> =
        found.keys().filter(|(tli, _)| history.has(*tli)).map(|(_, segno)| *segno).collect();
    let mut files = BTreeMap::new();
    let mut fallback = BTreeMap::new();
    let seg = |tli: u32, segno: u64, ends_at| {
        found.get(&(tli, segno)).map(|(base, partial)| SegFile {
            tli,
            path: dir.join(file_name(base, *partial)),
            partial: *partial,
            ends_at,
        })
    };
    for segno in segnos {
        let first = Lsn::from_segment(segno, seg_size);
        let last = Lsn(Lsn::from_segment(segno + 1, seg_size).0 - 1);
        let holder = history.entry_of(last);
        if let Some(f) = seg(holder.tli, segno, None) {
            files.insert(segno, f);
            continue;
        }
        let older = history
            .entries()
            .iter()
            .filter(|e| e.tli < holder.tli)
            .filter_map(|e| e.end.filter(|end| *end > first).map(|end| (e.tli, end)));
        for (tli, end) in older {
            if let Some(f) = seg(tli, segno, Some((end, holder.tli))) {
                fallback.insert(segno, f);
                break;
            }
        }
    }
    let last_regular = files.keys().next_back().copied();
    for (segno, f) in fallback {
        if last_regular.is_none_or(|l| segno > l) {
            files.insert(segno, f);
        }
    }
    files
}

/// Without a history: for each segment the file of the newest timeline up
/// to `target`, which follows a promotion in the common case.
fn newest_per_segment(
    target: u32,
    found: &HashMap<(u32, u64), (String, bool)>,
    dir: &Path,
) -> BTreeMap<u64, SegFile> {
    let mut files: BTreeMap<u64, SegFile> = BTreeMap::new();
    for (&(tli, segno), (base, partial)) in found {
        if tli > target || files.get(&segno).is_some_and(|f| f.tli >= tli) {
            continue;
        }
        let path = dir.join(file_name(base, *partial));
        files.insert(segno, SegFile { tli, path, partial: *partial, ends_at: None });
    }
    files
}

impl WalSource for DirSource {
    fn segment_size(&self) -> u32 {
        self.seg_size
    }

    #[inline]
    fn page(&mut self, page: Lsn) -> Result<&[u8], SourceError> {
        let rel = page.0.wrapping_sub(self.chunk_lsn);
        if rel < self.chunk_servable && rel.is_multiple_of(XLOG_BLCKSZ as u64) {
            let start = rel as usize;
            return Ok(&self.chunk[start..start + XLOG_BLCKSZ]);
        }
        self.page_slow(page)
    }

    fn segment_range(&self) -> Option<(u64, u64)> {
        Some((*self.files.keys().next()?, *self.files.keys().next_back()?))
    }

    fn segment_file_name(&self, segno: u64) -> String {
        if let Some(f) = self.files.get(&segno) {
            let name = SegmentName { timeline: f.tli, segno }.file_name(self.seg_size);
            return file_name(&name, f.partial);
        }
        // A missing segment is named after the timeline that holds it on
        // the history, or else after its neighbours'.
        let last = Lsn(Lsn::from_segment(segno + 1, self.seg_size).0.wrapping_sub(1));
        let timeline = match &self.history {
            Some(h) => Some(h.entry_of(last).tli),
            None => self.files.range(..segno).next_back().map(|(_, f)| f.tli),
        };
        SegmentName { timeline: timeline.unwrap_or(1), segno }.file_name(self.seg_size)
    }

    fn replaced(&self, segno: u64) -> bool {
        let Some(f) = self.files.get(&segno) else {
            return false;
        };
        match (std::fs::metadata(&f.path), &self.open) {
            (Err(_), _) => true,
            (Ok(m), Some(o)) if o.segno == segno => m.dev() != o.dev || m.ino() != o.ino,
            (Ok(_), _) => false,
        }
    }
}

/// Reads `xlp_seg_size` from the long header of a segment's first page.
fn read_segment_size(path: &Path) -> Result<u32, DirSourceError> {
    let bad =
        |reason: String| DirSourceError::BadSegment { path: path.display().to_string(), reason };
    let file = File::open(path).map_err(|e| bad(e.to_string()))?;
    let mut head = [0u8; 40];
    file.read_exact_at(&mut head, 0).map_err(|e| bad(e.to_string()))?;
    let hdr = PageHeader::parse(&head).ok_or_else(|| bad("short header".into()))?;
    if hdr.info & XLP_LONG_HEADER == 0 {
        return Err(bad("first page has no long header".into()));
    }
    let size = u32_at(&head, 32).unwrap_or(0);
    if !is_valid_segment_size(size) {
        return Err(bad(format!(
            "segment size {size} is not a power of two between 1 MB and 1 GB"
        )));
    }
    Ok(size)
}

/// Segments held in memory; for tests and fuzzing.
#[derive(Debug, Clone, Default)]
pub struct MemSource {
    pub seg_size: u32,
    pub segments: BTreeMap<u64, Vec<u8>>,
}

impl WalSource for MemSource {
    fn segment_size(&self) -> u32 {
        self.seg_size
    }

    fn page(&mut self, page: Lsn) -> Result<&[u8], SourceError> {
        let segno = page.segment(self.seg_size);
        let Some(seg) = self.segments.get(&segno) else {
            let after_last = self.segments.keys().next_back().is_none_or(|l| segno > *l);
            return Err(SourceError::Missing {
                segment: self.segment_file_name(segno),
                after_last,
            });
        };
        let off = page.segment_offset(self.seg_size) as usize;
        match seg.get(off..off + XLOG_BLCKSZ) {
            Some(b) => Ok(b),
            None => Err(SourceError::Io {
                segment: self.segment_file_name(segno),
                source: io::Error::new(io::ErrorKind::UnexpectedEof, "segment too short"),
            }),
        }
    }

    fn segment_range(&self) -> Option<(u64, u64)> {
        Some((*self.segments.keys().next()?, *self.segments.keys().next_back()?))
    }

    fn segment_file_name(&self, segno: u64) -> String {
        SegmentName { timeline: 1, segno }.file_name(self.seg_size)
    }
}

#[cfg(test)]
mod tests;
