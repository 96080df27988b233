//! Resource managers: names, record-type names (`rm_identify`) and
//! human-readable descriptions (`rm_desc`) of every built-in resource manager,
//! matching what `pg_waldump` and `pg_walinspect` print.
//!
//! The output follows PostgreSQL 15's `src/backend/access/rmgrdesc/*.c`
//! (see each module). Record layouts are read per [`PgVersion`] where they
//! differ; where the text PostgreSQL 16–18 print differs and is known
//! (PG 17's heap2 prune records, `CHECKPOINT_REDO`, `wal_level` in
//! checkpoints), that is followed too; otherwise other versions get the
//! PG 15 wording. Every read is bounds-checked: a description whose main
//! data is too short prints [`TRUNCATED`] instead.

pub mod cursor;
pub mod fmt;
pub mod gin;
pub mod heap;
pub mod index;
pub mod standby;
pub mod storage;
pub mod xact;
pub mod xlog;

use crate::version::PgVersion;

/// What a description may look at: the record's info byte, its main data and,
/// for the few descriptions that need it (btree, gin), block 0.
#[derive(Debug, Clone, Copy)]
pub struct DescInput<'a> {
    pub version: PgVersion,
    pub rmid: u8,
    /// `xl_info`, all eight bits.
    pub info: u8,
    pub main_data: &'a [u8],
    /// Whether block 0 exists and carries a full-page image.
    pub block0_has_image: bool,
    /// Block 0's data, when block 0 exists and has data.
    pub block0_data: Option<&'a [u8]>,
}

/// Printed instead of a description whose data ends too soon.
pub const TRUNCATED: &str = "<truncated>";

/// `XLR_INFO_MASK` (xlogrecord.h): the low bits of `xl_info` that are not
/// the resource manager's.
pub const XLR_INFO_MASK: u8 = 0x0F;

// Resource manager ids, in `rmgrlist.h` order.
pub const RM_XLOG_ID: u8 = 0;
pub const RM_XACT_ID: u8 = 1;
pub const RM_SMGR_ID: u8 = 2;
pub const RM_CLOG_ID: u8 = 3;
pub const RM_DBASE_ID: u8 = 4;
pub const RM_TBLSPC_ID: u8 = 5;
pub const RM_MULTIXACT_ID: u8 = 6;
pub const RM_RELMAP_ID: u8 = 7;
pub const RM_STANDBY_ID: u8 = 8;
pub const RM_HEAP2_ID: u8 = 9;
pub const RM_HEAP_ID: u8 = 10;
pub const RM_BTREE_ID: u8 = 11;
pub const RM_HASH_ID: u8 = 12;
pub const RM_GIN_ID: u8 = 13;
pub const RM_GIST_ID: u8 = 14;
pub const RM_SEQ_ID: u8 = 15;
pub const RM_SPGIST_ID: u8 = 16;
pub const RM_BRIN_ID: u8 = 17;
pub const RM_COMMIT_TS_ID: u8 = 18;
pub const RM_REPLORIGIN_ID: u8 = 19;
pub const RM_GENERIC_ID: u8 = 20;
pub const RM_LOGICALMSG_ID: u8 = 21;
/// The highest built-in resource manager id.
pub const RM_MAX_BUILTIN_ID: u8 = RM_LOGICALMSG_ID;

/// The name of a built-in resource manager, as in `rmgrlist.h`.
pub fn rmgr_name(rmid: u8) -> Option<&'static str> {
    Some(match rmid {
        RM_XLOG_ID => "XLOG",
        RM_XACT_ID => "Transaction",
        RM_SMGR_ID => "Storage",
        RM_CLOG_ID => "CLOG",
        RM_DBASE_ID => "Database",
        RM_TBLSPC_ID => "Tablespace",
        RM_MULTIXACT_ID => "MultiXact",
        RM_RELMAP_ID => "RelMap",
        RM_STANDBY_ID => "Standby",
        RM_HEAP2_ID => "Heap2",
        RM_HEAP_ID => "Heap",
        RM_BTREE_ID => "Btree",
        RM_HASH_ID => "Hash",
        RM_GIN_ID => "Gin",
        RM_GIST_ID => "Gist",
        RM_SEQ_ID => "Sequence",
        RM_SPGIST_ID => "SPGist",
        RM_BRIN_ID => "BRIN",
        RM_COMMIT_TS_ID => "CommitTs",
        RM_REPLORIGIN_ID => "ReplicationOrigin",
        RM_GENERIC_ID => "Generic",
        RM_LOGICALMSG_ID => "LogicalMessage",
        _ => return None,
    })
}

/// The record type name the resource manager's `*_identify` function gives
/// `info` (all eight bits of `xl_info`), or `None` where it returns NULL
/// (including for ids that are not built-in resource managers).
pub fn identify(version: PgVersion, rmid: u8, info: u8) -> Option<&'static str> {
    match rmid {
        RM_XLOG_ID => xlog::identify(version, info),
        RM_XACT_ID => xact::identify(info),
        RM_SMGR_ID => storage::smgr_identify(info),
        RM_CLOG_ID => storage::clog_identify(info),
        RM_DBASE_ID => storage::dbase_identify(version, info),
        RM_TBLSPC_ID => storage::tblspc_identify(info),
        RM_MULTIXACT_ID => storage::multixact_identify(info),
        RM_RELMAP_ID => storage::relmap_identify(info),
        RM_STANDBY_ID => standby::identify(info),
        RM_HEAP2_ID => heap::heap2_identify(version, info),
        RM_HEAP_ID => heap::heap_identify(info),
        RM_BTREE_ID => index::btree_identify(info),
        RM_HASH_ID => index::hash_identify(info),
        RM_GIN_ID => gin::identify(info),
        RM_GIST_ID => index::gist_identify(info),
        RM_SEQ_ID => index::seq_identify(info),
        RM_SPGIST_ID => index::spg_identify(info),
        RM_BRIN_ID => index::brin_identify(info),
        RM_COMMIT_TS_ID => storage::commit_ts_identify(info),
        RM_REPLORIGIN_ID => storage::replorigin_identify(info),
        RM_GENERIC_ID => storage::generic_identify(info),
        RM_LOGICALMSG_ID => storage::logicalmsg_identify(info),
        _ => None,
    }
}

/// Appends the resource manager's description (`rm_desc`) of the record to
/// `out`; nothing for records the C describes with nothing and for
/// non-built-in resource managers, [`TRUNCATED`] when the data is too
/// short for what the C would read.
///
/// The record's replication origin is taken to be none
/// (`InvalidRepOriginId`); see [`describe_with_origin`].
pub fn describe(input: &DescInput<'_>, out: &mut String) {
    describe_with_origin(input, 0, out)
}

/// [`describe`] for a record whose replication origin (`XLogRecGetOrigin`,
/// the `XLR_BLOCK_ID_ORIGIN` block; 0 when absent) is `origin`. Only
/// transaction records print it.
pub fn describe_with_origin(input: &DescInput<'_>, origin: u16, out: &mut String) {
    let mut buf = String::new();
    let done = match input.rmid {
        RM_XLOG_ID => xlog::desc(input, &mut buf),
        RM_XACT_ID => xact::desc(input, origin, &mut buf),
        RM_SMGR_ID => storage::smgr_desc(input, &mut buf),
        RM_CLOG_ID => storage::clog_desc(input, &mut buf),
        RM_DBASE_ID => storage::dbase_desc(input, &mut buf),
        RM_TBLSPC_ID => storage::tblspc_desc(input, &mut buf),
        RM_MULTIXACT_ID => storage::multixact_desc(input, &mut buf),
        RM_RELMAP_ID => storage::relmap_desc(input, &mut buf),
        RM_STANDBY_ID => standby::desc(input, &mut buf),
        RM_HEAP2_ID => heap::heap2_desc(input, &mut buf),
        RM_HEAP_ID => heap::heap_desc(input, &mut buf),
        RM_BTREE_ID => index::btree_desc(input, &mut buf),
        RM_HASH_ID => index::hash_desc(input, &mut buf),
        RM_GIN_ID => gin::desc(input, &mut buf),
        RM_GIST_ID => index::gist_desc(input, &mut buf),
        RM_SEQ_ID => index::seq_desc(input, &mut buf),
        RM_SPGIST_ID => index::spg_desc(input, &mut buf),
        RM_BRIN_ID => index::brin_desc(input, &mut buf),
        RM_COMMIT_TS_ID => storage::commit_ts_desc(input, &mut buf),
        RM_REPLORIGIN_ID => storage::replorigin_desc(input, &mut buf),
        RM_GENERIC_ID => storage::generic_desc(input, &mut buf),
        RM_LOGICALMSG_ID => storage::logicalmsg_desc(input, &mut buf),
        _ => Some(()),
    };
    match done {
        Some(()) => out.push_str(&buf),
        None => out.push_str(TRUNCATED),
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers for the description tests of every module.
    use super::*;

    /// The description of a record with no block 0.
    pub fn desc(version: PgVersion, rmid: u8, info: u8, data: &[u8]) -> String {
        desc_blk(version, rmid, info, data, false, None)
    }

    /// The description of a record with the given block 0.
    pub fn desc_blk(
        version: PgVersion,
        rmid: u8,
        info: u8,
        data: &[u8],
        image: bool,
        block0: Option<&[u8]>,
    ) -> String {
        let input = DescInput {
            version,
            rmid,
            info,
            main_data: data,
            block0_has_image: image,
            block0_data: block0,
        };
        let mut s = String::new();
        describe(&input, &mut s);
        s
    }

    /// Little-endian byte builder.
    #[derive(Default)]
    pub struct B(pub Vec<u8>);

    impl B {
        pub fn new() -> Self {
            B(Vec::new())
        }
        pub fn u8(mut self, v: u8) -> Self {
            self.0.push(v);
            self
        }
        pub fn u16(mut self, v: u16) -> Self {
            self.0.extend_from_slice(&v.to_le_bytes());
            self
        }
        pub fn u32(mut self, v: u32) -> Self {
            self.0.extend_from_slice(&v.to_le_bytes());
            self
        }
        pub fn i32(mut self, v: i32) -> Self {
            self.0.extend_from_slice(&v.to_le_bytes());
            self
        }
        pub fn u64(mut self, v: u64) -> Self {
            self.0.extend_from_slice(&v.to_le_bytes());
            self
        }
        pub fn i64(mut self, v: i64) -> Self {
            self.0.extend_from_slice(&v.to_le_bytes());
            self
        }
        pub fn f64(mut self, v: f64) -> Self {
            self.0.extend_from_slice(&v.to_le_bytes());
            self
        }
        pub fn bytes(mut self, v: &[u8]) -> Self {
            self.0.extend_from_slice(v);
            self
        }
        pub fn zeros(mut self, n: usize) -> Self {
            self.0.resize(self.0.len() + n, 0);
            self
        }
        /// Pads with zeros to a multiple of `a`.
        pub fn pad(mut self, a: usize) -> Self {
            while !self.0.len().is_multiple_of(a) {
                self.0.push(0);
            }
            self
        }
        pub fn done(self) -> Vec<u8> {
            self.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::desc_blk;
    use super::*;

    const ALL: [PgVersion; 5] =
        [PgVersion::V14, PgVersion::V15, PgVersion::V16, PgVersion::V17, PgVersion::V18];

    #[test]
    fn names() {
        assert_eq!(rmgr_name(RM_XLOG_ID), Some("XLOG"));
        assert_eq!(rmgr_name(RM_HEAP_ID), Some("Heap"));
        assert_eq!(rmgr_name(RM_REPLORIGIN_ID), Some("ReplicationOrigin"));
        assert_eq!(rmgr_name(RM_LOGICALMSG_ID), Some("LogicalMessage"));
        assert_eq!(rmgr_name(22), None);
        assert_eq!(rmgr_name(128), None);
        for id in 0..=RM_MAX_BUILTIN_ID {
            assert!(rmgr_name(id).is_some());
        }
    }

    #[test]
    fn identify_samples() {
        let v = PgVersion::V15;
        assert_eq!(identify(v, RM_HEAP_ID, 0x00), Some("INSERT"));
        assert_eq!(identify(v, RM_HEAP_ID, 0x80), Some("INSERT+INIT"));
        assert_eq!(identify(v, RM_HEAP_ID, 0xC0), Some("HOT_UPDATE+INIT"));
        assert_eq!(identify(v, RM_HEAP_ID, 0x90), None);
        assert_eq!(identify(v, RM_XACT_ID, 0x80), Some("COMMIT"));
        assert_eq!(identify(v, RM_XLOG_ID, 0x10), Some("CHECKPOINT_ONLINE"));
        assert_eq!(identify(v, RM_XLOG_ID, 0xA0), Some("FPI_FOR_HINT"));
        assert_eq!(identify(v, RM_XLOG_ID, 0xE0), None);
        assert_eq!(identify(PgVersion::V17, RM_XLOG_ID, 0xE0), Some("CHECKPOINT_REDO"));
        assert_eq!(identify(v, RM_GENERIC_ID, 0x00), Some("Generic"));
        assert_eq!(identify(v, 22, 0), None);
        assert_eq!(identify(v, 200, 0), None);
    }

    /// A tiny xorshift generator, so the test needs no dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }
        fn bytes(&mut self, n: usize) -> Vec<u8> {
            (0..n).map(|_| self.next() as u8).collect()
        }
    }

    #[test]
    fn never_panics() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut sink = String::new();
        for version in ALL {
            for rmid in 0..=RM_MAX_BUILTIN_ID + 1 {
                for info in 0..=255u8 {
                    let _ = identify(version, rmid, info);
                    let mut samples: Vec<Vec<u8>> = vec![Vec::new()];
                    for n in [1usize, 3, 7, 13, 40, 100, 300] {
                        samples.push(rng.bytes(n));
                    }
                    // All-ones: every count is -1 or huge, every flag set.
                    samples.push(vec![0xFF; 120]);
                    // Small counts with all flags: lists that run past the end.
                    samples.push([0x80u8, 0x00, 0x00, 0x00].repeat(30));
                    for data in &samples {
                        for b0 in [None, Some(&data[..]), Some(&[][..]), Some(&[0xFFu8; 9][..])] {
                            for image in [false, true] {
                                sink.clear();
                                let input = DescInput {
                                    version,
                                    rmid,
                                    info,
                                    main_data: data,
                                    block0_has_image: image,
                                    block0_data: b0,
                                };
                                describe_with_origin(&input, 7, &mut sink);
                            }
                        }
                        // Every prefix of a sample, for truncation at each byte.
                        if data.len() <= 40 {
                            for cut in 0..data.len() {
                                sink.clear();
                                let d = desc_blk(version, rmid, info, &data[..cut], false, None);
                                sink.push_str(&d);
                            }
                        }
                    }
                }
            }
        }
    }
}
