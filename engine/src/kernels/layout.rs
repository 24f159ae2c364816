//! Data movement, generic over the element type: transpose, strided slicing, padding,
//! concatenation, gather.

use super::strides;

/// Permute axes: output dim `i` is input dim `perm[i]`.
pub fn transpose<T: Copy>(x: &[T], shape: &[usize], perm: &[usize]) -> Vec<T> {
    let r = shape.len();
    let is = strides(shape);
    let oshape: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
    let ps: Vec<usize> = perm.iter().map(|&p| is[p]).collect();
    let n = x.len();
    let mut out = Vec::with_capacity(n);
    if r == 0 || n == 0 {
        return x.to_vec();
    }
    let last = oshape[r - 1];
    let ls = ps[r - 1];
    let mut idx = vec![0usize; r];
    for _ in 0..n / last {
        let base: usize = (0..r - 1).map(|d| idx[d] * ps[d]).sum();
        if ls == 1 {
            out.extend_from_slice(&x[base..base + last]);
        } else {
            out.extend(x[base..].iter().step_by(ls).take(last));
        }
        for d in (0..r - 1).rev() {
            idx[d] += 1;
            if idx[d] < oshape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    out
}

/// General strided read: output index `i` along dim `d` reads input `begin[d] + i * step[d]`.
/// The caller guarantees every read is in bounds.
pub fn strided<T: Copy>(
    x: &[T],
    shape: &[usize],
    begin: &[i64],
    step: &[i64],
    out_shape: &[usize],
) -> Vec<T> {
    let r = shape.len();
    let is = strides(shape);
    let n: usize = out_shape.iter().product();
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        return out;
    }
    if r == 0 {
        out.push(x[0]);
        return out;
    }
    let mut idx = vec![0usize; r];
    let last = out_shape[r - 1];
    for _ in 0..n / last {
        let base: i64 = (0..r - 1)
            .map(|d| (begin[d] + idx[d] as i64 * step[d]) * is[d] as i64)
            .sum();
        let b = base + begin[r - 1] * is[r - 1] as i64;
        let s = step[r - 1] * is[r - 1] as i64;
        for i in 0..last as i64 {
            out.push(x[(b + i * s) as usize]);
        }
        for d in (0..r - 1).rev() {
            idx[d] += 1;
            if idx[d] < out_shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    out
}

/// Pad with `value`; `pads[d] = (before, after)`.
pub fn pad<T: Copy>(x: &[T], shape: &[usize], pads: &[(usize, usize)], value: T) -> Vec<T> {
    let oshape: Vec<usize> = shape
        .iter()
        .zip(pads)
        .map(|(&s, &(a, b))| s + a + b)
        .collect();
    let n: usize = oshape.iter().product();
    let mut out = vec![value; n];
    let r = shape.len();
    if x.is_empty() {
        return out;
    }
    if r == 0 {
        out[0] = x[0];
        return out;
    }
    let os = strides(&oshape);
    // Dims after the last padded one are copied whole: rows of `shape[k..]` are contiguous in
    // both the input and the output.
    let k = (0..r).rev().find(|&d| pads[d] != (0, 0)).unwrap_or(0);
    let row: usize = shape[k..].iter().product();
    let lead = pads[k].0 * os[k];
    let mut idx = vec![0usize; k];
    for src in x.chunks_exact(row.max(1)) {
        let base: usize = lead + (0..k).map(|d| (idx[d] + pads[d].0) * os[d]).sum::<usize>();
        out[base..base + row].copy_from_slice(src);
        for d in (0..k).rev() {
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    out
}

/// Concatenate along `axis`; all shapes agree except on `axis`.
pub fn concat<T: Copy>(parts: &[(&[T], &[usize])], axis: usize) -> Vec<T> {
    let Some((_, s0)) = parts.first() else {
        return Vec::new();
    };
    let outer: usize = s0[..axis].iter().product();
    let total: usize = parts.iter().map(|(x, _)| x.len()).sum();
    let mut out = Vec::with_capacity(total);
    for o in 0..outer {
        for (x, s) in parts {
            let inner: usize = s[axis..].iter().product();
            out.extend_from_slice(&x[o * inner..(o + 1) * inner]);
        }
    }
    out
}

/// Gather along `axis` with `batch_dims` leading batch dims; indices already validated and
/// non-negative. Output shape: `params[..axis] + indices[batch_dims..] + params[axis+1..]`.
pub fn gather<T: Copy>(
    p: &[T],
    pshape: &[usize],
    idx: &[usize],
    ishape: &[usize],
    axis: usize,
    batch_dims: usize,
) -> Vec<T> {
    let batch: usize = pshape[..batch_dims].iter().product();
    let outer: usize = pshape[batch_dims..axis].iter().product();
    let axis_n = pshape[axis];
    let inner: usize = pshape[axis + 1..].iter().product();
    let per_batch_idx: usize = ishape[batch_dims..].iter().product();
    let mut out = Vec::with_capacity(batch * outer * per_batch_idx * inner);
    for b in 0..batch {
        for o in 0..outer {
            let base = (b * outer + o) * axis_n * inner;
            for &i in &idx[b * per_batch_idx..(b + 1) * per_batch_idx] {
                out.extend_from_slice(&p[base + i * inner..base + (i + 1) * inner]);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transpose_and_pad() {
        let x: Vec<i32> = (0..6).collect();
        assert_eq!(transpose(&x, &[2, 3], &[1, 0]), vec![0, 3, 1, 4, 2, 5]);
        assert_eq!(
            pad(&[1, 2], &[1, 2], &[(1, 0), (0, 1)], 0),
            vec![0, 0, 0, 1, 2, 0]
        );
        assert_eq!(
            strided(&x, &[2, 3], &[1, 2], &[-1, -1], &[2, 2]),
            vec![5, 4, 2, 1]
        );
    }
}
