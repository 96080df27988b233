//! `xlogminer_stats`: counts and sizes per resource manager or per record
//! type, with the columns and semantics of pg_walinspect's
//! `pg_get_wal_stats`. The scan keeps only running totals, and reads the
//! range on `xlogminer.scan_threads` threads (parts added up in order, the
//! same result as one thread's).

use pgrx::prelude::*;
use waldecode::stats::WalStats;

use crate::range::{Cluster, WalScan};
use crate::types::PgLsn;

/// Statistics over the records of a range chosen as for `xlogminer_records`
/// (VOLATILE as that one).
// The first column is named like pg_get_wal_stats's, which is no Rust
// identifier: the SQL is spelled out.
// pgrx reads the column names from the signature, so the row type is
// spelled out here rather than named.
#[allow(clippy::type_complexity)]
#[pg_extern(
    name = "xlogminer_stats",
    sql = r#"
CREATE FUNCTION xlogminer_stats(
    start_lsn pg_lsn DEFAULT NULL, end_lsn pg_lsn DEFAULT NULL,
    per_record boolean DEFAULT false, wal_dir text DEFAULT NULL)
RETURNS TABLE ("resource_manager/record_type" text, count int8, count_percentage float8,
               record_size int8, record_size_percentage float8, fpi_size int8,
               fpi_size_percentage float8, combined_size int8, combined_size_percentage float8)
VOLATILE PARALLEL SAFE CALLED ON NULL INPUT
LANGUAGE c AS 'MODULE_PATHNAME', 'xlogminer_stats_wrapper';
"#
)]
fn xlogminer_stats(
    start_lsn: default!(Option<PgLsn>, "NULL"),
    end_lsn: default!(Option<PgLsn>, "NULL"),
    per_record: default!(bool, false),
    wal_dir: default!(Option<&str>, "NULL"),
) -> TableIterator<
    'static,
    (
        name!(resource_manager_record_type, String),
        name!(count, i64),
        name!(count_percentage, f64),
        name!(record_size, i64),
        name!(record_size_percentage, f64),
        name!(fpi_size, i64),
        name!(fpi_size_percentage, f64),
        name!(combined_size, i64),
        name!(combined_size_percentage, f64),
    ),
> {
    crate::privileges::check_read_wal();
    let mut scan = WalScan::open(start_lsn, end_lsn, wal_dir, Cluster::Any).into_scan();
    // Counts and sizes need no block references.
    scan.set_headers_only(true);
    let threads = crate::threads::scan_threads();
    let stats = waldecode::parallel::accumulate(
        &mut scan,
        threads,
        &WalStats::default,
        &crate::threads::spawning,
    )
    .unwrap_or_else(|e| crate::error::raise_wal(e));
    TableIterator::new(stats.rows(per_record).into_iter().map(|r| {
        (
            r.name,
            r.count as i64,
            r.count_pct,
            r.rec_len as i64,
            r.rec_len_pct,
            r.fpi_len as i64,
            r.fpi_len_pct,
            r.combined as i64,
            r.combined_pct,
        )
    }))
}
