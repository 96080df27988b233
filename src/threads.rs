//! Reading WAL on more than the backend's own thread. The other threads
//! only read and decode WAL (the `waldecode` crate): they call nothing of
//! the server's. Signals must reach the backend's thread, whose handlers
//! set the server's interrupt flags: threads are started with every signal
//! blocked (they inherit the mask of the thread that starts them), and the
//! backend's mask is restored at once. `xlogminer.scan_threads` sets how
//! many threads a scan may use; under `xlogminer.cpu_limit` a scan uses
//! only its own, so the budget holds.

use std::cell::Cell;

thread_local! {
    /// The backend's signal mask while threads are being started.
    static SAVED_MASK: Cell<Option<libc::sigset_t>> = const { Cell::new(None) };
}

/// `xlogminer.scan_threads`, or 1 under `xlogminer.cpu_limit`.
pub fn scan_threads() -> usize {
    if crate::cpu_limit().is_some() {
        1
    } else {
        crate::scan_threads_setting()
    }
}

/// Called by the decoder right before starting threads (`true`) and right
/// after (`false`).
pub fn spawning(starting: bool) {
    if starting {
        // SAFETY: a zeroed sigset_t is a valid argument for sigfillset,
        // which fills it; pthread_sigmask reads `all` and writes the old
        // mask into `old`, both valid locals.
        let old = unsafe {
            let mut all: libc::sigset_t = std::mem::zeroed();
            let mut old: libc::sigset_t = std::mem::zeroed();
            libc::sigfillset(&mut all);
            libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
            old
        };
        SAVED_MASK.with(|m| m.set(Some(old)));
    } else if let Some(old) = SAVED_MASK.with(|m| m.take()) {
        // SAFETY: restores the mask saved above; a signal that came
        // meanwhile is pending and is delivered now, to this thread.
        unsafe {
            libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        }
    }
}
