//! Running inputs: each target's stage, with panics caught and the
//! checks an input must pass (errors name their LSN; nothing is slow).

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use waldecode::describe;
use waldecode::heap::toast::ToastPointer;
use waldecode::heap::tuple::{deform, AttrDesc, Datum};
use waldecode::heap::{self, PageStore};
use waldecode::image::{self, ImageInfo};
use waldecode::layout::BLCKSZ;
use waldecode::mine::toast::{assemble, inline_plain, Chunk};
use waldecode::mine::xacts::XactTable;
use waldecode::record::Decoded;
use waldecode::rmgr::heap::HeapRecord;
use waldecode::rmgr::heap2::Heap2Record;
use waldecode::rmgr::xlog;
use waldecode::stats::WalStats;
use waldecode::{Lsn, PgVersion, Record, WalError, WalReader};

use super::corpus::{compression_of, Corpus};
use super::input::Input;

// ---------------------------------------------------------------------------
// Running inputs.

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
    static FUZZING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Keeps the messages of panics inside fuzzed stages instead of printing
/// them; other panics (a test's assertions) are reported as usual.
pub fn quiet_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !FUZZING.with(|f| f.get()) {
            return default(info);
        }
        let loc =
            info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        LAST_PANIC.with(|p| *p.borrow_mut() = Some(format!("panic: {msg}{loc}")));
    }));
}

/// Runs `f`, turning a panic into `Err` with its message and place (see
/// [`quiet_panics`]).
pub fn catching<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    LAST_PANIC.with(|p| p.borrow_mut().take());
    FUZZING.with(|f| f.set(true));
    let res = catch_unwind(AssertUnwindSafe(f));
    FUZZING.with(|f| f.set(false));
    res.map_err(|_| LAST_PANIC.with(|p| p.borrow_mut().take()).unwrap_or_else(|| "panic".into()))
}

/// How a stage took an input that did not make it fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Read as valid.
    Accepted,
    /// Refused with an error (as damaged input should be).
    Rejected,
}

/// Checks that a decoder error names an LSN in `range`, in its message too.
fn check_lsn(e: &WalError, range: Range<u64>) -> Result<Outcome, String> {
    let lsn = e.lsn();
    if !lsn.is_valid() || !range.contains(&lsn.0) {
        return Err(format!(
            "error without a plausible LSN ({lsn}, expected in {}..{}): {e}",
            Lsn(range.start),
            Lsn(range.end)
        ));
    }
    if !e.to_string().contains(&lsn.to_string()) {
        return Err(format!("error message does not name its LSN {lsn}: {e}"));
    }
    Ok(Outcome::Rejected)
}

/// What the later stages do with a record: describe it, count it, parse
/// it as the miner does (transaction outcomes, checkpoints, typed heap
/// records), restore its images, read its block data.
fn exercise(rec: &Record<'_>, stats: &mut WalStats) -> Result<Outcome, String> {
    XactTable::default().observe(rec);
    let _ = xlog::checkpoint(rec);
    let _ = HeapRecord::parse(rec.version(), rec.info(), rec.main_data());
    let _ = Heap2Record::parse(rec.version(), rec.info(), rec.main_data());
    let mut s = String::new();
    describe::description(rec, &mut s);
    s.clear();
    describe::block_refs(rec, &mut s);
    let _ = describe::record_type(rec);
    stats.add(rec);
    let mut page = vec![0u8; BLCKSZ];
    let mut outcome = Outcome::Accepted;
    for b in rec.blocks() {
        let _ = rec.block_data(b.id);
        if let Err(e) = rec.restore_image(b.id, &mut page) {
            outcome = check_lsn(&e, rec.lsn().0..rec.lsn().0 + 1)?;
        }
    }
    let _ = rec.main_data();
    Ok(outcome)
}

/// Splits a row version into columns and reads what it points to.
fn exercise_tuple(attrs: &[AttrDesc], tuple: &[u8]) -> Outcome {
    let _ = Chunk::parse(tuple);
    let Ok(values) = deform(tuple, attrs) else { return Outcome::Rejected };
    let mut outcome = Outcome::Accepted;
    for v in values {
        match v {
            Datum::Varlena(v) if inline_plain(v).is_err() => outcome = Outcome::Rejected,
            Datum::External(p) => {
                let _ = ToastPointer::parse(p).map(|p| p.describe());
            }
            _ => {}
        }
    }
    outcome
}

fn version_of(code: u16) -> Result<PgVersion, String> {
    PgVersion::from_page_magic(code).ok_or_else(|| format!("bad version {code:04X}"))
}

impl Corpus {
    /// Runs one input; `Err` with the reason when it fails.
    pub fn run(&self, input: &Input) -> Result<Outcome, String> {
        let t = Instant::now();
        let res = catching(|| self.run_inner(input)).and_then(|r| r);
        let took = t.elapsed();
        if res.is_ok() && took > Duration::from_secs(1) {
            return Err(format!("slow: {took:?}"));
        }
        res
    }

    fn run_inner(&self, input: &Input) -> Result<Outcome, String> {
        match input {
            Input::Reader { seed, at, window, truncate, start } => {
                let s = self.seeds.iter().find(|s| &s.name == seed).ok_or("unknown seed")?;
                let mut src = s.source.clone();
                let seg = u64::from(src.seg_size);
                let segno = *start / seg;
                if let Some(bytes) = src.segments.get_mut(&segno) {
                    let at = (*at as usize).min(bytes.len());
                    let n = window.len().min(bytes.len() - at);
                    bytes[at..at + n].copy_from_slice(&window[..n]);
                    if let Some(t) = truncate {
                        bytes.truncate(*t as usize);
                    }
                }
                let lo =
                    Lsn::from_segment(*src.segments.keys().next().unwrap_or(&0), src.seg_size).0;
                let hi = Lsn::from_segment(
                    src.segments.keys().next_back().unwrap_or(&0) + 1,
                    src.seg_size,
                )
                .0 + 1;
                let mut r = WalReader::new(src);
                let mut stats = WalStats::default();
                match r.seek(Lsn(*start)) {
                    Err(e) => return check_lsn(&e, lo..hi),
                    Ok(found) if found.0 < *start => {
                        return Err(format!("seek({}) found {found}", Lsn(*start)))
                    }
                    Ok(_) => {}
                }
                let mut last = Lsn(0);
                for _ in 0..64 {
                    match r.next_record() {
                        Ok(Some(rec)) => {
                            if rec.lsn() <= last || rec.end_lsn() <= rec.lsn() {
                                return Err(format!(
                                    "record at {} after {last}, ending at {}",
                                    rec.lsn(),
                                    rec.end_lsn()
                                ));
                            }
                            last = rec.lsn();
                            exercise(&rec, &mut stats)?;
                        }
                        Ok(None) => break,
                        Err(e) => return check_lsn(&e, lo..hi),
                    }
                }
                Ok(Outcome::Accepted)
            }
            Input::Record { version, lsn, bytes } => {
                let version = version_of(*version)?;
                let mut d = Decoded::default();
                match d.decode(bytes, Lsn(*lsn), version) {
                    Err(e) => check_lsn(&e, *lsn..*lsn + 1),
                    Ok(()) => {
                        let rec = Record::new(
                            Lsn(*lsn),
                            Lsn(*lsn + bytes.len() as u64),
                            bytes,
                            &d,
                            version,
                        );
                        exercise(&rec, &mut WalStats::default())
                    }
                }
            }
            Input::Image { hole_offset, hole_length, compression, stored } => {
                let info = ImageInfo {
                    bytes: 0..stored.len(),
                    hole_offset: *hole_offset,
                    hole_length: *hole_length,
                    bimg_info: 0,
                    apply: true,
                    compression: compression_of(*compression),
                };
                let mut page = vec![0u8; BLCKSZ];
                Ok(match image::restore(stored, &info, &mut page) {
                    Ok(()) => Outcome::Accepted,
                    Err(_) => Outcome::Rejected,
                })
            }
            Input::Redo { version, records, rels } => {
                let version = version_of(*version)?;
                let rels: HashMap<u32, &Vec<AttrDesc>> =
                    rels.iter().map(|(k, v)| (*k, v)).collect();
                let mut store = PageStore::new(1 << 20);
                let mut d = Decoded::default();
                let mut outcome = Outcome::Accepted;
                for (lsn, bytes) in records {
                    if let Err(e) = d.decode(bytes, Lsn(*lsn), version) {
                        outcome = check_lsn(&e, *lsn..*lsn + 1)?;
                        continue;
                    }
                    let rec =
                        Record::new(Lsn(*lsn), Lsn(*lsn + bytes.len() as u64), bytes, &d, version);
                    match heap::apply(&rec, &mut store, &mut heap::no_live_tuples) {
                        Err(e) => outcome = check_lsn(&e, *lsn..*lsn + 1)?,
                        Ok(changes) => {
                            for ch in changes {
                                let attrs =
                                    rels.get(&ch.locator.rel).map_or(&[][..], |a| a.as_slice());
                                for t in [&ch.old_tuple, &ch.new_tuple].into_iter().flatten() {
                                    exercise_tuple(attrs, t);
                                }
                            }
                        }
                    }
                }
                Ok(outcome)
            }
            Input::Tuple { attrs, tuple } => Ok(exercise_tuple(attrs, tuple)),
            Input::Toast { pointer, chunks } => {
                let ok = if chunks.is_empty() {
                    inline_plain(pointer).is_ok()
                } else {
                    ToastPointer::parse(pointer)
                        .is_some_and(|p| assemble(&p, chunks.clone()).is_ok())
                };
                Ok(if ok { Outcome::Accepted } else { Outcome::Rejected })
            }
        }
    }

    /// A smaller input that still fails (redo runs lose records, windows
    /// and byte strings are not cut: they are small already).
    pub fn minimize(&self, input: &Input) -> Input {
        let Input::Redo { version, records, rels } = input else { return input.clone() };
        let mut records = records.clone();
        let mut i = 0;
        while i < records.len() && records.len() > 1 {
            let mut fewer = records.clone();
            fewer.remove(i);
            let candidate =
                Input::Redo { version: *version, records: fewer.clone(), rels: rels.clone() };
            if self.run(&candidate).is_err() {
                records = fewer;
            } else {
                i += 1;
            }
        }
        Input::Redo { version: *version, records, rels: rels.clone() }
    }
}
