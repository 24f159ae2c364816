//! Kernel benchmarks, each fast kernel next to its reference twin (criterion). Not a test:
//! run `cargo bench -p pocket-engine --bench kernels` and compare with the previous run.
//! Shapes are MobileNetV2 layers (112×112×32 stride-1 depthwise, 56×56 1×1 expansion, a 3×3
//! convolution) and its classifier.

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use pocket_engine::kernels::act::Act;
use pocket_engine::kernels::conv::{self, ConvGeom};
use pocket_engine::kernels::int8::conv::{self as qref, ConvQuant};
use pocket_engine::kernels::int8::elementwise::Activation;
use pocket_engine::kernels::int8::fast;

fn bytes(n: usize, seed: u64) -> Vec<i8> {
    let mut s = seed | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 56) as i8
        })
        .collect()
}

fn floats(n: usize, seed: u64) -> Vec<f32> {
    bytes(n, seed).iter().map(|&b| b as f32 / 128.0).collect()
}

fn geom(hw: usize, ic: usize, oc: usize, k: usize, pad: usize) -> ConvGeom {
    ConvGeom {
        n: 1,
        in_hwc: [hw, hw, ic],
        out_hwc: [hw, hw, oc],
        k: [k, k],
        stride: [1, 1],
        dilation: [1, 1],
        pad: [pad, pad],
    }
}

fn int8(c: &mut Criterion) {
    let q = |oc| {
        ConvQuant::per_channel(
            (0.05, -3),
            &vec![0.01; oc],
            (0.08, 2),
            Activation::Relu6,
            oc,
        )
    };
    // 1x1 expansion 56x56x24 -> 144.
    let g = geom(56, 24, 144, 1, 0);
    let (x, w) = (bytes(56 * 56 * 24, 1), bytes(144 * 24, 2));
    let b: Vec<i32> = (0..144).map(|i| i * 10).collect();
    let qq = q(144);
    let p = fast::Packed::new(&w, 144, 24);
    let rq = fast::Requant::for_gemm(&p, Some(&b), &qq);
    c.bench_function("int8 conv 1x1 56x56x24->144 fast", |bn| {
        bn.iter(|| fast::conv2d(black_box(&x), &p, &rq, &g, 3))
    });
    c.bench_function("int8 conv 1x1 56x56x24->144 reference", |bn| {
        bn.iter(|| qref::conv2d(black_box(&x), &w, Some(&b), &g, &qq))
    });
    // 3x3 28x28x32 -> 32.
    let g = geom(28, 32, 32, 3, 1);
    let (x, w) = (bytes(28 * 28 * 32, 3), bytes(32 * 9 * 32, 4));
    let qq = q(32);
    let p = fast::Packed::new(&w, 32, 9 * 32);
    let rq = fast::Requant::for_gemm(&p, None, &qq);
    c.bench_function("int8 conv 3x3 28x28x32->32 fast", |bn| {
        bn.iter(|| fast::conv2d(black_box(&x), &p, &rq, &g, 3))
    });
    c.bench_function("int8 conv 3x3 28x28x32->32 reference", |bn| {
        bn.iter(|| qref::conv2d(black_box(&x), &w, None, &g, &qq))
    });
    // Depthwise 3x3 112x112x32.
    let g = geom(112, 32, 32, 3, 1);
    let (x, w) = (bytes(112 * 112 * 32, 5), bytes(9 * 32, 6));
    let qq = q(32);
    c.bench_function("int8 depthwise 3x3 112x112x32 fast", |bn| {
        bn.iter(|| fast::depthwise(black_box(&x), &w, None, &g, &qq))
    });
    c.bench_function("int8 depthwise 3x3 112x112x32 reference", |bn| {
        bn.iter(|| qref::depthwise(black_box(&x), &w, None, &g, &qq))
    });
    // Classifier 1280 -> 1000.
    let (x, w) = (bytes(1280, 7), bytes(1280 * 1000, 8));
    let scales = vec![1e-4; 1000];
    c.bench_function("int8 fully connected 1280->1000 fast", |bn| {
        bn.iter(|| {
            fast::fully_connected_double(
                black_box(&x),
                &w,
                None,
                (1, 1280, 1000),
                3,
                &scales,
                0,
                (-128, 127),
            )
        })
    });
    c.bench_function("int8 fully connected 1280->1000 reference", |bn| {
        bn.iter(|| {
            qref::fully_connected_per_channel_double(
                black_box(&x),
                &w,
                None,
                (1, 1280, 1000),
                3,
                &scales,
                0,
                (-128, 127),
            )
        })
    });
}

fn float(c: &mut Criterion) {
    let g = geom(56, 24, 144, 1, 0);
    let (x, w) = (floats(56 * 56 * 24, 1), floats(144 * 24, 2));
    c.bench_function("f32 conv 1x1 56x56x24->144 gemm", |bn| {
        bn.iter(|| conv::conv2d(black_box(&x), &w, None, &g, Act::None, 1))
    });
    let p = pocket_engine::kernels::packed::PackedF32::new(&w, 144, 24);
    c.bench_function("f32 conv 1x1 56x56x24->144 packed", |bn| {
        bn.iter(|| {
            pocket_engine::kernels::packed::conv2d(black_box(&x), &p, None, &g, Act::None, 1)
        })
    });
    c.bench_function("f32 conv 1x1 56x56x24->144 reference", |bn| {
        bn.iter(|| conv::reference::conv2d(black_box(&x), &w, None, &g, false))
    });
    let g = geom(112, 32, 32, 3, 1);
    let (x, w) = (floats(112 * 112 * 32, 5), floats(9 * 32, 6));
    c.bench_function("f32 depthwise 3x3 112x112x32 blocked", |bn| {
        bn.iter(|| conv::depthwise(black_box(&x), &w, None, &g, Act::None, 1))
    });
    c.bench_function("f32 depthwise 3x3 112x112x32 reference", |bn| {
        bn.iter(|| conv::reference::conv2d(black_box(&x), &w, None, &g, true))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = int8, float
}
criterion_main!(benches);
