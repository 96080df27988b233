//! The Heap resource manager (`access/heapam_xlog.h`): opcodes and flags,
//! the typed records — parsed once from a record's main data and used by
//! the description here, by the page redo in [`crate::heap`] and by the
//! miner — and ports of `heap_identify` and `heap_desc` (heapdesc.c).
//!
//! Text follows PostgreSQL 15 for every version, with the record layouts
//! of each version; PG 18's in-place update carries invalidation messages.

use std::fmt::Write;

use super::standby::desc_invalidations;
use super::text::{push_hex2, push_u32};
use super::DescInput;
use crate::bytes::Cursor;
use crate::record::XLR_INFO_MASK;
use crate::version::PgVersion;

// Heap opcodes (high nibble of xl_info, masked by XLOG_HEAP_OPMASK).
pub const XLOG_HEAP_INSERT: u8 = 0x00;
pub const XLOG_HEAP_DELETE: u8 = 0x10;
pub const XLOG_HEAP_UPDATE: u8 = 0x20;
pub const XLOG_HEAP_TRUNCATE: u8 = 0x30;
pub const XLOG_HEAP_HOT_UPDATE: u8 = 0x40;
pub const XLOG_HEAP_CONFIRM: u8 = 0x50;
pub const XLOG_HEAP_LOCK: u8 = 0x60;
pub const XLOG_HEAP_INPLACE: u8 = 0x70;
pub const XLOG_HEAP_OPMASK: u8 = 0x70;
/// The page is (re)initialized before the change (insert, update,
/// multi-insert).
pub const XLOG_HEAP_INIT_PAGE: u8 = 0x80;

// xl_heap_insert / xl_heap_multi_insert flags.
pub const XLH_INSERT_ALL_VISIBLE_CLEARED: u8 = 1 << 0;
pub const XLH_INSERT_LAST_IN_MULTI: u8 = 1 << 1;
pub const XLH_INSERT_IS_SPECULATIVE: u8 = 1 << 2;
pub const XLH_INSERT_CONTAINS_NEW_TUPLE: u8 = 1 << 3;
pub const XLH_INSERT_ON_TOAST_RELATION: u8 = 1 << 4;
pub const XLH_INSERT_ALL_FROZEN_SET: u8 = 1 << 5;

// xl_heap_update flags.
pub const XLH_UPDATE_OLD_ALL_VISIBLE_CLEARED: u8 = 1 << 0;
pub const XLH_UPDATE_NEW_ALL_VISIBLE_CLEARED: u8 = 1 << 1;
pub const XLH_UPDATE_CONTAINS_OLD_TUPLE: u8 = 1 << 2;
pub const XLH_UPDATE_CONTAINS_OLD_KEY: u8 = 1 << 3;
pub const XLH_UPDATE_CONTAINS_NEW_TUPLE: u8 = 1 << 4;
pub const XLH_UPDATE_PREFIX_FROM_OLD: u8 = 1 << 5;
pub const XLH_UPDATE_SUFFIX_FROM_OLD: u8 = 1 << 6;

// xl_heap_delete flags.
pub const XLH_DELETE_ALL_VISIBLE_CLEARED: u8 = 1 << 0;
pub const XLH_DELETE_CONTAINS_OLD_TUPLE: u8 = 1 << 1;
pub const XLH_DELETE_CONTAINS_OLD_KEY: u8 = 1 << 2;
pub const XLH_DELETE_IS_SUPER: u8 = 1 << 3;
pub const XLH_DELETE_IS_PARTITION_MOVE: u8 = 1 << 4;

// xl_heap_truncate flags.
pub const XLH_TRUNCATE_CASCADE: u8 = 1 << 0;
pub const XLH_TRUNCATE_RESTART_SEQS: u8 = 1 << 1;

// infobits_set bits (xl_heap_delete, _update, _lock, _lock_updated).
pub const XLHL_XMAX_IS_MULTI: u8 = 0x01;
pub const XLHL_XMAX_LOCK_ONLY: u8 = 0x02;
pub const XLHL_XMAX_EXCL_LOCK: u8 = 0x04;
pub const XLHL_XMAX_KEYSHR_LOCK: u8 = 0x08;
pub const XLHL_KEYS_UPDATED: u8 = 0x10;

/// xl_heap_lock / xl_heap_lock_updated flag.
pub const XLH_LOCK_ALL_FROZEN_CLEARED: u8 = 0x01;

/// `xl_heap_header`: the tuple header fields WAL logs in place of a whole
/// `HeapTupleHeaderData` (`SizeOfHeapHeader` = 5 bytes), followed by the
/// tuple's bytes from offset 23 (null bitmap, padding, data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XlHeapHeader {
    pub infomask2: u16,
    pub infomask: u16,
    pub hoff: u8,
}

impl XlHeapHeader {
    pub fn read(c: &mut Cursor<'_>) -> Option<XlHeapHeader> {
        Some(XlHeapHeader { infomask2: c.u16()?, infomask: c.u16()?, hoff: c.u8()? })
    }

    /// A header and the tuple bytes that follow it (the rest of `d`).
    pub fn split(d: &[u8]) -> Option<(XlHeapHeader, &[u8])> {
        let mut c = Cursor::new(d);
        let h = XlHeapHeader::read(&mut c)?;
        Some((h, c.bytes(c.remaining())?))
    }
}

/// `xl_heap_insert`; block 0's data is the new tuple (`xl_heap_header`
/// and its bytes) unless block 0 has an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XlHeapInsert {
    pub offnum: u16,
    pub flags: u8,
}

impl XlHeapInsert {
    pub fn is_speculative(&self) -> bool {
        self.flags & XLH_INSERT_IS_SPECULATIVE != 0
    }

    pub fn on_toast_relation(&self) -> bool {
        self.flags & XLH_INSERT_ON_TOAST_RELATION != 0
    }
}

/// `xl_heap_delete`, and the old tuple or key logged after it at
/// `wal_level = logical` (`xl_heap_header` and the tuple's bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XlHeapDelete<'a> {
    pub xmax: u32,
    pub offnum: u16,
    pub infobits_set: u8,
    pub flags: u8,
    /// What follows the struct in the main data.
    pub old: &'a [u8],
}

impl XlHeapDelete<'_> {
    /// A super-delete: a speculative insert taken back by its own
    /// transaction (`INSERT ... ON CONFLICT` that found a conflict).
    pub fn is_super(&self) -> bool {
        self.flags & XLH_DELETE_IS_SUPER != 0
    }

    /// The whole old tuple (REPLICA IDENTITY FULL), when logged.
    pub fn old_tuple(&self) -> Option<(XlHeapHeader, &[u8])> {
        if self.flags & XLH_DELETE_CONTAINS_OLD_TUPLE == 0 {
            return None;
        }
        XlHeapHeader::split(self.old)
    }
}

/// `xl_heap_update` (also HOT updates), and the old tuple or key logged
/// after it at `wal_level = logical`. Block 0 is the new tuple's page (its
/// data: [`XlHeapUpdateNew`]), block 1 the old tuple's when it differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XlHeapUpdate<'a> {
    pub old_xmax: u32,
    pub old_offnum: u16,
    pub old_infobits_set: u8,
    pub flags: u8,
    pub new_xmax: u32,
    pub new_offnum: u16,
    /// What follows the struct in the main data.
    pub old: &'a [u8],
}

impl XlHeapUpdate<'_> {
    /// The whole old tuple (REPLICA IDENTITY FULL), when logged.
    pub fn old_tuple(&self) -> Option<(XlHeapHeader, &[u8])> {
        if self.flags & XLH_UPDATE_CONTAINS_OLD_TUPLE == 0 {
            return None;
        }
        XlHeapHeader::split(self.old)
    }
}

/// Block 0's data of an update: the new tuple, without the prefix and
/// suffix it shares with the old one (their lengths come first when the
/// flags say so).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XlHeapUpdateNew<'a> {
    pub prefix_len: u16,
    pub suffix_len: u16,
    pub header: XlHeapHeader,
    /// The tuple's bytes from offset 23, without prefix and suffix.
    pub data: &'a [u8],
}

impl<'a> XlHeapUpdateNew<'a> {
    pub fn parse(update_flags: u8, d: &'a [u8]) -> Option<XlHeapUpdateNew<'a>> {
        let mut c = Cursor::new(d);
        let prefix_len = if update_flags & XLH_UPDATE_PREFIX_FROM_OLD != 0 { c.u16()? } else { 0 };
        let suffix_len = if update_flags & XLH_UPDATE_SUFFIX_FROM_OLD != 0 { c.u16()? } else { 0 };
        let header = XlHeapHeader::read(&mut c)?;
        Some(XlHeapUpdateNew { prefix_len, suffix_len, header, data: c.bytes(c.remaining())? })
    }
}

/// `xl_heap_truncate`: the relations a TRUNCATE emptied (logged at
/// `wal_level = logical`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XlHeapTruncate<'a> {
    pub db_id: u32,
    pub nrelids: u32,
    pub flags: u8,
    relids: &'a [u8],
}

impl XlHeapTruncate<'_> {
    /// The relation OIDs; `None` when the data holds fewer than `nrelids`.
    pub fn relids(&self) -> Option<Vec<u32>> {
        Cursor::new(self.relids).u32s(self.nrelids as usize)
    }
}

/// `xl_heap_lock`: a row lock (the locking xid is called xmax from PG 16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XlHeapLock {
    pub xmax: u32,
    pub offnum: u16,
    pub infobits_set: u8,
    pub flags: u8,
}

/// `xl_heap_inplace`: block 0's data is the tuple's new data area. From
/// PG 18 invalidation messages follow the offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XlHeapInplace<'a> {
    pub offnum: u16,
    /// PG 18+: (dbId, tsId, relcacheInitFileInval, nmsgs, msgs).
    pub invals: Option<(u32, u32, bool, i32, &'a [u8])>,
}

/// A heap record, parsed from its info byte and main data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeapRecord<'a> {
    Insert(XlHeapInsert),
    Delete(XlHeapDelete<'a>),
    Update {
        hot: bool,
        update: XlHeapUpdate<'a>,
    },
    Truncate(XlHeapTruncate<'a>),
    /// `xl_heap_confirm`: a speculative insert was confirmed.
    Confirm {
        offnum: u16,
    },
    Lock(XlHeapLock),
    Inplace(XlHeapInplace<'a>),
}

impl<'a> HeapRecord<'a> {
    /// Parses the fixed part of the main data; `None` when it is too short.
    /// Variable parts (old tuples, relation lists) are checked when used.
    pub fn parse(version: PgVersion, info: u8, d: &'a [u8]) -> Option<HeapRecord<'a>> {
        let mut c = Cursor::new(d);
        Some(match info & XLOG_HEAP_OPMASK {
            XLOG_HEAP_INSERT => {
                HeapRecord::Insert(XlHeapInsert { offnum: c.u16()?, flags: c.u8()? })
            }
            XLOG_HEAP_DELETE => HeapRecord::Delete(XlHeapDelete {
                xmax: c.u32()?,
                offnum: c.u16()?,
                infobits_set: c.u8()?,
                flags: c.u8()?,
                old: c.bytes(c.remaining())?,
            }),
            op @ (XLOG_HEAP_UPDATE | XLOG_HEAP_HOT_UPDATE) => HeapRecord::Update {
                hot: op == XLOG_HEAP_HOT_UPDATE,
                update: XlHeapUpdate {
                    old_xmax: c.u32()?,
                    old_offnum: c.u16()?,
                    old_infobits_set: c.u8()?,
                    flags: c.u8()?,
                    new_xmax: c.u32()?,
                    new_offnum: c.u16()?,
                    old: c.bytes(c.remaining())?,
                },
            },
            XLOG_HEAP_TRUNCATE => {
                let db_id = c.u32()?;
                let nrelids = c.u32()?;
                let flags = c.u8()?;
                // relids start at the struct's aligned end, offset 12.
                let relids = d.get(12..).unwrap_or(&[]);
                HeapRecord::Truncate(XlHeapTruncate { db_id, nrelids, flags, relids })
            }
            XLOG_HEAP_CONFIRM => HeapRecord::Confirm { offnum: c.u16()? },
            XLOG_HEAP_LOCK => HeapRecord::Lock(XlHeapLock {
                xmax: c.u32()?,
                offnum: c.u16()?,
                infobits_set: c.u8()?,
                flags: c.u8()?,
            }),
            _ => {
                let offnum = c.u16()?;
                let invals = if version.inplace_has_invals() {
                    // offnum, pad, dbId 4, tsId 8, relcacheInitFileInval
                    // 12, nmsgs 16, msgs 20.
                    c.seek(4)?;
                    let db = c.u32()?;
                    let ts = c.u32()?;
                    let init = c.bool()?;
                    c.seek(16)?;
                    let nmsgs = c.i32()?;
                    Some((db, ts, init, nmsgs, c.bytes(c.remaining())?))
                } else {
                    None
                };
                HeapRecord::Inplace(XlHeapInplace { offnum, invals })
            }
        })
    }
}

/// Port of `heap_identify` (heapdesc.c). Like the C, the whole high nibble
/// is matched, so only insert and the updates may carry `INIT_PAGE`.
pub fn identify(_version: PgVersion, info: u8) -> Option<&'static str> {
    Some(match info & !XLR_INFO_MASK {
        XLOG_HEAP_INSERT => "INSERT",
        x if x == XLOG_HEAP_INSERT | XLOG_HEAP_INIT_PAGE => "INSERT+INIT",
        XLOG_HEAP_DELETE => "DELETE",
        XLOG_HEAP_UPDATE => "UPDATE",
        x if x == XLOG_HEAP_UPDATE | XLOG_HEAP_INIT_PAGE => "UPDATE+INIT",
        XLOG_HEAP_HOT_UPDATE => "HOT_UPDATE",
        x if x == XLOG_HEAP_HOT_UPDATE | XLOG_HEAP_INIT_PAGE => "HOT_UPDATE+INIT",
        XLOG_HEAP_TRUNCATE => "TRUNCATE",
        XLOG_HEAP_CONFIRM => "HEAP_CONFIRM",
        XLOG_HEAP_LOCK => "LOCK",
        XLOG_HEAP_INPLACE => "INPLACE",
        _ => return None,
    })
}

/// `out_infobits` (heapdesc.c).
pub(crate) fn out_infobits(buf: &mut String, infobits: u8) {
    for (bit, name) in [
        (XLHL_XMAX_IS_MULTI, "IS_MULTI "),
        (XLHL_XMAX_LOCK_ONLY, "LOCK_ONLY "),
        (XLHL_XMAX_EXCL_LOCK, "EXCL_LOCK "),
        (XLHL_XMAX_KEYSHR_LOCK, "KEYSHR_LOCK "),
        (XLHL_KEYS_UPDATED, "KEYS_UPDATED "),
    ] {
        if infobits & bit != 0 {
            buf.push_str(name);
        }
    }
}

/// Appends each label followed by its number.
fn numbers(buf: &mut String, fields: &[(&str, u32)]) {
    for &(label, v) in fields {
        buf.push_str(label);
        push_u32(buf, v);
    }
}

/// Appends `label` and `flags` as `0x%02X`.
fn hex_flags(buf: &mut String, label: &str, flags: u8) {
    buf.push_str(label);
    buf.push_str("0x");
    push_hex2(buf, flags);
}

/// Port of `heap_desc` (heapdesc.c).
pub fn desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    if input.version.keyed_descriptions() {
        return super::desc16::heap(input, buf);
    }
    match HeapRecord::parse(input.version, input.info, input.main_data)? {
        // The records of every row change, spelled out without `write!`.
        HeapRecord::Insert(r) => {
            numbers(buf, &[("off ", r.offnum.into())]);
            hex_flags(buf, " flags ", r.flags);
        }
        HeapRecord::Delete(r) => {
            numbers(buf, &[("off ", r.offnum.into())]);
            hex_flags(buf, " flags ", r.flags);
            buf.push(' ');
            out_infobits(buf, r.infobits_set);
        }
        HeapRecord::Update { update: r, .. } => {
            numbers(buf, &[("off ", r.old_offnum.into()), (" xmax ", r.old_xmax)]);
            hex_flags(buf, " flags ", r.flags);
            buf.push(' ');
            out_infobits(buf, r.old_infobits_set);
            numbers(buf, &[("; new off ", r.new_offnum.into()), (" xmax ", r.new_xmax)]);
        }
        HeapRecord::Truncate(r) => {
            if r.flags & XLH_TRUNCATE_CASCADE != 0 {
                buf.push_str("cascade ");
            }
            if r.flags & XLH_TRUNCATE_RESTART_SEQS != 0 {
                buf.push_str("restart_seqs ");
            }
            let _ = write!(buf, "nrelids {} relids", r.nrelids);
            for relid in r.relids()? {
                let _ = write!(buf, " {relid}");
            }
        }
        HeapRecord::Confirm { offnum } => {
            let _ = write!(buf, "off {offnum}");
        }
        HeapRecord::Lock(r) => {
            numbers(buf, &[("off ", r.offnum.into()), (": xid ", r.xmax)]);
            hex_flags(buf, ": flags ", r.flags);
            buf.push(' ');
            out_infobits(buf, r.infobits_set);
        }
        HeapRecord::Inplace(r) => {
            let _ = write!(buf, "off {}", r.offnum);
            if let Some((db, ts, init, nmsgs, msgs)) = r.invals {
                desc_invalidations(buf, nmsgs, msgs, db, ts, init)?;
            }
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rmgr::testing::{desc, B};
    use crate::rmgr::{RM_HEAP_ID, TRUNCATED};

    const V: PgVersion = PgVersion::V15;

    #[test]
    fn insert() {
        let d = B::new().u16(3).u8(XLH_INSERT_ALL_VISIBLE_CLEARED).done();
        assert_eq!(desc(V, RM_HEAP_ID, XLOG_HEAP_INSERT, &d), "off 3 flags 0x01");
        assert_eq!(
            desc(V, RM_HEAP_ID, XLOG_HEAP_INSERT | XLOG_HEAP_INIT_PAGE, &d),
            "off 3 flags 0x01"
        );
        assert_eq!(desc(V, RM_HEAP_ID, XLOG_HEAP_INSERT, &d[..2]), TRUNCATED);
    }

    #[test]
    fn delete() {
        let d = B::new().u32(740).u16(2).u8(XLHL_KEYS_UPDATED).u8(0).done();
        assert_eq!(desc(V, RM_HEAP_ID, XLOG_HEAP_DELETE, &d), "off 2 flags 0x00 KEYS_UPDATED ");
        let d = B::new().u32(740).u16(7).u8(0).u8(XLH_DELETE_IS_SUPER).done();
        assert_eq!(desc(V, RM_HEAP_ID, XLOG_HEAP_DELETE, &d), "off 7 flags 0x08 ");
        let Some(HeapRecord::Delete(r)) = HeapRecord::parse(V, XLOG_HEAP_DELETE, &d) else {
            panic!("not a delete")
        };
        assert!(r.is_super());
        assert_eq!(r.old_tuple(), None);
        // An old tuple logged after the struct (REPLICA IDENTITY FULL).
        let d = B::new()
            .u32(740)
            .u16(7)
            .u8(0)
            .u8(XLH_DELETE_CONTAINS_OLD_TUPLE)
            .u16(2)
            .u16(0x0802)
            .u8(24)
            .bytes(b"\0row")
            .done();
        let Some(HeapRecord::Delete(r)) = HeapRecord::parse(V, XLOG_HEAP_DELETE, &d) else {
            panic!("not a delete")
        };
        let (h, t) = r.old_tuple().unwrap();
        assert_eq!((h.infomask2, h.infomask, h.hoff), (2, 0x0802, 24));
        assert_eq!(t, b"\0row");
    }

    #[test]
    fn update() {
        let d = B::new()
            .u32(741)
            .u16(1)
            .u8(XLHL_XMAX_IS_MULTI | XLHL_XMAX_LOCK_ONLY)
            .u8(XLH_UPDATE_PREFIX_FROM_OLD)
            .u32(0)
            .u16(4)
            .done();
        assert_eq!(
            desc(V, RM_HEAP_ID, XLOG_HEAP_UPDATE, &d),
            "off 1 xmax 741 flags 0x20 IS_MULTI LOCK_ONLY ; new off 4 xmax 0"
        );
        assert_eq!(
            desc(V, RM_HEAP_ID, XLOG_HEAP_HOT_UPDATE | XLOG_HEAP_INIT_PAGE, &d),
            "off 1 xmax 741 flags 0x20 IS_MULTI LOCK_ONLY ; new off 4 xmax 0"
        );
        assert_eq!(desc(V, RM_HEAP_ID, XLOG_HEAP_UPDATE, &d[..13]), TRUNCATED);
        let Some(HeapRecord::Update { hot: true, update }) =
            HeapRecord::parse(V, XLOG_HEAP_HOT_UPDATE, &d)
        else {
            panic!("not a HOT update")
        };
        assert_eq!((update.old_offnum, update.new_offnum), (1, 4));
        // Block 0 data with a prefix length and no suffix.
        let blk = B::new().u16(6).u16(2).u16(0x0802).u8(24).bytes(b"\0new").done();
        let n = XlHeapUpdateNew::parse(update.flags, &blk).unwrap();
        assert_eq!((n.prefix_len, n.suffix_len, n.header.hoff, n.data), (6, 0, 24, &b"\0new"[..]));
        assert_eq!(XlHeapUpdateNew::parse(XLH_UPDATE_SUFFIX_FROM_OLD, &blk[..3]), None);
    }

    #[test]
    fn others() {
        let d = B::new().u32(5).u32(2).u8(3).zeros(3).u32(16384).u32(16390).done();
        assert_eq!(
            desc(V, RM_HEAP_ID, XLOG_HEAP_TRUNCATE, &d),
            "cascade restart_seqs nrelids 2 relids 16384 16390"
        );
        assert_eq!(desc(V, RM_HEAP_ID, XLOG_HEAP_TRUNCATE, &d[..d.len() - 1]), TRUNCATED);
        assert_eq!(desc(V, RM_HEAP_ID, XLOG_HEAP_CONFIRM, &[5, 0]), "off 5");
        let d = B::new().u32(760).u16(9).u8(XLHL_XMAX_EXCL_LOCK | XLHL_XMAX_LOCK_ONLY).u8(1).done();
        assert_eq!(
            desc(V, RM_HEAP_ID, XLOG_HEAP_LOCK, &d),
            "off 9: xid 760: flags 0x01 LOCK_ONLY EXCL_LOCK "
        );
        assert_eq!(desc(V, RM_HEAP_ID, XLOG_HEAP_INPLACE, &[12, 0]), "off 12");
        let d18 = B::new()
            .u16(12)
            .zeros(2)
            .u32(5)
            .u32(1663)
            .u8(0)
            .zeros(3)
            .i32(1)
            .bytes(&[0xFE, 0, 0, 0])
            .u32(5)
            .u32(1259)
            .u32(0)
            .done();
        assert_eq!(
            desc(PgVersion::V18, RM_HEAP_ID, XLOG_HEAP_INPLACE, &d18),
            "off: 12; inval msgs: relcache 1259"
        );
    }

    #[test]
    fn identify_all() {
        let v = PgVersion::V15;
        assert_eq!(identify(v, 0x00), Some("INSERT"));
        assert_eq!(identify(v, 0x80), Some("INSERT+INIT"));
        assert_eq!(identify(v, 0x10), Some("DELETE"));
        assert_eq!(identify(v, 0x90), None);
        assert_eq!(identify(v, 0x20), Some("UPDATE"));
        assert_eq!(identify(v, 0xA0), Some("UPDATE+INIT"));
        assert_eq!(identify(v, 0x40), Some("HOT_UPDATE"));
        assert_eq!(identify(v, 0xC0), Some("HOT_UPDATE+INIT"));
        assert_eq!(identify(v, 0x30), Some("TRUNCATE"));
        assert_eq!(identify(v, 0x50), Some("HEAP_CONFIRM"));
        assert_eq!(identify(v, 0x60), Some("LOCK"));
        assert_eq!(identify(v, 0x70), Some("INPLACE"));
        assert_eq!(identify(v, 0xF0), None);
    }
}
