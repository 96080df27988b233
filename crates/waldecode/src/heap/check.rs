//! Heap redo checked against the server: over WAL written with
//! `wal_consistency_checking = 'heap,heap2'`, each heap record carries,
//! for every page it changed, the server's image of that page after the
//! change (not applied by redo). [`RedoCheck`] applies each record to the
//! page tracker and compares every page the tracker holds with that image,
//! masked as the server masks ([`super::mask`]) — what a standby's
//! `verifyBackupPageConsistency` (xlogrecovery.c) does.

use super::mask::first_difference;
use super::redo::{apply, no_live_tuples};
use super::store::{io_error, PageKey, PageStore};
use crate::describe::{record_type, rmgr_name};
use crate::error::Result;
use crate::layout::BLCKSZ;
use crate::record::{Record, XLR_CHECK_CONSISTENCY};
use crate::rmgr::{RM_HEAP2_ID, RM_HEAP_ID};

/// A page the tracker got wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// `lsn rmgr/type rel spc/db/rel blk N`.
    pub what: String,
    /// First differing byte after masking.
    pub offset: usize,
}

/// Counts of a check run.
#[derive(Debug, Default)]
pub struct RedoCheck {
    /// Heap and heap2 records that carried consistency-check images.
    pub records: u64,
    /// Pages compared with the server's image.
    pub compared: u64,
    /// Pages the tracker did not hold (never seen with an applied image
    /// or initialized since the start).
    pub untracked: u64,
    pub mismatches: Vec<Mismatch>,
}

impl RedoCheck {
    /// Applies `rec` to `store` and, for a heap record with consistency
    /// images, compares the tracked pages with them.
    pub fn record(&mut self, rec: &Record<'_>, store: &mut PageStore) -> Result<()> {
        apply(rec, store, &mut no_live_tuples)?;
        let heap = matches!(rec.rmid(), RM_HEAP_ID | RM_HEAP2_ID);
        if !heap || rec.info() & XLR_CHECK_CONSISTENCY == 0 {
            return Ok(());
        }
        self.records += 1;
        for b in rec.blocks() {
            // Applied images were installed as they are; visibility-map
            // pages are not tracked.
            if b.image.as_ref().is_none_or(|i| i.apply) || b.fork != 0 {
                continue;
            }
            let key = PageKey { locator: b.locator, fork: b.fork, blkno: b.blkno };
            let Some(ours) = store.get(key).map_err(|e| io_error(rec.lsn(), e))? else {
                self.untracked += 1;
                continue;
            };
            let ours = Box::new(*ours);
            let mut theirs = Box::new([0u8; BLCKSZ]);
            rec.restore_image(b.id, &mut theirs[..])?;
            self.compared += 1;
            if let Some(offset) = first_difference(&ours, &theirs, b.blkno) {
                let l = b.locator;
                let what = format!(
                    "{} {}/{} rel {}/{}/{} blk {}",
                    rec.lsn(),
                    rmgr_name(rec.rmid()),
                    record_type(rec),
                    l.spc,
                    l.db,
                    l.rel,
                    b.blkno
                );
                self.mismatches.push(Mismatch { what, offset });
                // Go on from the server's page, so one slip is reported once.
                store.put(key, theirs).map_err(|e| io_error(rec.lsn(), e))?;
            }
        }
        Ok(())
    }
}
