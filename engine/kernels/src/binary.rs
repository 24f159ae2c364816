//! NumPy-style broadcasting for element-wise binary ops.

/// Output shape of broadcasting `a` with `b`, or `None` if incompatible.
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let r = a.len().max(b.len());
    let mut out = vec![0; r];
    for i in 0..r {
        let da = if i + a.len() >= r {
            a[i + a.len() - r]
        } else {
            1
        };
        let db = if i + b.len() >= r {
            b[i + b.len() - r]
        } else {
            1
        };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return None;
        };
    }
    Some(out)
}

/// Strides of `shape` aligned to rank `r`, 0 where the dimension broadcasts.
fn bstrides(shape: &[usize], out: &[usize]) -> Vec<usize> {
    let r = out.len();
    let s = super::strides(shape);
    (0..r)
        .map(|i| {
            if i + shape.len() < r {
                0
            } else {
                let j = i + shape.len() - r;
                if shape[j] == 1 && out[i] != 1 {
                    0
                } else {
                    s[j]
                }
            }
        })
        .collect()
}

/// Apply `f` element-wise with broadcasting into `out`, of the broadcast shape `out_shape`.
pub fn broadcast<A: Copy, B: Copy, O>(
    a: &[A],
    ash: &[usize],
    b: &[B],
    bsh: &[usize],
    out_shape: &[usize],
    f: impl Fn(A, B) -> O,
    out: &mut [O],
) {
    let n: usize = out_shape.iter().product();
    debug_assert_eq!(out.len(), n);
    if ash == bsh {
        for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
            *o = f(x, y);
        }
        return;
    }
    if b.len() == 1 && a.len() == n {
        let y = b[0];
        for (o, &x) in out.iter_mut().zip(a) {
            *o = f(x, y);
        }
        return;
    }
    if a.len() == 1 && b.len() == n {
        let x = a[0];
        for (o, &y) in out.iter_mut().zip(b) {
            *o = f(x, y);
        }
        return;
    }
    let r = out_shape.len();
    let (sa, sb) = (bstrides(ash, out_shape), bstrides(bsh, out_shape));
    if r == 0 {
        if let (Some(o), Some(&x), Some(&y)) = (out.first_mut(), a.first(), b.first()) {
            *o = f(x, y);
        }
        return;
    }
    let last = out_shape[r - 1];
    let (la, lb) = (sa[r - 1], sb[r - 1]);
    let mut idx = vec![0usize; r];
    let outer = n / last.max(1);
    for row in out.chunks_exact_mut(last.max(1)).take(outer) {
        let (mut oa, mut ob) = (0, 0);
        for d in 0..r - 1 {
            oa += idx[d] * sa[d];
            ob += idx[d] * sb[d];
        }
        // Contiguous or broadcast rows as slices, so the loop vectorizes (a per-channel
        // multiply [1, H, W, C] x [C] is the first case).
        match (la, lb) {
            (1, 1) => {
                let (ra, rb) = (&a[oa..oa + row.len()], &b[ob..ob + row.len()]);
                for ((o, &x), &y) in row.iter_mut().zip(ra).zip(rb) {
                    *o = f(x, y);
                }
            }
            (1, 0) => {
                let (ra, y) = (&a[oa..oa + row.len()], b[ob]);
                for (o, &x) in row.iter_mut().zip(ra) {
                    *o = f(x, y);
                }
            }
            (0, 1) => {
                let (x, rb) = (a[oa], &b[ob..ob + row.len()]);
                for (o, &y) in row.iter_mut().zip(rb) {
                    *o = f(x, y);
                }
            }
            _ => {
                for (i, o) in row.iter_mut().enumerate() {
                    *o = f(a[oa + i * la], b[ob + i * lb]);
                }
            }
        }
        for d in (0..r - 1).rev() {
            idx[d] += 1;
            if idx[d] < out_shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasts_like_numpy() {
        assert_eq!(broadcast_shape(&[2, 1, 3], &[4, 1]), Some(vec![2, 4, 3]));
        assert_eq!(broadcast_shape(&[2, 3], &[4]), None);
        let a: Vec<i32> = (0..6).collect();
        let b = vec![10, 20];
        let mut o = vec![0; 12];
        broadcast(
            &a,
            &[2, 1, 3],
            &b,
            &[2, 1],
            &[2, 2, 3],
            |x, y| x + y,
            &mut o,
        );
        assert_eq!(o, vec![10, 11, 12, 20, 21, 22, 13, 14, 15, 23, 24, 25]);
    }

    /// Every row form (both contiguous, one broadcast along the row, a strided last axis)
    /// against an index-by-index evaluation.
    #[test]
    fn row_forms_match_indexing() {
        let naive = |a: &[i32], ash: &[usize], b: &[i32], bsh: &[usize], out: &[usize]| {
            let (sa, sb) = (bstrides(ash, out), bstrides(bsh, out));
            let n: usize = out.iter().product();
            (0..n)
                .map(|flat| {
                    let (mut rem, mut ia, mut ib) = (flat, 0, 0);
                    for d in (0..out.len()).rev() {
                        let i = rem % out[d];
                        rem /= out[d];
                        ia += i * sa[d];
                        ib += i * sb[d];
                    }
                    a[ia] * 100 + b[ib]
                })
                .collect::<Vec<i32>>()
        };
        for (ash, bsh) in [
            (vec![2, 3, 4], vec![1, 1, 4]),
            (vec![2, 3, 4], vec![2, 3, 1]),
            (vec![2, 3, 1], vec![1, 3, 4]),
            (vec![1, 3, 1], vec![2, 1, 5]),
        ] {
            let out = broadcast_shape(&ash, &bsh).expect("broadcastable");
            let a: Vec<i32> = (0..ash.iter().product::<usize>() as i32).collect();
            let b: Vec<i32> = (0..bsh.iter().product::<usize>() as i32).collect();
            let mut o = vec![-1; out.iter().product()];
            broadcast(&a, &ash, &b, &bsh, &out, |x, y| x * 100 + y, &mut o);
            assert_eq!(o, naive(&a, &ash, &b, &bsh, &out), "{ash:?} x {bsh:?}");
        }
    }
}
