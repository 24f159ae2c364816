//! `litert` ADD, SUB and MUL with NumPy broadcasting. XNNPACK's binary operator computes
//! every element with the same arithmetic whether an input is broadcast or not (`vadd`,
//! `vaddc` and the swapped `vaddc` all evaluate `bias + a·ma + b·mb`), so the kernels here only
//! choose how to walk the shapes: the output is cut into rows along the innermost dimensions
//! that can be merged, each input row being either contiguous or one repeated element.

use super::params::{AddParams, MulParams};

/// One input's view of an output row: `len` contiguous elements, or one element repeated.
#[derive(Clone, Copy)]
enum Row<'a> {
    Run(&'a [i8]),
    Splat(i8),
}

/// The rows of a broadcast binary op: `(a row, b row, output range)` for each output row.
/// Shapes are right-aligned; `out_shape` is the broadcast shape (shape inference checked it).
/// An iterator rather than a callback, so that the row loops inline into the SIMD builds.
struct Rows<'a> {
    a: &'a [i8],
    b: &'a [i8],
    out_shape: &'a [usize],
    inner: usize,
    bc: (bool, bool),
    strides: (Vec<usize>, Vec<usize>),
    idx: Vec<usize>,
    at: (usize, usize),
    row: usize,
    rows: usize,
}

#[inline(always)]
fn rows<'a>(
    a: &'a [i8],
    a_shape: &[usize],
    b: &'a [i8],
    b_shape: &[usize],
    out_shape: &'a [usize],
) -> Rows<'a> {
    let n: usize = out_shape.iter().product();
    let r = out_shape.len();
    let dim = |s: &[usize], d: usize| {
        if d + s.len() >= r {
            s[d + s.len() - r]
        } else {
            1
        }
    };
    // Per output dim: whether a and b are broadcast (size 1) there.
    let bc: Vec<(bool, bool)> = (0..r)
        .map(|d| {
            let o = out_shape[d];
            (
                dim(a_shape, d) == 1 && o != 1,
                dim(b_shape, d) == 1 && o != 1,
            )
        })
        .collect();
    // Merge trailing dims while both inputs keep the same broadcast pattern (size-1 output
    // dims fit any pattern).
    let mut inner = 1usize;
    let mut k = r;
    let mut pattern: Option<(bool, bool)> = None;
    while k > 0 {
        let d = k - 1;
        if out_shape[d] != 1 {
            match pattern {
                None => pattern = Some(bc[d]),
                Some(p) if p == bc[d] => {}
                Some(_) => break,
            }
        }
        inner *= out_shape[d];
        k -= 1;
    }
    // Strides of the outer dims 0..k for each input (0 where broadcast).
    let strides = |s: &[usize]| {
        let mut st = vec![0usize; r];
        let mut acc = 1usize;
        for d in (0..r).rev() {
            let sz = dim(s, d);
            st[d] = if sz == 1 { 0 } else { acc };
            acc *= sz;
        }
        st
    };
    Rows {
        a,
        b,
        out_shape,
        inner,
        bc: pattern.unwrap_or((false, false)),
        strides: (strides(a_shape), strides(b_shape)),
        idx: vec![0; k],
        at: (0, 0),
        row: 0,
        rows: if n == 0 { 0 } else { n / inner },
    }
}

impl<'a> Iterator for Rows<'a> {
    type Item = (Row<'a>, Row<'a>, std::ops::Range<usize>);

    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        if self.row >= self.rows {
            return None;
        }
        let (ia, ib) = self.at;
        let inner = self.inner;
        let ra = if self.bc.0 {
            Row::Splat(self.a[ia])
        } else {
            Row::Run(&self.a[ia..ia + inner])
        };
        let rb = if self.bc.1 {
            Row::Splat(self.b[ib])
        } else {
            Row::Run(&self.b[ib..ib + inner])
        };
        let range = self.row * inner..(self.row + 1) * inner;
        self.row += 1;
        let (sa, sb) = &self.strides;
        for d in (0..self.idx.len()).rev() {
            self.idx[d] += 1;
            self.at.0 += sa[d];
            self.at.1 += sb[d];
            if self.idx[d] < self.out_shape[d] {
                break;
            }
            self.at.0 -= sa[d] * self.idx[d];
            self.at.1 -= sb[d] * self.idx[d];
            self.idx[d] = 0;
        }
        Some((ra, rb, range))
    }
}

/// `out[i] = f(a[i], b[i])` over one row (the loops are written out per case so that each
/// vectorizes).
#[inline(always)]
fn row_op(a: Row<'_>, b: Row<'_>, out: &mut [i8], f: impl Fn(i8, i8) -> i8) {
    match (a, b) {
        (Row::Run(a), Row::Run(b)) => {
            for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
                *o = f(x, y);
            }
        }
        (Row::Run(a), Row::Splat(y)) => {
            for (o, &x) in out.iter_mut().zip(a) {
                *o = f(x, y);
            }
        }
        (Row::Splat(x), Row::Run(b)) => {
            for (o, &y) in out.iter_mut().zip(b) {
                *o = f(x, y);
            }
        }
        (Row::Splat(x), Row::Splat(y)) => out.fill(f(x, y)),
    }
}

/// XNNPACK qs8 ADD / SUB (SUB is ADD with a negated `b` multiplier in [`AddParams`]).
#[inline(always)]
pub fn add(
    a: &[i8],
    a_shape: &[usize],
    b: &[i8],
    b_shape: &[usize],
    out_shape: &[usize],
    p: &AddParams,
    out: &mut [i8],
) {
    debug_assert_eq!(out.len(), out_shape.iter().product::<usize>());
    for (ra, rb, o) in rows(a, a_shape, b, b_shape, out_shape) {
        row_op(ra, rb, &mut out[o], |x, y| p.apply(x, y))
    }
}

/// XNNPACK qs8 MUL (fp32 requantization).
#[inline(always)]
pub fn mul(
    a: &[i8],
    a_shape: &[usize],
    b: &[i8],
    b_shape: &[usize],
    out_shape: &[usize],
    p: &MulParams,
    out: &mut [i8],
) {
    debug_assert_eq!(out.len(), out_shape.iter().product::<usize>());
    for (ra, rb, o) in rows(a, a_shape, b, b_shape, out_shape) {
        row_op(ra, rb, &mut out[o], |x, y| p.apply(x, y))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::int8::params::Activation;

    /// Element-by-element broadcasting, the twin the row walker is checked against.
    fn naive(a: &[i8], sa: &[usize], b: &[i8], sb: &[usize], so: &[usize]) -> Vec<(i8, i8)> {
        let n: usize = so.iter().product();
        let r = so.len();
        (0..n)
            .map(|mut flat| {
                let mut ix = vec![0; r];
                for d in (0..r).rev() {
                    ix[d] = flat % so[d];
                    flat /= so[d];
                }
                let at = |v: &[i8], s: &[usize]| {
                    let mut off = 0;
                    for (j, &sz) in s.iter().enumerate() {
                        let d = r - s.len() + j;
                        off = off * sz + if sz == 1 { 0 } else { ix[d] };
                    }
                    v[off]
                };
                (at(a, sa), at(b, sb))
            })
            .collect()
    }

    #[test]
    fn rows_walk_every_broadcast_form() {
        let p = AddParams::new((0.1, 3), (0.07, -5), (0.12, 2), Activation::None, false).unwrap();
        let m = MulParams::new((0.1, 3), (0.07, -5), (0.05, 2), Activation::Relu).unwrap();
        let shapes: &[(&[usize], &[usize])] = &[
            (&[2, 3, 4, 5], &[2, 3, 4, 5]),
            (&[1, 3, 4, 5], &[5]),
            (&[5], &[1, 3, 4, 5]),
            (&[2, 3, 4, 5], &[1, 1, 1, 5]),
            (&[2, 3, 4, 5], &[2, 1, 1, 5]),
            (&[2, 3, 4, 5], &[]),
            (&[], &[3, 1]),
            (&[3, 1], &[1, 4]),
            (&[2, 1, 4, 1], &[1, 3, 1, 5]),
            (&[2, 3, 4, 1], &[2, 3, 4, 5]),
            (&[0, 3], &[3]),
        ];
        for (sa, sb) in shapes {
            let so = crate::int8::elementwise::broadcast_shape(sa, sb).unwrap();
            let a: Vec<i8> = (0..sa.iter().product::<usize>())
                .map(|i| (i * 37 % 256) as u8 as i8)
                .collect();
            let b: Vec<i8> = (0..sb.iter().product::<usize>())
                .map(|i| (i * 91 % 256 + 7) as u8 as i8)
                .collect();
            let pairs = naive(&a, sa, &b, sb, &so);
            let mut got = vec![0x55i8; pairs.len()];
            add(&a, sa, &b, sb, &so, &p, &mut got);
            let want: Vec<i8> = pairs.iter().map(|&(x, y)| p.apply(x, y)).collect();
            assert_eq!(got, want, "add {sa:?} {sb:?}");
            mul(&a, sa, &b, sb, &so, &m, &mut got);
            let want: Vec<i8> = pairs.iter().map(|&(x, y)| m.apply(x, y)).collect();
            assert_eq!(got, want, "mul {sa:?} {sb:?}");
        }
    }
}
