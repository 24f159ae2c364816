//! Data-movement kernels of the movement family: per-axis index maps (mirror pad, tile,
//! reverse, broadcast), space/batch rearrangements, gather/scatter by index tuples, one-hot,
//! cumulative sums, top-k and dynamic slice updates. Generic over the element type.

use crate::strides;

/// `out[o] = x[Σ_d maps[d][o_d] · stride_d]`: the output has shape `maps[d].len()` and every
/// axis reads the input position its map gives (in range, checked by the caller).
pub fn gather_axes<T: Copy>(x: &[T], shape: &[usize], maps: &[Vec<usize>], out: &mut [T]) {
    let r = shape.len();
    debug_assert_eq!(maps.len(), r);
    debug_assert_eq!(out.len(), maps.iter().map(Vec::len).product::<usize>());
    if out.is_empty() {
        return;
    }
    if r == 0 {
        out[0] = x[0];
        return;
    }
    let st = strides(shape);
    // Offset of each map entry, premultiplied by its stride.
    let offs: Vec<Vec<usize>> = maps
        .iter()
        .zip(&st)
        .map(|(m, &s)| m.iter().map(|&i| i * s).collect())
        .collect();
    let last = &offs[r - 1];
    let mut idx = vec![0usize; r];
    for row in out.chunks_mut(last.len()) {
        let base: usize = (0..r - 1).map(|d| offs[d][idx[d]]).sum();
        for (o, &l) in row.iter_mut().zip(last) {
            *o = x[base + l];
        }
        for d in (0..r - 1).rev() {
            idx[d] += 1;
            if idx[d] < maps[d].len() {
                break;
            }
            idx[d] = 0;
        }
    }
}

/// The input position output position `o` of a mirror-padded axis reads: size `d`, `before`
/// elements added in front; REFLECT (edge not repeated) or SYMMETRIC (edge repeated).
pub fn mirror_index(o: usize, d: usize, before: usize, symmetric: bool) -> usize {
    let i = o as i64 - before as i64;
    let d = d as i64;
    let j = if i < 0 {
        if symmetric { -i - 1 } else { -i }
    } else if i >= d {
        if symmetric {
            2 * d - 1 - i
        } else {
            2 * d - 2 - i
        }
    } else {
        i
    };
    j.clamp(0, (d - 1).max(0)) as usize
}

/// SPACE_TO_BATCH_ND: `x` of shape `[b, s_1..s_m, rest..]`, blocks `block[m]`, zero padding
/// `pad_before[m]` (`fill` is the pad value), output `[b·Πblock, (s_i + pads)/block_i, rest..]`.
pub fn space_to_batch<T: Copy>(
    x: &[T],
    shape: &[usize],
    block: &[usize],
    pad_before: &[usize],
    out_shape: &[usize],
    fill: T,
    out: &mut [T],
) {
    let m = block.len();
    let b = shape[0];
    let rest: usize = shape[1 + m..].iter().product();
    let ist = strides(shape);
    let mut o = 0;
    let mut pos = vec![0usize; m];
    for ob in 0..out_shape[0] {
        let ib = ob % b;
        // Block offset of this output batch (row-major over the block dims).
        let mut k = ob / b;
        let mut off = vec![0usize; m];
        for d in (0..m).rev() {
            off[d] = k % block[d];
            k /= block[d];
        }
        let spatial: usize = out_shape[1..1 + m].iter().product();
        pos.iter_mut().for_each(|p| *p = 0);
        for _ in 0..spatial {
            let mut src = Some(ib * ist[0]);
            for d in 0..m {
                let p = (pos[d] * block[d] + off[d]) as i64 - pad_before[d] as i64;
                if p < 0 || p >= shape[1 + d] as i64 {
                    src = None;
                    break;
                }
                src = src.map(|s| s + p as usize * ist[1 + d]);
            }
            match src {
                Some(s) => out[o..o + rest].copy_from_slice(&x[s..s + rest]),
                None => out[o..o + rest].fill(fill),
            }
            o += rest;
            for d in (0..m).rev() {
                pos[d] += 1;
                if pos[d] < out_shape[1 + d] {
                    break;
                }
                pos[d] = 0;
            }
        }
    }
}

/// BATCH_TO_SPACE_ND: the inverse of [`space_to_batch`], cropping `crop_before[m]` in front
/// (the output shape carries the crops at the end).
pub fn batch_to_space<T: Copy>(
    x: &[T],
    shape: &[usize],
    block: &[usize],
    crop_before: &[usize],
    out_shape: &[usize],
    out: &mut [T],
) {
    let m = block.len();
    let ob_n = out_shape[0];
    let rest: usize = shape[1 + m..].iter().product();
    let ist = strides(shape);
    let spatial: usize = out_shape[1..1 + m].iter().product();
    let mut o = 0;
    let mut pos = vec![0usize; m];
    for b in 0..ob_n {
        pos.iter_mut().for_each(|p| *p = 0);
        for _ in 0..spatial {
            let mut k = 0usize;
            let mut src = 0usize;
            for d in 0..m {
                let t = pos[d] + crop_before[d];
                k = k * block[d] + t % block[d];
                src += (t / block[d]) * ist[1 + d];
            }
            src += (k * ob_n + b) * ist[0];
            out[o..o + rest].copy_from_slice(&x[src..src + rest]);
            o += rest;
            for d in (0..m).rev() {
                pos[d] += 1;
                if pos[d] < out_shape[1 + d] {
                    break;
                }
                pos[d] = 0;
            }
        }
    }
}

/// GATHER_ND: each row of `idx` (already validated, `q` values each) picks the slice of
/// `slice` elements starting at that position of `x` (shape `shape`).
pub fn gather_nd<T: Copy>(x: &[T], shape: &[usize], idx: &[usize], q: usize, out: &mut [T]) {
    let st = strides(shape);
    let slice: usize = shape[q..].iter().product();
    if q == 0 {
        for c in out.chunks_mut(slice.max(1)) {
            c.copy_from_slice(&x[..c.len()]);
        }
        return;
    }
    for (row, o) in idx.chunks(q).zip(out.chunks_mut(slice.max(1))) {
        let s: usize = row.iter().zip(&st).map(|(&i, &s)| i * s).sum();
        o.copy_from_slice(&x[s..s + o.len()]);
    }
}

/// SCATTER_ND into `out` (shape `shape`, filled with the zero by the caller): each row of `idx`
/// adds its slice of `upd` at that position.
pub fn scatter_nd<T: Copy>(
    upd: &[T],
    idx: &[usize],
    q: usize,
    shape: &[usize],
    add: impl Fn(T, T) -> T,
    out: &mut [T],
) {
    let st = strides(shape);
    let slice: usize = shape[q..].iter().product();
    if slice == 0 || q == 0 && idx.is_empty() {
        return;
    }
    let rows = upd.len() / slice;
    for r in 0..rows {
        let s: usize = idx[r * q..(r + 1) * q]
            .iter()
            .zip(&st)
            .map(|(&i, &s)| i * s)
            .sum();
        for (o, &u) in out[s..s + slice]
            .iter_mut()
            .zip(&upd[r * slice..(r + 1) * slice])
        {
            *o = add(*o, u);
        }
    }
}

/// ONE_HOT: `idx` of `outer · inner` positions, the new axis of `depth` between them.
pub fn one_hot<T: Copy>(
    idx: &[i64],
    outer: usize,
    inner: usize,
    depth: usize,
    on: T,
    off: T,
    out: &mut [T],
) {
    for o in 0..outer {
        for d in 0..depth {
            for i in 0..inner {
                out[(o * depth + d) * inner + i] = if idx[o * inner + i] == d as i64 {
                    on
                } else {
                    off
                };
            }
        }
    }
}

/// CUMSUM over the middle axis of `[outer, n, inner]`, `exclusive` and/or `reverse`.
#[allow(clippy::too_many_arguments)]
pub fn cumsum<T: Copy>(
    x: &[T],
    outer: usize,
    n: usize,
    inner: usize,
    exclusive: bool,
    reverse: bool,
    zero: T,
    add: impl Fn(T, T) -> T,
    out: &mut [T],
) {
    for o in 0..outer {
        for i in 0..inner {
            let mut acc = zero;
            for k in 0..n {
                let k = if reverse { n - 1 - k } else { k };
                let at = (o * n + k) * inner + i;
                if exclusive {
                    out[at] = acc;
                    acc = add(acc, x[at]);
                } else {
                    acc = add(acc, x[at]);
                    out[at] = acc;
                }
            }
        }
    }
}

/// TOPK_V2 along rows of `n`: the `k` largest of each row, largest first, ties to the lower
/// index; writes values and indices.
pub fn top_k<T: Copy + PartialOrd>(x: &[T], n: usize, k: usize, vals: &mut [T], idx: &mut [i32]) {
    if n == 0 || k == 0 {
        return;
    }
    let mut order: Vec<usize> = Vec::with_capacity(n);
    for (r, row) in x.chunks(n).enumerate() {
        order.clear();
        order.extend(0..n);
        order.sort_by(|&a, &b| {
            row[b]
                .partial_cmp(&row[a])
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.cmp(&b))
        });
        for (j, &i) in order.iter().take(k).enumerate() {
            vals[r * k + j] = row[i];
            idx[r * k + j] = i as i32;
        }
    }
}

/// DYNAMIC_UPDATE_SLICE: `out` holds the operand (shape `shape`); `upd` (shape `ushape`) is
/// written at `start` (clamped by the caller).
pub fn update_slice<T: Copy>(
    upd: &[T],
    ushape: &[usize],
    shape: &[usize],
    start: &[usize],
    out: &mut [T],
) {
    let r = shape.len();
    if upd.is_empty() {
        return;
    }
    if r == 0 {
        out[0] = upd[0];
        return;
    }
    let st = strides(shape);
    let last = ushape[r - 1];
    let mut idx = vec![0usize; r];
    for row in upd.chunks(last.max(1)) {
        let base: usize = (0..r).map(|d| (start[d] + idx[d]) * st[d]).sum();
        out[base..base + row.len()].copy_from_slice(row);
        for d in (0..r - 1).rev() {
            idx[d] += 1;
            if idx[d] < ushape[d] {
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
    fn mirror_pad_modes() {
        let x = [1, 2, 3];
        let m = |sym| -> Vec<i32> {
            let map: Vec<usize> = (0..7).map(|o| mirror_index(o, 3, 2, sym)).collect();
            let mut o = vec![0; 7];
            gather_axes(&x, &[3], &[map], &mut o);
            o
        };
        assert_eq!(m(false), vec![3, 2, 1, 2, 3, 2, 1]);
        assert_eq!(m(true), vec![2, 1, 1, 2, 3, 3, 2]);
    }

    #[test]
    fn space_batch_round_trip() {
        let x: Vec<i32> = (0..16).collect();
        let shape = [1, 4, 4, 1];
        let os = [4, 2, 2, 1];
        let mut y = vec![0; 16];
        space_to_batch(&x, &shape, &[2, 2], &[0, 0], &os, -1, &mut y);
        assert_eq!(&y[..4], &[0, 2, 8, 10]);
        let mut z = vec![0; 16];
        batch_to_space(&y, &os, &[2, 2], &[0, 0], &shape, &mut z);
        assert_eq!(z, x);
    }

    #[test]
    fn cumsum_and_topk() {
        let x = [1, 2, 3, 4];
        let mut o = [0; 4];
        cumsum(&x, 1, 4, 1, true, true, 0, |a, b| a + b, &mut o);
        assert_eq!(o, [9, 7, 4, 0]);
        let (mut v, mut i) = ([0.0f32; 2], [0i32; 2]);
        top_k(&[1.0f32, 5.0, 5.0, 2.0], 4, 2, &mut v, &mut i);
        assert_eq!((v, i), ([5.0, 5.0], [1, 2]));
    }
}
