//! A one-slot holder: the producer overwrites, the consumer takes the latest. Frames that were
//! never taken are counted as dropped, so a slow model always sees the newest frame.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

#[derive(Debug)]
struct State<T> {
    value: Option<T>,
    put: u64,
    dropped: u64,
    closed: bool,
}

/// The latest value of a stream.
#[derive(Debug)]
pub struct Slot<T> {
    state: Mutex<State<T>>,
    ready: Condvar,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Slot {
            state: Mutex::new(State {
                value: None,
                put: 0,
                dropped: 0,
                closed: false,
            }),
            ready: Condvar::new(),
        }
    }
}

impl<T> Slot<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // A panic while holding the lock cannot leave the slot inconsistent: keep going.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Store `v`, replacing (and counting as dropped) a value nobody took.
    pub fn put(&self, v: T) {
        let mut s = self.lock();
        if s.value.replace(v).is_some() {
            s.dropped += 1;
        }
        s.put += 1;
        drop(s);
        self.ready.notify_all();
    }

    /// Take the value if there is one.
    pub fn take(&self) -> Option<T> {
        self.lock().value.take()
    }

    /// Wait up to `timeout` for a value and take it; `None` on timeout or when closed.
    pub fn wait_take(&self, timeout: Duration) -> Option<T> {
        let s = self.lock();
        let (mut s, _) = self
            .ready
            .wait_timeout_while(s, timeout, |s| s.value.is_none() && !s.closed)
            .unwrap_or_else(|e| e.into_inner());
        s.value.take()
    }

    /// Wake every waiter for good (shutdown).
    pub fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_all();
    }

    /// (values put, values dropped unread).
    pub fn counts(&self) -> (u64, u64) {
        let s = self.lock();
        (s.put, s.dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_latest_and_counts_drops() {
        let s = Slot::default();
        s.put(1);
        s.put(2);
        s.put(3);
        assert_eq!(s.take(), Some(3));
        assert_eq!(s.take(), None);
        assert_eq!(s.counts(), (3, 2));
        assert_eq!(s.wait_take(Duration::from_millis(10)), None);
        s.close();
        assert_eq!(s.wait_take(Duration::from_secs(10)), None);
    }
}
