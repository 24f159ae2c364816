//! Data movement, generic over the element type: transpose, strided slicing, padding,
//! concatenation, gather.

use super::strides;

/// Permute axes into `out` (as long as `x`): output dim `i` is input dim `perm[i]`.
pub fn transpose<T: Copy>(x: &[T], shape: &[usize], perm: &[usize], out: &mut [T]) {
    let r = shape.len();
    let is = strides(shape);
    let oshape: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
    let ps: Vec<usize> = perm.iter().map(|&p| is[p]).collect();
    let n = x.len();
    debug_assert_eq!(out.len(), n);
    if r == 0 || n == 0 {
        out.copy_from_slice(x);
        return;
    }
    if let Some((batch, rows, cols)) = batched_2d(shape, perm) {
        return transpose_2d(x, batch, rows, cols, out);
    }
    let last = oshape[r - 1];
    let ls = ps[r - 1];
    let mut idx = vec![0usize; r];
    for o in out.chunks_exact_mut(last) {
        let base: usize = (0..r - 1).map(|d| idx[d] * ps[d]).sum();
        if ls == 1 {
            o.copy_from_slice(&x[base..base + last]);
        } else {
            for (d, &v) in o.iter_mut().zip(x[base..].iter().step_by(ls)) {
                *d = v;
            }
        }
        for d in (0..r - 1).rev() {
            idx[d] += 1;
            if idx[d] < oshape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
}

/// A permutation that keeps leading axes and swaps the two groups of axes after them (NCHW ↔
/// NHWC and every rotation): `(batch, rows, cols)` of the input seen as `[batch][rows][cols]`,
/// whose output is `[batch][cols][rows]`.
fn batched_2d(shape: &[usize], perm: &[usize]) -> Option<(usize, usize, usize)> {
    let r = perm.len();
    let a = perm
        .iter()
        .enumerate()
        .take_while(|&(i, &p)| i == p)
        .count();
    if a >= r {
        return None;
    }
    let k = perm[a];
    let tail = r - k;
    let ok = k > a
        && k < r
        && (0..tail).all(|i| perm[a + i] == k + i)
        && (0..k - a).all(|i| perm[a + tail + i] == a + i);
    ok.then(|| {
        (
            shape[..a].iter().product(),
            shape[a..k].iter().product(),
            shape[k..].iter().product(),
        )
    })
}

/// Batched 2-D transpose in cache-sized tiles (every element of `out` written).
fn transpose_2d<T: Copy>(x: &[T], batch: usize, rows: usize, cols: usize, out: &mut [T]) {
    const TB: usize = 32;
    let plane = rows * cols;
    debug_assert_eq!(out.len(), batch * plane);
    if plane == 0 {
        return;
    }
    for (xi, oi) in x.chunks_exact(plane).zip(out.chunks_exact_mut(plane)) {
        if rows == 3 {
            // An RGB image's planes, interleaved.
            let (r, rest) = xi.split_at(cols);
            let (g, b) = rest.split_at(cols);
            for (o, ((&x0, &x1), &x2)) in oi.chunks_exact_mut(3).zip(r.iter().zip(g).zip(b)) {
                o[0] = x0;
                o[1] = x1;
                o[2] = x2;
            }
            continue;
        }
        if rows <= 4 {
            // Few rows (an NCHW image's colour planes): interleave them in one pass.
            let srcs: Vec<&[T]> = xi.chunks_exact(cols).collect();
            for (c, o) in oi.chunks_exact_mut(rows).enumerate() {
                for (d, src) in o.iter_mut().zip(&srcs) {
                    *d = src[c];
                }
            }
            continue;
        }
        for r0 in (0..rows).step_by(TB) {
            let r1 = (r0 + TB).min(rows);
            for c0 in (0..cols).step_by(TB) {
                let c1 = (c0 + TB).min(cols);
                for c in c0..c1 {
                    let dst = &mut oi[c * rows + r0..c * rows + r1];
                    for (d, r) in dst.iter_mut().zip(r0..r1) {
                        *d = xi[r * cols + c];
                    }
                }
            }
        }
    }
}

/// General strided read into `out` (of `out_shape`): output index `i` along dim `d` reads input
/// `begin[d] + i * step[d]`. The caller guarantees every read is in bounds.
pub fn strided<T: Copy>(
    x: &[T],
    shape: &[usize],
    begin: &[i64],
    step: &[i64],
    out_shape: &[usize],
    out: &mut [T],
) {
    let r = shape.len();
    let is = strides(shape);
    let n: usize = out_shape.iter().product();
    debug_assert_eq!(out.len(), n);
    if n == 0 {
        return;
    }
    if r == 0 {
        out[0] = x[0];
        return;
    }
    let mut idx = vec![0usize; r];
    let last = out_shape[r - 1];
    for o in out.chunks_exact_mut(last) {
        let base: i64 = (0..r - 1)
            .map(|d| (begin[d] + idx[d] as i64 * step[d]) * is[d] as i64)
            .sum();
        let b = base + begin[r - 1] * is[r - 1] as i64;
        let s = step[r - 1] * is[r - 1] as i64;
        for (i, d) in o.iter_mut().enumerate() {
            *d = x[(b + i as i64 * s) as usize];
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

/// Pad with `value` into `out` (of the padded shape); `pads[d] = (before, after)`.
pub fn pad<T: Copy>(x: &[T], shape: &[usize], pads: &[(usize, usize)], value: T, out: &mut [T]) {
    let oshape: Vec<usize> = shape
        .iter()
        .zip(pads)
        .map(|(&s, &(a, b))| s + a + b)
        .collect();
    let n: usize = oshape.iter().product();
    debug_assert_eq!(out.len(), n);
    out.fill(value);
    let r = shape.len();
    if x.is_empty() {
        return;
    }
    if r == 0 {
        out[0] = x[0];
        return;
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
}

/// Concatenate along `axis` into `out` (as long as all parts); all shapes agree except on
/// `axis`.
pub fn concat<T: Copy>(parts: &[(&[T], &[usize])], axis: usize, out: &mut [T]) {
    let total: usize = parts.iter().map(|(x, _)| x.len()).sum();
    debug_assert_eq!(out.len(), total);
    let Some((_, s0)) = parts.first() else {
        return;
    };
    let outer: usize = s0[..axis].iter().product();
    let mut at = 0;
    for o in 0..outer {
        for (x, s) in parts {
            let inner: usize = s[axis..].iter().product();
            out[at..at + inner].copy_from_slice(&x[o * inner..(o + 1) * inner]);
            at += inner;
        }
    }
}

/// Gather along `axis` with `batch_dims` leading batch dims into `out`; indices already
/// validated and non-negative. Output shape: `params[..axis] + indices[batch_dims..] +
/// params[axis+1..]`.
pub fn gather<T: Copy>(
    p: &[T],
    pshape: &[usize],
    idx: &[usize],
    ishape: &[usize],
    axis: usize,
    batch_dims: usize,
    out: &mut [T],
) {
    let batch: usize = pshape[..batch_dims].iter().product();
    let outer: usize = pshape[batch_dims..axis].iter().product();
    let axis_n = pshape[axis];
    let inner: usize = pshape[axis + 1..].iter().product();
    let per_batch_idx: usize = ishape[batch_dims..].iter().product();
    debug_assert_eq!(out.len(), batch * outer * per_batch_idx * inner);
    let mut at = 0;
    for b in 0..batch {
        for o in 0..outer {
            let base = (b * outer + o) * axis_n * inner;
            for &i in &idx[b * per_batch_idx..(b + 1) * per_batch_idx] {
                out[at..at + inner].copy_from_slice(&p[base + i * inner..base + (i + 1) * inner]);
                at += inner;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kernels into a buffer of `n` stale (-7) elements.
    fn run(n: usize, f: impl FnOnce(&mut [i32])) -> Vec<i32> {
        let mut out = vec![-7; n];
        f(&mut out);
        out
    }

    fn transposed(x: &[i32], shape: &[usize], perm: &[usize]) -> Vec<i32> {
        run(x.len(), |o| transpose(x, shape, perm, o))
    }

    fn padded(x: &[i32], shape: &[usize], pads: &[(usize, usize)], value: i32) -> Vec<i32> {
        let n = shape
            .iter()
            .zip(pads)
            .map(|(&s, &(a, b))| s + a + b)
            .product();
        run(n, |o| pad(x, shape, pads, value, o))
    }

    #[test]
    fn transpose_and_pad() {
        let x: Vec<i32> = (0..6).collect();
        assert_eq!(transposed(&x, &[2, 3], &[1, 0]), vec![0, 3, 1, 4, 2, 5]);
        assert_eq!(
            padded(&[1, 2], &[1, 2], &[(1, 0), (0, 1)], 0),
            vec![0, 0, 0, 1, 2, 0]
        );
        assert_eq!(
            run(4, |o| strided(&x, &[2, 3], &[1, 2], &[-1, -1], &[2, 2], o)),
            vec![5, 4, 2, 1]
        );
        let parts: [(&[i32], &[usize]); 2] = [(&x[..4], &[2, 2]), (&x[4..], &[2, 1])];
        assert_eq!(run(6, |o| concat(&parts, 1, o)), vec![0, 1, 4, 2, 3, 5]);
        // Params [2, 3], indices [2] along axis 1.
        assert_eq!(
            run(4, |o| gather(&x, &[2, 3], &[2, 0], &[2], 1, 0, o)),
            vec![2, 0, 5, 3]
        );
    }

    /// Zero-size dimensions anywhere: empty outputs, or all padding.
    #[test]
    fn zero_size_dimensions() {
        for shape in [vec![0], vec![2, 0, 3], vec![0, 4], vec![3, 0]] {
            let r = shape.len();
            let perm: Vec<usize> = (0..r).rev().collect();
            assert_eq!(transposed(&[], &shape, &perm), Vec::<i32>::new());
            let pads = vec![(1, 1); r];
            let n: usize = shape.iter().map(|&s| s + 2).product();
            assert_eq!(padded(&[], &shape, &pads, 9), vec![9; n], "{shape:?}");
            let lens: Vec<usize> = shape.iter().map(|&s| s.min(1)).collect();
            assert_eq!(
                run(0, |o| strided(
                    &[],
                    &shape,
                    &vec![0; r],
                    &vec![1; r],
                    &lens,
                    o
                )),
                Vec::<i32>::new()
            );
        }
        // Concatenating an empty part, and concatenating along a zero-size outer dim.
        let x = [1, 2, 3, 4];
        let parts: [(&[i32], &[usize]); 2] = [(&x, &[2, 2]), (&[], &[2, 0])];
        assert_eq!(run(4, |o| concat(&parts, 1, o)), x.to_vec());
        let parts: [(&[i32], &[usize]); 2] = [(&[], &[0, 2]), (&[], &[0, 3])];
        assert_eq!(run(0, |o| concat(&parts, 1, o)), Vec::<i32>::new());
        assert_eq!(run(0, |o| concat(&[], 0, o)), Vec::<i32>::new());
        // Gathering no indices, and from a zero-size outer dim.
        assert_eq!(
            run(0, |o| gather(&x, &[2, 2], &[], &[0], 1, 0, o)),
            Vec::<i32>::new()
        );
        assert_eq!(
            run(0, |o| gather(&[], &[0, 2], &[1], &[1], 1, 0, o)),
            Vec::<i32>::new()
        );
    }

    /// Element by element: output index → input index.
    fn naive_transpose(x: &[i32], shape: &[usize], perm: &[usize]) -> Vec<i32> {
        let oshape: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
        let (is, os) = (strides(shape), strides(&oshape));
        (0..x.len())
            .map(|o| {
                let i: usize = (0..perm.len())
                    .map(|d| (o / os[d] % oshape[d]) * is[perm[d]])
                    .sum();
                x[i]
            })
            .collect()
    }

    fn perms(n: usize) -> Vec<Vec<usize>> {
        if n == 0 {
            return vec![vec![]];
        }
        let mut out = Vec::new();
        for p in perms(n - 1) {
            for at in 0..=p.len() {
                let mut q = p.clone();
                q.insert(at, n - 1);
                out.push(q);
            }
        }
        out
    }

    /// Every permutation of 3-, 4- and 5-D shapes (the tiled 2-D path and the general one).
    #[test]
    fn transpose_matches_index_arithmetic_for_every_permutation() {
        for shape in [
            vec![3, 40, 37],
            vec![2, 3, 33, 34],
            vec![2, 1, 3, 4, 5],
            vec![1, 3, 9, 7],
        ] {
            let x: Vec<i32> = (0..shape.iter().product::<usize>() as i32).collect();
            for perm in perms(shape.len()) {
                assert_eq!(
                    transposed(&x, &shape, &perm),
                    naive_transpose(&x, &shape, &perm),
                    "{shape:?} {perm:?}"
                );
            }
        }
    }

    /// Padding on every subset of axes against a per-element definition.
    #[test]
    fn pad_matches_index_arithmetic() {
        let shape = [2, 3, 4, 5];
        let x: Vec<i32> = (1..=120).collect();
        for mask in 0..16u32 {
            let pads: Vec<(usize, usize)> = (0..4)
                .map(|d| {
                    if mask >> d & 1 == 1 {
                        (d % 2 + 1, 2 - d % 2)
                    } else {
                        (0, 0)
                    }
                })
                .collect();
            let oshape: Vec<usize> = (0..4).map(|d| shape[d] + pads[d].0 + pads[d].1).collect();
            let (is, os) = (strides(&shape), strides(&oshape));
            let want: Vec<i32> = (0..oshape.iter().product::<usize>())
                .map(|o| {
                    let mut i = 0;
                    for d in 0..4 {
                        let c = (o / os[d] % oshape[d]) as isize - pads[d].0 as isize;
                        if c < 0 || c >= shape[d] as isize {
                            return -1;
                        }
                        i += c as usize * is[d];
                    }
                    x[i]
                })
                .collect();
            assert_eq!(padded(&x, &shape, &pads, -1), want, "{pads:?}");
        }
    }
}
