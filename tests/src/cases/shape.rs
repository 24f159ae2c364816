//! Data-movement cases: reshape, squeeze, transpose, concat, split, pack, slices, gather, pad,
//! shape and depth/space rearrangements.

use pocket_engine::ir::*;

use super::Cases;

pub(super) fn movement_cases(c: &mut Cases) {
    c.add(
        "reshape_tensor".into(),
        -1.0,
        1.0,
        |b, _, x| {
            let s = b.i32("shape", &[3], &[4, -1, 3]);
            vec![b.op("r", Op::Reshape { new_shape: None }, &[Some(x[0]), Some(s)])]
        },
        &[&[2, 6, 3]],
    );
    c.add(
        "reshape_option".into(),
        -1.0,
        1.0,
        |b, _, x| {
            vec![b.op(
                "r",
                Op::Reshape {
                    new_shape: Some(vec![1, 36]),
                },
                &[Some(x[0])],
            )]
        },
        &[&[2, 6, 3]],
    );
    c.add(
        "squeeze_axes".into(),
        -1.0,
        1.0,
        |b, _, x| vec![b.op("sq", Op::Squeeze { axes: vec![0, 2] }, &[Some(x[0])])],
        &[&[1, 4, 1, 3]],
    );
    c.add(
        "squeeze_all".into(),
        -1.0,
        1.0,
        |b, _, x| vec![b.op("sq", Op::Squeeze { axes: vec![] }, &[Some(x[0])])],
        &[&[1, 4, 1, 3]],
    );
    c.add(
        "expand_dims_neg".into(),
        -1.0,
        1.0,
        |b, _, x| {
            let a = b.i32("axis", &[1], &[-1]);
            vec![b.op("ed", Op::ExpandDims, &[Some(x[0]), Some(a)])]
        },
        &[&[2, 3]],
    );
    for (i, perm) in [vec![0, 3, 1, 2], vec![2, 0, 1], vec![1, 0]]
        .into_iter()
        .enumerate()
    {
        let shape: Vec<usize> = [2, 3, 4, 5][..perm.len()].to_vec();
        c.add(
            format!("transpose_{i}"),
            -1.0,
            1.0,
            |b, _, x| {
                let p = b.i32("perm", &[perm.len()], &perm);
                vec![b.op("t", Op::Transpose, &[Some(x[0]), Some(p)])]
            },
            &[&shape],
        );
    }
    c.add(
        "concat_axis3".into(),
        -2.0,
        2.0,
        |b, _, x| {
            vec![b.op(
                "cat",
                Op::Concatenation {
                    axis: 3,
                    act: Activation::None,
                },
                &[Some(x[0]), Some(x[1]), Some(x[2])],
            )]
        },
        &[&[1, 3, 3, 2], &[1, 3, 3, 5], &[1, 3, 3, 1]],
    );
    c.add(
        "concat_axis_neg2".into(),
        -2.0,
        2.0,
        |b, _, x| {
            vec![b.op(
                "cat",
                Op::Concatenation {
                    axis: -2,
                    act: Activation::None,
                },
                &[Some(x[0]), Some(x[1])],
            )]
        },
        &[&[2, 1, 4], &[2, 3, 4]],
    );
    c.add(
        "split_axis1".into(),
        -1.0,
        1.0,
        |b, _, x| {
            let a = b.i32("axis", &[], &[1]);
            b.op_n(
                "split",
                Op::Split { num_splits: 3 },
                &[Some(a), Some(x[0])],
                &[],
            )
        },
        &[&[2, 6, 4]],
    );
    c.add(
        "pack_axis1".into(),
        -1.0,
        1.0,
        |b, _, x| {
            vec![b.op(
                "pack",
                Op::Pack {
                    values_count: 2,
                    axis: 1,
                },
                &[Some(x[0]), Some(x[1])],
            )]
        },
        &[&[3, 4], &[3, 4]],
    );
    c.add(
        "unpack_axis_neg1".into(),
        -1.0,
        1.0,
        |b, _, x| {
            b.op_n(
                "unpack",
                Op::Unpack { num: 3, axis: -1 },
                &[Some(x[0])],
                &[],
            )
        },
        &[&[2, 4, 3]],
    );
    c.add(
        "slice".into(),
        -1.0,
        1.0,
        |b, _, x| {
            let be = b.i32("begin", &[3], &[1, 0, 2]);
            let sz = b.i32("size", &[3], &[1, -1, 3]);
            vec![b.op("slice", Op::Slice, &[Some(x[0]), Some(be), Some(sz)])]
        },
        &[&[2, 4, 6]],
    );
    let ss = [
        ([1, 0, 1], [3, 4, 6], [1, 1, 2], StridedSlice::default()),
        (
            [0, -1, 0],
            [0, 0, 0],
            [1, -1, 1],
            StridedSlice {
                begin_mask: 1,
                end_mask: 7,
                ..Default::default()
            },
        ),
        (
            [0, 2, 0],
            [0, 3, 0],
            [1, 1, 1],
            StridedSlice {
                begin_mask: 5,
                end_mask: 5,
                shrink_axis_mask: 2,
                ..Default::default()
            },
        ),
        (
            [0, 1, 0],
            [0, 2, 0],
            [1, 1, 1],
            StridedSlice {
                begin_mask: 1,
                end_mask: 1,
                new_axis_mask: 4,
                shrink_axis_mask: 2,
                ..Default::default()
            },
        ),
        (
            [1, 0, 0],
            [3, 0, 0],
            [1, 1, 1],
            StridedSlice {
                offset: true,
                end_mask: 6,
                ..Default::default()
            },
        ),
    ];
    for (i, (be, en, st, o)) in ss.into_iter().enumerate() {
        c.add(
            format!("strided_slice_{i}"),
            -1.0,
            1.0,
            |b, _, x| {
                let bt = b.i32("begin", &[3], &be);
                let et = b.i32("end", &[3], &en);
                let stt = b.i32("strides", &[3], &st);
                vec![b.op(
                    "ss",
                    Op::StridedSlice(o),
                    &[Some(x[0]), Some(bt), Some(et), Some(stt)],
                )]
            },
            &[&[4, 5, 6]],
        );
    }
    c.add(
        "strided_slice_ellipsis".into(),
        -1.0,
        1.0,
        |b, _, x| {
            let bt = b.i32("begin", &[2], &[0, 1]);
            let et = b.i32("end", &[2], &[0, 4]);
            let stt = b.i32("strides", &[2], &[1, 2]);
            vec![b.op(
                "ss",
                Op::StridedSlice(StridedSlice {
                    ellipsis_mask: 1,
                    ..Default::default()
                }),
                &[Some(x[0]), Some(bt), Some(et), Some(stt)],
            )]
        },
        &[&[2, 3, 4, 5]],
    );
    for (i, (axis, bd, ishape, pshape)) in [
        (0, 0, vec![4], vec![5, 3]),
        (1, 0, vec![2, 3], vec![2, 5, 4]),
        (-1, 0, vec![3], vec![2, 3, 6]),
        (1, 1, vec![2, 3], vec![2, 5, 4]),
    ]
    .into_iter()
    .enumerate()
    {
        c.add(
            format!("gather_{i}_axis{axis}_bd{bd}"),
            -1.0,
            1.0,
            |b, r, x| {
                let n = pshape[if axis < 0 {
                    pshape.len() - 1
                } else {
                    axis as usize
                }];
                let idx: Vec<i32> = (0..ishape.iter().product::<usize>())
                    .map(|_| (r.next_u64() % n as u64) as i32)
                    .collect();
                let it = b.i32("indices", &ishape, &idx);
                vec![b.op(
                    "g",
                    Op::Gather {
                        axis,
                        batch_dims: bd,
                    },
                    &[Some(x[0]), Some(it)],
                )]
            },
            &[&pshape],
        );
    }
    c.add(
        "pad".into(),
        -1.0,
        1.0,
        |b, _, x| {
            let p = b.i32("pads", &[4, 2], &[0, 0, 1, 2, 0, 1, 2, 0]);
            vec![b.op("pad", Op::Pad { v2: false }, &[Some(x[0]), Some(p)])]
        },
        &[&[1, 3, 4, 2]],
    );
    c.add(
        "padv2".into(),
        -1.0,
        1.0,
        |b, _, x| {
            let p = b.i32("pads", &[3, 2], &[1, 0, 0, 2, 1, 1]);
            let v = b.f32("value", &[], &[-0.75]);
            vec![b.op("pad", Op::Pad { v2: true }, &[Some(x[0]), Some(p), Some(v)])]
        },
        &[&[2, 3, 4]],
    );
    c.add(
        "shape_i32".into(),
        -1.0,
        1.0,
        |b, _, x| {
            vec![b.op(
                "shape",
                Op::Shape {
                    output_type: DType::I32,
                },
                &[Some(x[0])],
            )]
        },
        &[&[2, 3, 5]],
    );
    c.add(
        "depth_to_space".into(),
        -1.0,
        1.0,
        |b, _, x| vec![b.op("d2s", Op::DepthToSpace { block: 2 }, &[Some(x[0])])],
        &[&[1, 3, 4, 8]],
    );
    c.add(
        "space_to_depth".into(),
        -1.0,
        1.0,
        |b, _, x| vec![b.op("s2d", Op::SpaceToDepth { block: 2 }, &[Some(x[0])])],
        &[&[1, 4, 6, 3]],
    );
}
