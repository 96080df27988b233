//! What the server's storage holds now, for what the WAL does not show:
//! the tuple at a position of a relation's page (an old row version on a
//! page the WAL never imaged) and the chunks of a TOAST value (read past
//! MVCC). Pages are pinned, share-locked and copied, then read with the
//! decoder's checked page code; nothing is pruned on the way.

use pgrx::pg_sys;
use waldecode::heap::page as heap_page;
use waldecode::heap::toast::ToastPointer;
use waldecode::layout::BLCKSZ;
use waldecode::mine::toast::Chunk;

/// The tuple at `tid` of relation `relid` as its page holds it now.
pub fn tuple(relid: pg_sys::Oid, tid: (u32, u16)) -> Option<Vec<u8>> {
    let page = read_page(relid, tid.0)?;
    heap_page::tuple(&page, tid.1).map(<[u8]>::to_vec)
}

/// Block `blkno` of relation `relid` as it is now: pinned, share-locked
/// and copied, so it is read with the decoder's checked page code.
/// `None` when the relation is gone or shorter.
fn read_page(relid: pg_sys::Oid, blkno: u32) -> Option<Box<[u8; BLCKSZ]>> {
    let lock = pg_sys::AccessShareLock as i32;
    // SAFETY: the relation is opened with AccessShareLock and closed below;
    // the buffer is pinned and share-locked while its page is copied, and
    // only blocks below the relation's length are read.
    unsafe {
        let rel = pg_sys::try_relation_open(relid, lock);
        if rel.is_null() {
            return None;
        }
        let nblocks =
            pg_sys::RelationGetNumberOfBlocksInFork(rel, pg_sys::ForkNumber::MAIN_FORKNUM);
        let page = (blkno < nblocks).then(|| copy_block(rel, blkno));
        pg_sys::relation_close(rel, lock);
        page
    }
}

/// Copies block `blkno` of the open relation `rel` under a share lock.
///
/// # Safety
/// `rel` must be open and `blkno` below its length.
unsafe fn copy_block(rel: pg_sys::Relation, blkno: u32) -> Box<[u8; BLCKSZ]> {
    let mut page = Box::new([0u8; BLCKSZ]);
    // SAFETY: per the contract; the page is BLCKSZ bytes of a pinned buffer.
    unsafe {
        let buf = pg_sys::ReadBuffer(rel, blkno);
        pg_sys::LockBuffer(buf, pg_sys::BUFFER_LOCK_SHARE as i32);
        std::ptr::copy_nonoverlapping(
            pg_sys::BufferGetPage(buf).cast::<u8>(),
            page.as_mut_ptr(),
            BLCKSZ,
        );
        pg_sys::UnlockReleaseBuffer(buf);
    }
    page
}

/// The chunks of a TOAST value in the live TOAST relation, read past MVCC:
/// the chunks of a value deleted since stay until VACUUM removes them. The
/// relation's index on `chunk_id` gives their positions (with
/// `SnapshotAny`, dead entries included); each page is copied under a
/// share lock and the chunk read from the copy with the decoder's checked
/// page code, so nothing is pruned on the way (a heap fetch through the
/// index would prune the very chunks it looks for).
pub fn toast_chunks(ptr: &ToastPointer) -> Option<Vec<(i32, Vec<u8>)>> {
    let relid = pg_sys::Oid::from(ptr.toastrelid);
    let lock = pg_sys::AccessShareLock as i32;
    // SAFETY: the relation and its index are opened with AccessShareLock
    // and closed below; each buffer is pinned and share-locked while its
    // page is copied.
    unsafe {
        let rel = pg_sys::try_relation_open(relid, lock);
        if rel.is_null() {
            return None;
        }
        let indexes = pgrx::PgList::<pg_sys::Oid>::from_pg(pg_sys::RelationGetIndexList(rel));
        let index_oid = indexes.iter_oid().next();
        let (true, Some(index_oid)) =
            ((*(*rel).rd_rel).relkind as u8 == pg_sys::RELKIND_TOASTVALUE, index_oid)
        else {
            pg_sys::relation_close(rel, lock);
            return None;
        };
        let index = pg_sys::index_open(index_oid, lock);
        let mut key = pg_sys::ScanKeyData::default();
        pg_sys::ScanKeyInit(
            &mut key,
            1,
            pg_sys::BTEqualStrategyNumber as u16,
            pg_sys::Oid::from(pg_sys::F_OIDEQ),
            pg_sys::Datum::from(ptr.valueid),
        );
        // PG 18 added an instrumentation argument (NULL: none).
        #[cfg(feature = "pg18")]
        let scan = pg_sys::index_beginscan(
            rel,
            index,
            &raw mut pg_sys::SnapshotAnyData,
            std::ptr::null_mut(),
            1,
            0,
        );
        #[cfg(not(feature = "pg18"))]
        let scan = pg_sys::index_beginscan(rel, index, &raw mut pg_sys::SnapshotAnyData, 1, 0);
        (*scan).ignore_killed_tuples = false;
        pg_sys::index_rescan(scan, &mut key, 1, std::ptr::null_mut(), 0);
        let nblocks =
            pg_sys::RelationGetNumberOfBlocksInFork(rel, pg_sys::ForkNumber::MAIN_FORKNUM);
        let mut chunks = Vec::new();
        loop {
            let tid = pg_sys::index_getnext_tid(scan, pg_sys::ScanDirection::ForwardScanDirection);
            if tid.is_null() {
                break;
            }
            let blkno = u32::from((*tid).ip_blkid.bi_hi) << 16 | u32::from((*tid).ip_blkid.bi_lo);
            if blkno >= nblocks {
                continue;
            }
            let page = copy_block(rel, blkno);
            let chunk = heap_page::tuple(&page, (*tid).ip_posid).and_then(Chunk::parse);
            if let Some(c) = chunk.filter(|c| c.value_id == ptr.valueid) {
                chunks.push((c.seq, c.data.to_vec()));
            }
        }
        pg_sys::index_endscan(scan);
        pg_sys::index_close(index, lock);
        pg_sys::relation_close(rel, lock);
        Some(chunks)
    }
}
