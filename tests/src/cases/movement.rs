//! Cases of the movement family: mirror pads, tiles, split_v, broadcasts, fill/range/rank,
//! reverse, gather/scatter ND, one-hot, cumsum, space/batch, the extra reductions, top-k,
//! L2/LRN normalization, L2 pooling, dynamic slice updates, embedding lookups and casts.

use pocket_engine::ir::*;

use super::Cases;
use crate::Builder;

fn mv(b: &mut Builder, name: &str, m: Movement, ins: &[Option<TensorId>]) -> TensorId {
    b.op(name, Op::Movement(m), ins)
}

fn i64_const(b: &mut Builder, name: &str, shape: &[usize], v: &[i64]) -> TensorId {
    b.raw(
        name,
        DType::I64,
        shape,
        v.iter().flat_map(|x| x.to_le_bytes()).collect(),
    )
}

fn pad_cases(c: &mut Cases) {
    for (sym, shape, pads) in [
        (false, vec![2, 5, 4], vec![0, 0, 2, 1, 1, 3]),
        (true, vec![1, 3, 4, 2], vec![0, 0, 3, 2, 1, 4, 0, 0]),
        (true, vec![6], vec![0, 6]),
        (false, vec![3, 3], vec![2, 2, 0, 1]),
    ] {
        let name = format!(
            "mirror_pad_{}_{}d",
            if sym { "symmetric" } else { "reflect" },
            shape.len()
        );
        c.add(
            name,
            -1.0,
            1.0,
            |b, _, x| {
                let p = b.i32("pads", &[shape.len(), 2], &pads);
                vec![mv(
                    b,
                    "mp",
                    Movement::MirrorPad { symmetric: sym },
                    &[Some(x[0]), Some(p)],
                )]
            },
            &[&shape],
        );
    }
    for (i, (shape, m)) in [
        (vec![2, 3], vec![2, 1]),
        (vec![1, 2, 3, 2], vec![1, 2, 2, 3]),
        (vec![4], vec![3]),
        (vec![2, 3], vec![0, 2]),
    ]
    .into_iter()
    .enumerate()
    {
        c.add(
            format!("tile_{i}"),
            -1.0,
            1.0,
            |b, _, x| {
                let mm = b.i32("multiples", &[m.len()], &m);
                vec![mv(b, "tile", Movement::Tile, &[Some(x[0]), Some(mm)])]
            },
            &[&shape],
        );
    }
    for (i, (shape, sizes, axis)) in [
        (vec![2, 7, 3], vec![2, -1, 1], -2),
        (vec![6, 4], vec![1, 3, 0], -1),
        (vec![5, 2], vec![5], 0),
    ]
    .into_iter()
    .enumerate()
    {
        c.add(
            format!("split_v_{i}"),
            -1.0,
            1.0,
            |b, _, x| {
                let s = b.i32("sizes", &[sizes.len()], &sizes);
                let a = b.i32("axis", &[], &[axis]);
                b.op_n(
                    "sv",
                    Op::Movement(Movement::SplitV {
                        num_splits: sizes.len(),
                    }),
                    &[Some(x[0]), Some(s), Some(a)],
                    &[],
                )
            },
            &[&shape],
        );
    }
    for (i, (shape, to)) in [
        (vec![3, 1], vec![2, 3, 4]),
        (vec![1, 4], vec![3, 4]),
        (vec![2, 1, 3], vec![2, 5, 3]),
    ]
    .into_iter()
    .enumerate()
    {
        c.add(
            format!("broadcast_to_{i}"),
            -1.0,
            1.0,
            |b, _, x| {
                let s = b.i32("shape", &[to.len()], &to);
                vec![mv(b, "bt", Movement::BroadcastTo, &[Some(x[0]), Some(s)])]
            },
            &[&shape],
        );
    }
    for (i, (shape, axes)) in [
        (vec![2, 3, 4], vec![-1]),
        (vec![2, 3, 4, 2], vec![1]),
        (vec![5], vec![0]),
    ]
    .into_iter()
    .enumerate()
    {
        c.add(
            format!("reverse_v2_{i}"),
            -1.0,
            1.0,
            |b, _, x| {
                let a = b.i32("axes", &[axes.len()], &axes);
                vec![mv(b, "rev", Movement::ReverseV2, &[Some(x[0]), Some(a)])]
            },
            &[&shape],
        );
    }
}

fn value_cases(c: &mut Cases) {
    c.add(
        "fill_scalar_input".into(),
        -1.0,
        1.0,
        |b, _, x| {
            let d = b.i32("dims", &[3], &[2, 3, 4]);
            vec![mv(b, "fill", Movement::Fill, &[Some(d), Some(x[0])])]
        },
        &[&[]],
    );
    c.add(
        "fill_int_plus_zeros_like".into(),
        -9.0,
        9.0,
        |b, _, x| {
            let d = b.i32("dims", &[2], &[3, 2]);
            let v = b.op_typed("v", Op::Cast, &[Some(x[1])], &[DType::I32]);
            let f = mv(b, "fill", Movement::Fill, &[Some(d), Some(v)]);
            let z = mv(b, "zl", Movement::ZerosLike, &[Some(x[0])]);
            vec![f, z]
        },
        &[&[2, 5], &[]],
    );
    c.add(
        "range_f32_plus_input".into(),
        -1.0,
        1.0,
        |b, _, x| {
            let s = b.f32("start", &[], &[1.5]);
            let l = b.f32("limit", &[], &[7.0]);
            let d = b.f32("delta", &[], &[0.5]);
            let r = mv(b, "range", Movement::Range, &[Some(s), Some(l), Some(d)]);
            let add = Op::Binary(Binary {
                kind: BinaryKind::Add,
                act: Activation::None,
            });
            vec![b.op("add", add, &[Some(r), Some(x[0])])]
        },
        &[&[11]],
    );
    c.add(
        "range_i32_down_and_rank".into(),
        -1.0,
        1.0,
        |b, _, x| {
            let s = b.i32("start", &[], &[10]);
            let l = b.i32("limit", &[], &[1]);
            let d = b.i32("delta", &[], &[-3]);
            let r = mv(b, "range", Movement::Range, &[Some(s), Some(l), Some(d)]);
            let xi = b.op_typed("xi", Op::Cast, &[Some(x[1])], &[DType::I32]);
            let add = Op::Binary(Binary {
                kind: BinaryKind::Add,
                act: Activation::None,
            });
            let sum = b.op("add", add, &[Some(r), Some(xi)]);
            let k = mv(b, "rank", Movement::Rank, &[Some(x[0])]);
            vec![sum, k]
        },
        &[&[2, 3, 1], &[3]],
    );
    c.add(
        "broadcast_args_i32".into(),
        -1.0,
        1.0,
        |b, _, x| {
            let s0 = b.op(
                "s0",
                Op::Shape {
                    output_type: DType::I32,
                },
                &[Some(x[0])],
            );
            let s1 = b.i32("s1", &[2], &[4, 1]);
            let ba = mv(b, "ba", Movement::BroadcastArgs, &[Some(s0), Some(s1)]);
            let k = mv(b, "rank", Movement::Rank, &[Some(x[0])]);
            vec![ba, k]
        },
        &[&[2, 1, 3]],
    );
    for (i, (axis, idx, shape)) in [
        (-1, vec![0, 3, 1, -1, 5, 2], vec![2, 3]),
        (0, vec![2, 0, 1, 1], vec![4]),
        (1, vec![1, 0, 2, 2, 1, 0], vec![3, 2]),
    ]
    .into_iter()
    .enumerate()
    {
        c.add(
            format!("one_hot_{i}"),
            -1.0,
            1.0,
            |b, _, x| {
                let ix = b.i32("idx", &shape, &idx);
                let d = b.i32("depth", &[], &[4]);
                let on = b.f32("on", &[], &[2.5]);
                let off = b.f32("off", &[], &[-1.0]);
                let oh = mv(
                    b,
                    "oh",
                    Movement::OneHot { axis },
                    &[Some(ix), Some(d), Some(on), Some(off)],
                );
                let mul = Op::Binary(Binary {
                    kind: BinaryKind::Mul,
                    act: Activation::None,
                });
                vec![b.op("mul", mul, &[Some(oh), Some(x[0])])]
            },
            &[&[1]],
        );
    }
    for (ex, rev) in [(false, false), (true, false), (false, true), (true, true)] {
        c.add(
            format!("cumsum_ex{}_rev{}", u8::from(ex), u8::from(rev)),
            -1.0,
            1.0,
            |b, _, x| {
                let a = b.i32("axis", &[], &[if rev { -2 } else { 1 }]);
                vec![mv(
                    b,
                    "cs",
                    Movement::Cumsum {
                        exclusive: ex,
                        reverse: rev,
                    },
                    &[Some(x[0]), Some(a)],
                )]
            },
            &[&[3, 4, 5]],
        );
    }
}

fn index_cases(c: &mut Cases) {
    for (i, (idx_shape, idx)) in [
        (vec![3, 2], vec![1, 2, 0, 3, 2, 0]),
        (vec![2, 1], vec![2, 0]),
        (vec![2, 2, 3], vec![0, 0, 1, 2, 3, 0, 1, 1, 1, 0, 2, 1]),
        (vec![0, 2], vec![]),
    ]
    .into_iter()
    .enumerate()
    {
        c.add(
            format!("gather_nd_{i}"),
            -1.0,
            1.0,
            |b, _, x| {
                let ix = b.i32("idx", &idx_shape, &idx);
                vec![mv(b, "gnd", Movement::GatherNd, &[Some(x[0]), Some(ix)])]
            },
            &[&[3, 4, 2]],
        );
    }
    c.add(
        "scatter_nd_duplicates".into(),
        -1.0,
        1.0,
        |b, _, x| {
            let ix = b.i32("idx", &[4, 1], &[1, 3, 1, 0]);
            let s = b.i32("shape", &[2], &[5, 3]);
            vec![mv(
                b,
                "snd",
                Movement::ScatterNd,
                &[Some(ix), Some(x[0]), Some(s)],
            )]
        },
        &[&[4, 3]],
    );
    c.add(
        "scatter_nd_elements".into(),
        -1.0,
        1.0,
        |b, _, x| {
            let ix = b.i32("idx", &[3, 3], &[0, 1, 2, 1, 0, 0, 1, 2, 3]);
            let s = b.i32("shape", &[3], &[2, 3, 4]);
            vec![mv(
                b,
                "snd",
                Movement::ScatterNd,
                &[Some(ix), Some(x[0]), Some(s)],
            )]
        },
        &[&[3]],
    );
    c.add(
        "dynamic_update_slice_clamped".into(),
        -1.0,
        1.0,
        |b, _, x| {
            let st = b.i32("start", &[2], &[3, -1]);
            vec![mv(
                b,
                "dus",
                Movement::DynamicUpdateSlice,
                &[Some(x[0]), Some(x[1]), Some(st)],
            )]
        },
        &[&[4, 5], &[2, 3]],
    );
    c.add(
        "dynamic_update_slice_i64_start".into(),
        -1.0,
        1.0,
        |b, _, x| {
            let st = i64_const(b, "start", &[3], &[0, 1, 1]);
            vec![mv(
                b,
                "dus",
                Movement::DynamicUpdateSlice,
                &[Some(x[0]), Some(x[1]), Some(st)],
            )]
        },
        &[&[2, 3, 4], &[1, 2, 2]],
    );
    c.add(
        "embedding_lookup".into(),
        -1.0,
        1.0,
        |b, _, x| {
            let ids = b.i32("ids", &[3], &[2, 0, 2]);
            vec![mv(
                b,
                "emb",
                Movement::EmbeddingLookup,
                &[Some(ids), Some(x[0])],
            )]
        },
        &[&[4, 3]],
    );
    for (i, (s2b, shape, block, p)) in [
        (true, vec![1, 5, 4, 3], vec![2, 2], vec![1, 0, 0, 2]),
        (true, vec![2, 4, 3], vec![2], vec![0, 2]),
        (false, vec![4, 2, 3, 2], vec![2, 2], vec![0, 1, 1, 0]),
        (false, vec![6, 3, 2], vec![3], vec![1, 1]),
    ]
    .into_iter()
    .enumerate()
    {
        let m = if s2b {
            Movement::SpaceToBatchNd
        } else {
            Movement::BatchToSpaceNd
        };
        c.add(
            format!("{}_{i}", m.name().to_lowercase()),
            -1.0,
            1.0,
            |b, _, x| {
                let bl = b.i32("block", &[block.len()], &block);
                let pp = b.i32("pads", &[block.len(), 2], &p);
                vec![mv(b, "sb", m, &[Some(x[0]), Some(bl), Some(pp)])]
            },
            &[&shape],
        );
    }
}

fn reduce_cases(c: &mut Cases) {
    for (kind, axes, keep, shape) in [
        (Reduce2Kind::Min, vec![-1, 0], true, vec![2, 3, 4]),
        (Reduce2Kind::Min, vec![1], false, vec![3, 5]),
        (Reduce2Kind::Prod, vec![1], false, vec![3, 4]),
        (Reduce2Kind::Prod, vec![0, 2], true, vec![2, 3, 2]),
    ] {
        let name =
            format!("reduce_{kind:?}_{}d_keep{}", shape.len(), u8::from(keep)).to_lowercase();
        c.add(
            name,
            0.5,
            1.5,
            |b, _, x| {
                let a = b.i32("axes", &[axes.len()], &axes);
                vec![mv(
                    b,
                    "red",
                    Movement::Reduce {
                        kind,
                        keep_dims: keep,
                    },
                    &[Some(x[0]), Some(a)],
                )]
            },
            &[&shape],
        );
    }
    c.add(
        "reduce_any_all_bool".into(),
        -1.6,
        1.6,
        |b, _, x| {
            let xi = b.op_typed("xi", Op::Cast, &[Some(x[0])], &[DType::I32]);
            let t = b.op_typed("xb", Op::Cast, &[Some(xi)], &[DType::Bool]);
            let a = b.i32("axes", &[1], &[-1]);
            let any = mv(
                b,
                "any",
                Movement::Reduce {
                    kind: Reduce2Kind::Any,
                    keep_dims: false,
                },
                &[Some(t), Some(a)],
            );
            let all = mv(
                b,
                "all",
                Movement::Reduce {
                    kind: Reduce2Kind::All,
                    keep_dims: true,
                },
                &[Some(t), Some(a)],
            );
            let k = mv(b, "rank", Movement::Rank, &[Some(x[0])]);
            vec![any, all, k]
        },
        &[&[3, 4]],
    );
    for (i, (axis, ot, shape)) in [(-1, DType::I32, vec![3, 5]), (0, DType::I64, vec![4, 2, 3])]
        .into_iter()
        .enumerate()
    {
        c.add(
            format!("arg_min_{i}"),
            -1.0,
            1.0,
            |b, _, x| {
                let a = b.i32("axis", &[1], &[axis]);
                vec![mv(
                    b,
                    "am",
                    Movement::ArgMin { output_type: ot },
                    &[Some(x[0]), Some(a)],
                )]
            },
            &[&shape],
        );
    }
    for (i, (shape, k)) in [(vec![3, 6], 3), (vec![2, 2, 5], 5), (vec![7], 1)]
        .into_iter()
        .enumerate()
    {
        c.add(
            format!("topk_v2_{i}"),
            -1.0,
            1.0,
            |b, _, x| {
                let kk = b.i32("k", &[], &[k]);
                b.op_n(
                    "topk",
                    Op::Movement(Movement::TopK),
                    &[Some(x[0]), Some(kk)],
                    &[],
                )
            },
            &[&shape],
        );
    }
    for (i, shape) in [vec![2, 3, 8], vec![1, 4, 4, 5], vec![6]]
        .into_iter()
        .enumerate()
    {
        c.add(
            format!("l2_normalization_{i}"),
            -1.0,
            1.0,
            |b, _, x| {
                vec![mv(
                    b,
                    "l2n",
                    Movement::L2Norm {
                        act: Activation::None,
                    },
                    &[Some(x[0])],
                )]
            },
            &[&shape],
        );
    }
    for (i, (radius, bias, alpha, beta)) in
        [(2, 1.0, 0.5, 0.75), (0, 2.0, 1.0, 0.5), (5, 1.0, 0.1, 1.0)]
            .into_iter()
            .enumerate()
    {
        c.add(
            format!("lrn_{i}"),
            -2.0,
            2.0,
            |b, _, x| {
                vec![mv(
                    b,
                    "lrn",
                    Movement::Lrn {
                        radius,
                        bias,
                        alpha,
                        beta,
                    },
                    &[Some(x[0])],
                )]
            },
            &[&[1, 3, 3, 8]],
        );
    }
    for (i, (padding, stride, filter, act)) in [
        (Padding::Valid, [2, 2], [2, 2], Activation::None),
        (Padding::Same, [1, 1], [3, 3], Activation::Relu6),
        (Padding::Same, [2, 1], [3, 2], Activation::ReluN1To1),
    ]
    .into_iter()
    .enumerate()
    {
        c.add(
            format!("l2_pool_2d_{i}"),
            -2.0,
            2.0,
            |b, _, x| {
                vec![mv(
                    b,
                    "l2p",
                    Movement::L2Pool {
                        padding,
                        stride,
                        filter,
                        act,
                    },
                    &[Some(x[0])],
                )]
            },
            &[&[1, 6, 5, 3]],
        );
    }
}

fn cast_cases(c: &mut Cases) {
    // Every integer and bool type through and back; values beyond int8 wrap like static_cast.
    for to in [DType::I64, DType::I16, DType::U8, DType::I8, DType::Bool] {
        c.add(
            format!("cast_chain_{}", to.name()),
            -300.0,
            300.0,
            |b, _, x| {
                let i = b.op_typed("to_i32", Op::Cast, &[Some(x[0])], &[DType::I32]);
                let t = b.op_typed("to_t", Op::Cast, &[Some(i)], &[to]);
                let back = b.op_typed("to_i32b", Op::Cast, &[Some(t)], &[DType::I32]);
                vec![b.op_typed("to_f32", Op::Cast, &[Some(back)], &[DType::F32])]
            },
            &[&[3, 7]],
        );
    }
}

pub(super) fn cases(c: &mut Cases) {
    pad_cases(c);
    value_cases(c);
    index_cases(c);
    reduce_cases(c);
    cast_cases(c);
}
