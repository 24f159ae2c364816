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

/// Apply `f` element-wise with broadcasting; `out` is the broadcast shape.
pub fn broadcast<A: Copy, B: Copy, O>(
    a: &[A],
    ash: &[usize],
    b: &[B],
    bsh: &[usize],
    out: &[usize],
    f: impl Fn(A, B) -> O,
) -> Vec<O> {
    let n: usize = out.iter().product();
    if ash == bsh {
        return a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect();
    }
    if b.len() == 1 && a.len() == n {
        let y = b[0];
        return a.iter().map(|&x| f(x, y)).collect();
    }
    if a.len() == 1 && b.len() == n {
        let x = a[0];
        return b.iter().map(|&y| f(x, y)).collect();
    }
    let r = out.len();
    let (sa, sb) = (bstrides(ash, out), bstrides(bsh, out));
    let mut res = Vec::with_capacity(n);
    if r == 0 {
        res.push(f(a[0], b[0]));
        return res;
    }
    let last = out[r - 1];
    let (la, lb) = (sa[r - 1], sb[r - 1]);
    let mut idx = vec![0usize; r];
    let outer = n / last.max(1);
    for _ in 0..outer {
        let (mut oa, mut ob) = (0, 0);
        for d in 0..r - 1 {
            oa += idx[d] * sa[d];
            ob += idx[d] * sb[d];
        }
        for i in 0..last {
            res.push(f(a[oa + i * la], b[ob + i * lb]));
        }
        for d in (0..r - 1).rev() {
            idx[d] += 1;
            if idx[d] < out[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    res
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
        let o = broadcast(&a, &[2, 1, 3], &b, &[2, 1], &[2, 2, 3], |x, y| x + y);
        assert_eq!(o, vec![10, 11, 12, 20, 21, 22, 13, 14, 15, 23, 24, 25]);
    }
}
