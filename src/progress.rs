//! Progress of long scans: with `SET xlogminer.progress = on`, a NOTICE
//! every `xlogminer.progress_interval` (5 s) says where the scan is in the
//! range it reads,
//! how many rows it found and the last commit time it passed — psql shows
//! it while the query runs. Query cancel is checked at the same place.

use std::cell::Cell;
use std::time::Instant;

use pgrx::prelude::*;
use waldecode::scan::Progress;
use waldecode::Lsn;

thread_local! {
    /// When the current function started and last reported.
    static CLOCK: Cell<Option<(Instant, Instant)>> = const { Cell::new(None) };
    /// Rows found so far, and the last commit time passed (µs since 2000).
    static FOUND: Cell<(u64, Option<i64>)> = const { Cell::new((0, None)) };
}

/// Starts the clock for a new function call.
pub fn begin() {
    let now = Instant::now();
    CLOCK.with(|c| c.set(Some((now, now))));
    FOUND.with(|f| f.set((0, None)));
}

/// A row found, of a transaction committed at `commit_time`.
pub fn row(commit_time: Option<i64>) {
    FOUND.with(|f| {
        let (n, t) = f.get();
        f.set((n + 1, commit_time.or(t)));
    });
}

/// Called before every record: checks for cancel, reports when due.
pub fn tick(p: Progress) {
    pgrx::check_for_interrupts!();
    let Some(every) = crate::progress_interval() else { return };
    let Some((started, last)) = CLOCK.with(Cell::get) else { return };
    let now = Instant::now();
    if now.duration_since(last) < every {
        return;
    }
    CLOCK.with(|c| c.set(Some((started, now))));
    let (rows, commit) = FOUND.with(Cell::get);
    let span = p.end.0.saturating_sub(p.start.0);
    let done = p.at.0.saturating_sub(p.start.0);
    let of = if p.end == Lsn(u64::MAX) || span == 0 {
        format!("from {}", p.start)
    } else {
        format!("{}% of {}–{}", done * 100 / span, p.start, p.end)
    };
    let commit = commit
        .and_then(|t| pgrx::datum::TimestampWithTimeZone::try_from(t).ok())
        .map_or(String::new(), |t| format!(", last commit {t}"));
    notice!(
        "xlogminer: {:.1} s, at {} ({of}), {rows} rows so far{commit}",
        now.duration_since(started).as_secs_f64(),
        p.at
    );
}
