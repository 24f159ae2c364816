//! Comparison and selection kernels with NumPy broadcasting: EQUAL … GREATER_EQUAL write
//! booleans, SELECT / SELECT_V2 pick from two tensors by a boolean condition. Comparisons
//! reuse [`crate::binary::broadcast`]; selection broadcasts three operands here.

/// Strides of `shape` right-aligned to the output rank, 0 along broadcast axes.
fn aligned_strides(shape: &[usize], out: &[usize]) -> Vec<usize> {
    let r = out.len();
    let s = crate::strides(shape);
    (0..r)
        .map(|i| {
            if i + shape.len() < r {
                0
            } else {
                let j = i + shape.len() - r;
                if shape[j] == 1 { 0 } else { s[j] }
            }
        })
        .collect()
}

/// `out[i] = cond[i] ? x[i] : y[i]` with all three broadcast to `out_shape`.
#[allow(clippy::too_many_arguments)]
pub fn select<T: Copy>(
    cond: &[bool],
    cond_shape: &[usize],
    x: &[T],
    x_shape: &[usize],
    y: &[T],
    y_shape: &[usize],
    out_shape: &[usize],
    out: &mut [T],
) {
    let n: usize = out_shape.iter().product();
    debug_assert_eq!(out.len(), n);
    if cond.len() == n && x.len() == n && y.len() == n {
        for (((o, &c), &a), &b) in out.iter_mut().zip(cond).zip(x).zip(y) {
            *o = if c { a } else { b };
        }
        return;
    }
    let r = out_shape.len();
    let (sc, sx, sy) = (
        aligned_strides(cond_shape, out_shape),
        aligned_strides(x_shape, out_shape),
        aligned_strides(y_shape, out_shape),
    );
    let mut idx = vec![0usize; r];
    for o in out.iter_mut() {
        let (mut ic, mut ix, mut iy) = (0, 0, 0);
        for d in 0..r {
            ic += idx[d] * sc[d];
            ix += idx[d] * sx[d];
            iy += idx[d] * sy[d];
        }
        *o = if cond[ic] { x[ix] } else { y[iy] };
        for d in (0..r).rev() {
            idx[d] += 1;
            if idx[d] < out_shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
}

/// The broadcast shape of three operands, or `None` when they do not broadcast.
pub fn broadcast_shape3(a: &[usize], b: &[usize], c: &[usize]) -> Option<Vec<usize>> {
    let ab = crate::binary::broadcast_shape(a, b)?;
    crate::binary::broadcast_shape(&ab, c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_broadcasts_all_three() {
        let c = [true, false];
        let x: Vec<i32> = (0..6).collect();
        let y = [100];
        let mut o = [0; 6];
        // cond [2, 1], x [2, 3], y scalar
        select(&c, &[2, 1], &x, &[2, 3], &y, &[], &[2, 3], &mut o);
        assert_eq!(o, [0, 1, 2, 100, 100, 100]);
        assert_eq!(
            broadcast_shape3(&[2, 1], &[3], &[1, 1, 1]),
            Some(vec![1, 2, 3])
        );
    }
}
