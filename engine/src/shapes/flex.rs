//! Exports that keep a model's flexibility: every tensor whose size follows a free input
//! dimension gets `-1` in its shape signature, so LiteRT's `resize_tensor_input` works on the
//! written file. The dimensions that follow are found by re-inferring the graph's shapes at
//! other sizes of its free dimensions (twice and four times the chosen ones) and marking the
//! axes that change. Where the graph cannot be resized (a shape was folded into a constant at
//! the chosen size), every signature is dropped instead of writing a wrong one, and the
//! reason is returned for the user.

use crate::ir::Graph;

/// What [`keep_flexible`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Flex {
    /// The inputs have no free dimensions: nothing to keep.
    Static,
    /// Shape signatures were set: `tensors` tensors (inputs included) carry a `-1`.
    Flexible {
        /// Tensors with at least one `-1`.
        tensors: usize,
        /// The free dimensions kept, by name.
        dims: Vec<String>,
    },
    /// The graph only works at the chosen sizes; its signatures were removed.
    Fixed {
        /// The sizes it is fixed at, as the user reads them (`x [1, 3, 32, 32]`).
        at: String,
        /// Why, in the user's words.
        why: String,
    },
}

impl Flex {
    /// A line for the user (`None` when the model has no free dimensions).
    pub fn describe(&self) -> Option<String> {
        match self {
            Flex::Static => None,
            Flex::Flexible { tensors, dims } => Some(format!(
                "free dimensions {} kept: {tensors} tensors carry a shape signature with -1, \
                 so the file can be resized (LiteRT resize_tensor_input)",
                dims.join(", ")
            )),
            Flex::Fixed { at, why } => Some(format!(
                "the export is fixed at {at} and cannot be resized: {why}"
            )),
        }
    }
}

/// The graph's inputs as the user reads them: `x [1, 3, 32, 32]`.
fn sizes_text(g: &Graph) -> String {
    g.inputs
        .iter()
        .enumerate()
        .filter_map(|(i, &t)| g.tensors.get(t).map(|t| (i, t)))
        .map(|(i, t)| format!("{} {:?}", g.input_name(i), t.shape))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The input sizes with every free dimension multiplied by `factor` (`None` on overflow).
fn scaled(g: &Graph, factor: usize) -> Option<Vec<Vec<usize>>> {
    g.inputs
        .iter()
        .map(|&t| {
            let t = g.tensors.get(t)?;
            t.shape
                .iter()
                .enumerate()
                .map(|(axis, &d)| match t.dim_name(axis) {
                    Some(_) => d
                        .max(1)
                        .checked_mul(factor)
                        .filter(|&v| v <= i32::MAX as usize),
                    None => Some(d),
                })
                .collect()
        })
        .collect()
}

/// Drop every shape signature of `g` (inputs included): the file is then what it is, a model
/// of the chosen sizes.
pub fn fix_sizes(g: &mut Graph) {
    // Tensors sized by the data keep their marks: no input size fixes them.
    for t in g.tensors.iter_mut().filter(|t| !t.is_data_sized()) {
        t.signature = None;
        t.dim_names.clear();
    }
}

/// Drop every signature of `g` for the reason `why`, saying at which sizes it is fixed
/// (nothing to say when `g` has no free dimensions).
pub fn fixed(g: &mut Graph, why: &str) -> Flex {
    if !g
        .tensors
        .iter()
        .any(|t| t.has_dynamic_dims() && !t.is_data_sized())
    {
        return Flex::Static;
    }
    let at = sizes_text(g);
    fix_sizes(g);
    Flex::Fixed {
        at,
        why: why.to_string(),
    }
}

/// Give every tensor of `g` whose size follows a free input dimension a shape signature with
/// `-1` on those axes (see the module doc). Returns what it did; on [`Flex::Fixed`] every
/// signature has been removed.
pub fn keep_flexible(g: &mut Graph) -> Flex {
    let free: Vec<String> = {
        let dims = super::input_dims(g);
        super::free_dims(&dims)
            .into_iter()
            .map(|f| f.name)
            .collect()
    };
    if free.is_empty() {
        return Flex::Static;
    }
    let at = sizes_text(g);
    let fixed = |g: &mut Graph, why: String| {
        fix_sizes(g);
        Flex::Fixed {
            at: at.clone(),
            why,
        }
    };
    let mut others: Vec<Graph> = Vec::new();
    for factor in [2, 4] {
        let Some(sizes) = scaled(g, factor) else {
            continue;
        };
        let mut h = g.clone();
        match h.reinfer(&sizes) {
            Ok(()) => others.push(h),
            // The first other size must work; a later one may hit a limit of the model.
            Err(e) if others.is_empty() => {
                return fixed(
                    g,
                    format!(
                        "its shapes do not follow the inputs to other sizes ({})",
                        e.chain()
                    ),
                );
            }
            Err(_) => {}
        }
    }
    if others.is_empty() {
        return fixed(g, "its sizes are too large to resize".into());
    }
    let mut marked = 0;
    for (id, t) in g.tensors.iter_mut().enumerate() {
        if t.data.is_some() || t.is_data_sized() {
            continue;
        }
        let mut sig: Vec<i32> = t
            .shape
            .iter()
            .map(|&d| i32::try_from(d).unwrap_or(i32::MAX))
            .collect();
        let mut any = false;
        for h in &others {
            let Some(o) = h.tensors.get(id) else { continue };
            if o.shape.len() != t.shape.len() {
                let name = t.name.clone();
                return fixed(
                    g,
                    format!("tensor '{name}' changes rank with the input sizes"),
                );
            }
            for ((s, a), b) in sig.iter_mut().zip(&t.shape).zip(&o.shape) {
                if a != b {
                    *s = -1;
                    any = true;
                }
            }
        }
        // Inputs keep their own signature (it names the free axes even where a size stayed).
        if g.inputs.contains(&id) {
            marked += usize::from(t.has_dynamic_dims());
            continue;
        }
        t.signature = any.then_some(sig);
        marked += usize::from(any);
    }
    Flex::Flexible {
        tensors: marked,
        dims: free,
    }
}

/// Why a graph imported at two sizes is not the same graph apart from its shapes: constants
/// that differ (shape arithmetic folded at the chosen size) or a different structure. `None`
/// when only shapes differ, so [`keep_flexible`] may mark them.
pub fn differs_beyond_shapes(a: &Graph, b: &Graph) -> Option<String> {
    if a.tensors.len() != b.tensors.len() || a.nodes.len() != b.nodes.len() {
        return Some(format!(
            "the graph built at other sizes has a different structure ({} vs {} nodes)",
            a.nodes.len(),
            b.nodes.len()
        ));
    }
    for (na, nb) in a.nodes.iter().zip(&b.nodes) {
        if na.op != nb.op || na.inputs != nb.inputs || na.outputs != nb.outputs {
            return Some(format!(
                "node '{}' ({}) is built differently at other sizes",
                na.name,
                na.op.name()
            ));
        }
    }
    for (id, (ta, tb)) in a.tensors.iter().zip(&b.tensors).enumerate() {
        let (Some(da), Some(db)) = (&ta.data, &tb.data) else {
            if ta.data.is_some() != tb.data.is_some() {
                return Some(format!(
                    "tensor '{}' is a constant at one size only",
                    ta.name
                ));
            }
            continue;
        };
        if da.as_slice() != db.as_slice() || ta.shape != tb.shape {
            let reader = a
                .nodes
                .iter()
                .find(|n| n.inputs.contains(&Some(id)))
                .map(|n| format!(" read by '{}' ({})", n.name, n.op.name()))
                .unwrap_or_default();
            return Some(format!(
                "shape arithmetic was folded at the chosen size into the constant '{}'{reader}",
                ta.name
            ));
        }
    }
    None
}

#[cfg(test)]
#[allow(
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a failing test should stop at the failing step"
)]
mod tests {
    use super::*;
    use crate::ir::*;

    fn conv_graph(reshape_to: Option<Vec<i32>>) -> Graph {
        let mut g = Graph::default();
        let mut x = Tensor::new("x", DType::F32, vec![1, 8, 8, 3]);
        x.signature = Some(vec![-1, -1, -1, 3]);
        let x = g.add_tensor(x);
        g.inputs.push(x);
        let mut w = Tensor::new("w", DType::F32, vec![4, 3, 3, 3]);
        w.data = Some(Bytes::from_vec(vec![0; 4 * 27 * 4]));
        let w = g.add_tensor(w);
        let mut b = Tensor::new("b", DType::F32, vec![4]);
        b.data = Some(Bytes::from_vec(vec![0; 16]));
        let b = g.add_tensor(b);
        let y = g
            .push_node(
                "conv",
                Op::Conv2d(Conv2d {
                    padding: Padding::Same,
                    stride: [2, 2],
                    dilation: [1, 1],
                    act: Activation::None,
                }),
                vec![Some(x), Some(w), Some(b)],
                &[],
            )
            .expect("conv")[0];
        let y = match reshape_to {
            None => y,
            Some(s) => {
                let mut t = Tensor::new("shape", DType::I32, vec![s.len()]);
                t.data = Some(Bytes::from_vec(
                    s.iter().flat_map(|v| v.to_le_bytes()).collect(),
                ));
                let st = g.add_tensor(t);
                g.push_node(
                    "flat",
                    Op::Reshape { new_shape: None },
                    vec![Some(y), Some(st)],
                    &[],
                )
                .expect("reshape")[0]
            }
        };
        g.outputs.push(y);
        g
    }

    #[test]
    fn dims_that_follow_free_inputs_are_marked() {
        let mut g = conv_graph(None);
        let f = keep_flexible(&mut g);
        assert!(matches!(f, Flex::Flexible { tensors: 2, .. }), "{f:?}");
        let out = &g.tensors[g.outputs[0]];
        assert_eq!(out.shape, vec![1, 4, 4, 4]);
        assert_eq!(out.signature, Some(vec![-1, -1, -1, 4]));
    }

    #[test]
    fn a_shape_folded_at_the_chosen_size_fixes_the_export() {
        let mut g = conv_graph(Some(vec![1, 64]));
        let f = keep_flexible(&mut g);
        let Flex::Fixed { at, why } = &f else {
            panic!("{f:?}")
        };
        assert_eq!(at, "x [1, 8, 8, 3]");
        assert!(why.contains("'flat'"), "{why}");
        assert!(g.tensors.iter().all(|t| t.signature.is_none()));
        // A folded shape with -1 works at every size: [N*H/2*W/2, 4].
        let mut g = conv_graph(Some(vec![-1, 4]));
        let f = keep_flexible(&mut g);
        assert!(matches!(f, Flex::Flexible { .. }), "{f:?}");
        assert_eq!(g.tensors[g.outputs[0]].signature, Some(vec![-1, 4]));
    }
}
