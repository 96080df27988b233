//! Where tracked pages live: in memory up to a byte budget, the pages
//! least used of late spilled to a temporary file beyond it, so tracking never
//! grows without bound however many pages a range touches. The file is a
//! [`Spill`]: the extension gives PostgreSQL's own temporary files (so
//! `temp_tablespaces` and `temp_file_limit` apply), tools and tests an
//! unlinked file of the system's temporary directory.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use super::page::PageBuf;
use crate::error::WalError;
use crate::fxhash::FxHashMap;
use crate::layout::RelFileLocator;
use crate::layout::BLCKSZ;
use crate::lsn::Lsn;

/// The error of a page that could not be written to or read back from the
/// spill file, while applying the record at `lsn`.
pub fn io_error(lsn: Lsn, e: io::Error) -> WalError {
    WalError::Io { lsn, segment: "page cache spill file".into(), source: e }
}

/// Identity of a page: relation file, fork, block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PageKey {
    pub locator: RelFileLocator,
    pub fork: u8,
    pub blkno: u32,
}

/// A scratch file of pages, addressed by slot (page-sized).
pub trait Spill {
    fn write_page(&mut self, slot: u64, page: &PageBuf) -> io::Result<()>;
    fn read_page(&mut self, slot: u64, page: &mut PageBuf) -> io::Result<()>;
}

/// Opens the spill file, the first time a page must leave memory.
pub type SpillMaker = fn() -> io::Result<Box<dyn Spill>>;

/// A [`Spill`] in the system's temporary directory, unlinked at once (it
/// vanishes with the handle); created exclusively, so no name planted
/// there in advance is followed.
pub fn temp_file_spill() -> io::Result<Box<dyn Spill>> {
    struct TempFile(File);
    impl Spill for TempFile {
        fn write_page(&mut self, slot: u64, page: &PageBuf) -> io::Result<()> {
            self.0.write_all_at(&page[..], slot * BLCKSZ as u64)
        }
        fn read_page(&mut self, slot: u64, page: &mut PageBuf) -> io::Result<()> {
            self.0.read_exact_at(&mut page[..], slot * BLCKSZ as u64)
        }
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let path = std::env::temp_dir().join(format!("xlogminer-pages-{}-{nanos}", std::process::id()));
    let f = std::fs::OpenOptions::new().read(true).write(true).create_new(true).open(&path)?;
    std::fs::remove_file(&path)?;
    Ok(Box::new(TempFile(f)))
}

/// A page held in memory.
struct Resident {
    page: Box<PageBuf>,
    /// Used since the clock hand last passed it.
    referenced: bool,
    /// Its place on the clock.
    at: usize,
}

/// Pages known by content. Which page leaves memory first is chosen by
/// the clock (second-chance) approximation of least recently used: a use
/// only sets a flag, where exact recency would cost a queue entry per use.
pub struct PageStore {
    budget: usize,
    mem: FxHashMap<PageKey, Resident>,
    /// The pages in memory, in the order the hand visits them; `None`: a
    /// place freed (listed in `clock_free`).
    clock: Vec<Option<PageKey>>,
    clock_free: Vec<usize>,
    hand: usize,
    make_spill: SpillMaker,
    spill: Option<Box<dyn Spill>>,
    spilled: FxHashMap<PageKey, u64>,
    free_slots: Vec<u64>,
    next_slot: u64,
    /// Buffers of pages just spilled, for the next pages read back (an
    /// 8 kB allocation and zeroing fewer per page that goes round).
    spare: Vec<Box<PageBuf>>,
}

/// Most buffers kept in [`PageStore::spare`].
const SPARE_BUFFERS: usize = 4;

impl PageStore {
    /// A store keeping at most `budget_bytes` of pages in memory, spilling
    /// to a file of the system's temporary directory.
    pub fn new(budget_bytes: usize) -> PageStore {
        PageStore::with_spill(budget_bytes, temp_file_spill)
    }

    /// A store keeping at most `budget_bytes` of pages in memory, spilling
    /// to the file `make_spill` opens.
    pub fn with_spill(budget_bytes: usize, make_spill: SpillMaker) -> PageStore {
        PageStore {
            budget: budget_bytes.max(BLCKSZ * 16),
            mem: FxHashMap::default(),
            clock: Vec::new(),
            clock_free: Vec::new(),
            hand: 0,
            make_spill,
            spill: None,
            spilled: FxHashMap::default(),
            free_slots: Vec::new(),
            next_slot: 0,
            spare: Vec::new(),
        }
    }

    /// Pages in memory and spilled.
    pub fn counts(&self) -> (usize, usize) {
        (self.mem.len(), self.spilled.len())
    }

    /// The pages kept, in memory or spilled.
    #[cfg(test)]
    pub fn keys(&self) -> Vec<PageKey> {
        self.mem.keys().chain(self.spilled.keys()).copied().collect()
    }

    fn spill_file(&mut self) -> io::Result<&mut Box<dyn Spill>> {
        if self.spill.is_none() {
            self.spill = Some((self.make_spill)()?);
        }
        self.spill.as_mut().ok_or_else(|| io::Error::other("no spill file"))
    }

    /// The page in memory the hand stops at: the first one not used since
    /// it last passed, clearing the flags of those it passes. Never
    /// `keep` (the page just brought in). Two turns at most.
    fn victim(&mut self, keep: PageKey) -> Option<PageKey> {
        for _ in 0..2 * self.clock.len() {
            let at = self.hand;
            self.hand = (self.hand + 1) % self.clock.len();
            let Some(key) = self.clock[at] else { continue };
            if key == keep {
                continue;
            }
            let r = self.mem.get_mut(&key)?;
            if !std::mem::take(&mut r.referenced) {
                return Some(key);
            }
        }
        None
    }

    fn evict(&mut self, keep: PageKey) -> io::Result<()> {
        while self.mem.len() * BLCKSZ > self.budget {
            let Some(key) = self.victim(keep) else { break };
            let Some(page) = self.remove_resident(&key) else { break };
            let slot = match self.free_slots.pop() {
                Some(s) => s,
                None => {
                    self.next_slot += 1;
                    self.next_slot - 1
                }
            };
            self.spill_file()?.write_page(slot, &page)?;
            self.spilled.insert(key, slot);
            if self.spare.len() < SPARE_BUFFERS {
                self.spare.push(page);
            }
        }
        Ok(())
    }

    fn remove_resident(&mut self, key: &PageKey) -> Option<Box<PageBuf>> {
        let r = self.mem.remove(key)?;
        self.clock[r.at] = None;
        self.clock_free.push(r.at);
        Some(r.page)
    }

    /// The page, brought back into memory if it was spilled.
    pub fn get(&mut self, key: PageKey) -> io::Result<Option<&mut PageBuf>> {
        if let Some(slot) = self.spilled.remove(&key) {
            let mut page = self.spare.pop().unwrap_or_else(|| Box::new([0u8; BLCKSZ]));
            self.spill_file()?.read_page(slot, &mut page)?;
            self.free_slots.push(slot);
            self.insert(key, page)?;
        }
        Ok(self.mem.get_mut(&key).map(|r| {
            r.referenced = true;
            &mut *r.page
        }))
    }

    fn insert(&mut self, key: PageKey, page: Box<PageBuf>) -> io::Result<()> {
        if let Some(r) = self.mem.get_mut(&key) {
            r.page = page;
            r.referenced = true;
            return Ok(());
        }
        let at = match self.clock_free.pop() {
            Some(at) => {
                self.clock[at] = Some(key);
                at
            }
            None => {
                self.clock.push(Some(key));
                self.clock.len() - 1
            }
        };
        self.mem.insert(key, Resident { page, referenced: true, at });
        self.evict(key)
    }

    /// Stores `page` as the content of `key`.
    pub fn put(&mut self, key: PageKey, page: Box<PageBuf>) -> io::Result<()> {
        if let Some(slot) = self.spilled.remove(&key) {
            self.free_slots.push(slot);
        }
        self.insert(key, page)
    }

    /// Forgets a page whose content is no longer known.
    pub fn forget(&mut self, key: PageKey) {
        self.remove_resident(&key);
        if let Some(slot) = self.spilled.remove(&key) {
            self.free_slots.push(slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_in_use_stay_in_memory() {
        let mut s = PageStore::new(16 * BLCKSZ);
        let key =
            |b| PageKey { locator: RelFileLocator { spc: 1, db: 2, rel: 3 }, fork: 0, blkno: b };
        for b in 0..1000u32 {
            s.put(key(b), Box::new([b as u8; BLCKSZ])).unwrap();
            // Pages 0 and 1 are used between every two new pages.
            for hot in (0..2).filter(|h| *h <= b) {
                assert_eq!(s.get(key(hot)).unwrap().unwrap()[7], hot as u8);
            }
            assert!(s.counts().0 <= 16);
        }
        assert!(s.mem.contains_key(&key(0)) && s.mem.contains_key(&key(1)));
        assert_eq!(s.counts(), (16, 984));
        // The page just read back is never the one spilled for it.
        for b in (0..1000u32).rev() {
            assert_eq!(s.get(key(b)).unwrap().unwrap()[BLCKSZ - 1], b as u8);
        }
    }

    #[test]
    fn spills_and_returns_identical_pages() {
        let mut s = PageStore::new(16 * BLCKSZ);
        let key =
            |b| PageKey { locator: RelFileLocator { spc: 1, db: 2, rel: 3 }, fork: 0, blkno: b };
        for b in 0..100u32 {
            let mut p = Box::new([0u8; BLCKSZ]);
            p[0] = b as u8;
            p[BLCKSZ - 1] = (b * 7) as u8;
            s.put(key(b), p).unwrap();
        }
        let (mem, spilled) = s.counts();
        assert!(mem <= 16 && spilled >= 84, "{mem} {spilled}");
        for b in (0..100u32).rev() {
            let p = s.get(key(b)).unwrap().unwrap();
            assert_eq!(p[0], b as u8);
            assert_eq!(p[BLCKSZ - 1], (b * 7) as u8);
            p[1] = 42;
        }
        assert_eq!(s.get(key(5)).unwrap().unwrap()[1], 42);
        s.forget(key(5));
        assert!(s.get(key(5)).unwrap().is_none());
        assert!(s.get(key(500)).unwrap().is_none());
        assert!(s.counts().0 <= 16);
    }
}
