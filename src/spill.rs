//! The page store's spill file as PostgreSQL temporary files: created
//! under `temp_tablespaces`, counted against `temp_file_limit`, removed
//! when the query ends — or, after an error, by the transaction's cleanup.

use std::io;

use pgrx::pg_sys;
use waldecode::heap::page::PageBuf;
use waldecode::heap::store::Spill;
use waldecode::layout::BLCKSZ;

/// A `BufFile` of pages, one per block.
struct TempFile(*mut pg_sys::BufFile);

impl TempFile {
    fn seek(&mut self, slot: u64) -> io::Result<()> {
        let block = std::ffi::c_long::try_from(slot)
            .map_err(|_| io::Error::other("spill file slot out of range"))?;
        // SAFETY: a BufFile this value owns, open until it is dropped.
        if unsafe { pg_sys::BufFileSeekBlock(self.0, block) } != 0 {
            return Err(io::Error::other(format!(
                "could not seek to block {slot} of a temporary file"
            )));
        }
        Ok(())
    }
}

impl Spill for TempFile {
    fn write_page(&mut self, slot: u64, page: &PageBuf) -> io::Result<()> {
        self.seek(slot)?;
        // SAFETY: BLCKSZ bytes from the page; an I/O failure or
        // temp_file_limit raises an ERROR, which pgrx carries out.
        unsafe { pg_sys::BufFileWrite(self.0, page.as_ptr() as *mut _, BLCKSZ) };
        Ok(())
    }

    fn read_page(&mut self, slot: u64, page: &mut PageBuf) -> io::Result<()> {
        self.seek(slot)?;
        // SAFETY: at most BLCKSZ bytes into the page.
        let n = unsafe { pg_sys::BufFileRead(self.0, page.as_mut_ptr().cast(), BLCKSZ) };
        if n != BLCKSZ {
            return Err(io::Error::other(format!(
                "read {n} of {BLCKSZ} bytes of a temporary file"
            )));
        }
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        // The file belongs to the top transaction's resource owner. When
        // the top transaction aborts, that owner closes it before the
        // memory holding this value goes: closing it again would free its
        // descriptor twice. A subtransaction's abort leaves it open.
        // SAFETY: reads the transaction state; closes a file still open.
        unsafe {
            if pg_sys::IsTransactionState() || (pg_sys::IsSubTransaction() && !aborting()) {
                pg_sys::BufFileClose(self.0);
            }
        }
    }
}

/// PG 18 drops the function's state (and so this file) inside a
/// subtransaction's abort, where closing would flush a page the failed
/// write left in BufFile's buffer and raise the same error again inside
/// the abort; the top transaction's resource owner closes the file
/// instead. Before 18 the state is dropped before the abort.
#[cfg(feature = "pg18")]
fn aborting() -> bool {
    // SAFETY: reads the transaction state.
    unsafe { pg_sys::IsAbortedTransactionBlockState() || !pg_sys::IsTransactionState() }
}

#[cfg(not(feature = "pg18"))]
fn aborting() -> bool {
    false
}

/// Opens a spill file (the page store calls it once, when a page first
/// leaves memory).
pub fn temp_file() -> io::Result<Box<dyn Spill>> {
    // SAFETY: the BufFile struct goes in the transaction's memory and its
    // file to the top transaction's resource owner, which outlive the
    // query's per-call contexts and any subtransaction around the query.
    let f = unsafe {
        let old = pg_sys::MemoryContextSwitchTo(pg_sys::TopTransactionContext);
        let owner = pg_sys::CurrentResourceOwner;
        pg_sys::CurrentResourceOwner = pg_sys::TopTransactionResourceOwner;
        let f = pg_sys::BufFileCreateTemp(false);
        pg_sys::CurrentResourceOwner = owner;
        pg_sys::MemoryContextSwitchTo(old);
        f
    };
    if f.is_null() {
        return Err(io::Error::other("could not create a temporary file"));
    }
    Ok(Box::new(TempFile(f)))
}
