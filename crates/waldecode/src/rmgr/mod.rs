//! Resource managers: names, record-type names (`rm_identify`) and
//! human-readable descriptions (`rm_desc`) of every built-in resource manager,
//! matching what `pg_waldump` and `pg_walinspect` print, and the typed
//! parsers of the records the rest of the crate acts on.
//!
//! One module per resource manager, each with `identify` and `desc` of the
//! same signatures (the table [`RMGRS`] lists them in `rmgrlist.h` order).
//! The output follows PostgreSQL 15's `src/backend/access/rmgrdesc/*.c`.
//! Record layouts are read per [`PgVersion`] where they differ; where the
//! text PostgreSQL 16–18 print differs and is known (PG 17's heap2 prune
//! records, `CHECKPOINT_REDO`, `wal_level` in checkpoints), that is followed
//! too; otherwise other versions get the PG 15 wording. Every read is
//! bounds-checked: a description whose main data is too short prints
//! [`TRUNCATED`] instead.

pub mod brin;
pub mod btree;
pub mod clog;
pub mod commit_ts;
pub mod dbase;
pub mod desc16;
pub mod generic;
pub mod gin;
pub mod gist;
pub mod hash;
pub mod heap;
pub mod heap2;
pub mod logicalmsg;
pub mod multixact;
pub mod relmap;
pub mod replorigin;
pub mod seq;
pub mod smgr;
pub mod spgist;
pub mod standby;
pub mod tblspc;
pub mod text;
pub mod xact;
pub mod xlog;

use crate::bytes::{i32_at, i64_at};
use crate::version::PgVersion;

/// What a description may look at: the record's info byte, its main data,
/// its replication origin and, for the few descriptions that need it
/// (btree, gin, heap2), block 0.
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
    /// The record's replication origin (`XLogRecGetOrigin`, 0 when none);
    /// only transaction records print it.
    pub origin: u16,
}

/// Printed instead of a description whose data ends too soon.
pub const TRUNCATED: &str = "<truncated>";

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
/// The highest built-in resource manager id (`RM_MAX_BUILTIN_ID`).
pub const RM_MAX_BUILTIN_ID: u8 = RM_LOGICALMSG_ID;
/// The lowest custom resource manager id (`RM_MIN_CUSTOM_ID`, PG 15+).
pub const RM_MIN_CUSTOM_ID: u8 = 128;

/// One built-in resource manager: its name and its two functions.
pub struct Rmgr {
    pub name: &'static str,
    /// `rm_identify`: the record type's name for `xl_info` (all eight bits),
    /// `None` where the C returns NULL.
    pub identify: fn(PgVersion, u8) -> Option<&'static str>,
    /// `rm_desc`: appends the description; `None` when the data is too
    /// short for what the C would read.
    pub desc: fn(&DescInput<'_>, &mut String) -> Option<()>,
}

/// The built-in resource managers, indexed by id.
pub const RMGRS: [Rmgr; RM_MAX_BUILTIN_ID as usize + 1] = [
    Rmgr { name: "XLOG", identify: xlog::identify, desc: xlog::desc },
    Rmgr { name: "Transaction", identify: xact::identify, desc: xact::desc },
    Rmgr { name: "Storage", identify: smgr::identify, desc: smgr::desc },
    Rmgr { name: "CLOG", identify: clog::identify, desc: clog::desc },
    Rmgr { name: "Database", identify: dbase::identify, desc: dbase::desc },
    Rmgr { name: "Tablespace", identify: tblspc::identify, desc: tblspc::desc },
    Rmgr { name: "MultiXact", identify: multixact::identify, desc: multixact::desc },
    Rmgr { name: "RelMap", identify: relmap::identify, desc: relmap::desc },
    Rmgr { name: "Standby", identify: standby::identify, desc: standby::desc },
    Rmgr { name: "Heap2", identify: heap2::identify, desc: heap2::desc },
    Rmgr { name: "Heap", identify: heap::identify, desc: heap::desc },
    Rmgr { name: "Btree", identify: btree::identify, desc: btree::desc },
    Rmgr { name: "Hash", identify: hash::identify, desc: hash::desc },
    Rmgr { name: "Gin", identify: gin::identify, desc: gin::desc },
    Rmgr { name: "Gist", identify: gist::identify, desc: gist::desc },
    Rmgr { name: "Sequence", identify: seq::identify, desc: seq::desc },
    Rmgr { name: "SPGist", identify: spgist::identify, desc: spgist::desc },
    Rmgr { name: "BRIN", identify: brin::identify, desc: brin::desc },
    Rmgr { name: "CommitTs", identify: commit_ts::identify, desc: commit_ts::desc },
    Rmgr { name: "ReplicationOrigin", identify: replorigin::identify, desc: replorigin::desc },
    Rmgr { name: "Generic", identify: generic::identify, desc: generic::desc },
    Rmgr { name: "LogicalMessage", identify: logicalmsg::identify, desc: logicalmsg::desc },
];

/// The built-in resource manager with id `rmid`.
pub fn rmgr(rmid: u8) -> Option<&'static Rmgr> {
    RMGRS.get(usize::from(rmid))
}

/// The name of a built-in resource manager, as in `rmgrlist.h`.
pub fn rmgr_name(rmid: u8) -> Option<&'static str> {
    rmgr(rmid).map(|r| r.name)
}

/// The record type name the resource manager's `*_identify` function gives
/// `info` (all eight bits of `xl_info`), or `None` where it returns NULL
/// (including for ids that are not built-in resource managers).
pub fn identify(version: PgVersion, rmid: u8, info: u8) -> Option<&'static str> {
    rmgr(rmid).and_then(|r| (r.identify)(version, info))
}

/// Appends the resource manager's description (`rm_desc`) of the record to
/// `out`; nothing for records the C describes with nothing and for
/// non-built-in resource managers, [`TRUNCATED`] when the data is too
/// short for what the C would read.
pub fn describe(input: &DescInput<'_>, out: &mut String) {
    let Some(r) = rmgr(input.rmid) else { return };
    let start = out.len();
    if (r.desc)(input, out).is_none() {
        out.truncate(start);
        out.push_str(TRUNCATED);
    }
}

/// An SLRU page number at `off`: `int` up to PG 16, `int64` from PG 17
/// (CLOG, CommitTs and MultiXact records).
pub(crate) fn slru_page(version: PgVersion, d: &[u8], off: usize) -> Option<i64> {
    if version.slru_pages_are_64bit() {
        i64_at(d, off)
    } else {
        i32_at(d, off).map(i64::from)
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
            origin: 0,
        };
        let mut s = String::new();
        describe(&input, &mut s);
        s
    }

    /// Little-endian byte builder.
    #[derive(Default)]
    pub struct B(pub Vec<u8>);

    /// One little-endian writer per integer type.
    macro_rules! le {
        ($($t:ident),*) => {$(
            pub fn $t(mut self, v: $t) -> Self {
                self.0.extend_from_slice(&v.to_le_bytes());
                self
            }
        )*};
    }

    impl B {
        pub fn new() -> Self {
            B(Vec::new())
        }
        le!(u8, u16, u32, i32, u64, i64, f64);
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
                                    origin: 7,
                                };
                                describe(&input, &mut sink);
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
