//! Keeps glibc's malloc from growing the heap with freed page buffers, and `serve` from
//! holding freed memory in an arena per thread.
//!
//! glibc gives each allocation of 128 KiB or more a mapping of its own, unmapped on free,
//! but raises that threshold to the size of each such block freed: after the first page
//! body, page bodies and hyper's read buffers come from the heap, and their varying sizes
//! fragment it. Held at its default, large buffers stay mapped, so peak memory follows the
//! data in flight however long the pull. The measurements are in BENCHMARKS.md.

/// glibc's own default threshold, held there instead of rising.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 128 * 1024;

/// Fixes the mmap threshold; call before any thread starts.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn hold_mmap_threshold() {
    // SAFETY: mallopt only sets a malloc tuning parameter, with a valid value; it
    // runs on the main thread before any other thread exists. Its result (0 for a
    // refused setting) needs no handling: malloc then keeps its default behaviour.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}

/// Other allocators have no such threshold to hold.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn hold_mmap_threshold() {}

/// How many arenas `serve`'s threads share: one (two still peaked at 150-157 MiB).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const SERVER_ARENAS: libc::c_int = 1;

/// Makes `serve`'s threads share one arena: under load its many short-lived readers each
/// took an arena of their own (up to eight a core), and each arena kept what its thread
/// freed, so RSS grew with the number of threads, not the data (BENCHMARKS.md, `digicert
/// serve` under load). Call before serve starts its threads.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn share_arenas() {
    // SAFETY: as in `hold_mmap_threshold`: a tuning parameter with a valid value, set on
    // the main thread before serve's threads start; a refusal leaves the default.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, SERVER_ARENAS);
    }
}

/// Other allocators have no arenas to limit.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn share_arenas() {}
