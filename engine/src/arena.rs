//! Reusable tensor buffers for a session's runs.
//!
//! When a session drops an intermediate tensor (its last reader has run), the buffer goes back
//! to the session's arena instead of the allocator; an op whose kernel overwrites every element
//! of its output takes the output buffer from it ([`take`]) and hands it to the kernel. A
//! recycled buffer keeps its old contents (initialized numbers, never read before being
//! overwritten), so taking it costs neither a page fault nor the zero-fill of a fresh
//! allocation. Best fit by capacity; a bounded number of buffers. Outside a session run (no
//! arena installed) [`take`] is a plain zeroed allocation and [`recycle`] a plain drop.

use std::cell::RefCell;

use crate::ir::{Data, Value};

/// Most buffers an arena keeps.
const MAX_BUFFERS: usize = 4;
/// Smaller buffers are not worth keeping.
const MIN_BYTES: usize = 4096;

/// A session's free buffers.
#[derive(Debug, Default)]
pub struct Arena {
    free: Vec<Data>,
}

thread_local! {
    static CURRENT: RefCell<Option<Arena>> = const { RefCell::new(None) };
}

/// Run `f` with `arena` installed on this thread; returns `f`'s result and the arena (with the
/// buffers recycled meanwhile), also when `f` unwinds (then the arena is lost, not leaked).
pub fn with<R>(arena: Arena, f: impl FnOnce() -> R) -> (R, Arena) {
    struct Restore(Option<Arena>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let prev = self.0.take();
            CURRENT.with(|c| *c.borrow_mut() = prev);
        }
    }
    let prev = CURRENT.with(|c| c.borrow_mut().replace(arena));
    let restore = Restore(prev);
    let r = f();
    let arena = CURRENT.with(|c| c.borrow_mut().take()).unwrap_or_default();
    drop(restore);
    (r, arena)
}

/// Element types the arena hands out.
pub trait Elem: Copy + Default + 'static {
    /// The buffer, if `d` holds this type.
    fn unwrap(d: Data) -> Result<Vec<Self>, Data>;
    /// The capacity of `d`'s buffer if it holds this type.
    fn capacity(d: &Data) -> Option<usize>;
}

/// `Elem` for the element type of one `Data` variant.
macro_rules! elem {
    ($($t:ty => $var:ident),*) => {$(
        impl Elem for $t {
            fn unwrap(d: Data) -> Result<Vec<$t>, Data> {
                match d {
                    Data::$var(v) => Ok(v),
                    d => Err(d),
                }
            }
            fn capacity(d: &Data) -> Option<usize> {
                match d {
                    Data::$var(v) => Some(v.capacity()),
                    _ => None,
                }
            }
        }
    )*};
}

// Only f32 and i8 buffers are recycled; the other types come back as fresh zeros, so the
// data-movement kernels (generic over the element type) take their outputs the same way.
elem!(f32 => F32, i8 => I8, half::f16 => F16, u8 => U8, i16 => I16, i32 => I32, i64 => I64, bool => Bool);

/// A buffer of `n` elements for a kernel that writes every one of them: a recycled buffer
/// (stale contents) when the installed arena has one large enough, else zeros.
pub fn take<T: Elem>(n: usize) -> Vec<T> {
    let found = CURRENT.with(|c| {
        let mut c = c.borrow_mut();
        let a = c.as_mut()?;
        let best = a
            .free
            .iter()
            .enumerate()
            .filter_map(|(i, d)| T::capacity(d).filter(|&cap| cap >= n).map(|cap| (cap, i)))
            .min()?;
        T::unwrap(a.free.swap_remove(best.1)).ok()
    });
    match found {
        Some(mut v) => {
            if v.len() >= n {
                v.truncate(n);
            } else {
                v.resize(n, T::default());
            }
            v
        }
        None => vec![T::default(); n],
    }
}

/// Give a dropped tensor's buffer to the installed arena (or drop it).
pub fn recycle(v: Value) {
    let bytes = match &v.data {
        Data::F32(b) => b.capacity() * 4,
        Data::I8(b) => b.capacity(),
        _ => 0,
    };
    if bytes < MIN_BYTES {
        return;
    }
    CURRENT.with(|c| {
        if let Some(a) = c.borrow_mut().as_mut() {
            if a.free.len() >= MAX_BUFFERS {
                a.free.remove(0);
            }
            a.free.push(v.data);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_come_back_best_fit_and_only_inside_a_run() {
        // No arena: zeros, and recycling drops.
        recycle(Value::f32(vec![5000], vec![1.0; 5000]));
        assert!(take::<f32>(100).iter().all(|&x| x == 0.0));
        let ((), arena) = with(Arena::default(), || {
            recycle(Value::f32(vec![5000], vec![1.0; 5000]));
            recycle(Value::f32(vec![9000], vec![2.0; 9000]));
            recycle(Value::new(vec![8000], Data::I8(vec![3; 8000])));
            // Best fit: the 5000-float buffer, truncated, stale contents.
            let a = take::<f32>(4000);
            assert_eq!((a.len(), a[0]), (4000, 1.0));
            // A larger request than any f32 buffer: fresh zeros.
            assert!(take::<f32>(20000).iter().all(|&x| x == 0.0));
            let b = take::<i8>(8000);
            assert_eq!(b[7999], 3);
            // Small buffers are not kept.
            recycle(Value::f32(vec![10], vec![4.0; 10]));
        });
        assert_eq!(arena.free.len(), 1);
        // Kept across runs.
        let ((), arena) = with(arena, || {
            let v = take::<f32>(8500);
            assert_eq!((v.len(), v[0], v[8499]), (8500, 2.0, 2.0));
        });
        assert!(arena.free.is_empty());
    }
}
