//! Progress of long scans: with `SET xlogminer.progress = on`, a NOTICE
//! every `xlogminer.progress_interval` (5 s) says where the scan is in the
//! range it reads,
//! how many rows it found and the last commit time it passed — psql shows
//! it while the query runs. Query cancel is checked at the same place,
//! and so is `xlogminer.cpu_limit`: below 100 the scan sleeps after each
//! slice of work. `xlogminer.nice` lowers the scan's scheduling priority
//! when it begins.

use std::cell::Cell;
use std::time::{Duration, Instant};

use pgrx::prelude::*;
use waldecode::scan::Progress;
use waldecode::Lsn;

thread_local! {
    /// When the current function started and last reported.
    static CLOCK: Cell<Option<(Instant, Instant)>> = const { Cell::new(None) };
    /// Rows found so far, and the last commit time passed (µs since 2000).
    static FOUND: Cell<(u64, Option<i64>)> = const { Cell::new((0, None)) };
    /// When the current slice of work began, under `xlogminer.cpu_limit`.
    static SLICE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Work between two sleeps under `xlogminer.cpu_limit`.
const SLICE_OF_WORK: Duration = Duration::from_millis(10);
/// The longest sleep (time spent away from the scan, waiting for the
/// client, counts as work and must not make it sleep for long).
const LONGEST_PAUSE: Duration = Duration::from_secs(1);

/// Starts the clock for a new function call.
pub fn begin() {
    if let Some(nice) = crate::nice() {
        lower_priority(nice);
    }
    let now = Instant::now();
    CLOCK.with(|c| c.set(Some((now, now))));
    FOUND.with(|f| f.set((0, None)));
    SLICE.with(|s| s.set(None));
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
    if let Some(limit) = crate::cpu_limit() {
        throttle(limit);
    }
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

/// Lowers the backend's scheduling priority to the nice value `nice`, if
/// it is higher (a smaller value) now. The kernel lets an unprivileged
/// process lower its priority but never raise it again: the session keeps
/// it until it ends, and says so once.
fn lower_priority(nice: i32) {
    // SAFETY: reads and sets this process's own nice value; getpriority
    // cannot fail for the calling process.
    let now = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
    if now >= nice {
        return;
    }
    // SAFETY: as above; raising the nice value needs no privilege.
    if unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, nice) } == 0 {
        notice!(
            "xlogminer: this session's backend now runs at nice {nice} (it was {now}) until the session ends"
        );
    }
}

/// Sleeps after each slice of work for as long as keeps the scan at
/// `limit` percent of a core. The sleep waits on the process latch, so a
/// cancel, a timeout or the postmaster's death ends it.
fn throttle(limit: u32) {
    let now = Instant::now();
    let Some(start) = SLICE.with(Cell::get) else {
        SLICE.with(|s| s.set(Some(now)));
        return;
    };
    let worked = now.duration_since(start);
    if worked < SLICE_OF_WORK {
        return;
    }
    let pause = (worked * (100 - limit) / limit).min(LONGEST_PAUSE);
    if !pause.is_zero() {
        // SAFETY: MyLatch is this backend's own latch, set up at start.
        unsafe {
            pg_sys::WaitLatch(
                pg_sys::MyLatch,
                (pg_sys::WL_LATCH_SET | pg_sys::WL_TIMEOUT | pg_sys::WL_EXIT_ON_PM_DEATH) as i32,
                pause.as_millis().max(1) as _,
                pg_sys::PG_WAIT_EXTENSION,
            );
            pg_sys::ResetLatch(pg_sys::MyLatch);
        }
        pgrx::check_for_interrupts!();
    }
    SLICE.with(|s| s.set(Some(Instant::now())));
}
