//! Matrix-product cases: FULLY_CONNECTED (with and without bias, kept dims) and BATCH_MATMUL
//! (adjoints, broadcast batches).

use pocket_engine::ir::*;

use super::{Cases, act_name};

pub(super) fn matmul_cases(c: &mut Cases) {
    for (i, (shape, keep, bias, act)) in [
        (vec![2, 10], false, true, Activation::Relu),
        (vec![1, 3, 8], true, true, Activation::None),
        (vec![4, 6], false, false, Activation::Relu6),
        (vec![2, 3, 12], false, true, Activation::None),
        // Many rows: the packed-GEMM path (74 rows, depth 40: partial tiles both ways).
        (vec![37, 2, 40], true, true, Activation::Relu),
    ]
    .into_iter()
    .enumerate()
    {
        let inp = *shape.last().unwrap_or(&1);
        c.add(
            format!(
                "fully_connected_{i}_{}{}_{}",
                if keep { "keep_" } else { "" },
                if bias { "bias" } else { "nobias" },
                act_name(act)
            ),
            -1.0,
            1.0,
            |b, r, x| {
                let wt = b.f32("w", &[7, inp], &r.normals(7 * inp, 0.4));
                let bs = bias.then(|| b.f32("b", &[7], &r.normals(7, 0.1)));
                let ins: Vec<Option<TensorId>> = if bias {
                    vec![Some(x[0]), Some(wt), bs]
                } else {
                    vec![Some(x[0]), Some(wt), None]
                };
                vec![b.op(
                    "fc",
                    Op::FullyConnected(FullyConnected {
                        act,
                        keep_num_dims: keep,
                        asymmetric_quantize_inputs: false,
                    }),
                    &ins,
                )]
            },
            &[&shape],
        );
    }
    for (i, (a, bsh, adj_x, adj_y)) in [
        (vec![2, 3, 4], vec![2, 4, 5], false, false),
        (vec![1, 4, 3], vec![3, 4, 5], true, false),
        (vec![2, 3, 4], vec![5, 4], false, true),
        (vec![3, 1, 2, 4], vec![2, 4, 3], false, false),
    ]
    .into_iter()
    .enumerate()
    {
        c.add(
            format!("batch_matmul_{i}_adj{}{}", adj_x as u8, adj_y as u8),
            -1.0,
            1.0,
            |b, _, x| {
                vec![b.op(
                    "bmm",
                    Op::BatchMatMul(BatchMatMul {
                        adj_x,
                        adj_y,
                        asymmetric_quantize_inputs: false,
                    }),
                    &[Some(x[0]), Some(x[1])],
                )]
            },
            &[&a, &bsh],
        );
    }
}
