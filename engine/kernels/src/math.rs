//! Element-wise math of the logic family, as LiteRT's float and integer kernels compute it:
//! the scalar functions (ELU, GELU exact and approximate, FLOOR_DIV, FLOOR_MOD, SIGN, ROUND,
//! POW on integers), `erf`/`erfc` in f64 (the standard library has none), and the slice
//! drivers that write into a handed output.

/// `out[i] = f(x[i])`.
pub fn map<T: Copy, U>(x: &[T], out: &mut [U], f: impl Fn(T) -> U) {
    debug_assert_eq!(x.len(), out.len());
    for (o, &v) in out.iter_mut().zip(x) {
        *o = f(v);
    }
}

/// ADD_N: `out = x0 + x1 + ...`, summed in input order (LiteRT's order).
pub fn add_n<T: Copy + std::ops::Add<Output = T>>(xs: &[&[T]], out: &mut [T]) {
    let Some(first) = xs.first() else { return };
    debug_assert!(xs.iter().all(|x| x.len() == out.len()));
    out.copy_from_slice(first);
    for x in &xs[1..] {
        for (o, &v) in out.iter_mut().zip(x.iter()) {
            *o = *o + v;
        }
    }
}

/// ELU with alpha 1: `x < 0 ? expm1(x) : x`.
#[inline]
pub fn elu(x: f32) -> f32 {
    if x < 0.0 { x.exp_m1() } else { x }
}

/// LiteRT's exact GELU: `0.5 x erfc(-x / sqrt 2)` (the erfc form keeps large negative inputs
/// accurate), in f64 and rounded once.
#[inline]
pub fn gelu(x: f32) -> f32 {
    let x = f64::from(x);
    (0.5 * x * erfc(-x * std::f64::consts::FRAC_1_SQRT_2)) as f32
}

/// LiteRT's GELU approximation: `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`, in f32.
#[inline]
pub fn gelu_tanh(x: f32) -> f32 {
    let k = (std::f64::consts::FRAC_2_SQRT_PI * std::f64::consts::FRAC_1_SQRT_2) as f32;
    0.5 * x * (1.0 + (k * (x + 0.044715 * x * x * x)).tanh())
}

/// SIGN: `(0 < x) - (x < 0)` (NaN gives 0).
#[inline]
pub fn sign_f32(x: f32) -> f32 {
    f32::from(u8::from(0.0 < x)) - f32::from(u8::from(x < 0.0))
}

/// FLOOR_DIV on floats: `floor(x / y)` computed in f64, as LiteRT does.
#[inline]
pub fn floor_div_f32(x: f32, y: f32) -> f32 {
    (f64::from(x) / f64::from(y)).floor() as f32
}

/// FLOOR_DIV on integers (the caller refuses a zero divisor, as LiteRT does).
#[inline]
pub fn floor_div_i64(x: i64, y: i64) -> i64 {
    if y == 0 {
        return 0;
    }
    let q = x.wrapping_div(y);
    if (x % y != 0) && ((x < 0) != (y < 0)) {
        q - 1
    } else {
        q
    }
}

/// FLOOR_MOD on floats: `fmod`, moved into the divisor's sign.
#[inline]
pub fn floor_mod_f32(x: f32, y: f32) -> f32 {
    let r = x % y;
    if r != 0.0 && ((y < 0.0) != (r < 0.0)) {
        r + y
    } else {
        r
    }
}

/// FLOOR_MOD on integers: remainder moved into the divisor's sign (zero divisor gives 0; the
/// caller refuses it).
#[inline]
pub fn floor_mod_i64(x: i64, y: i64) -> i64 {
    if y == 0 {
        return 0;
    }
    let r = x.wrapping_rem(y);
    if r != 0 && ((y < 0) != (r < 0)) {
        r + y
    } else {
        r
    }
}

/// POW on integers: `pow` in double, truncated (LiteRT refuses negative exponents).
#[inline]
pub fn pow_i32(x: i32, y: i32) -> i32 {
    f64::from(x).powf(f64::from(y)) as i32
}

/// The error function, accurate to a few units in the last place of an f64.
pub fn erf(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    let a = x.abs();
    let r = if a < 2.5 {
        erf_series(a)
    } else {
        1.0 - erfc_cf(a)
    };
    if x < 0.0 { -r } else { r }
}

/// The complementary error function `1 - erf(x)`, accurate also where it is tiny.
pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x < 2.5 {
        1.0 - erf_series(x)
    } else {
        erfc_cf(x)
    }
}

/// Maclaurin series of erf for `0 <= x < 2.5` (terms fall below 1e-17 of the sum).
fn erf_series(x: f64) -> f64 {
    let x2 = x * x;
    let mut term = x; // (-1)^n x^(2n+1) / n!
    let mut sum = x;
    for n in 1..80 {
        term *= -x2 / f64::from(n);
        let t = term / f64::from(2 * n + 1);
        sum += t;
        if t.abs() < 1e-17 * sum.abs() {
            break;
        }
    }
    sum * std::f64::consts::FRAC_2_SQRT_PI
}

/// Continued fraction of erfc for `x >= 2.5` (Lentz's method).
fn erfc_cf(x: f64) -> f64 {
    if x > 27.0 {
        return 0.0;
    }
    // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
    let tiny = 1e-300;
    let mut f = x;
    let mut c = x;
    let mut d = 0.0;
    for n in 1..300 {
        let an = f64::from(n) * 0.5;
        d = x + an * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = x + an / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (-x * x).exp() / (f * std::f64::consts::PI.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_matches_known_values() {
        // Values from Abramowitz & Stegun table 7.1 and high-precision references.
        let cases = [
            (0.0, 0.0),
            (0.1, 0.112_462_916_018_284_9),
            (0.5, 0.520_499_877_813_046_5),
            (1.0, 0.842_700_792_949_714_9),
            (2.0, 0.995_322_265_018_952_7),
            (2.5, 0.999_593_047_982_555),
            (3.0, 0.999_977_909_503_001_4),
        ];
        for (x, e) in cases {
            assert!((erf(x) - e).abs() < 1e-14, "erf({x}) = {} vs {e}", erf(x));
            assert!((erf(-x) + e).abs() < 1e-14);
        }
        // erfc(5) = 1.5374597944280349e-12, erfc(10) = 2.088487583762545e-45.
        assert!((erfc(5.0) / 1.537_459_794_428_034_9e-12 - 1.0).abs() < 1e-12);
        assert!((erfc(10.0) / 2.088_487_583_762_545e-45 - 1.0).abs() < 1e-12);
        assert!((erfc(-1.0) - 1.842_700_792_949_714_9).abs() < 1e-14);
    }

    #[test]
    fn floor_ops_follow_the_divisor_sign() {
        assert_eq!(floor_div_i64(-7, 2), -4);
        assert_eq!(floor_div_i64(7, -2), -4);
        assert_eq!(floor_div_i64(6, 3), 2);
        assert_eq!(floor_mod_i64(-7, 2), 1);
        assert_eq!(floor_mod_i64(7, -2), -1);
        assert_eq!(floor_mod_f32(-7.5, 2.0), 0.5);
        assert_eq!(floor_mod_f32(7.5, -2.0), -0.5);
        assert_eq!(floor_div_f32(-7.5, 2.0), -4.0);
        assert_eq!(sign_f32(-3.0), -1.0);
        assert_eq!(sign_f32(f32::NAN), 0.0);
        assert!((gelu(1.0) - 0.841_344_7).abs() < 1e-6);
        assert!((gelu_tanh(1.0) - 0.841_192).abs() < 1e-5);
    }
}
