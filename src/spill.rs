//! The page store's spill file as a PostgreSQL temporary file: created
//! under `temp_tablespaces`, counted against `temp_file_limit`, removed
//! when the query ends — or, after an error, by the transaction's cleanup.
//! Pages are read and written whole at their slot's offset (no buffering
//! layer: each is one `pread`/`pwrite`).

use std::io;

use pgrx::pg_sys;
use waldecode::heap::page::PageBuf;
use waldecode::heap::store::Spill;
use waldecode::layout::BLCKSZ;

/// A temporary file of pages, one per `BLCKSZ` slot.
struct TempFile(pg_sys::File);

/// The byte offset of `slot`.
fn offset(slot: u64) -> io::Result<pg_sys::off_t> {
    slot.checked_mul(BLCKSZ as u64)
        .and_then(|o| pg_sys::off_t::try_from(o).ok())
        .ok_or_else(|| io::Error::other("spill file slot out of range"))
}

impl Spill for TempFile {
    fn write_page(&mut self, slot: u64, page: &PageBuf) -> io::Result<()> {
        let at = offset(slot)?;
        // SAFETY: BLCKSZ bytes from the page to an open file; going over
        // temp_file_limit raises an ERROR, which pgrx carries out.
        let n = unsafe { pg_sys::FileWrite(self.0, page.as_ptr() as *mut _, BLCKSZ as _, at, 0) };
        // int before PG 16, ssize_t after.
        if n as i64 != BLCKSZ as i64 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    fn read_page(&mut self, slot: u64, page: &mut PageBuf) -> io::Result<()> {
        let at = offset(slot)?;
        // SAFETY: at most BLCKSZ bytes into the page from an open file.
        let n = unsafe { pg_sys::FileRead(self.0, page.as_mut_ptr().cast(), BLCKSZ as _, at, 0) };
        // int before PG 16, ssize_t after.
        if n as i64 != BLCKSZ as i64 {
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
        // descriptor twice. A subtransaction's abort leaves it open (and,
        // the file unbuffered, closing it there writes nothing).
        // SAFETY: reads the transaction state; closes a file still open.
        unsafe {
            if pg_sys::IsTransactionState() || pg_sys::IsSubTransaction() {
                pg_sys::FileClose(self.0);
            }
        }
    }
}

/// Opens a spill file (the page store calls it once, when a page first
/// leaves memory).
pub fn temp_file() -> io::Result<Box<dyn Spill>> {
    // SAFETY: the file goes to the top transaction's resource owner, which
    // outlives the query's per-call contexts and any subtransaction around
    // the query.
    let f = unsafe {
        let owner = pg_sys::CurrentResourceOwner;
        pg_sys::CurrentResourceOwner = pg_sys::TopTransactionResourceOwner;
        let f = pg_sys::OpenTemporaryFile(false);
        pg_sys::CurrentResourceOwner = owner;
        f
    };
    if f < 0 {
        return Err(io::Error::other("could not create a temporary file"));
    }
    Ok(Box::new(TempFile(f)))
}
