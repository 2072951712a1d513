//! SIGINT and SIGTERM: remove the temporary files written so far, then exit with
//! 128 + the signal number (130 for SIGINT, 143 for SIGTERM). Every output is written
//! under a temporary name and renamed when complete (see `mitosieve::output`), so an
//! interrupted run leaves only files that are complete.
//!
//! The two signals are blocked in every thread (the mask is set before any other thread
//! starts, and threads inherit it) and received by one thread of their own with
//! `sigwait`, where ordinary code (locks, file removal) is safe to run.

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Whether a signal arrived: the process is exiting from the signal thread, and the
/// main thread must not exit first with another code.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Start handling SIGINT and SIGTERM. Call first in `main`, before any thread starts;
/// if the handler thread cannot start, the signals keep their default action.
#[cfg(unix)]
pub fn install() {
    // SAFETY: plain libc calls on a zeroed, then initialised, signal set owned here.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        if libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
            return;
        }
        let spawned = std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || loop {
                let mut sig: libc::c_int = 0;
                // SAFETY: `set` is a valid signal set; `sig` a valid out-pointer.
                if libc::sigwait(&set, &mut sig) == 0 {
                    terminate(sig);
                }
            });
        if spawned.is_err() {
            libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        }
    }
}

#[cfg(not(unix))]
pub fn install() {}

#[cfg(unix)]
fn terminate(sig: libc::c_int) -> ! {
    INTERRUPTED.store(true, Ordering::SeqCst);
    // The library hands over what is being written; removing it is the program's job.
    let removed = mitosieve::output::take_temp_files()
        .into_iter()
        .filter(|p| {
            let lock = p
                .file_name()
                .is_some_and(|n| n == mitosieve::output::LOCK_FILE);
            std::fs::remove_file(p).is_ok() && !lock
        })
        .count();
    let name = if sig == libc::SIGINT {
        "SIGINT"
    } else {
        "SIGTERM"
    };
    let msg = format!(
        "\nmitosieve: interrupted by {name}; removed {removed} unfinished file(s); no output of this run is incomplete\n"
    );
    // SAFETY: writing a valid buffer to stderr, then ending the process without running
    // destructors or atexit handlers of threads that are still working.
    unsafe {
        libc::write(2, msg.as_ptr().cast(), msg.len());
        libc::_exit(128 + sig)
    }
}
