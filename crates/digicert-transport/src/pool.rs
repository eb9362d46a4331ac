//! Response bodies handed back for reuse.
//!
//! A long listing reads a page of about a megabyte per request. Reading each one into
//! a buffer an earlier page has finished with, instead of a fresh allocation, saves the
//! allocator's work and the kernel's page faults on every page.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// A bounded store of emptied body buffers, for a backend to read responses into.
///
/// ```
/// use digicert_transport::BodyPool;
///
/// let pool = BodyPool::default();
/// pool.give(Vec::with_capacity(4096));
/// let body = pool.take(1024);
/// assert!(body.is_empty());
/// assert!(body.capacity() >= 4096, "the buffer given back is reused");
/// ```
#[derive(Debug, Default)]
pub struct BodyPool {
    buffers: Mutex<Vec<Vec<u8>>>,
}

impl BodyPool {
    /// Buffers kept at most: a listing holds one per page in flight, plus the page
    /// being read; more would only wait unused.
    pub const MAX_BUFFERS: usize = 16;

    /// A buffer larger than this is let go, so one unusually large answer is not
    /// held for the life of the transport.
    pub const MAX_CAPACITY: usize = 8 * 1024 * 1024;

    /// An empty buffer with room for at least `capacity` bytes: a kept one if any.
    pub fn take(&self, capacity: usize) -> Vec<u8> {
        let mut body = self.lock().pop().unwrap_or_default();
        // Exact: `reserve` would double a kept buffer a few bytes short of the next page.
        body.reserve_exact(capacity);
        body
    }

    /// Keeps `body`'s memory for a later [`take`](Self::take), emptied; drops it if
    /// the pool is full or the buffer is larger than [`MAX_CAPACITY`](Self::MAX_CAPACITY).
    pub fn give(&self, mut body: Vec<u8>) {
        if body.capacity() == 0 || body.capacity() > Self::MAX_CAPACITY {
            return;
        }
        body.clear();
        let mut buffers = self.lock();
        if buffers.len() < Self::MAX_BUFFERS {
            buffers.push(body);
        }
    }

    /// The buffers; a panic elsewhere while holding them leaves them valid.
    fn lock(&self) -> MutexGuard<'_, Vec<Vec<u8>>> {
        self.buffers.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_buffer_comes_back_empty() {
        let pool = BodyPool::default();
        let mut body = Vec::with_capacity(100);
        body.extend_from_slice(b"the previous page");
        let address = body.as_ptr();
        pool.give(body);
        let again = pool.take(10);
        assert!(again.is_empty());
        assert_eq!(again.as_ptr(), address, "the same memory");
    }

    #[test]
    fn take_reserves_what_is_asked_even_from_a_small_buffer() {
        let pool = BodyPool::default();
        pool.give(Vec::with_capacity(1000));
        let grown = pool.take(1001).capacity();
        assert!(grown >= 1001);
        assert!(grown < 2000, "grown to the page, not doubled: {grown}");
        assert!(pool.take(0).is_empty(), "an empty pool still answers");
    }

    #[test]
    fn keeps_at_most_max_buffers_and_no_oversized_one() {
        let pool = BodyPool::default();
        pool.give(Vec::with_capacity(BodyPool::MAX_CAPACITY + 1));
        pool.give(Vec::new());
        assert_eq!(pool.lock().len(), 0);
        for _ in 0..BodyPool::MAX_BUFFERS + 3 {
            pool.give(Vec::with_capacity(16));
        }
        assert_eq!(pool.lock().len(), BodyPool::MAX_BUFFERS);
    }
}
