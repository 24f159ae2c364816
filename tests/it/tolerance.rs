//! The one comparison rule (`Tolerance`): bounds, and non-finite values on one side.

use pocket_engine::Value;
use pocket_tests::Tolerance;

fn v(x: &[f32]) -> Value {
    Value::f32(vec![x.len()], x.to_vec())
}

#[test]
fn nan_or_infinity_on_one_side_fails_on_both_sides_agrees() {
    let t = Tolerance::FLOAT;
    let w = |a: &[f32], b: &[f32]| t.worst(&v(a), &v(b)).expect("same shape");
    assert_eq!(w(&[1.0, f32::NAN], &[1.0, f32::NAN]), 0.0);
    assert_eq!(w(&[f32::INFINITY], &[f32::INFINITY]), 0.0);
    for (a, b) in [
        (f32::NAN, 0.0),
        (0.0, f32::NAN),
        (f32::INFINITY, f32::NEG_INFINITY),
        (1.0, f32::INFINITY),
        (f32::NEG_INFINITY, 1.0),
    ] {
        // Also after an element that is within the bound: the NaN may not be folded away.
        assert!(!t.holds(w(&[0.0, a], &[0.0, b])), "{a} vs {b}");
        assert!(!t.holds(w(&[a, 0.0], &[b, 0.0])), "{a} vs {b}");
    }
}

#[test]
fn bound_is_relative_above_one_and_absolute_below() {
    let t = Tolerance::FLOAT;
    assert!(t.check(&v(&[1000.05]), &v(&[1000.0])).is_ok());
    assert!(t.check(&v(&[1000.5]), &v(&[1000.0])).is_err());
    assert!(t.check(&v(&[0.00005]), &v(&[0.0])).is_ok());
    assert!(t.check(&v(&[0.0002]), &v(&[0.0])).is_err());
    assert!(Tolerance::EXACT.check(&v(&[3.0]), &v(&[3.0])).is_ok());
    assert!(Tolerance::EXACT.check(&v(&[3.0]), &v(&[4.0])).is_err());
    assert!(t.worst(&v(&[1.0, 2.0]), &v(&[1.0])).is_err());
}
