//! Where tracked pages live: in memory up to a byte budget, least recently
//! used pages spilled to an unlinked temporary file beyond it, so tracking
//! never grows without bound however many pages a range touches.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use super::page::PageBuf;
use crate::error::WalError;
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

/// Pages known by content.
pub struct PageStore {
    budget: usize,
    mem: HashMap<PageKey, (Box<PageBuf>, u64)>,
    lru: BTreeMap<u64, PageKey>,
    tick: u64,
    spill: Option<File>,
    spilled: HashMap<PageKey, u64>,
    free_slots: Vec<u64>,
    next_slot: u64,
}

impl PageStore {
    /// A store keeping at most `budget_bytes` of pages in memory.
    pub fn new(budget_bytes: usize) -> PageStore {
        PageStore {
            budget: budget_bytes.max(BLCKSZ * 16),
            mem: HashMap::new(),
            lru: BTreeMap::new(),
            tick: 0,
            spill: None,
            spilled: HashMap::new(),
            free_slots: Vec::new(),
            next_slot: 0,
        }
    }

    /// Pages in memory and spilled.
    pub fn counts(&self) -> (usize, usize) {
        (self.mem.len(), self.spilled.len())
    }

    fn touch(&mut self, key: PageKey) {
        self.tick += 1;
        let t = self.tick;
        if let Some((_, old)) = self.mem.get_mut(&key) {
            self.lru.remove(old);
            *old = t;
            self.lru.insert(t, key);
        }
    }

    fn spill_file(&mut self) -> io::Result<&File> {
        if self.spill.is_none() {
            let dir = std::env::temp_dir();
            let path = dir.join(format!("xlogminer-pages-{}-{}", std::process::id(), self.tick));
            let f =
                std::fs::OpenOptions::new().read(true).write(true).create_new(true).open(&path)?;
            // Unlinked at once: the file vanishes with the handle.
            std::fs::remove_file(&path)?;
            self.spill = Some(f);
        }
        self.spill.as_ref().ok_or_else(|| io::Error::other("no spill file"))
    }

    fn evict(&mut self) -> io::Result<()> {
        while self.mem.len() * BLCKSZ > self.budget {
            let Some((&t, &key)) = self.lru.iter().next() else { break };
            self.lru.remove(&t);
            let Some((page, _)) = self.mem.remove(&key) else { continue };
            let slot = match self.free_slots.pop() {
                Some(s) => s,
                None => {
                    self.next_slot += 1;
                    self.next_slot - 1
                }
            };
            self.spill_file()?.write_all_at(&page[..], slot * BLCKSZ as u64)?;
            self.spilled.insert(key, slot);
        }
        Ok(())
    }

    /// The page, brought back into memory if it was spilled.
    pub fn get(&mut self, key: PageKey) -> io::Result<Option<&mut PageBuf>> {
        if let Some(slot) = self.spilled.remove(&key) {
            let mut page = Box::new([0u8; BLCKSZ]);
            self.spill_file()?.read_exact_at(&mut page[..], slot * BLCKSZ as u64)?;
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
        if let Some((_, old)) = self.mem.insert(key, (page, self.tick)) {
            self.lru.remove(&old);
        }
        self.lru.insert(self.tick, key);
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
        if let Some((_, t)) = self.mem.remove(&key) {
            self.lru.remove(&t);
        }
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
