//! One persistent worker pool for the kernels, shared by every session of the process.
//!
//! A kernel splits its output into chunks and calls [`chunks_mut`]; the calling thread works on
//! the chunks itself and up to `threads − 1` pool workers join it, taking chunks from an atomic
//! counter. Workers spin for a short while after a job before they park, so the back-to-back
//! parallel regions of one inference find them awake (a futex wake per operator is what made a
//! second thread nearly useless on small layers); a parked worker costs nothing.
//!
//! The thread count comes from the innermost [`with_threads`] on the calling thread (a
//! session's `threads` option); outside any, work runs on the calling thread alone. If the pool
//! is already busy (another session on another thread, or a kernel called from inside a task),
//! the caller runs every chunk itself: never a deadlock, never oversubscription.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long an idle worker spins before it parks.
const SPIN: Duration = Duration::from_micros(500);
/// Upper bound on pool workers (threads beyond the cores only add contention).
const MAX_WORKERS: usize = 63;

thread_local! {
    static THREADS: Cell<usize> = const { Cell::new(1) };
}

/// Run `f` with kernels on this thread using up to `threads` threads (this one included).
pub fn with_threads<R>(threads: usize, f: impl FnOnce() -> R) -> R {
    struct Restore(usize);
    impl Drop for Restore {
        fn drop(&mut self) {
            THREADS.with(|t| t.set(self.0));
        }
    }
    let _restore = Restore(THREADS.with(|t| t.replace(threads.max(1))));
    if threads > 1 {
        pool().grow(threads - 1);
    }
    f()
}

/// The thread count kernels on this thread may use.
pub fn threads() -> usize {
    THREADS.with(|t| t.get())
}

/// Rows per parallel block: at most `max`, a multiple of `align`, and small enough that `rows`
/// splits into about four blocks per thread (so small late layers still use every thread).
pub fn block_rows(rows: usize, max: usize, align: usize) -> usize {
    let t = threads();
    if t <= 1 {
        return max;
    }
    let want = rows.div_ceil(4 * t).div_ceil(align.max(1)) * align.max(1);
    want.clamp(align.max(1), max.max(align.max(1)))
}

/// Run `f(i, chunk)` over the chunks of `out` (`chunk` elements each, the last one shorter), in
/// parallel on the pool when the current thread count is above 1.
pub fn chunks_mut<T: Send>(out: &mut [T], chunk: usize, f: impl Fn(usize, &mut [T]) + Sync) {
    if chunk == 0 || out.is_empty() {
        return;
    }
    let n = out.len().div_ceil(chunk);
    let threads = threads();
    if threads <= 1 || n == 1 {
        out.chunks_mut(chunk).enumerate().for_each(|(i, c)| f(i, c));
        return;
    }
    let len = out.len();
    let base = SendPtr(out.as_mut_ptr());
    let task = move |i: usize| {
        let start = i * chunk;
        let end = (start + chunk).min(len);
        // SAFETY: every task index is handed out exactly once, so the chunks are disjoint
        // parts of `out`, which outlives the job (`run` returns only when every task is done).
        let c = unsafe { std::slice::from_raw_parts_mut(base.get().add(start), end - start) };
        f(i, c)
    };
    pool().run(n, threads - 1, &task);
}

struct SendPtr<T>(*mut T);
// SAFETY: only used to hand disjoint chunks of a `&mut [T]` (T: Send) to other threads.
unsafe impl<T: Send> Send for SendPtr<T> {}
// SAFETY: as above; the pointer itself is only read.
unsafe impl<T: Send> Sync for SendPtr<T> {}
impl<T> SendPtr<T> {
    fn get(&self) -> *mut T {
        self.0
    }
}

/// One parallel loop: `n` tasks handed out by `next`.
struct Job<'a> {
    f: &'a (dyn Fn(usize) + Sync),
    n: usize,
    next: AtomicUsize,
    /// Workers with an index below this may join.
    helpers: usize,
    panicked: AtomicBool,
}

impl Job<'_> {
    /// Take and run tasks until none are left.
    fn work(&self) {
        loop {
            let i = self.next.fetch_add(1, SeqCst);
            if i >= self.n {
                return;
            }
            if catch_unwind(AssertUnwindSafe(|| (self.f)(i))).is_err() {
                self.panicked.store(true, SeqCst);
            }
        }
    }
}

struct Pool {
    /// Bumped for every published job.
    generation: AtomicU64,
    /// The current job (`Job<'static>` stands for the caller's stack frame; null when closed).
    job: AtomicPtr<Job<'static>>,
    /// Workers between announcing themselves and leaving the current job.
    active: AtomicUsize,
    /// A caller holds the pool.
    busy: AtomicBool,
    workers: Mutex<usize>,
    sleepers: AtomicUsize,
    lock: Mutex<()>,
    wake: Condvar,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool {
        generation: AtomicU64::new(0),
        job: AtomicPtr::new(std::ptr::null_mut()),
        active: AtomicUsize::new(0),
        busy: AtomicBool::new(false),
        workers: Mutex::new(0),
        sleepers: AtomicUsize::new(0),
        lock: Mutex::new(()),
        wake: Condvar::new(),
    })
}

impl Pool {
    /// Start workers until there are `n` (capped at [`MAX_WORKERS`]).
    fn grow(&'static self, n: usize) {
        let mut w = self.workers.lock().unwrap_or_else(|e| e.into_inner());
        while *w < n.min(MAX_WORKERS) {
            let index = *w;
            let spawned = std::thread::Builder::new()
                .name(format!("pocket-worker-{index}"))
                .spawn(move || self.worker(index));
            if spawned.is_err() {
                // Fewer helpers than asked: the callers do the rest of the work.
                break;
            }
            *w += 1;
        }
    }

    fn worker(&'static self, index: usize) {
        let mut seen = self.generation.load(SeqCst);
        loop {
            // Spin, then park, until a new job is published.
            let start = Instant::now();
            let mut spins = 0u32;
            while self.generation.load(SeqCst) == seen {
                std::hint::spin_loop();
                spins = spins.wrapping_add(1);
                if spins.is_multiple_of(256) && start.elapsed() > SPIN {
                    let mut g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
                    self.sleepers.fetch_add(1, SeqCst);
                    while self.generation.load(SeqCst) == seen {
                        g = self.wake.wait(g).unwrap_or_else(|e| e.into_inner());
                    }
                    self.sleepers.fetch_sub(1, SeqCst);
                }
            }
            seen = self.generation.load(SeqCst);
            // Announce first, then look: a caller that closed the job before this increment
            // left a null pointer; one that closes after it waits for the decrement.
            self.active.fetch_add(1, SeqCst);
            let job = self.job.load(SeqCst);
            if !job.is_null() {
                // SAFETY: the job stays alive until `active` drops back to zero (see `run`).
                let job = unsafe { &*job };
                if index < job.helpers {
                    job.work();
                }
            }
            self.active.fetch_sub(1, SeqCst);
        }
    }

    /// Run tasks `0..n` on the calling thread and up to `helpers` workers; returns when all are
    /// done. Re-raises a panic from any task.
    fn run(&self, n: usize, helpers: usize, f: &(dyn Fn(usize) + Sync)) {
        let job = Job {
            f,
            n,
            next: AtomicUsize::new(0),
            helpers,
            panicked: AtomicBool::new(false),
        };
        if self
            .busy
            .compare_exchange(false, true, SeqCst, SeqCst)
            .is_err()
        {
            // Busy (another session, or nested): run every task here.
            job.work();
            if job.panicked.load(SeqCst) {
                resume_unwind(Box::new("a kernel task panicked"));
            }
            return;
        }
        // SAFETY: the pointer is withdrawn and every worker has left the job before this
        // function returns or unwinds (the wait below runs after catch_unwind).
        let ptr = (&job as *const Job<'_>).cast_mut().cast::<Job<'static>>();
        self.job.store(ptr, SeqCst);
        self.generation.fetch_add(1, SeqCst);
        if self.sleepers.load(SeqCst) > 0 {
            let _g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
            self.wake.notify_all();
        }
        job.work();
        self.job.store(std::ptr::null_mut(), SeqCst);
        while self.active.load(SeqCst) != 0 {
            std::hint::spin_loop();
        }
        self.busy.store(false, SeqCst);
        if job.panicked.load(SeqCst) {
            resume_unwind(Box::new("a kernel task panicked"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_chunk_runs_once_at_any_thread_count() {
        for threads in [1, 2, 3, 8] {
            let mut v = vec![0u32; 1003];
            with_threads(threads, || {
                chunks_mut(&mut v, 10, |i, c| {
                    for (j, x) in c.iter_mut().enumerate() {
                        *x += (i * 10 + j) as u32 + 1;
                    }
                })
            });
            assert!(
                v.iter().enumerate().all(|(i, &x)| x == i as u32 + 1),
                "{threads}"
            );
        }
    }

    #[test]
    fn nested_and_concurrent_calls_finish() {
        let hs: Vec<_> = (0..4)
            .map(|k| {
                std::thread::spawn(move || {
                    with_threads(2, || {
                        let mut v = vec![0u64; 500];
                        for _ in 0..200 {
                            chunks_mut(&mut v, 7, |_, c| {
                                let mut inner = vec![0u8; 16];
                                chunks_mut(&mut inner, 4, |_, d| d.fill(1));
                                for x in c.iter_mut() {
                                    *x += inner.iter().map(|&b| b as u64).sum::<u64>() + k;
                                }
                            });
                        }
                        v
                    })
                })
            })
            .collect();
        for (k, h) in hs.into_iter().enumerate() {
            let v = h.join().expect("thread");
            assert!(v.iter().all(|&x| x == 200 * (16 + k as u64)));
        }
    }

    #[test]
    fn a_panicking_task_reaches_the_caller_and_the_pool_still_works() {
        let r = std::panic::catch_unwind(|| {
            with_threads(2, || {
                let mut v = vec![0u8; 100];
                chunks_mut(&mut v, 1, |i, _| {
                    if i == 57 {
                        panic!("boom");
                    }
                })
            })
        });
        assert!(r.is_err());
        let mut v = vec![0u8; 100];
        with_threads(2, || chunks_mut(&mut v, 3, |_, c| c.fill(9)));
        assert!(v.iter().all(|&x| x == 9));
    }
}
