//! Shape re-inference for new input sizes (a TFLite model's free dimensions resized, as
//! LiteRT's `resize_tensor_input` does): every node's shape inference reruns in order and its
//! output shapes are replaced, so MACs, memory and output shapes follow. Small integer values
//! computed from shapes (SHAPE, and the STRIDED_SLICE / PACK / CONCATENATION / arithmetic
//! chains that feed a RESHAPE) are propagated by evaluating those nodes on their known inputs.

use std::collections::HashMap;

use super::{EvalCtx, Fact, In, SMALL_CONST, eval, facts, infer};
use crate::error::{Error, Result};
use crate::ir::{DType, Data, Graph, Op, TensorId, Value};

impl Graph {
    /// Give graph input `i` the shape `sizes[i]` and rerun shape inference through the graph.
    /// Fails, naming the node, where an op's output shape depends on a value only known at
    /// run time, or where the new sizes do not fit an op.
    pub fn reinfer(&mut self, sizes: &[Vec<usize>]) -> Result<()> {
        if sizes.len() != self.inputs.len() {
            return Err(Error::Graph(crate::error::GraphError::Tensor(format!(
                "{} input shapes given for {} inputs",
                sizes.len(),
                self.inputs.len()
            ))));
        }
        let mut changed = vec![false; self.tensors.len()];
        for (&t, s) in self.inputs.iter().zip(sizes) {
            let tensor = &mut self.tensors[t];
            if tensor.shape != *s {
                if tensor.shape.len() != s.len() {
                    return Err(Error::Graph(crate::error::GraphError::Tensor(format!(
                        "input '{}' has {} dimensions, {} given",
                        tensor.name,
                        tensor.shape.len(),
                        s.len()
                    ))));
                }
                tensor.shape = s.clone();
                changed[t] = true;
            }
        }
        // Values derived from the input shapes (not constants of the file).
        let mut known: HashMap<TensorId, Value> = HashMap::new();
        for idx in 0..self.nodes.len() {
            let node = self.nodes[idx].clone();
            let label = || {
                if node.name.is_empty() {
                    format!("#{idx}")
                } else {
                    format!("#{idx} '{}'", node.name)
                }
            };
            let vals = self.known_values(&node, &known);
            let ins = facts(self, &node, &vals);
            let out_dtypes: Vec<DType> = node
                .outputs
                .iter()
                .map(|&o| self.tensors[o].dtype)
                .collect();
            let input_changed = node.inputs.iter().flatten().any(|&t| changed[t]);
            let shape_err = |source| Error::Shape {
                node: label(),
                op: node.op.name(),
                source,
            };
            let inferred = infer(&node.op, &ins, &out_dtypes).map_err(shape_err)?;
            // SHAPE always gives its value: a converter may store a placeholder shape (`[1, 1]`)
            // for a RESHAPE whose target a SHAPE chain computes at run time.
            let values = if input_changed || matches!(node.op, Op::Shape { .. }) {
                propagate(self, &node, &ins)
            } else {
                None
            };
            drop(ins);
            match inferred {
                Some(outs) if outs.len() == node.outputs.len() => {
                    for ((_, shape), &o) in outs.into_iter().zip(&node.outputs) {
                        let t = &mut self.tensors[o];
                        if t.shape != shape {
                            t.shape = shape;
                            changed[o] = true;
                        }
                    }
                }
                Some(outs) => {
                    return Err(shape_err(
                        format!(
                            "op produces {} outputs, node lists {}",
                            outs.len(),
                            node.outputs.len()
                        )
                        .into(),
                    ));
                }
                None if input_changed => {
                    return Err(shape_err(
                        "its output shape depends on values computed at run time, so the \
                         graph cannot be resized to these input sizes"
                            .into(),
                    ));
                }
                None => {}
            }
            if let Some(outs) = values {
                for (v, &o) in outs.into_iter().zip(&node.outputs) {
                    changed[o] = true;
                    known.insert(o, v);
                }
            }
        }
        Ok(())
    }
}

/// [`propagate`] for node `n` of `g`, its inputs' values from `known` and the constants.
pub(crate) fn propagate_known(
    g: &Graph,
    n: &crate::ir::Node,
    known: &HashMap<TensorId, Value>,
) -> Option<Vec<Value>> {
    let vals = g.known_values(n, known);
    propagate(g, n, &facts(g, n, &vals))
}

/// The values of a node's outputs when they follow from known small inputs (shape
/// arithmetic); `None` otherwise.
pub(crate) fn propagate(
    g: &Graph,
    node: &crate::ir::Node,
    ins: &[Option<Fact<'_>>],
) -> Option<Vec<Value>> {
    if let Op::Shape { output_type } = node.op {
        let x = ins.first().copied().flatten()?;
        let d: Vec<i64> = x.shape.iter().map(|&v| v as i64).collect();
        let data = if output_type == DType::I64 {
            Data::I64(d)
        } else {
            Data::I32(d.into_iter().map(|v| v as i32).collect())
        };
        return Some(vec![Value::new(vec![x.shape.len()], data)]);
    }
    let small_int = |f: &Fact<'_>| {
        matches!(f.dtype, DType::I32 | DType::I64)
            && f.value.is_some_and(|v| v.numel() <= SMALL_CONST)
    };
    if ins.iter().flatten().any(|f| !small_int(f)) || ins.iter().flatten().next().is_none() {
        return None;
    }
    let args: Vec<Option<In<'_>>> = ins
        .iter()
        .map(|f| f.and_then(|f| f.value).map(In::Ref))
        .collect();
    let ctx = EvalCtx::for_node(g, node, 1);
    eval(&node.op, args, &ctx).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use crate::ir::*;

    fn ints(g: &mut Graph, name: &str, v: &[i32]) -> TensorId {
        let mut t = Tensor::new(name, DType::I32, vec![v.len()]);
        t.data = Some(Bytes::from_vec(
            v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        ));
        g.add_tensor(t)
    }

    /// x [N, 8] -> SHAPE -> STRIDED_SLICE [0:1] -> CONCATENATION with [2, 4] -> RESHAPE x.
    #[test]
    fn shape_chains_feeding_reshape_follow_the_new_batch() {
        let mut g = Graph::default();
        let mut x = Tensor::new("x", DType::F32, vec![1, 8]);
        x.signature = Some(vec![-1, 8]);
        let x = g.add_tensor(x);
        g.inputs.push(x);
        let s = g
            .push_node(
                "s",
                Op::Shape {
                    output_type: DType::I32,
                },
                vec![Some(x)],
                &[],
            )
            .unwrap()[0];
        let (b, e, st) = (
            ints(&mut g, "b", &[0]),
            ints(&mut g, "e", &[1]),
            ints(&mut g, "st", &[1]),
        );
        let n = g
            .push_node(
                "n",
                Op::StridedSlice(StridedSlice::default()),
                vec![Some(s), Some(b), Some(e), Some(st)],
                &[],
            )
            .unwrap()[0];
        let rest = ints(&mut g, "rest", &[2, 4]);
        let shape = g
            .push_node(
                "c",
                Op::Concatenation {
                    axis: 0,
                    act: Activation::None,
                },
                vec![Some(n), Some(rest)],
                &[],
            )
            .unwrap()[0];
        let y = g.add_tensor(Tensor::new("y", DType::F32, vec![1, 2, 4]));
        g.add_node(Node {
            name: "r".into(),
            op: Op::Reshape { new_shape: None },
            inputs: vec![Some(x), Some(shape)],
            outputs: vec![y],
            version: None,
        })
        .unwrap();
        g.outputs.push(y);
        g.reinfer(&[vec![3, 8]]).unwrap();
        assert_eq!(g.tensors[y].shape, vec![3, 2, 4]);
        assert_eq!(g.tensors[shape].shape, vec![3]);
        // A width that does not fit the reshape names the node.
        let e = g.reinfer(&[vec![3, 9]]).unwrap_err();
        assert!(e.chain().contains("'r' (RESHAPE)"), "{}", e.chain());
    }

    /// A converter's placeholder shape (`[1, 1]`) behind a RESHAPE that a SHAPE chain feeds
    /// is replaced with the computed one when the file is read, downstream shapes too.
    #[test]
    fn placeholder_shapes_behind_shape_chains_settle_on_read() {
        let mut g = Graph::default();
        let x = g.add_tensor(Tensor::new("x", DType::F32, vec![1, 4, 8]));
        g.inputs.push(x);
        let s = g
            .push_node(
                "s",
                Op::Shape {
                    output_type: DType::I32,
                },
                vec![Some(x)],
                &[],
            )
            .unwrap()[0];
        let (b, e, st) = (
            ints(&mut g, "b", &[1]),
            ints(&mut g, "e", &[2]),
            ints(&mut g, "st", &[1]),
        );
        let n = g
            .push_node(
                "n",
                Op::StridedSlice(StridedSlice::default()),
                vec![Some(s), Some(b), Some(e), Some(st)],
                &[],
            )
            .unwrap()[0];
        let rest = ints(&mut g, "rest", &[8]);
        let shape = g
            .push_node(
                "c",
                Op::Concatenation {
                    axis: 0,
                    act: Activation::None,
                },
                vec![Some(n), Some(rest)],
                &[],
            )
            .unwrap()[0];
        let y = g.add_tensor(Tensor::new("y", DType::F32, vec![1, 1]));
        g.add_node(Node {
            name: "r".into(),
            op: Op::Reshape { new_shape: None },
            inputs: vec![Some(x), Some(shape)],
            outputs: vec![y],
            version: None,
        })
        .unwrap();
        let z = g.add_tensor(Tensor::new("z", DType::F32, vec![1, 1]));
        g.add_node(Node {
            name: "sq".into(),
            op: Op::Math(MathKind::Square),
            inputs: vec![Some(y)],
            outputs: vec![z],
            version: None,
        })
        .unwrap();
        g.outputs.push(z);
        let back =
            crate::formats::tflite::read_bytes(crate::formats::tflite::to_bytes(&g).unwrap())
                .unwrap();
        assert_eq!(back.tensors[y].shape, vec![4, 8]);
        assert_eq!(back.tensors[z].shape, vec![4, 8]);
        let x = Value::f32(vec![1, 4, 8], (0..32).map(|v| v as f32).collect());
        let out = crate::Session::new(&back, &Default::default())
            .unwrap()
            .run(vec![x])
            .unwrap();
        assert_eq!(out[0].shape, vec![4, 8]);
    }
}
