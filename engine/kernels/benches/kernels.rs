//! Kernel benchmarks, each entry of the kernel table at this CPU's level next to its reference
//! twin (criterion). Not a test: run `cargo bench -p pocket-kernels --bench kernels` and compare
//! with the previous run. Shapes are MobileNetV2 layers (112×112×32 stride-1 depthwise, 56×56
//! 1×1 expansion, a 3×3 convolution) and its classifier.

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use pocket_kernels::act::Act;
use pocket_kernels::int8::params::{Activation, ConvQuant};
use pocket_kernels::{ConvGeom, Kernels, conv, kernels, table};

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

fn out_len(g: &ConvGeom) -> usize {
    g.n * g.out_hwc.iter().product::<usize>()
}

/// The process table (fast) and the reference table, labelled.
fn tables() -> [(&'static str, Kernels); 2] {
    [("fast", *kernels()), ("reference", table::generic())]
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
    for (name, t) in tables() {
        // 1x1 expansion 56x56x24 -> 144.
        let g = geom(56, 24, 144, 1, 0);
        let (x, w) = (bytes(56 * 56 * 24, 1), bytes(144 * 24, 2));
        let b: Vec<i32> = (0..144).map(|i| i * 10).collect();
        let k = (t.q_conv)(&w, Some(&b), &g, &q(144));
        let mut out = vec![0i8; out_len(&g)];
        c.bench_function(&format!("int8 conv 1x1 56x56x24->144 {name}"), |bn| {
            bn.iter(|| k.run(black_box(&x), &g, &mut out))
        });
        // 3x3 28x28x32 -> 32.
        let g = geom(28, 32, 32, 3, 1);
        let (x, w) = (bytes(28 * 28 * 32, 3), bytes(32 * 9 * 32, 4));
        let k = (t.q_conv)(&w, None, &g, &q(32));
        let mut out = vec![0i8; out_len(&g)];
        c.bench_function(&format!("int8 conv 3x3 28x28x32->32 {name}"), |bn| {
            bn.iter(|| k.run(black_box(&x), &g, &mut out))
        });
        // Depthwise 3x3 112x112x32.
        let g = geom(112, 32, 32, 3, 1);
        let (x, w) = (bytes(112 * 112 * 32, 5), bytes(9 * 32, 6));
        let k = (t.q_depthwise)(&w, None, &g, &q(32));
        let mut out = vec![0i8; out_len(&g)];
        c.bench_function(&format!("int8 depthwise 3x3 112x112x32 {name}"), |bn| {
            bn.iter(|| k.run(black_box(&x), &g, &mut out))
        });
        // Classifier 1280 -> 1000.
        let (x, w) = (bytes(1280, 7), bytes(1280 * 1000, 8));
        let scales = vec![1e-4; 1000];
        let mut out = vec![0i8; 1000];
        c.bench_function(&format!("int8 fully connected 1280->1000 {name}"), |bn| {
            bn.iter(|| {
                (t.q_fully_connected)(
                    (black_box(&x), &w, None, (1, 1280, 1000)),
                    3,
                    &scales,
                    0,
                    (-128, 127),
                    &mut out,
                )
            })
        });
    }
}

fn float(c: &mut Criterion) {
    let g = geom(56, 24, 144, 1, 0);
    let (x, w) = (floats(56 * 56 * 24, 1), floats(144 * 24, 2));
    let mut out = vec![0f32; out_len(&g)];
    c.bench_function("f32 conv 1x1 56x56x24->144 gemm", |bn| {
        bn.iter(|| conv::conv2d(black_box(&x), &w, None, &g, Act::None, &mut out))
    });
    for (name, t) in tables() {
        let k = (t.f32_conv)(&w, 144, 24);
        c.bench_function(&format!("f32 conv 1x1 56x56x24->144 packed {name}"), |bn| {
            bn.iter(|| k.run(black_box(&x), None, &g, Act::None, &mut out))
        });
    }
    let g = geom(112, 32, 32, 3, 1);
    let (x, w) = (floats(112 * 112 * 32, 5), floats(9 * 32, 6));
    let mut out = vec![0f32; out_len(&g)];
    for (name, t) in tables() {
        c.bench_function(&format!("f32 depthwise 3x3 112x112x32 {name}"), |bn| {
            bn.iter(|| (t.f32_depthwise)(black_box(&x), &w, None, &g, Act::None, &mut out))
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = int8, float
}
criterion_main!(benches);
