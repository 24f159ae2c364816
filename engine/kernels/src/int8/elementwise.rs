//! Binary int8 kernels with NumPy broadcasting, twins of LiteRT's reference kernels: ADD, SUB,
//! MUL, SQUARED_DIFFERENCE, MAXIMUM, MINIMUM, PRELU. Each `*Params::new` mirrors the
//! corresponding LiteRT `Prepare` (including whether the real multiplier is formed in `float` or
//! in `double`, which can change the last bit of the quantized multiplier); each kernel mirrors
//! the reference `Eval`. Scalar code only: the same-shape ADD/SUB fast paths live in
//! [`crate::fast`] and are reached through the kernel table.

use super::fixed::{
    multiply_by_quantized_multiplier, multiply_by_quantized_multiplier_smaller_than_one_exp,
    quantize_multiplier, quantize_multiplier_smaller_than_one_exp,
};
use super::params::clamp_i8;
pub use super::params::{Activation, AddParams, calculate_activation_range_quantized};

/// NumPy broadcast of two shapes (right-aligned); `None` if incompatible.
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let r = a.len().max(b.len());
    let mut out = vec![0; r];
    for i in 0..r {
        let da = if i < r - a.len() {
            1
        } else {
            a[i - (r - a.len())]
        };
        let db = if i < r - b.len() {
            1
        } else {
            b[i - (r - b.len())]
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

/// Row-major strides of `shape` aligned to the right of `out`, 0 where the input is broadcast.
fn broadcast_strides(shape: &[usize], out: &[usize]) -> Vec<usize> {
    let r = out.len();
    let mut strides = vec![0; r];
    let mut acc = 1;
    for i in (0..shape.len().min(r)).rev() {
        let o = r - shape.len() + i;
        strides[o] = if shape[i] == 1 { 0 } else { acc };
        acc *= shape[i];
    }
    strides
}

/// Calls `f(out_index, a_index, b_index)` for every output element in row-major order.
fn for_each_broadcast(
    a_shape: &[usize],
    b_shape: &[usize],
    out_shape: &[usize],
    mut f: impl FnMut(usize, usize, usize),
) {
    let n: usize = out_shape.iter().product();
    let sa = broadcast_strides(a_shape, out_shape);
    let sb = broadcast_strides(b_shape, out_shape);
    let r = out_shape.len();
    let mut idx = vec![0usize; r];
    let (mut ia, mut ib) = (0usize, 0usize);
    for o in 0..n {
        f(o, ia, ib);
        for d in (0..r).rev() {
            idx[d] += 1;
            ia += sa[d];
            ib += sb[d];
            if idx[d] < out_shape[d] {
                break;
            }
            ia -= sa[d] * idx[d];
            ib -= sb[d] * idx[d];
            idx[d] = 0;
        }
    }
}

/// Applies `f` elementwise with NumPy broadcasting of `a` and `b` to `out_shape`, into `out`
/// (every element written).
fn broadcast_binary(
    a: &[i8],
    a_shape: &[usize],
    b: &[i8],
    b_shape: &[usize],
    out_shape: &[usize],
    f: impl Fn(i8, i8) -> i8,
    out: &mut [i8],
) {
    debug_assert_eq!(out.len(), out_shape.iter().product::<usize>());
    for_each_broadcast(a_shape, b_shape, out_shape, |o, ia, ib| {
        out[o] = f(a[ia], b[ib]);
    });
}

/// `reference_integer_ops::Add` / `BroadcastAdd6DSlow` (int8) with NumPy broadcasting.
pub fn add(
    a: &[i8],
    a_shape: &[usize],
    b: &[i8],
    b_shape: &[usize],
    out_shape: &[usize],
    p: &AddParams,
    out: &mut [i8],
) {
    broadcast_binary(
        a,
        a_shape,
        b,
        b_shape,
        out_shape,
        |x, y| {
            let (sa, sb) = p.scaled_inputs(x, y);
            p.finish(sa.wrapping_add(sb))
        },
        out,
    )
}

/// `reference_ops::Sub` / `BroadcastSubSlow` (int8; `SubElementwise`), same constants as ADD.
pub fn sub(
    a: &[i8],
    a_shape: &[usize],
    b: &[i8],
    b_shape: &[usize],
    out_shape: &[usize],
    p: &AddParams,
    out: &mut [i8],
) {
    broadcast_binary(
        a,
        a_shape,
        b,
        b_shape,
        out_shape,
        |x, y| {
            let (sa, sb) = p.scaled_inputs(x, y);
            p.finish(sa.wrapping_sub(sb))
        },
        out,
    )
}

/// ADD (`sub = false`) or SUB of same-shape inputs into `out`: the reference entry of
/// [`crate::Kernels::q_add`].
pub fn add_same_shape(a: &[i8], b: &[i8], p: &AddParams, sub: bool, out: &mut [i8]) {
    debug_assert!(a.len() == b.len() && a.len() == out.len());
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        let (sa, sb) = p.scaled_inputs(x, y);
        *o = p.finish(if sub {
            sa.wrapping_sub(sb)
        } else {
            sa.wrapping_add(sb)
        });
    }
}

/// Requantization constants of int8 MUL (`mul.cc` Prepare).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MulParams {
    /// `-zero_point` of input 1.
    pub input1_offset: i32,
    /// `-zero_point` of input 2.
    pub input2_offset: i32,
    /// Output zero point.
    pub output_offset: i32,
    /// Quantized `s1·s2/s_out` (double).
    pub output_multiplier: i32,
    /// Its shift.
    pub output_shift: i32,
    /// Fused activation clamp.
    pub act_min: i32,
    /// Fused activation clamp.
    pub act_max: i32,
}

impl MulParams {
    /// LiteRT mul `Prepare`: `M = (double)s1 · (double)s2 / (double)s_out`.
    pub fn new(
        (s1, z1): (f32, i32),
        (s2, z2): (f32, i32),
        (so, zo): (f32, i32),
        act: Activation,
    ) -> Self {
        let (m, s) = quantize_multiplier(s1 as f64 * s2 as f64 / so as f64);
        let (act_min, act_max) = calculate_activation_range_quantized(act, so, zo);
        Self {
            input1_offset: -z1,
            input2_offset: -z2,
            output_offset: zo,
            output_multiplier: m,
            output_shift: s,
            act_min,
            act_max,
        }
    }
}

/// `reference_integer_ops::Mul` / `BroadcastMul6DSlow` (int8) with NumPy broadcasting.
pub fn mul(
    a: &[i8],
    a_shape: &[usize],
    b: &[i8],
    b_shape: &[usize],
    out_shape: &[usize],
    p: &MulParams,
    out: &mut [i8],
) {
    broadcast_binary(
        a,
        a_shape,
        b,
        b_shape,
        out_shape,
        |x, y| {
            let prod = (p.input1_offset + x as i32).wrapping_mul(p.input2_offset + y as i32);
            let out = multiply_by_quantized_multiplier(prod, p.output_multiplier, p.output_shift)
                .wrapping_add(p.output_offset);
            clamp_i8(out, p.act_min, p.act_max)
        },
        out,
    )
}

/// Requantization constants of int8 SQUARED_DIFFERENCE (`squared_difference.cc` Prepare).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SquaredDifferenceParams {
    /// `-zero_point` of input 1.
    pub input1_offset: i32,
    /// `-zero_point` of input 2.
    pub input2_offset: i32,
    /// Output zero point.
    pub output_offset: i32,
    /// 7 for int8.
    pub left_shift: i32,
    /// Quantized `s1 / (2·max(s1, s2))`.
    pub input1_multiplier: i32,
    /// Its shift.
    pub input1_shift: i32,
    /// Quantized `s2 / (2·max(s1, s2))`.
    pub input2_multiplier: i32,
    /// Its shift.
    pub input2_shift: i32,
    /// Quantized `(2·max)^2 / (2^14 · s_out)`.
    pub output_multiplier: i32,
    /// Its shift.
    pub output_shift: i32,
}

impl SquaredDifferenceParams {
    /// LiteRT squared_difference `Prepare` for int8 (left shift 7, double math; the `2^14 ·
    /// s_out` product is formed in f32, exactly).
    pub fn new((s1, z1): (f32, i32), (s2, z2): (f32, i32), (so, zo): (f32, i32)) -> Self {
        let left_shift = 7;
        let twice_max = 2.0 * s1.max(s2) as f64;
        let (m1, sh1) = quantize_multiplier_smaller_than_one_exp(s1 as f64 / twice_max);
        let (m2, sh2) = quantize_multiplier_smaller_than_one_exp(s2 as f64 / twice_max);
        let (mo, sho) = quantize_multiplier(
            twice_max * twice_max / ((1i32 << (2 * left_shift)) as f32 * so) as f64,
        );
        Self {
            input1_offset: -z1,
            input2_offset: -z2,
            output_offset: zo,
            left_shift,
            input1_multiplier: m1,
            input1_shift: sh1,
            input2_multiplier: m2,
            input2_shift: sh2,
            output_multiplier: mo,
            output_shift: sho,
        }
    }
}

/// LiteRT squared_difference.cc int8 `SquaredDifference` (broadcast via index mapping).
pub fn squared_difference(
    a: &[i8],
    a_shape: &[usize],
    b: &[i8],
    b_shape: &[usize],
    out_shape: &[usize],
    p: &SquaredDifferenceParams,
    out: &mut [i8],
) {
    broadcast_binary(
        a,
        a_shape,
        b,
        b_shape,
        out_shape,
        |x, y| {
            let a = (p.input1_offset + x as i32).wrapping_mul(1 << p.left_shift);
            let b = (p.input2_offset + y as i32).wrapping_mul(1 << p.left_shift);
            let a = multiply_by_quantized_multiplier_smaller_than_one_exp(
                a,
                p.input1_multiplier,
                p.input1_shift,
            );
            let b = multiply_by_quantized_multiplier_smaller_than_one_exp(
                b,
                p.input2_multiplier,
                p.input2_shift,
            );
            let d = a.wrapping_sub(b);
            let out = multiply_by_quantized_multiplier(
                d.wrapping_mul(d),
                p.output_multiplier,
                p.output_shift,
            )
            .wrapping_add(p.output_offset);
            clamp_i8(out, i8::MIN as i32, i8::MAX as i32)
        },
        out,
    )
}

/// `reference_ops::MaximumMinimumBroadcastSlow` with `std::max` on raw int8 (in/out params must
/// match).
pub fn maximum(
    a: &[i8],
    a_shape: &[usize],
    b: &[i8],
    b_shape: &[usize],
    out_shape: &[usize],
    out: &mut [i8],
) {
    broadcast_binary(a, a_shape, b, b_shape, out_shape, |x, y| x.max(y), out)
}

/// `reference_ops::MaximumMinimumBroadcastSlow` with `std::min` on raw int8.
pub fn minimum(
    a: &[i8],
    a_shape: &[usize],
    b: &[i8],
    b_shape: &[usize],
    out_shape: &[usize],
    out: &mut [i8],
) {
    broadcast_binary(a, a_shape, b, b_shape, out_shape, |x, y| x.min(y), out)
}

/// Constants of int8 PRELU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PreluParams {
    /// `-zero_point` of the input.
    pub input_offset: i32,
    /// `-zero_point` of alpha.
    pub alpha_offset: i32,
    /// Output zero point.
    pub output_offset: i32,
    /// Quantized `s_in/s_out` (x ≥ 0 branch).
    pub output_multiplier_1: i32,
    /// Its shift.
    pub output_shift_1: i32,
    /// Quantized `s_in·s_alpha/s_out` (x < 0 branch).
    pub output_multiplier_2: i32,
    /// Its shift.
    pub output_shift_2: i32,
}

impl PreluParams {
    /// LiteRT activations.cc `PreluPrepare`: multipliers formed in **f32** (`s_in / s_out`,
    /// `s_in · s_alpha / s_out`) then widened.
    pub fn new((si, zi): (f32, i32), (sa, za): (f32, i32), (so, zo): (f32, i32)) -> Self {
        let (m1, s1) = quantize_multiplier((si / so) as f64);
        let (m2, s2) = quantize_multiplier((si * sa / so) as f64);
        Self {
            input_offset: -zi,
            alpha_offset: -za,
            output_offset: zo,
            output_multiplier_1: m1,
            output_shift_1: s1,
            output_multiplier_2: m2,
            output_shift_2: s2,
        }
    }
}

impl PreluParams {
    /// One output element: `reference_ops::Prelu`'s arithmetic for input `v` and alpha `a`.
    #[inline]
    pub fn one(&self, v: i8, a: i8) -> i8 {
        let input_value = self.input_offset + v as i32;
        let out = if input_value >= 0 {
            multiply_by_quantized_multiplier(
                input_value,
                self.output_multiplier_1,
                self.output_shift_1,
            )
        } else {
            let alpha_value = self.alpha_offset + a as i32;
            multiply_by_quantized_multiplier(
                input_value.wrapping_mul(alpha_value),
                self.output_multiplier_2,
                self.output_shift_2,
            )
        };
        clamp_i8(
            out.wrapping_add(self.output_offset),
            i8::MIN as i32,
            i8::MAX as i32,
        )
    }
}

/// The 256 outputs of int8 PRELU for each channel of a per-channel alpha (one value per
/// element of the input's last axis, or a single value — what converters write), built with
/// [`PreluParams::one`]: applying it gives the numbers of [`prelu_reference`] without a
/// multiply per element. A session builds it once per node when alpha is a constant.
#[derive(Debug, Clone)]
pub struct PreluTable(Vec<[i8; 256]>);

impl PreluTable {
    /// The table for `alpha` against inputs of `x_shape`, or `None` when alpha is not
    /// per-channel for that shape.
    pub fn new(
        alpha: &[i8],
        alpha_shape: &[usize],
        x_shape: &[usize],
        p: &PreluParams,
    ) -> Option<Self> {
        let c = x_shape.last().copied().unwrap_or(1);
        let per_channel = c > 0
            && (alpha.len() == c || alpha.len() == 1)
            && alpha_shape.len() <= x_shape.len()
            && alpha_shape.iter().rev().skip(1).all(|&d| d == 1);
        // Indexed by the input's bits offset by 128, so that lookups need no bounds checks.
        per_channel.then(|| {
            PreluTable(
                alpha
                    .iter()
                    .map(|&a| std::array::from_fn(|i| p.one((i as u8 ^ 0x80) as i8, a)))
                    .collect(),
            )
        })
    }

    /// Apply to `x`, whose last axis has `c` elements; `false` (nothing written) when the
    /// table is for another channel count.
    pub fn apply(&self, x: &[i8], c: usize, out: &mut [i8]) -> bool {
        let at = |v: i8| (v as u8 ^ 0x80) as usize;
        match self.0.as_slice() {
            [t] => {
                for (o, &v) in out.iter_mut().zip(x) {
                    *o = t[at(v)];
                }
            }
            lut if lut.len() == c && c > 0 => {
                for (xr, or) in x.chunks_exact(c).zip(out.chunks_exact_mut(c)) {
                    for ((o, &v), t) in or.iter_mut().zip(xr).zip(lut) {
                        *o = t[at(v)];
                    }
                }
            }
            _ => return false,
        }
        true
    }
}

/// Int8 PRELU; alpha broadcasts to the input shape. Per-channel alphas go through a
/// [`PreluTable`] when the input has enough rows to pay for building it, others through
/// [`prelu_reference`].
pub fn prelu(
    x: &[i8],
    x_shape: &[usize],
    alpha: &[i8],
    alpha_shape: &[usize],
    p: &PreluParams,
    out: &mut [i8],
) {
    let c = x_shape.last().copied().unwrap_or(1);
    if x.len() >= 4 * 256 * alpha.len() && out.len() == x.len() {
        if let Some(t) = PreluTable::new(alpha, alpha_shape, x_shape, p) {
            if t.apply(x, c, out) {
                return;
            }
        }
    }
    prelu_reference(x, x_shape, alpha, alpha_shape, p, out)
}

/// `reference_ops::BroadcastPrelu4DSlow` / `Prelu` (int8): the reference twin of [`prelu`].
pub fn prelu_reference(
    x: &[i8],
    x_shape: &[usize],
    alpha: &[i8],
    alpha_shape: &[usize],
    p: &PreluParams,
    out: &mut [i8],
) {
    let out_shape = broadcast_shape(x_shape, alpha_shape).unwrap_or_else(|| x_shape.to_vec());
    broadcast_binary(
        x,
        x_shape,
        alpha,
        alpha_shape,
        &out_shape,
        |v, a| p.one(v, a),
        out,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A buffer of `n` stale bytes: every one must be overwritten.
    fn stale(n: usize) -> Vec<i8> {
        vec![0x55; n]
    }

    // The kernels into a buffer the test allocates (these shadow the glob import).
    macro_rules! into_buffer {
        ($($name:ident($($p:ident: $t:ty),*);)*) => {$(
            fn $name(
                a: &[i8],
                a_shape: &[usize],
                b: &[i8],
                b_shape: &[usize],
                out_shape: &[usize],
                $($p: $t),*
            ) -> Vec<i8> {
                let mut out = stale(out_shape.iter().product());
                super::$name(a, a_shape, b, b_shape, out_shape, $($p,)* &mut out);
                out
            }
        )*};
    }
    into_buffer! {
        add(p: &AddParams);
        sub(p: &AddParams);
        mul(p: &MulParams);
        squared_difference(p: &SquaredDifferenceParams);
        maximum();
        minimum();
    }

    fn prelu(
        x: &[i8],
        x_shape: &[usize],
        alpha: &[i8],
        alpha_shape: &[usize],
        p: &PreluParams,
    ) -> Vec<i8> {
        let mut out = stale(x.len());
        super::prelu(x, x_shape, alpha, alpha_shape, p, &mut out);
        out
    }

    /// Zero-size dimensions on either side: empty outputs.
    #[test]
    fn zero_size_dimensions() {
        let p = AddParams::new((0.5, 0), (0.5, 0), (0.5, 0), Activation::None);
        assert!(add(&[], &[2, 0], &[1, 2], &[2], &[2, 0], &p).is_empty());
        assert!(maximum(&[], &[0, 3], &[1], &[1], &[0, 3]).is_empty());
        let p = PreluParams::new((0.5, 0), (1.0 / 256.0, 0), (0.5, 0));
        assert!(prelu(&[], &[0, 3], &[1, 2, 3], &[3], &p).is_empty());
    }

    #[test]
    fn activation_ranges() {
        assert_eq!(
            calculate_activation_range_quantized(Activation::None, 0.1, 3),
            (-128, 127)
        );
        assert_eq!(
            calculate_activation_range_quantized(Activation::Relu, 0.1, -5),
            (-5, 127)
        );
        // 6 / 0.05 = 120 -> -10 + 120 = 110
        assert_eq!(
            calculate_activation_range_quantized(Activation::Relu6, 0.05, -10),
            (-10, 110)
        );
        assert_eq!(
            calculate_activation_range_quantized(Activation::Relu6, 0.01, -10),
            (-10, 127)
        );
        assert_eq!(
            calculate_activation_range_quantized(Activation::ReluN1To1, 0.004, 0),
            (-128, 127)
        );
        assert_eq!(
            calculate_activation_range_quantized(Activation::ReluN1To1, 0.02, 1),
            (-49, 51)
        );
    }

    #[test]
    fn broadcasting() {
        assert_eq!(broadcast_shape(&[2, 1, 3], &[4, 1]), Some(vec![2, 4, 3]));
        assert_eq!(broadcast_shape(&[2, 3], &[4]), None);
        let a = [1i8, 2, 3, 4, 5, 6]; // [2, 3]
        let b = [10i8, 20]; // [2, 1]
        assert_eq!(
            maximum(&a, &[2, 3], &b, &[2, 1], &[2, 3]),
            vec![10, 10, 10, 20, 20, 20]
        );
        assert_eq!(
            minimum(&a, &[2, 3], &[3], &[1], &[2, 3]),
            vec![1, 2, 3, 3, 3, 3]
        );
    }

    #[test]
    fn add_sub_equal_scales() {
        // Same scale everywhere: real arithmetic is exact integer arithmetic on q - zp.
        let p = AddParams::new((0.5, 0), (0.5, 0), (0.5, 0), Activation::None);
        assert_eq!(
            add(&[1, 2, -3], &[3], &[4, -5, 100], &[3], &[3], &p),
            vec![5, -3, 97]
        );
        assert_eq!(
            sub(&[1, 2, -3], &[3], &[4], &[1], &[3], &p),
            vec![-3, -2, -7]
        );
        assert_eq!(add(&[100], &[1], &[100], &[1], &[1], &p), vec![127]);
        let p = AddParams::new((0.5, 0), (0.5, 0), (0.5, 0), Activation::Relu);
        assert_eq!(
            add(&[1, 2, -3], &[3], &[4, -5, 1], &[3], &[3], &p),
            vec![5, 0, 0]
        );
        // 0.25*(q1) + 0.5*(q2) on output scale 0.25: q1 + 2*q2 (zero points 10, -2, 3).
        let p = AddParams::new((0.25, 10), (0.5, -2), (0.25, 3), Activation::None);
        assert_eq!(add(&[14], &[1], &[1], &[1], &[1], &p), vec![4 + 6 + 3]);
    }

    #[test]
    fn mul_and_squared_difference() {
        // (3-1)*0.5 * (4-0)*0.25 = 1 -> /0.125 = 8, +zp 2.
        let p = MulParams::new((0.5, 1), (0.25, 0), (0.125, 2), Activation::None);
        assert_eq!(mul(&[3], &[1], &[4], &[1], &[1], &p), vec![10]);
        // (1.5 - 0.5)^2 = (-0.5 - 0.5)^2 = 1 -> /0.25 = 4.
        let p = SquaredDifferenceParams::new((0.5, 0), (0.5, 0), (0.25, 0));
        assert_eq!(
            squared_difference(&[3, -1], &[2], &[1], &[1], &[2], &p),
            vec![4, 4]
        );
    }

    #[test]
    fn prelu_table_equals_the_reference() {
        let p = PreluParams::new((0.05, -3), (0.01, 7), (0.04, 2));
        for (x_shape, a_shape) in [
            (vec![1, 32, 32, 16], vec![16]),
            (vec![1, 32, 33, 16], vec![1, 1, 16]),
            (vec![2, 32, 32, 3], vec![1, 1, 1, 3]),
            (vec![1, 40, 40, 1], vec![1]),
            (vec![1, 8, 8, 4], vec![8, 8, 4]),
            (vec![1, 2, 2, 16], vec![16]),
        ] {
            let n: usize = x_shape.iter().product();
            let x: Vec<i8> = (0..n).map(|i| (i * 37 % 256) as u8 as i8).collect();
            let na: usize = a_shape.iter().product();
            let al: Vec<i8> = (0..na).map(|i| (i * 91 % 256) as u8 as i8).collect();
            let mut fast = stale(n);
            super::prelu(&x, &x_shape, &al, &a_shape, &p, &mut fast);
            let mut slow = stale(n);
            super::prelu_reference(&x, &x_shape, &al, &a_shape, &p, &mut slow);
            assert_eq!(fast, slow, "{x_shape:?} {a_shape:?}");
            // The session's prepared table, whatever the input's size.
            if let Some(t) = PreluTable::new(&al, &a_shape, &x_shape, &p) {
                let mut prepared = stale(n);
                assert!(t.apply(&x, x_shape[3], &mut prepared));
                assert_eq!(prepared, slow, "{x_shape:?} {a_shape:?} (prepared)");
            } else {
                assert_eq!(
                    a_shape,
                    [8, 8, 4],
                    "only the per-element alpha has no table"
                );
            }
        }
    }

    #[test]
    fn prelu_by_hand() {
        // alpha 0.25 quantized as q=64 with scale 1/256: x<0 -> x*0.25.
        let p = PreluParams::new((0.5, 0), (1.0 / 256.0, 0), (0.5, 0));
        assert_eq!(
            prelu(&[8, -8, -8], &[3], &[64, 64, 0], &[3], &p),
            vec![8, -2, 0]
        );
    }
}
