//! The registry of ONNX op translations. Each family file declares a table of [`OpSpec`]s: the
//! ONNX op, its domain, the model opsets the translation is right for, the input/output arity,
//! the attributes it reads (with their defaults) or only accepts at one value, and the
//! `import_<op>` function. Everything else is derived from those tables: the supported-op list
//! ([`supported`], the README's ONNX op list), the "unsupported ops" scan, and the generic
//! checks ([`validate`]) that run before an import function sees a node.
//!
//! Invariant: an op appears in several rows only when its ONNX versions differ in a way the
//! translation cares about (inputs that were attributes, changed defaults); rows of one op never
//! overlap in opset, and every row's opset range lies inside [`super::import::OPSET`].

use std::ops::RangeInclusive;

use super::ctx::{Ctx, Node, NodeResult};
use super::error::NodeError;
use crate::ir::TensorId;

mod bounds;
mod constant;
pub(crate) mod control;
mod conv;
mod conv3d;
mod conv_transpose;
mod einsum;
mod elementwise;
mod logic;
mod movement;
mod movement2;
mod nms;
mod norm;
mod pool;
mod pool_taps;
mod qop;
mod quant;
mod reduce;
mod resize;
mod resize_exact;
mod scatter;
mod sequence;
mod shape;
mod unroll;
mod while_loop;

pub(crate) use logic::fuse_gelu;

/// An `import_<op>` function: the node's output tensors, one per ONNX output it fills.
pub(crate) type ImportFn = fn(&mut Ctx<'_>, &Node<'_>) -> NodeResult<Vec<TensorId>>;

/// Default value of an attribute.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum AttrDefault {
    /// Integer default.
    Int(i64),
    /// Float default.
    Float(f32),
    /// String default.
    Str(&'static str),
    /// No default: optional (lists, tensors) or required.
    None,
}

/// An attribute the translation reads (or accepts only at its default, `only`).
#[derive(Debug)]
pub(crate) struct AttrSpec {
    /// ONNX attribute name.
    pub name: &'static str,
    /// Value when the node does not set it.
    pub default: AttrDefault,
    /// The node may set it only to `default` (other values change the op's meaning in a way the
    /// translation does not handle).
    pub only: bool,
}

/// An attribute read with a default.
pub(crate) const fn int(name: &'static str, v: i64) -> AttrSpec {
    AttrSpec {
        name,
        default: AttrDefault::Int(v),
        only: false,
    }
}
/// A float attribute read with a default.
pub(crate) const fn float(name: &'static str, v: f32) -> AttrSpec {
    AttrSpec {
        name,
        default: AttrDefault::Float(v),
        only: false,
    }
}
/// A string attribute read with a default.
pub(crate) const fn string(name: &'static str, v: &'static str) -> AttrSpec {
    AttrSpec {
        name,
        default: AttrDefault::Str(v),
        only: false,
    }
}
/// An optional attribute without default (lists, tensors) read when present.
pub(crate) const fn opt(name: &'static str) -> AttrSpec {
    AttrSpec {
        name,
        default: AttrDefault::None,
        only: false,
    }
}
/// An integer attribute accepted only at its default.
pub(crate) const fn only_int(name: &'static str, v: i64) -> AttrSpec {
    AttrSpec {
        name,
        default: AttrDefault::Int(v),
        only: true,
    }
}

/// Any number of inputs or outputs from `n` on.
pub(crate) const MANY: usize = usize::MAX;

/// One ONNX op (for a range of opsets) and its translation.
#[derive(Debug)]
pub(crate) struct OpSpec {
    /// ONNX op type.
    pub name: &'static str,
    /// Operator-set domain (`""` is `ai.onnx`).
    pub domain: &'static str,
    /// Model opsets this row translates correctly.
    pub opsets: RangeInclusive<i64>,
    /// Input slots (optional trailing inputs may be absent or empty).
    pub inputs: RangeInclusive<usize>,
    /// Required leading inputs (non-empty names).
    pub required: usize,
    /// Output slots.
    pub outputs: RangeInclusive<usize>,
    /// Attributes read or restricted.
    pub attrs: &'static [AttrSpec],
    /// The translation.
    pub import: ImportFn,
}

/// Shorthand for a table row in the default domain.
pub(crate) const fn spec(
    name: &'static str,
    opsets: RangeInclusive<i64>,
    inputs: RangeInclusive<usize>,
    outputs: RangeInclusive<usize>,
    attrs: &'static [AttrSpec],
    import: ImportFn,
) -> OpSpec {
    OpSpec {
        name,
        domain: "",
        required: *inputs.start(),
        opsets,
        inputs,
        outputs,
        attrs,
        import,
    }
}

/// Every family's table.
const FAMILIES: &[&[OpSpec]] = &[
    conv::OPS,
    elementwise::OPS,
    pool::OPS,
    shape::OPS,
    movement::OPS,
    movement2::OPS,
    norm::OPS,
    scatter::OPS,
    nms::OPS,
    constant::OPS,
    reduce::OPS,
    resize::OPS,
    quant::OPS,
    qop::OPS,
    logic::OPS,
    sequence::OPS,
    einsum::OPS,
    control::OPS,
    unroll::OPS,
];

fn all() -> impl Iterator<Item = &'static OpSpec> {
    FAMILIES.iter().flat_map(|f| f.iter())
}

/// `""` and `"ai.onnx"` are the same domain.
fn same_domain(a: &str, b: &str) -> bool {
    fn norm(d: &str) -> &str {
        if d == "ai.onnx" { "" } else { d }
    }
    norm(a) == norm(b)
}

/// The translation of `domain.name` for a model of `opset`.
pub(crate) fn lookup(domain: &str, name: &str, opset: i64) -> Option<&'static OpSpec> {
    all().find(|s| s.name == name && same_domain(s.domain, domain) && s.opsets.contains(&opset))
}

/// Whether some opset has a translation of `domain.name`.
pub(crate) fn known(domain: &str, name: &str) -> bool {
    all().any(|s| s.name == name && same_domain(s.domain, domain))
}

/// The ONNX ops with a translation, in table order, each once.
pub fn supported() -> impl Iterator<Item = &'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for s in all() {
        if !names.contains(&s.name) {
            names.push(s.name);
        }
    }
    names.into_iter()
}

/// The generic checks of a node against its row: arity, required inputs, restricted
/// attributes. Runs before the import function.
pub(crate) fn validate(spec: &OpSpec, n: &Node<'_>) -> NodeResult<()> {
    let arity = |what, got, want: &RangeInclusive<usize>| {
        if want.contains(&got) {
            Ok(())
        } else {
            Err(NodeError::Arity {
                what,
                got,
                want: want.clone(),
            })
        }
    };
    arity("inputs", n.inputs(), &spec.inputs)?;
    arity("outputs", n.outputs(), &spec.outputs)?;
    if let Some(i) = n
        .proto
        .input
        .iter()
        .take(spec.required)
        .position(String::is_empty)
    {
        return Err(NodeError::MissingInput(i));
    }
    for a in spec.attrs.iter().filter(|a| a.only && n.has(a.name)) {
        let ok = match a.default {
            AttrDefault::Int(v) => n.i(a.name)? == v,
            AttrDefault::Str(v) => n.s(a.name)? == v,
            AttrDefault::Float(v) => n.f(a.name)? == v,
            AttrDefault::None => false,
        };
        if !ok {
            return Err(NodeError::BadAttribute {
                attr: a.name.into(),
                why: format!("only the default {:?} is supported", a.default),
            });
        }
    }
    Ok(())
}

/// Run the node's translation after the generic checks.
pub(crate) fn import_node(
    ctx: &mut Ctx<'_>,
    n: &Node<'_>,
    spec: &OpSpec,
) -> NodeResult<Vec<TensorId>> {
    validate(spec, n)?;
    (spec.import)(ctx, n)
}

#[cfg(test)]
#[allow(
    clippy::expect_used,
    reason = "a failing test should stop at the failing step"
)]
mod tests {
    use super::*;
    use crate::formats::onnx::import::OPSET;

    #[test]
    fn rows_are_consistent() {
        for s in all() {
            assert!(
                OPSET.contains(s.opsets.start()) && OPSET.contains(s.opsets.end()),
                "{} claims opsets {:?} outside {OPSET:?}",
                s.name,
                s.opsets
            );
            assert!(s.required <= *s.inputs.end(), "{}", s.name);
            for t in all().filter(|t| t.name == s.name && !std::ptr::eq(*t, s)) {
                assert!(
                    t.opsets.end() < s.opsets.start() || s.opsets.end() < t.opsets.start(),
                    "{}: rows overlap ({:?} and {:?})",
                    s.name,
                    s.opsets,
                    t.opsets
                );
            }
        }
        assert!(lookup("", "Conv", 13).is_some());
        assert!(lookup("ai.onnx", "Conv", 13).is_some());
        assert!(lookup("com.microsoft", "Conv", 13).is_none());
        assert!(
            lookup("", "HardSwish", 13).is_none(),
            "HardSwish is opset 14+"
        );
        assert!(lookup("", "Erf", 8).is_none(), "Erf is opset 9+");
    }

    /// The README's ONNX paragraph lists exactly the registry's ops and opset range.
    #[test]
    fn readme_onnx_op_list_matches_the_registry() {
        let ops: Vec<&str> = supported().collect();
        let expected = format!(
            "{} ONNX ops translate to the TFLite-style engine ops ({};",
            ops.len(),
            ops.join(", ")
        );
        let opsets = format!("opset {}–{}", OPSET.start(), OPSET.end());
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");
        let readme = std::fs::read_to_string(path).expect("README.md");
        let flat = readme.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains(&expected),
            "README's ONNX op list is stale; it should read (wrapped as you like):\n{expected}"
        );
        assert!(
            flat.contains(&format!("others, {opsets})")),
            "README's ONNX paragraph should say ({opsets})"
        );
    }
}
