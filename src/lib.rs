//! xlogminer: mines the server's write-ahead log from SQL.
//!
//! The decoding and the mining live in the pure `waldecode` crate; this
//! crate is the thin server side: who may read WAL ([`privileges`]),
//! locating WAL and resolving ranges ([`range`]), relations from the live
//! catalog ([`catalog`]), values rendered by the server's output functions
//! ([`render`]), errors as reports with hints ([`error`]), SQL types
//! ([`types`]) and the set-returning functions themselves ([`api`]).

use pgrx::prelude::*;

::pgrx::pg_module_magic!(name, version);

mod api;
mod catalog;
mod encoding;
mod error;
mod live;
mod privileges;
mod progress;
mod range;
mod render;
mod spill;
mod srf;
mod threads;
mod types;

use pgrx::{GucContext, GucFlags, GucRegistry, GucSetting};

/// `xlogminer.page_cache_size`: memory for tracked heap pages per scan, in
/// kB; pages beyond it spill to a temporary file.
static PAGE_CACHE_KB: GucSetting<i32> = GucSetting::<i32>::new(64 * 1024);

/// `xlogminer.progress`: a NOTICE every `xlogminer.progress_interval`
/// seconds (5 by default) of a scan.
static PROGRESS: GucSetting<bool> = GucSetting::<bool>::new(false);

/// `xlogminer.max_transactions`: the most transactions a range may hold
/// (the transaction table's memory, 32 bytes each, is bounded by it).
static MAX_TRANSACTIONS: GucSetting<i32> =
    GucSetting::<i32>::new(waldecode::mine::DEFAULT_MAX_TRANSACTIONS as i32);
static PROGRESS_INTERVAL_MS: GucSetting<i32> = GucSetting::<i32>::new(5000);

/// `xlogminer.cpu_limit`: the share of one core a scan may use, in
/// percent; below 100 it sleeps after each slice of work, as VACUUM does
/// with `vacuum_cost_delay`, leaving the rest to the workload.
static CPU_LIMIT: GucSetting<i32> = GucSetting::<i32>::new(100);

/// `xlogminer.scan_threads`: threads a scan may read WAL with, where the
/// work allows it (see its description below).
static SCAN_THREADS: GucSetting<i32> = GucSetting::<i32>::new(2);

/// `xlogminer.nice`: the Unix scheduling priority (nice value) a scan runs
/// at; 0 leaves the backend's as it is.
static NICE: GucSetting<i32> = GucSetting::<i32>::new(0);

#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    GucRegistry::define_int_guc(
        c"xlogminer.page_cache_size",
        c"Memory for heap pages tracked while mining, per scan.",
        c"Pages beyond this spill to a temporary file.",
        &PAGE_CACHE_KB,
        1024,
        i32::MAX / 1024,
        GucContext::Userset,
        GucFlags::UNIT_KB,
    );
    GucRegistry::define_int_guc(
        c"xlogminer.max_transactions",
        c"The most transactions a mined range may hold.",
        c"The miner keeps every transaction's outcome in memory, 32 bytes each.",
        &MAX_TRANSACTIONS,
        1000,
        i32::MAX,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_bool_guc(
        c"xlogminer.progress",
        c"Report the progress of long scans.",
        c"A NOTICE about every five seconds: position, rows found, last commit time.",
        &PROGRESS,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"xlogminer.cpu_limit",
        c"The share of one CPU core a scan may use, in percent.",
        c"Below 100, a scan sleeps after each 10 ms of work so that it uses at most this share.",
        &CPU_LIMIT,
        1,
        100,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"xlogminer.nice",
        c"The CPU scheduling priority (nice value) of a scan, 0 to 19.",
        c"Above 0, a scan lowers its backend's priority so that the workload's processes run first; \
          the backend cannot raise it again and keeps it until the session ends.",
        &NICE,
        0,
        19,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"xlogminer.scan_threads",
        c"Threads a scan may read WAL with.",
        c"xlogminer_stats reads parts of the range on this many, its backend's own included; \
          xlogminer_records reads parts ahead of its backend on this many others. \
          Other threads only read and decode WAL. Under xlogminer.cpu_limit a scan uses its backend's thread only.",
        &SCAN_THREADS,
        1,
        16,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"xlogminer.progress_interval",
        c"Time between progress reports of long scans.",
        c"Used when xlogminer.progress is on.",
        &PROGRESS_INTERVAL_MS,
        100,
        3_600_000,
        GucContext::Userset,
        GucFlags::UNIT_MS,
    );
}

/// How often scans report their progress, if they do.
pub(crate) fn progress_interval() -> Option<std::time::Duration> {
    PROGRESS
        .get()
        .then(|| std::time::Duration::from_millis(PROGRESS_INTERVAL_MS.get().max(100) as u64))
}

/// The share of a core a scan may use, when limited (percent, 1–99).
pub(crate) fn cpu_limit() -> Option<u32> {
    let limit = CPU_LIMIT.get();
    (limit < 100).then(|| limit.max(1) as u32)
}

/// `xlogminer.scan_threads` as set.
pub(crate) fn scan_threads_setting() -> usize {
    SCAN_THREADS.get().clamp(1, 16) as usize
}

/// The nice value scans run at, when one is set (1–19).
pub(crate) fn nice() -> Option<i32> {
    let n = NICE.get();
    (n > 0).then_some(n)
}

/// The bound on a range's transactions.
pub(crate) fn max_transactions() -> usize {
    MAX_TRANSACTIONS.get().max(1000) as usize
}

/// The page cache budget in bytes.
pub(crate) fn page_cache_bytes() -> usize {
    PAGE_CACHE_KB.get().max(1024) as usize * 1024
}

// Mining WAL reads server files: keep it to superusers and members of
// pg_read_server_files, like pg_walinspect; xlogminer_reader may mine the
// rows of the tables it may read, xlogminer_auditor run the audit (roles
// are cluster-wide: made by the first database that creates the extension,
// they outlive DROP EXTENSION).
extension_sql!(
    r#"
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'xlogminer_reader') THEN
    CREATE ROLE xlogminer_reader NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'xlogminer_auditor') THEN
    CREATE ROLE xlogminer_auditor NOLOGIN;
  END IF;
END $$;
REVOKE EXECUTE ON FUNCTION xlogminer_audit_enable(regclass[], boolean) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION xlogminer_audit_capture() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION xlogminer_audit_schedule(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION xlogminer_audit_disable(boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION xlogminer_audit_enable(regclass[], boolean), xlogminer_audit_capture(),
  xlogminer_audit_schedule(text), xlogminer_audit_disable(boolean) TO xlogminer_auditor;
REVOKE EXECUTE ON FUNCTION xlogminer_records(pg_lsn, pg_lsn, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION xlogminer_records(pg_lsn, pg_lsn, text) TO pg_read_server_files;
REVOKE EXECUTE ON FUNCTION xlogminer_stats(pg_lsn, pg_lsn, boolean, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION xlogminer_stats(pg_lsn, pg_lsn, boolean, text) TO pg_read_server_files;
REVOKE EXECUTE ON FUNCTION xlogminer_contents(pg_lsn, pg_lsn, timestamptz, timestamptz, xid, regclass[], boolean, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION xlogminer_contents(pg_lsn, pg_lsn, timestamptz, timestamptz, xid, regclass[], boolean, text) TO pg_read_server_files, xlogminer_reader;
REVOKE EXECUTE ON FUNCTION xlogminer_undo_script(xid, regclass[], timestamptz, timestamptz, boolean) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION xlogminer_redo_script(xid, regclass[], timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION xlogminer_undo_script(xid, regclass[], timestamptz, timestamptz, boolean),
  xlogminer_redo_script(xid, regclass[], timestamptz, timestamptz) TO pg_read_server_files, xlogminer_reader;
REVOKE EXECUTE ON FUNCTION xlogminer_available(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION xlogminer_available(text) TO pg_read_server_files;
"#,
    name = "privileges",
    finalize
);

#[cfg(any(test, feature = "pg_test"))]
mod tests;

#[cfg(test)]
pub use tests::pg_test;
