//! Where tracked pages live: in memory up to a byte budget, least recently
//! used pages spilled to a temporary file beyond it, so tracking never
//! grows without bound however many pages a range touches. The file is a
//! [`Spill`]: the extension gives PostgreSQL's own temporary files (so
//! `temp_tablespaces` and `temp_file_limit` apply), tools and tests an
//! unlinked file of the system's temporary directory.

use std::collections::VecDeque;
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

/// Pages known by content.
pub struct PageStore {
    budget: usize,
    mem: FxHashMap<PageKey, (Box<PageBuf>, u64)>,
    /// Pages in order of use, oldest first, each with the tick of that
    /// use; entries whose tick is no longer the page's are stale and
    /// skipped (no search on every use).
    lru: VecDeque<(u64, PageKey)>,
    tick: u64,
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
            lru: VecDeque::new(),
            tick: 0,
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

    fn touch(&mut self, key: PageKey) {
        self.tick += 1;
        let t = self.tick;
        if let Some((_, used)) = self.mem.get_mut(&key) {
            *used = t;
            self.lru.push_back((t, key));
            self.compact();
        }
    }

    /// Drops stale entries once they outnumber the live ones.
    fn compact(&mut self) {
        if self.lru.len() > 2 * self.mem.len() + 1024 {
            let mem = &self.mem;
            self.lru.retain(|(t, k)| mem.get(k).is_some_and(|(_, used)| used == t));
        }
    }

    fn spill_file(&mut self) -> io::Result<&mut Box<dyn Spill>> {
        if self.spill.is_none() {
            self.spill = Some((self.make_spill)()?);
        }
        self.spill.as_mut().ok_or_else(|| io::Error::other("no spill file"))
    }

    fn evict(&mut self) -> io::Result<()> {
        while self.mem.len() * BLCKSZ > self.budget {
            let Some((t, key)) = self.lru.pop_front() else { break };
            if self.mem.get(&key).is_none_or(|(_, used)| *used != t) {
                continue; // stale: used again since, or forgotten
            }
            let Some((page, _)) = self.mem.remove(&key) else { continue };
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

    /// The page, brought back into memory if it was spilled.
    pub fn get(&mut self, key: PageKey) -> io::Result<Option<&mut PageBuf>> {
        if let Some(slot) = self.spilled.remove(&key) {
            let mut page = self.spare.pop().unwrap_or_else(|| Box::new([0u8; BLCKSZ]));
            self.spill_file()?.read_page(slot, &mut page)?;
            self.free_slots.push(slot);
            self.insert(key, page)?;
        }
        if !self.mem.contains_key(&key) {
            return Ok(None);
        }
        self.touch(key);
        Ok(self.mem.get_mut(&key).map(|(p, _)| &mut **p))
    }

    fn insert(&mut self, key: PageKey, page: Box<PageBuf>) -> io::Result<()> {
        self.tick += 1;
        self.mem.insert(key, (page, self.tick));
        self.lru.push_back((self.tick, key));
        self.compact();
        self.evict()
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
        self.mem.remove(&key);
        if let Some(slot) = self.spilled.remove(&key) {
            self.free_slots.push(slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
