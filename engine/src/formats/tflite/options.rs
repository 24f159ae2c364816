//! Options of the builtin ops the IR keeps as `Op::Custom` (no variant of their own: CALL_ONCE,
//! WHILE, IF, VAR_HANDLE, StableHLO ops, ...): read field by field through the schema table in
//! `options_table.rs` into named attributes, and written back from them, so read → write →
//! read gives the same options. Only the fields present in the file are kept.

use super::builder::{Obj, TableB};
use super::fb::Table;
use super::options_table::{OPTIONS, OPTIONS2};
use crate::error::Result;
use crate::ir::AttrValue;

/// A scalar type of the schema.
#[allow(
    dead_code,
    reason = "the full set of schema scalars; today's tables use only some of them"
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Num {
    /// bool (one byte).
    Bool,
    /// byte
    I8,
    /// ubyte
    U8,
    /// short
    I16,
    /// ushort
    U16,
    /// int
    I32,
    /// uint
    U32,
    /// long
    I64,
    /// ulong
    U64,
    /// float
    F32,
    /// double
    F64,
}

impl Num {
    fn size(self) -> usize {
        match self {
            Num::Bool | Num::I8 | Num::U8 => 1,
            Num::I16 | Num::U16 => 2,
            Num::I32 | Num::U32 | Num::F32 => 4,
            Num::I64 | Num::U64 | Num::F64 => 8,
        }
    }
}

/// The type of one options field.
#[allow(
    dead_code,
    reason = "the generator emits `Other` for fields today's schema does not have"
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// An inline scalar.
    Scalar(Num),
    /// A vector of scalars.
    Vector(Num),
    /// A string.
    Str,
    /// A sub-table or a vector of tables or strings: not kept.
    Other,
}

/// One field of an options table.
#[derive(Debug, Clone, Copy)]
pub struct OptField {
    /// Field id (vtable slot).
    pub id: u16,
    /// Field name as in the schema.
    pub name: &'static str,
    /// Its type.
    pub kind: FieldKind,
}

/// A field (for the generated table).
pub const fn f(id: u16, name: &'static str, kind: FieldKind) -> OptField {
    OptField { id, name, kind }
}

/// One options table of the schema.
#[derive(Debug, Clone, Copy)]
pub struct OptTable {
    /// Union tag.
    pub tag: u8,
    /// Table name (`WhileOptions`).
    pub name: &'static str,
    /// Its fields in id order.
    pub fields: &'static [OptField],
}

/// The options table of union tag `tag` (`second`: the BuiltinOptions2 union).
pub fn lookup(second: bool, tag: u8) -> Option<&'static OptTable> {
    let list = if second { OPTIONS2 } else { OPTIONS };
    list.iter().find(|t| t.tag == tag)
}

fn scalar(t: &Table<'_>, id: usize, n: Num) -> Result<AttrValue> {
    Ok(match n {
        Num::Bool | Num::U8 => AttrValue::Int(t.get::<u8>(id, 0)?.into()),
        Num::I8 => AttrValue::Int(t.get::<i8>(id, 0)?.into()),
        Num::I16 => AttrValue::Int(t.get::<i16>(id, 0)?.into()),
        Num::U16 => AttrValue::Int(t.get::<u16>(id, 0)?.into()),
        Num::I32 => AttrValue::Int(t.get::<i32>(id, 0)?.into()),
        Num::U32 => AttrValue::Int(t.get::<u32>(id, 0)?.into()),
        Num::I64 => AttrValue::Int(t.get::<i64>(id, 0)?),
        Num::U64 => AttrValue::Int(t.get::<u64>(id, 0)? as i64),
        Num::F32 => AttrValue::Float(t.get::<f32>(id, 0.0)?.into()),
        Num::F64 => AttrValue::Float(t.get::<f64>(id, 0.0)?),
    })
}

fn vector(t: &Table<'_>, id: usize, n: Num) -> Result<Option<AttrValue>> {
    let Some(v) = t.vector(id)? else {
        return Ok(None);
    };
    let ints = |x: Vec<i64>| Some(AttrValue::Ints(x));
    Ok(match n {
        Num::U8 => Some(AttrValue::Bytes(v.bytes()?.to_vec())),
        Num::Bool => ints(v.bytes()?.iter().map(|&b| b.into()).collect()),
        Num::I8 => ints(v.scalars::<i8>()?.into_iter().map(Into::into).collect()),
        Num::I16 => ints(v.scalars::<i16>()?.into_iter().map(Into::into).collect()),
        Num::U16 => ints(v.scalars::<u16>()?.into_iter().map(Into::into).collect()),
        Num::I32 => ints(v.scalars::<i32>()?.into_iter().map(Into::into).collect()),
        Num::U32 => ints(v.scalars::<u32>()?.into_iter().map(Into::into).collect()),
        Num::I64 => ints(v.scalars::<i64>()?),
        Num::U64 => ints(v.scalars::<u64>()?.into_iter().map(|x| x as i64).collect()),
        Num::F32 => Some(AttrValue::Floats(
            v.scalars::<f32>()?.into_iter().map(Into::into).collect(),
        )),
        Num::F64 => Some(AttrValue::Floats(v.scalars::<f64>()?)),
    })
}

/// The fields present in options table `t` of type `table`, named `prefix` + field name.
/// `Err(name)` of the first field whose type is not kept.
pub fn read(
    table: &OptTable,
    t: &Table<'_>,
    prefix: &str,
) -> Result<std::result::Result<Vec<(String, AttrValue)>, &'static str>> {
    let mut out = Vec::new();
    for fld in table.fields {
        let id = usize::from(fld.id);
        if !t.has(id)? {
            continue;
        }
        let v = match fld.kind {
            FieldKind::Scalar(n) => Some(scalar(t, id, n)?),
            FieldKind::Vector(n) => vector(t, id, n)?,
            FieldKind::Str => t.string(id)?.map(|s| AttrValue::Str(s.to_string())),
            FieldKind::Other => return Ok(Err(fld.name)),
        };
        if let Some(v) = v {
            out.push((format!("{prefix}{}", fld.name), v));
        }
    }
    Ok(Ok(out))
}

fn scalar_bytes(n: Num, v: &AttrValue) -> Option<Vec<u8>> {
    let b = match (n, v) {
        (Num::F32, AttrValue::Float(x)) => (*x as f32).to_le_bytes().to_vec(),
        (Num::F64, AttrValue::Float(x)) => x.to_le_bytes().to_vec(),
        (Num::F32 | Num::F64, _) => return None,
        (n, AttrValue::Int(i)) => i.to_le_bytes().get(..n.size())?.to_vec(),
        _ => return None,
    };
    Some(b)
}

/// A kept attribute whose value does not fit the type of its options field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("option '{field}' of {table} holds {value}")]
pub struct BadOption {
    /// The field's name in the schema.
    pub field: &'static str,
    /// The options table (`WhileOptions`).
    pub table: &'static str,
    /// The value found.
    pub value: String,
}

/// Options table `table` from the attributes named `prefix` + field name; `Err` names a field
/// whose value does not fit its type.
pub fn write(
    table: &OptTable,
    attrs: &[(String, AttrValue)],
    prefix: &str,
) -> std::result::Result<TableB, BadOption> {
    let mut tb = TableB::new();
    for fld in table.fields {
        let key = format!("{prefix}{}", fld.name);
        let Some((_, v)) = attrs.iter().find(|(k, _)| *k == key) else {
            continue;
        };
        let bad = || BadOption {
            field: fld.name,
            table: table.name,
            value: v.to_string(),
        };
        tb = match fld.kind {
            FieldKind::Scalar(n) => {
                let b = scalar_bytes(n, v).ok_or_else(bad)?;
                tb.raw(fld.id, &b)
            }
            FieldKind::Vector(n) => {
                let bytes: Vec<u8> = match v {
                    AttrValue::Bytes(b) if n == Num::U8 => b.clone(),
                    AttrValue::Ints(xs) => xs
                        .iter()
                        .map(|x| scalar_bytes(n, &AttrValue::Int(*x)))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(bad)?
                        .concat(),
                    AttrValue::Floats(xs) => xs
                        .iter()
                        .map(|x| scalar_bytes(n, &AttrValue::Float(*x)))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(bad)?
                        .concat(),
                    _ => return Err(bad()),
                };
                let count = bytes.len() / n.size();
                tb.obj(
                    fld.id,
                    Obj::Scalars {
                        bytes,
                        count,
                        align: n.size(),
                    },
                )
            }
            FieldKind::Str => match v {
                AttrValue::Str(s) => tb.str(fld.id, s),
                _ => return Err(bad()),
            },
            FieldKind::Other => return Err(bad()),
        };
    }
    Ok(tb)
}

/// The attributes that make an `Op::Custom` named after a builtin the IR keeps (`IF`,
/// `WHILE`, `CALL_ONCE`, ...) write back as that builtin: its code and, when the schema has an
/// options table named after it (`IfOptions`), that table's union tag. The options fields
/// themselves are the caller's attributes. `None` for a name the schema does not define.
pub fn kept_builtin_attrs(name: &str) -> Option<Vec<(String, AttrValue)>> {
    let code = super::schema::decoded()
        .chain(super::options_table::BUILTIN_NAMES)
        .find(|(_, n)| *n == name)?
        .0;
    let camel: String = name
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next().map_or_else(String::new, |f| {
                f.to_ascii_uppercase().to_string() + &c.as_str().to_ascii_lowercase()
            })
        })
        .collect();
    let table = format!("{camel}Options");
    let mut attrs = vec![("builtin_code".to_string(), AttrValue::Int(code.into()))];
    if let Some(t) = OPTIONS.iter().find(|t| t.name == table) {
        attrs.push(("options_tag".into(), AttrValue::Int(t.tag.into())));
    }
    Some(attrs)
}
