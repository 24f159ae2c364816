//! Matrix products on f32 through the `gemm` crate (single-threaded calls; large products are
//! split over the worker pool by rows, or by columns when there are few rows), with a
//! reference twin.

/// A strided matrix view: element (r, c) is at `data[r * rs + c * cs]`.
#[derive(Clone, Copy)]
pub struct Mat<'a> {
    /// Elements.
    pub data: &'a [f32],
    /// Row stride.
    pub rs: usize,
    /// Column stride.
    pub cs: usize,
}

impl<'a> Mat<'a> {
    /// Row-major matrix with `cols` columns.
    pub fn row_major(data: &'a [f32], cols: usize) -> Self {
        Mat {
            data,
            rs: cols,
            cs: 1,
        }
    }

    /// Transposed view of a row-major `[cols_of_t, rows_of_t]` buffer: element (r, c) =
    /// `data[c * ld + r]`.
    pub fn transposed(data: &'a [f32], ld: usize) -> Self {
        Mat {
            data,
            rs: 1,
            cs: ld,
        }
    }

    fn max_index(&self, rows: usize, cols: usize) -> usize {
        if rows == 0 || cols == 0 {
            0
        } else {
            (rows - 1) * self.rs + (cols - 1) * self.cs
        }
    }
}

/// `dst[m, n] (row-major, ld = n) = (accumulate ? dst : 0) + a[m, k] · b[k, n]`, split over
/// the worker pool's threads (see [`crate::parallel`]) when the product is large.
pub fn matmul(
    m: usize,
    n: usize,
    k: usize,
    a: Mat<'_>,
    b: Mat<'_>,
    dst: &mut [f32],
    accumulate: bool,
) {
    assert!(dst.len() >= m * n, "gemm: dst too small");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            dst[..m * n].fill(0.0);
        }
        return;
    }
    assert!(a.max_index(m, k) < a.data.len(), "gemm: lhs out of bounds");
    assert!(b.max_index(k, n) < b.data.len(), "gemm: rhs out of bounds");
    let threads = crate::parallel::threads();
    let dst = &mut dst[..m * n];
    if threads <= 1 || m * n * k <= 32 * 1024 {
        gemm_serial(m, n, k, a, b, dst, accumulate);
    } else if m >= 2 * threads {
        // One block of rows per thread: each call packs `b` once, so fewer blocks pack less.
        let mc = m.div_ceil(threads);
        crate::parallel::chunks_mut(dst, mc * n, |i, d| {
            let r0 = i * mc;
            let a = Mat {
                data: &a.data[r0 * a.rs..],
                ..a
            };
            gemm_serial(d.len() / n, n, k, a, b, d, accumulate);
        });
    } else {
        // Few rows (a batch-1 fully connected layer): each row split by columns.
        let nc = n.div_ceil(threads).next_multiple_of(16).min(n);
        for (r, row) in dst.chunks_mut(n).enumerate() {
            let a = Mat {
                data: &a.data[r * a.rs..],
                ..a
            };
            crate::parallel::chunks_mut(row, nc, |j, d| {
                let b = Mat {
                    data: &b.data[j * nc * b.cs..],
                    ..b
                };
                gemm_serial(1, d.len(), k, a, b, d, accumulate);
            });
        }
    }
}

/// One single-threaded `gemm` call; the caller has checked every bound.
fn gemm_serial(
    m: usize,
    n: usize,
    k: usize,
    a: Mat<'_>,
    b: Mat<'_>,
    dst: &mut [f32],
    accumulate: bool,
) {
    debug_assert!(dst.len() >= m * n);
    assert!(a.max_index(m, k) < a.data.len() && b.max_index(k, n) < b.data.len());
    // SAFETY: the assert above keeps every index the product reads inside `a` and `b`, and
    // `dst` (row-major, ld = n) holds `m * n` elements; `dst` is exclusively borrowed and does
    // not alias `a` or `b`.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.data.as_ptr(),
            a.cs as isize,
            a.rs as isize,
            b.data.as_ptr(),
            b.cs as isize,
            b.rs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// Reference twin of [`matmul`]: plain triple loop.
pub fn matmul_reference(
    m: usize,
    n: usize,
    k: usize,
    a: Mat<'_>,
    b: Mat<'_>,
    dst: &mut [f32],
    accumulate: bool,
) {
    for i in 0..m {
        for j in 0..n {
            let mut s = 0.0f32;
            for p in 0..k {
                s += a.data[i * a.rs + p * a.cs] * b.data[p * b.rs + j * b.cs];
            }
            let d = &mut dst[i * n + j];
            *d = if accumulate { *d + s } else { s };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_reference_on_odd_shapes() {
        // Serial, split by rows, split by columns (one row, and 3 rows on 2 threads).
        for &(m, n, k) in &[
            (1, 1, 1),
            (7, 5, 3),
            (33, 65, 17),
            (128, 96, 300),
            (1, 1000, 320),
            (3, 517, 100),
        ] {
            let a: Vec<f32> = (0..m * k)
                .map(|i| ((i * 7919) % 97) as f32 / 97.0 - 0.5)
                .collect();
            let b: Vec<f32> = (0..k * n)
                .map(|i| ((i * 104729) % 89) as f32 / 89.0 - 0.5)
                .collect();
            let mut d1 = vec![0.25f32; m * n];
            let mut d2 = d1.clone();
            crate::parallel::with_threads(2, || {
                matmul(
                    m,
                    n,
                    k,
                    Mat::row_major(&a, k),
                    Mat::transposed(&b, k),
                    &mut d1,
                    true,
                )
            });
            matmul_reference(
                m,
                n,
                k,
                Mat::row_major(&a, k),
                Mat::transposed(&b, k),
                &mut d2,
                true,
            );
            for (x, y) in d1.iter().zip(&d2) {
                assert!((x - y).abs() <= 1e-4 * y.abs().max(1.0), "{x} vs {y}");
            }
        }
    }
}
