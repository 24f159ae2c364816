//! Densifying TFLite sparse tensors (the format the converter writes for pruned weights:
//! per-level DENSE or CSR dimensions over a traversal order, with optional blocks).

/// One level of the traversal.
#[derive(Debug, Clone, PartialEq)]
pub enum Level {
    /// Dense level of the given size.
    Dense(usize),
    /// CSR level: `segments[p]..segments[p + 1]` index into `indices`.
    Sparse {
        /// Segment boundaries, one more than the parent's positions.
        segments: Vec<usize>,
        /// Coordinates along this level.
        indices: Vec<usize>,
    },
}

/// Why a sparse tensor cannot be expanded (the message names the level and index).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SparseError(String);

impl SparseError {
    fn new(msg: impl Into<String>) -> Self {
        SparseError(msg.into())
    }
}

impl std::fmt::Display for SparseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SparseError {}

/// Expand `values` (stored in traversal order) into a dense row-major tensor of `shape`.
/// `order` lists, per level, the dimension it walks (original dims first, then block dims
/// `n + b`); `block_map[b]` is the original dim block dim `b` splits, `block_size[b]` its size.
pub fn densify<T: Copy + Default>(
    values: &[T],
    shape: &[usize],
    order: &[usize],
    block_map: &[usize],
    block_size: &[usize],
    levels: &[Level],
) -> Result<Vec<T>, SparseError> {
    let n = shape.len();
    let total = n + block_map.len();
    if order.len() != total || levels.len() != total || block_size.len() != block_map.len() {
        return Err(SparseError::new(format!(
            "sparsity has {} levels, {} traversal entries, {} block sizes for rank {n} with {} blocks",
            levels.len(),
            order.len(),
            block_size.len(),
            block_map.len()
        )));
    }
    let mut seen = vec![false; total];
    for &o in order {
        if o >= total || std::mem::replace(&mut seen[o], true) {
            return Err(SparseError::new(format!(
                "traversal order {order:?} is not a permutation"
            )));
        }
    }
    if order[..n].iter().any(|&o| o >= n) {
        return Err(SparseError::new(
            "traversal order must list the original dimensions first",
        ));
    }
    if block_map
        .iter()
        .zip(block_size)
        .any(|(&d, &s)| d >= n || s == 0 || !shape[d].is_multiple_of(s))
    {
        return Err(SparseError::new(format!(
            "blocks {block_size:?} on dims {block_map:?} do not divide shape {shape:?}"
        )));
    }
    // Each dense level walks all of its dimension: the dimension's size, divided by its block
    // size when the dimension is blocked, or the block size for a block dimension.
    for (l, (&o, level)) in order.iter().zip(levels).enumerate() {
        let Level::Dense(size) = level else { continue };
        let want = if o < n {
            block_map
                .iter()
                .position(|&d| d == o)
                .map_or(shape[o], |b| shape[o] / block_size[b])
        } else {
            block_size[o - n]
        };
        if *size != want {
            return Err(SparseError::new(format!(
                "dense level {l} has size {size}, but the dimension it walks has {want}"
            )));
        }
    }
    let numel = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or(SparseError::new("shape overflows"))?;
    let mut dense = vec![T::default(); numel];
    let strides = super::strides(shape);
    let mut idx = vec![0usize; total];
    let mut next = 0usize;
    struct Ctx<'a, T> {
        values: &'a [T],
        levels: &'a [Level],
        order: &'a [usize],
        block_map: &'a [usize],
        block_size: &'a [usize],
        n: usize,
        strides: &'a [usize],
        shape: &'a [usize],
    }
    fn walk<T: Copy>(
        c: &Ctx<'_, T>,
        level: usize,
        prev: usize,
        idx: &mut [usize],
        next: &mut usize,
        dense: &mut [T],
    ) -> Result<(), SparseError> {
        if level == c.levels.len() {
            let mut orig = vec![0usize; c.n];
            for (l, &dim) in c.order.iter().enumerate().take(c.n) {
                orig[dim] = idx[l];
            }
            for (&o, &i) in c.order.iter().zip(idx.iter()).skip(c.n) {
                let b = o - c.n;
                let d = c.block_map[b];
                orig[d] = orig[d] * c.block_size[b] + i;
            }
            let mut flat = 0;
            for (d, &i) in orig.iter().enumerate() {
                if i >= c.shape[d] {
                    return Err(SparseError::new(format!(
                        "sparse index {i} out of range for dimension {d} of {:?}",
                        c.shape
                    )));
                }
                flat += i * c.strides[d];
            }
            let v = *c.values.get(*next).ok_or(SparseError::new(
                "fewer stored values than the sparsity structure needs",
            ))?;
            dense[flat] = v;
            *next += 1;
            return Ok(());
        }
        match &c.levels[level] {
            Level::Dense(size) => {
                for i in 0..*size {
                    idx[level] = i;
                    walk(
                        c,
                        level + 1,
                        prev.checked_mul(*size)
                            .and_then(|p| p.checked_add(i))
                            .ok_or(SparseError::new("index overflow"))?,
                        idx,
                        next,
                        dense,
                    )?;
                }
            }
            Level::Sparse { segments, indices } => {
                let (Some(&s), Some(&e)) = (segments.get(prev), segments.get(prev + 1)) else {
                    return Err(SparseError::new(format!(
                        "segment {prev} out of range ({} segments)",
                        segments.len()
                    )));
                };
                if s > e || e > indices.len() {
                    return Err(SparseError::new(format!(
                        "segment [{s}, {e}) out of range ({} indices)",
                        indices.len()
                    )));
                }
                for (i, &ix) in indices.iter().enumerate().take(e).skip(s) {
                    idx[level] = ix;
                    walk(c, level + 1, i, idx, next, dense)?;
                }
            }
        }
        Ok(())
    }
    // A zero-size tensor stores nothing; walking its levels would visit positions (maybe very
    // many, when a zero-size level comes last) that can never reach an element.
    if numel == 0 {
        return if values.is_empty() {
            Ok(dense)
        } else {
            Err(SparseError::new(format!(
                "{} stored values for the empty shape {shape:?}",
                values.len()
            )))
        };
    }
    // Guard against structures that would walk far more positions than the dense tensor has:
    // every prefix of the dense levels, not only all of them (a later small level must not
    // hide an earlier huge one).
    let mut dense_walk = 1usize;
    for l in levels {
        if let Level::Dense(s) = l {
            dense_walk = dense_walk
                .checked_mul(*s)
                .ok_or(SparseError::new("sparsity walk overflows"))?;
            if dense_walk > numel {
                return Err(SparseError::new(format!(
                    "dense levels cover {dense_walk} positions, more than the {numel} elements of {shape:?}"
                )));
            }
        }
    }
    let c = Ctx {
        values,
        levels,
        order,
        block_map,
        block_size,
        n,
        strides: &strides,
        shape,
    };
    walk(&c, 0, 0, &mut idx, &mut next, &mut dense)?;
    if next != values.len() {
        return Err(SparseError::new(format!(
            "{} stored values, but the sparsity structure uses {next}",
            values.len()
        )));
    }
    Ok(dense)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csr_and_block_sparse() {
        // [[1, 0, 2], [0, 0, 3]] as dense rows, CSR columns.
        let levels = vec![
            Level::Dense(2),
            Level::Sparse {
                segments: vec![0, 2, 3],
                indices: vec![0, 2, 2],
            },
        ];
        let d = densify(&[1, 2, 3], &[2, 3], &[0, 1], &[], &[], &levels).expect("valid");
        assert_eq!(d, vec![1, 0, 2, 0, 0, 3]);
        // 2x4 with 1x2 blocks on dim 1: blocks (0,0) and (1,1) present.
        let levels = vec![
            Level::Dense(2),
            Level::Sparse {
                segments: vec![0, 1, 2],
                indices: vec![0, 1],
            },
            Level::Dense(2),
        ];
        let d = densify(&[1, 2, 3, 4], &[2, 4], &[0, 1, 2], &[1], &[2], &levels).expect("valid");
        assert_eq!(d, vec![1, 2, 0, 0, 0, 0, 3, 4]);
        // A dense level must be as long as its dimension (a zero-size last level used to let
        // a huge first level walk without ever reaching an element).
        let huge_then_empty = [Level::Dense(1 << 30), Level::Dense(0)];
        let e = densify(&[1.0f32], &[3, 6], &[0, 1], &[], &[], &huge_then_empty).unwrap_err();
        assert!(e.to_string().contains("dense level 0 has size"), "{e}");
        assert_eq!(
            densify::<f32>(
                &[],
                &[0, 4],
                &[0, 1],
                &[],
                &[],
                &[Level::Dense(0), Level::Dense(4)]
            ),
            Ok(vec![])
        );
        assert!(
            densify(
                &[1],
                &[2, 3],
                &[0, 1],
                &[],
                &[],
                &[
                    Level::Dense(2),
                    Level::Sparse {
                        segments: vec![0, 9],
                        indices: vec![]
                    }
                ]
            )
            .is_err()
        );
    }
}
