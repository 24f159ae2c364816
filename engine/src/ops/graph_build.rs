//! How importers, builders and passes add nodes to a graph: shape inference on every node,
//! checked against the declared shapes (or, for placeholders a SHAPE chain computes, replacing
//! them).

use super::{facts, infer};
use crate::error::{Error, Result};
use crate::ir::{DType, Graph, Node, Op, Tensor, TensorId, Value};

/// Largest integer constant decoded for shape inference (shape tensors, axes, paddings).
pub(crate) const SMALL_CONST: usize = 1 << 16;

impl Graph {
    /// Add a node whose output tensors already exist (importers). Runs shape inference and
    /// checks the result against the declared output shapes (dynamic dims excepted).
    pub fn add_node(&mut self, node: Node) -> Result<usize> {
        self.add_node_settling(node, &Default::default(), false)
            .map(|(idx, _)| idx)
    }

    /// [`Graph::add_node`] for a file whose stored shapes may be placeholders for shapes its
    /// SHAPE chains compute at run time: `known` holds values computed from shapes (used as
    /// constants), and with `settle` the inferred shapes replace the declared ones. Returns the
    /// node's index and the outputs whose shape changed.
    pub(crate) fn add_node_settling(
        &mut self,
        node: Node,
        known: &std::collections::HashMap<TensorId, Value>,
        settle: bool,
    ) -> Result<(usize, Vec<TensorId>)> {
        let idx = self.nodes.len();
        let mut changed = Vec::new();
        let label = || {
            if node.name.is_empty() {
                format!("#{idx}")
            } else {
                format!("#{idx} '{}'", node.name)
            }
        };
        for &t in node.inputs.iter().flatten().chain(&node.outputs) {
            if t >= self.tensors.len() {
                return Err(Error::Shape {
                    node: label(),
                    op: node.op.name(),
                    source: format!("tensor index {t} out of range").into(),
                });
            }
        }
        let consts = self.known_values(&node, known);
        let ins = facts(self, &node, &consts);
        let out_dtypes: Vec<DType> = node
            .outputs
            .iter()
            .map(|&o| self.tensors[o].dtype)
            .collect();
        let inferred = infer(&node.op, &ins, &out_dtypes).map_err(|source| Error::Shape {
            node: label(),
            op: node.op.name(),
            source,
        })?;
        if let Some(outs) = inferred {
            if outs.len() != node.outputs.len() {
                return Err(Error::Shape {
                    node: label(),
                    op: node.op.name(),
                    source: format!(
                        "op produces {} outputs, node lists {}",
                        outs.len(),
                        node.outputs.len()
                    )
                    .into(),
                });
            }
            for ((dt, shape), &o) in outs.into_iter().zip(&node.outputs) {
                let t = &mut self.tensors[o];
                let dyn_ok = t.signature.as_ref().is_some_and(|s| s.len() == shape.len());
                let same = t.shape == shape
                    || (dyn_ok
                        && t.signature.as_ref().is_some_and(|s| {
                            s.iter()
                                .zip(&t.shape)
                                .zip(&shape)
                                .all(|((&sg, a), b)| sg < 0 || a == b)
                        }));
                if settle && t.shape != shape {
                    // A placeholder (dynamic dims included): the computed shape replaces it.
                    t.shape = shape.clone();
                    changed.push(o);
                } else if !same && !t.shape.is_empty() {
                    return Err(Error::Shape {
                        node: label(),
                        op: node.op.name(),
                        source: format!(
                            "output '{}' is declared {:?} but the inputs give {:?}",
                            t.name, t.shape, shape
                        )
                        .into(),
                    });
                }
                if t.shape.is_empty() {
                    t.shape = shape;
                }
                if dt != t.dtype {
                    return Err(Error::Shape {
                        node: label(),
                        op: node.op.name(),
                        source: format!(
                            "output '{}' is declared {} but the op gives {}",
                            t.name, t.dtype, dt
                        )
                        .into(),
                    });
                }
            }
        }
        self.nodes.push(node);
        Ok((idx, changed))
    }

    /// Add a node, creating its output tensors from shape inference (builders, passes).
    /// `out_dtypes` gives the output types only for ops that need them (CAST, QUANTIZE).
    pub fn push_node(
        &mut self,
        name: &str,
        op: Op,
        inputs: Vec<Option<TensorId>>,
        out_dtypes: &[DType],
    ) -> Result<Vec<TensorId>> {
        let node = Node {
            name: name.to_string(),
            op,
            inputs,
            outputs: vec![],
            version: None,
        };
        let consts = self.small_consts(&node);
        let ins = facts(self, &node, &consts);
        let outs = infer(&node.op, &ins, out_dtypes)
            .map_err(|source| Error::Shape {
                node: name.to_string(),
                op: node.op.name(),
                source,
            })?
            .ok_or_else(|| Error::Shape {
                node: name.to_string(),
                op: node.op.name(),
                source: "output shape depends on non-constant values".into(),
            })?;
        let n = outs.len();
        let ids: Vec<TensorId> = outs
            .into_iter()
            .enumerate()
            .map(|(i, (dt, shape))| {
                self.add_tensor(Tensor::new(
                    if n == 1 {
                        name.to_string()
                    } else {
                        format!("{name}:{i}")
                    },
                    dt,
                    shape,
                ))
            })
            .collect();
        self.nodes.push(Node {
            outputs: ids.clone(),
            ..node
        });
        Ok(ids)
    }

    /// The small constants of `node`'s inputs, with the values in `known` (computed from
    /// shapes) taking precedence.
    pub(crate) fn known_values(
        &self,
        node: &Node,
        known: &std::collections::HashMap<TensorId, Value>,
    ) -> Vec<(TensorId, Value)> {
        let mut vals = self.small_consts(node);
        for t in node.inputs.iter().flatten() {
            if let Some(v) = known.get(t) {
                vals.retain(|(id, _)| id != t);
                vals.push((*t, v.clone()));
            }
        }
        vals
    }

    pub(crate) fn small_consts(&self, node: &Node) -> Vec<(TensorId, Value)> {
        node.inputs
            .iter()
            .flatten()
            .filter_map(|&t| {
                let tensor = self.tensors.get(t)?;
                let small = tensor.numel() <= SMALL_CONST
                    && matches!(tensor.dtype, DType::I32 | DType::I64 | DType::F32);
                if small {
                    Value::from_const(tensor).map(|v| (t, v))
                } else {
                    None
                }
            })
            .collect()
    }
}
