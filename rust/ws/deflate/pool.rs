//! Process-wide pools of idle zlib contexts.
//!
//! A session holds no zlib context between messages: it keeps only the bytes the peer's window
//! holds (its history, at most one window) and borrows a context for each message. Given back, a
//! context remembers who used it last; if that owner is the next to ask, nobody touched it in
//! between and it goes on as a dedicated context would (warm). Otherwise it is reset and primed
//! with the asker's history (cold), which gives the same stream at the cost of hashing the
//! history once. A pool keeps a handful of contexts and frees the oldest beyond that, so its
//! memory is bounded per process whatever the number of sessions.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

/// The owner of a context given back in no reusable state: it is reset before its next use.
pub const NOBODY: u64 = 0;

/// A number no other compressor or decompressor of this process holds.
pub fn new_owner() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(NOBODY + 1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// One idle context, with its settings and the owner whose stream it continues.
struct Idle<C, K> {
    context: C,
    key: K,
    owner: u64,
}

/// A bounded set of idle contexts of one kind, keyed by their settings.
pub struct Pool<C, K> {
    idle: Mutex<Vec<Idle<C, K>>>,
    capacity: usize,
}

/// A context taken from a pool.
pub struct Taken<C> {
    /// The context.
    pub context: C,
    /// True when it continues the asker's own stream untouched; false when it must be reset.
    pub warm: bool,
}

impl<C, K: Copy + PartialEq> Pool<C, K> {
    /// A pool that keeps at most `capacity` idle contexts.
    pub const fn new(capacity: usize) -> Self {
        Self {
            idle: Mutex::new(Vec::new()),
            capacity,
        }
    }

    /// A context with settings `key`: the one `owner` gave back last if it is still idle, else
    /// the one idle longest; None when no idle context has these settings.
    pub fn take(&self, key: K, owner: u64) -> Option<Taken<C>> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let own = idle
            .iter()
            .rposition(|entry| entry.key == key && entry.owner == owner && owner != NOBODY);
        let index = own.or_else(|| idle.iter().position(|entry| entry.key == key))?;
        let entry = idle.remove(index);
        Some(Taken {
            context: entry.context,
            warm: own.is_some(),
        })
    }

    /// Gives a context back, as the continuation of `owner`'s stream (or [`NOBODY`]'s). The
    /// oldest idle context is freed when the pool is full.
    pub fn give(&self, context: C, key: K, owner: u64) {
        let evicted = {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            idle.push(Idle {
                context,
                key,
                owner,
            });
            (idle.len() > self.capacity).then(|| idle.remove(0))
        };
        // Freed outside the lock.
        drop(evicted);
    }

    /// How many contexts wait idle.
    pub fn idle_count(&self) -> usize {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// zlib could not allocate a context: out of memory, handled as any allocation failure is.
pub fn out_of_memory() -> ! {
    std::alloc::handle_alloc_error(std::alloc::Layout::new::<[u8; 1 << 16]>())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn an_owner_gets_its_own_context_back_warm() {
        let pool: Pool<&str, u8> = Pool::new(4);
        let (a, b) = (new_owner(), new_owner());
        pool.give("a's", 12, a);
        pool.give("b's", 12, b);
        let taken = pool.take(12, a).unwrap();
        assert_eq!((taken.context, taken.warm), ("a's", true));
        // Someone else gets the one idle longest, cold.
        let taken = pool.take(12, new_owner()).unwrap();
        assert_eq!((taken.context, taken.warm), ("b's", false));
        assert!(pool.take(12, b).is_none());
    }

    #[test]
    fn settings_must_match() {
        let pool: Pool<&str, u8> = Pool::new(4);
        let owner = new_owner();
        pool.give("window 12", 12, owner);
        assert!(pool.take(15, owner).is_none());
        assert!(pool.take(12, owner).unwrap().warm);
    }

    #[test]
    fn nobody_is_never_warm() {
        let pool: Pool<&str, u8> = Pool::new(4);
        pool.give("reset me", 12, NOBODY);
        assert!(!pool.take(12, NOBODY).unwrap().warm);
    }

    #[test]
    fn the_oldest_is_freed_beyond_capacity() {
        let pool: Pool<u32, u8> = Pool::new(2);
        for n in 0..3 {
            pool.give(n, 9, new_owner());
        }
        assert_eq!(pool.idle_count(), 2);
        let left: Vec<u32> = (0..2)
            .map(|_| pool.take(9, NOBODY).unwrap().context)
            .collect();
        assert_eq!(left, [1, 2]);
    }
}
