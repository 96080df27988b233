//! Test support: builds WAL byte for byte the way the server lays it out
//! (page headers, continuation records, xl_prev chain, CRC), so reader and
//! decoder tests can place records exactly on page and segment boundaries.

use std::collections::BTreeMap;

use crate::layout::RelFileLocator;
use crate::layout::XLOG_BLCKSZ;
use crate::lsn::Lsn;
use crate::page::{XLP_FIRST_IS_CONTRECORD, XLP_LONG_HEADER};
use crate::record::Record;
use crate::source::MemSource;
use crate::WalReader;

pub const SYSID: u64 = 7_300_000_000_000_000_001;

/// A block reference to put into a test record.
#[derive(Debug, Clone, Default)]
pub struct TBlock {
    pub id: u8,
    pub fork: u8,
    /// `None` sets BKPBLOCK_SAME_REL.
    pub rel: Option<RelFileLocator>,
    pub blkno: u32,
    pub data: Vec<u8>,
    /// (stored bytes, hole offset, hole length, bimg_info)
    pub image: Option<(Vec<u8>, u16, u16, u8)>,
    pub extra_flags: u8,
}

/// Serializes a record (xl_prev and CRC are filled in by [`WalWriter`]).
pub fn record(rmid: u8, info: u8, xid: u32, blocks: &[TBlock], main: &[u8]) -> Vec<u8> {
    let mut hdr = Vec::new();
    let mut payload = Vec::new();
    for b in blocks {
        let mut flags = b.fork | b.extra_flags;
        if !b.data.is_empty() {
            flags |= 0x20;
        }
        if b.image.is_some() {
            flags |= 0x10;
        }
        if b.rel.is_none() {
            flags |= 0x80;
        }
        hdr.push(b.id);
        hdr.push(flags);
        hdr.extend_from_slice(&(b.data.len() as u16).to_le_bytes());
        if let Some((stored, hole_off, hole_len, info)) = &b.image {
            hdr.extend_from_slice(&(stored.len() as u16).to_le_bytes());
            hdr.extend_from_slice(&hole_off.to_le_bytes());
            hdr.push(*info);
            if info & 0x1C != 0 && info & 0x01 != 0 {
                hdr.extend_from_slice(&hole_len.to_le_bytes());
            }
            payload.extend_from_slice(stored);
        }
        if let Some(r) = b.rel {
            for v in [r.spc, r.db, r.rel] {
                hdr.extend_from_slice(&v.to_le_bytes());
            }
        }
        hdr.extend_from_slice(&b.blkno.to_le_bytes());
        payload.extend_from_slice(&b.data);
    }
    if !main.is_empty() {
        if main.len() <= 255 {
            hdr.push(255);
            hdr.push(main.len() as u8);
        } else {
            hdr.push(254);
            hdr.extend_from_slice(&(main.len() as u32).to_le_bytes());
        }
        payload.extend_from_slice(main);
    }
    let tot = 24 + hdr.len() + payload.len();
    let mut r = Vec::with_capacity(tot);
    r.extend_from_slice(&(tot as u32).to_le_bytes());
    r.extend_from_slice(&xid.to_le_bytes());
    r.extend_from_slice(&0u64.to_le_bytes());
    r.push(info);
    r.push(rmid);
    r.extend_from_slice(&[0, 0]);
    r.extend_from_slice(&0u32.to_le_bytes());
    r.extend_from_slice(&hdr);
    r.extend_from_slice(&payload);
    r
}

/// Lays records out in segments.
#[derive(Clone)]
pub struct WalWriter {
    pub seg_size: u32,
    pub magic: u16,
    /// Timeline written into new page headers.
    pub tli: u32,
    /// System identifier written into long page headers.
    pub sysid: u64,
    pub segments: BTreeMap<u64, Vec<u8>>,
    pub pos: u64,
    pub prev: u64,
}

impl WalWriter {
    /// Starts writing at the beginning of segment `segno`.
    pub fn new(seg_size: u32, segno: u64) -> Self {
        WalWriter {
            seg_size,
            magic: 0xD110,
            tli: 1,
            sysid: SYSID,
            segments: BTreeMap::new(),
            pos: segno * u64::from(seg_size),
            prev: 0,
        }
    }

    fn seg(&mut self, lsn: u64) -> &mut Vec<u8> {
        let size = self.seg_size as usize;
        self.segments.entry(lsn / u64::from(self.seg_size)).or_insert_with(|| vec![0; size])
    }

    /// Writes the header of the page starting at `self.pos`.
    fn init_page(&mut self, rem_len: u32) -> u64 {
        let at = self.pos;
        let long = at.is_multiple_of(u64::from(self.seg_size));
        let mut info = if rem_len > 0 { XLP_FIRST_IS_CONTRECORD } else { 0 };
        if long {
            info |= XLP_LONG_HEADER;
        }
        let (magic, seg_size, tli, sysid) = (self.magic, self.seg_size, self.tli, self.sysid);
        let off = (at % u64::from(seg_size)) as usize;
        let s = self.seg(at);
        let p = &mut s[off..off + 40];
        p[0..2].copy_from_slice(&magic.to_le_bytes());
        p[2..4].copy_from_slice(&info.to_le_bytes());
        p[4..8].copy_from_slice(&tli.to_le_bytes());
        p[8..16].copy_from_slice(&at.to_le_bytes());
        p[16..20].copy_from_slice(&rem_len.to_le_bytes());
        if long {
            p[24..32].copy_from_slice(&sysid.to_le_bytes());
            p[32..36].copy_from_slice(&seg_size.to_le_bytes());
            p[36..40].copy_from_slice(&(XLOG_BLCKSZ as u32).to_le_bytes());
        }
        let h = if long { 40 } else { 24 };
        self.pos += h;
        h
    }

    /// Appends a record, returning its start LSN.
    pub fn append(&mut self, mut rec: Vec<u8>) -> Lsn {
        self.pos = (self.pos + 7) & !7;
        if self.pos.is_multiple_of(XLOG_BLCKSZ as u64) {
            self.init_page(0);
        }
        let start = self.pos;
        rec[8..16].copy_from_slice(&self.prev.to_le_bytes());
        let crc = crc32c::crc32c_append(crc32c::crc32c(&rec[24..]), &rec[..20]);
        rec[20..24].copy_from_slice(&crc.to_le_bytes());
        let mut written = 0;
        while written < rec.len() {
            if self.pos.is_multiple_of(XLOG_BLCKSZ as u64) {
                self.init_page((rec.len() - written) as u32);
            }
            let room = XLOG_BLCKSZ - (self.pos % XLOG_BLCKSZ as u64) as usize;
            let n = room.min(rec.len() - written);
            let at = self.pos;
            let off = (at % u64::from(self.seg_size)) as usize;
            self.seg(at)[off..off + n].copy_from_slice(&rec[written..written + n]);
            written += n;
            self.pos += n as u64;
        }
        self.prev = start;
        Lsn(start)
    }

    /// Appends an XLOG_SWITCH record and moves to the next segment.
    pub fn switch(&mut self) -> Lsn {
        let lsn = self.append(record(0, 0x40, 0, &[], &[]));
        let seg = u64::from(self.seg_size);
        self.pos = self.pos.div_ceil(seg) * seg;
        lsn
    }

    /// The segments written so far, as a source.
    pub fn source(&self) -> MemSource {
        MemSource { seg_size: self.seg_size, segments: self.segments.clone() }
    }

    /// Writes segments `segnos` (all when empty) into `dir` as files of
    /// timeline `tli`, with `suffix` (e.g. `.partial`) after the name.
    pub fn write_files(&self, dir: &std::path::Path, tli: u32, segnos: &[u64], suffix: &str) {
        for (segno, bytes) in &self.segments {
            if segnos.is_empty() || segnos.contains(segno) {
                let name = crate::segment::SegmentName { timeline: tli, segno: *segno }
                    .file_name(self.seg_size);
                std::fs::write(dir.join(format!("{name}{suffix}")), bytes).unwrap();
            }
        }
    }

    /// Overwrites bytes at an LSN (to damage WAL in tests).
    pub fn poke(&mut self, lsn: u64, bytes: &[u8]) {
        let off = (lsn % u64::from(self.seg_size)) as usize;
        self.seg(lsn)[off..off + bytes.len()].copy_from_slice(bytes);
    }
}

/// A directory for a test's files, removed when dropped.
pub struct TestDir(pub std::path::PathBuf);

impl TestDir {
    pub fn new(name: &str) -> TestDir {
        let p = std::env::temp_dir().join(format!("waldecode-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TestDir(p)
    }

    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Reads the record at `lsn` of `w`'s WAL back and hands it to `f`.
pub fn with_record<T>(w: &WalWriter, lsn: Lsn, f: impl FnOnce(&Record<'_>) -> T) -> T {
    let mut r = WalReader::new(w.source());
    r.seek(lsn).unwrap();
    let rec = r.next_record().unwrap().unwrap();
    f(&rec)
}
