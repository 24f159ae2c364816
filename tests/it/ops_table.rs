//! The README's supported-ops table is generated from the code; this test fails when it is
//! stale and prints the fresh table (`POCKET_UPDATE_README=1` rewrites it).

use std::collections::BTreeMap;

use pocket_engine::Graph;
use pocket_engine::ir::DType;
use pocket_engine::quant::{self, Io, Mode, QuantHooks, Recipe};
use pocket_tests::cases;

/// Ops of `g` that read or write an int8 tensor, counted into `into`.
fn count_int8(g: &Graph, into: &mut BTreeMap<String, usize>) {
    for n in &g.nodes {
        let int8 = n
            .inputs
            .iter()
            .flatten()
            .chain(&n.outputs)
            .any(|&t| g.tensors[t].dtype == DType::I8 && !g.tensors[t].is_const());
        if int8 {
            *into.entry(n.op.name()).or_default() += 1;
        }
    }
}

/// The table: per TFLite op, the float models of the oracle suite (`cases::all`, each compared
/// with LiteRT), the models whose int8 form runs it on int8 tensors (quantized as
/// `quant_oracle` quantizes them, each output bit-exact with LiteRT's reference kernels), and
/// the dynamic-range models (`cases::hybrid`, int8 weights, compared in `quant`).
fn table() -> String {
    let mut float: BTreeMap<String, usize> = BTreeMap::new();
    let mut int8: BTreeMap<String, usize> = BTreeMap::new();
    let mut hybrid: BTreeMap<String, usize> = BTreeMap::new();
    for c in cases::all() {
        for n in &c.graph.nodes {
            *float.entry(n.op.name()).or_default() += 1;
        }
        let mut data: Vec<quant::Sample> = vec![Ok(c.inputs.clone())];
        data.extend(crate::quant::samples(&c.graph, 7, 11).into_iter().map(Ok));
        let mut r = Recipe::new(Mode::Int8);
        r.io = Io::Int8;
        // Cases the quantizer refuses are listed (with the reason) in quant_oracle.
        if let Ok(q) = quant::quantize(&c.graph, &r, &mut data.into_iter(), &QuantHooks::default())
        {
            count_int8(&q, &mut int8);
        }
    }
    for c in cases::hybrid() {
        let r = Recipe::new(Mode::DynamicRangeInt8);
        if let Ok(q) = quant::quantize(
            &c.graph,
            &r,
            &mut std::iter::empty(),
            &QuantHooks::default(),
        ) {
            for n in &q.nodes {
                let int8_weights = n
                    .inputs
                    .iter()
                    .flatten()
                    .any(|&t| q.tensors[t].dtype == DType::I8 && q.tensors[t].is_const());
                if int8_weights {
                    *hybrid.entry(n.op.name()).or_default() += 1;
                }
            }
        }
    }
    let cell = |m: &BTreeMap<String, usize>, op: &str| {
        m.get(op).map_or("—".to_string(), |n| n.to_string())
    };
    let mut s =
        String::from("| TFLite op | float32 | int8 | dynamic-range int8 |\n|---|---|---|---|\n");
    let ops: std::collections::BTreeSet<&String> = float
        .keys()
        .chain(int8.keys())
        .chain(hybrid.keys())
        .collect();
    for op in ops {
        s.push_str(&format!(
            "| {op} | {} | {} | {} |\n",
            cell(&float, op),
            cell(&int8, op),
            cell(&hybrid, op)
        ));
    }
    s
}

#[test]
fn readme_ops_table_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let (start, end) = ("<!-- ops-table:start -->\n", "<!-- ops-table:end -->");
    let t = table();
    let i = readme
        .find(start)
        .expect("README has an ops-table:start marker")
        + start.len();
    let j = readme
        .find(end)
        .expect("README has an ops-table:end marker");
    if std::env::var("POCKET_UPDATE_README").is_ok_and(|v| v == "1") {
        std::fs::write(&path, format!("{}{t}{}", &readme[..i], &readme[j..]))
            .expect("write README");
        return;
    }
    assert_eq!(
        &readme[i..j],
        t,
        "README ops table is stale; replace it with:\n{t}"
    );
}

/// Every builtin op the reader decodes is exported, evaluated and compared with LiteRT by at
/// least one model of the suite.
#[test]
fn every_decodable_op_is_in_the_oracle_suite() {
    use pocket_engine::formats::tflite::schema;
    let covered: std::collections::BTreeSet<String> = cases::all()
        .iter()
        .flat_map(|c| c.graph.nodes.iter().map(|n| n.op.name()))
        .collect();
    let mut missing = Vec::new();
    for code in 0..=200 {
        if let Ok(Some(op)) = schema::decode(code, None) {
            // Both pool kinds, all reduce kinds etc. decode from distinct codes.
            if !covered.contains(&op.name()) {
                missing.push(op.name());
            }
            let (c, _, _) = schema::encode(&op).expect("every decodable op encodes");
            assert_eq!(c, code, "{} encodes to another code", op.name());
        }
    }
    assert!(
        missing.is_empty(),
        "ops without oracle coverage: {missing:?}"
    );
}
