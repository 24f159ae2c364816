//! Control flow and resource variables: the kept TFLite builtins the session runs itself
//! rather than through a kernel (VAR_HANDLE, READ_VARIABLE, ASSIGN_VARIABLE, CALL_ONCE, IF,
//! WHILE, CALL). They are decoded once into [`Control`] when a session is prepared; running
//! one calls the subgraphs it names (`Session::run_body`) or the session's [`State`].
//!
//! Semantics follow LiteRT's kernels: VAR_HANDLE yields the id of the variable named by its
//! (container, shared_name), shared by every subgraph of the session; ASSIGN_VARIABLE creates
//! the variable or replaces its value (type and shape included); READ_VARIABLE copies it out;
//! CALL_ONCE runs its init subgraph on the session's first run only; IF runs one of two
//! branches on a one-element bool; WHILE runs body while cond gives true; CALL runs a
//! subgraph once. A resource handle travels as an int32 scalar holding the id.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::OpError;
use crate::ir::{AttrValue, DType, Data, Graph, Op, Value};

/// A control-flow or variable op, decoded from its kept node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Control {
    /// VAR_HANDLE: the id of a resource variable.
    VarHandle {
        /// `container` option.
        container: String,
        /// `shared_name` option.
        shared_name: String,
    },
    /// READ_VARIABLE (handle) → value.
    ReadVariable,
    /// ASSIGN_VARIABLE (handle, value).
    AssignVariable,
    /// CALL_ONCE: run subgraph `init` on the first run of the session.
    CallOnce {
        /// Subgraph index.
        init: usize,
    },
    /// IF (cond, args...) → outputs of `then` or `else_`.
    If {
        /// Subgraph run when the condition is true.
        then: usize,
        /// Subgraph run when it is false.
        else_: usize,
    },
    /// WHILE (args...) → args after the last body run.
    While {
        /// Subgraph giving the bool that continues the loop.
        cond: usize,
        /// Subgraph computing the next args.
        body: usize,
    },
    /// CALL (args...) → outputs of `subgraph`.
    Call {
        /// Subgraph index.
        subgraph: usize,
    },
}

fn int_attr(op: &Op, key: &str) -> Option<usize> {
    match op.attr(key) {
        Some(AttrValue::Int(i)) => usize::try_from(*i).ok(),
        _ => None,
    }
}

fn str_attr(op: &Op, key: &str) -> String {
    match op.attr(key) {
        Some(AttrValue::Str(s)) => s.clone(),
        _ => String::new(),
    }
}

impl Control {
    /// The control op a kept node is, if it is one the session runs. A missing subgraph
    /// index reads as 0 (the flatbuffer default), which `check` then refuses.
    pub(crate) fn of(op: &Op) -> Option<Control> {
        let Op::Custom { name, .. } = op else {
            return None;
        };
        let idx = |k: &str| int_attr(op, k).unwrap_or(0);
        Some(match name.as_str() {
            "VAR_HANDLE" => Control::VarHandle {
                container: str_attr(op, "container"),
                shared_name: str_attr(op, "shared_name"),
            },
            "READ_VARIABLE" => Control::ReadVariable,
            "ASSIGN_VARIABLE" => Control::AssignVariable,
            "CALL_ONCE" => Control::CallOnce {
                init: idx("init_subgraph_index"),
            },
            "IF" => Control::If {
                then: idx("then_subgraph_index"),
                else_: idx("else_subgraph_index"),
            },
            "WHILE" => Control::While {
                cond: idx("cond_subgraph_index"),
                body: idx("body_subgraph_index"),
            },
            "CALL" => Control::Call {
                subgraph: idx("subgraph"),
            },
            _ => return None,
        })
    }

    /// The subgraphs this op runs.
    pub(crate) fn callees(&self) -> Vec<usize> {
        match self {
            Control::CallOnce { init } => vec![*init],
            Control::If { then, else_ } => vec![*then, *else_],
            Control::While { cond, body } => vec![*cond, *body],
            Control::Call { subgraph } => vec![*subgraph],
            Control::VarHandle { .. } | Control::ReadVariable | Control::AssignVariable => {
                Vec::new()
            }
        }
    }

    /// Check the node's input and output counts against the subgraphs it calls (`root` holds
    /// them all; `n_in`/`n_out` are the node's counts).
    pub(crate) fn check(&self, root: &Graph, n_in: usize, n_out: usize) -> Result<(), CallError> {
        let sub = |i: usize| -> Result<&Graph, CallError> {
            if i == 0 {
                return Err(CallError::Main);
            }
            root.subgraph(i).ok_or(CallError::Missing {
                index: i,
                count: root.subgraphs.len() + 1,
            })
        };
        let counts = |g: &Graph, i: usize, ins: usize, outs: usize| {
            if g.inputs.len() != ins || g.outputs.len() != outs {
                Err(CallError::Counts {
                    index: i,
                    name: g.name.clone(),
                    takes: g.inputs.len(),
                    gives: g.outputs.len(),
                    passes: ins,
                    expects: outs,
                })
            } else {
                Ok(())
            }
        };
        let arity = |want_in: usize, want_out: usize| {
            if n_in != want_in || n_out != want_out {
                Err(CallError::Arity {
                    n_in,
                    n_out,
                    want_in,
                    want_out,
                })
            } else {
                Ok(())
            }
        };
        match self {
            Control::VarHandle { .. } => arity(0, 1),
            Control::ReadVariable => arity(1, 1),
            Control::AssignVariable => arity(2, 0),
            Control::CallOnce { init } => {
                arity(0, 0)?;
                counts(sub(*init)?, *init, 0, 0)
            }
            Control::If { then, else_ } => {
                if n_in == 0 {
                    return Err(CallError::NoCondition);
                }
                counts(sub(*then)?, *then, n_in - 1, n_out)?;
                counts(sub(*else_)?, *else_, n_in - 1, n_out)
            }
            Control::While { cond, body } => {
                if n_in != n_out {
                    return Err(CallError::LoopArity { n_in, n_out });
                }
                counts(sub(*cond)?, *cond, n_in, 1)?;
                counts(sub(*body)?, *body, n_in, n_out)
            }
            Control::Call { subgraph } => counts(sub(*subgraph)?, *subgraph, n_in, n_out),
        }
    }
}

/// The resource variables and the CALL_ONCE initializations of a session, kept across runs.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// Resource ids by (container, shared_name), in order of first use.
    ids: BTreeMap<(String, String), i32>,
    /// Names by id, for messages.
    names: Vec<String>,
    /// Values of the variables assigned so far, by id.
    vars: BTreeMap<i32, Value>,
    /// Init subgraphs CALL_ONCE has run.
    pub(crate) initialized: BTreeSet<usize>,
}

impl State {
    /// The handle of the variable (container, shared_name), made on first use.
    pub(crate) fn handle(&mut self, container: &str, shared_name: &str) -> Value {
        let next = self.names.len() as i32;
        let id = *self
            .ids
            .entry((container.to_string(), shared_name.to_string()))
            .or_insert_with(|| {
                self.names.push(shared_name.to_string());
                next
            });
        Value::new(Vec::new(), Data::I32(vec![id]))
    }

    fn id_of(&self, handle: &Value) -> Result<i32, OpError> {
        match &handle.data {
            Data::I32(v) if v.len() == 1 && (v[0] as usize) < self.names.len() => Ok(v[0]),
            _ => Err(OpError::Invalid(
                "the resource input is not a handle made by VAR_HANDLE".into(),
            )),
        }
    }

    /// READ_VARIABLE: a copy of the variable's value, which must have `dtype`.
    pub(crate) fn read(&self, handle: &Value, dtype: DType) -> Result<Value, OpError> {
        let id = self.id_of(handle)?;
        let name = &self.names[id as usize];
        let v = self.vars.get(&id).ok_or_else(|| {
            OpError::Invalid(format!(
                "variable '{name}' is read before any value was assigned to it"
            ))
        })?;
        if v.dtype() != dtype {
            return Err(OpError::Invalid(format!(
                "variable '{name}' holds {} but the node reads {dtype}",
                v.dtype()
            )));
        }
        Ok(v.clone())
    }

    /// ASSIGN_VARIABLE: store `value` (creating the variable).
    pub(crate) fn assign(&mut self, handle: &Value, value: Value) -> Result<(), OpError> {
        let id = self.id_of(handle)?;
        self.vars.insert(id, value);
        Ok(())
    }

    /// Every assigned variable: (shared_name, value), by id.
    pub(crate) fn variables(&self) -> Vec<(String, Value)> {
        self.vars
            .iter()
            .map(|(&id, v)| (self.names[id as usize].clone(), v.clone()))
            .collect()
    }
}

/// The truth of an IF condition or a WHILE cond output: one bool element.
pub(crate) fn truth(v: &Value, what: &str) -> Result<bool, OpError> {
    match &v.data {
        Data::Bool(b) if b.len() == 1 => Ok(b[0]),
        _ => Err(OpError::Invalid(format!(
            "{what} must be one bool, got {} {:?}",
            v.dtype(),
            v.shape
        ))),
    }
}

/// Why a control-flow node does not fit the subgraphs it calls (checked when a session is made).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CallError {
    /// A node calls the main graph.
    #[error("calls subgraph 0, the main graph")]
    Main,
    /// A node calls a subgraph the file does not have.
    #[error("calls subgraph {index}, but the model has {count} subgraphs")]
    Missing {
        /// The subgraph called.
        index: usize,
        /// Subgraphs in the file (main graph included).
        count: usize,
    },
    /// A subgraph's inputs/outputs do not match the node's.
    #[error(
        "subgraph {index} '{name}' takes {takes} inputs and gives {gives} outputs; the node passes {passes} and expects {expects}"
    )]
    Counts {
        /// The subgraph.
        index: usize,
        /// Its name.
        name: String,
        /// Its inputs.
        takes: usize,
        /// Its outputs.
        gives: usize,
        /// Inputs the node passes.
        passes: usize,
        /// Outputs the node expects.
        expects: usize,
    },
    /// The node has the wrong number of inputs or outputs for its op.
    #[error("has {n_in} inputs and {n_out} outputs, expected {want_in} and {want_out}")]
    Arity {
        /// Inputs it has.
        n_in: usize,
        /// Outputs it has.
        n_out: usize,
        /// Inputs the op takes.
        want_in: usize,
        /// Outputs the op gives.
        want_out: usize,
    },
    /// An IF without its condition.
    #[error("has no condition input")]
    NoCondition,
    /// A WHILE whose inputs and outputs differ in number.
    #[error("has {n_in} inputs but {n_out} outputs")]
    LoopArity {
        /// Inputs.
        n_in: usize,
        /// Outputs.
        n_out: usize,
    },
}
