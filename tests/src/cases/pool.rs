//! Pooling, reduction and resize cases.

use pocket_engine::ir::*;

use super::{ACTS, Cases};

pub(super) fn pool_reduce_cases(c: &mut Cases) {
    let pools = [
        (PoolKind::Average, 2, 2, Padding::Valid),
        (PoolKind::Average, 3, 2, Padding::Same),
        (PoolKind::Max, 3, 2, Padding::Same),
        (PoolKind::Max, 2, 2, Padding::Valid),
        (PoolKind::Average, 3, 1, Padding::Same),
        (PoolKind::Max, 3, 1, Padding::Same),
    ];
    for (i, &(kind, k, s, p)) in pools.iter().enumerate() {
        let act = ACTS[i % 4];
        c.add(
            format!(
                "{}_{i}_k{k}s{s}_{p:?}",
                Op::Pool2d(Pool2d {
                    kind,
                    padding: p,
                    stride: [s, s],
                    filter: [k, k],
                    act
                })
                .name()
                .to_lowercase()
            ),
            -2.0,
            2.0,
            |b, _, x| {
                vec![b.op(
                    "pool",
                    Op::Pool2d(Pool2d {
                        kind,
                        padding: p,
                        stride: [s, s],
                        filter: [k, k],
                        act,
                    }),
                    &[Some(x[0])],
                )]
            },
            &[&[1, 9, 11, 3]],
        );
    }
    let reds = [
        (ReduceKind::Mean, vec![1, 2], true),
        (ReduceKind::Mean, vec![1, 2], false),
        (ReduceKind::Sum, vec![-1], false),
        (ReduceKind::Max, vec![0, 2], true),
        (ReduceKind::Sum, vec![1], true),
        (ReduceKind::Max, vec![3], false),
    ];
    for (i, (kind, axes, keep)) in reds.into_iter().enumerate() {
        c.add(
            format!(
                "{}_{i}_{}",
                Op::Reduce(Reduce {
                    kind,
                    keep_dims: keep
                })
                .name()
                .to_lowercase(),
                if keep { "keep" } else { "drop" }
            ),
            -2.0,
            2.0,
            |b, _, x| {
                let ax = b.i32("axes", &[axes.len()], &axes);
                vec![b.op(
                    "red",
                    Op::Reduce(Reduce {
                        kind,
                        keep_dims: keep,
                    }),
                    &[Some(x[0]), Some(ax)],
                )]
            },
            &[&[2, 5, 6, 3]],
        );
    }
    for (i, (bilinear, ac, hp, oh, ow)) in [
        (true, false, false, 12, 9),
        (true, true, false, 11, 7),
        (true, false, true, 8, 16),
        (false, false, false, 12, 9),
        (false, true, false, 11, 7),
        (false, false, true, 7, 5),
        (true, false, true, 3, 2),
    ]
    .into_iter()
    .enumerate()
    {
        let op = Op::Resize(Resize {
            bilinear,
            align_corners: ac,
            half_pixel_centers: hp,
        });
        c.add(
            format!(
                "{}_{i}_ac{}_hp{}",
                op.name().to_lowercase(),
                ac as u8,
                hp as u8
            ),
            -2.0,
            2.0,
            |b, _, x| {
                let sz = b.i32("size", &[2], &[oh, ow]);
                vec![b.op("resize", op, &[Some(x[0]), Some(sz)])]
            },
            &[&[1, 5, 6, 3]],
        );
    }
}
