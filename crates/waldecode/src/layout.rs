//! Sizes fixed when PostgreSQL is built (`pg_config.h`, `pg_config_manual.h`)
//! and the storage identity every layer speaks of. Each is declared here
//! once; the WAL page and record formats keep their own constants in
//! [`crate::page`] and [`crate::record`], each resource manager its opcodes
//! in its module of [`crate::rmgr`].

/// Size of a WAL page (`XLOG_BLCKSZ`). Every build this crate reads uses
/// 8 kB; the long page header of each segment is checked against it.
pub const XLOG_BLCKSZ: usize = 8192;

/// Size of a relation data page (`BLCKSZ`), which is also the size of a
/// full-page image once restored.
pub const BLCKSZ: usize = 8192;

/// `MAXIMUM_ALIGNOF`: records start, and tuples are laid out, on
/// multiples of 8 on every platform whose WAL is read here.
pub const MAXIMUM_ALIGNOF: usize = 8;

/// Size of a 4-byte varlena header (`VARHDRSZ`).
pub const VARHDRSZ: usize = 4;

/// Size of a 1-byte ("short") varlena header (`VARHDRSZ_SHORT`).
pub const VARHDRSZ_SHORT: usize = 1;

/// Largest total size a short varlena can have (`VARATT_SHORT_MAX`).
pub const VARATT_SHORT_MAX: usize = 0x7F;

/// Identity of a relation's storage: tablespace, database and file number
/// (`RelFileNode`; `RelFileLocator` from PostgreSQL 16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct RelFileLocator {
    pub spc: u32,
    pub db: u32,
    pub rel: u32,
}
