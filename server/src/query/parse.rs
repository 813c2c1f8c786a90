//! The `query` operation as a typed value: parsed from the wire (shape only, with the
//! exact path in every message), then checked against the entity definition (fields,
//! value kinds), so the planner and executor only ever see queries that make sense.

use resident_protocol::Value;

use crate::cbor::node::Node;
use crate::error::ServerError;
use crate::query::like::Pattern;
use crate::state::order::{self, Class};
use crate::state::schema::{EntityDef, FieldType};
use crate::state::value::{is_plain, kind};

/// Nesting of `and`/`or`; deeper filters are machine-made mistakes, and recursion over
/// them must stay far from the stack's end.
pub const FILTER_DEPTH_MAX: usize = 32;
/// Conditions and groups in one filter; each costs time on every row scanned.
pub const FILTER_NODES_MAX: usize = 1024;
/// Values in one `in`/`not_in` list.
pub const IN_VALUES_MAX: usize = 4096;
/// Fields in `order`.
pub const ORDER_FIELDS_MAX: usize = 16;
/// Bytes in a `like` pattern; matching costs up to pattern × text per row.
pub const LIKE_PATTERN_BYTES_MAX: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Compare {
        field: String,
        op: CmpOp,
        value: Value,
    },
    Like {
        field: String,
        pattern: Pattern,
    },
    /// `values` is sorted in the total order, so membership is a binary search.
    In {
        field: String,
        values: Vec<Value>,
        negated: bool,
    },
    Null {
        field: String,
        negated: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    Asc,
    Desc,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderBy {
    pub field: String,
    pub dir: Dir,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    Sum,
    Min,
    Max,
    Avg,
}

impl Aggregate {
    pub fn name(self) -> &'static str {
        match self {
            Aggregate::Sum => "sum",
            Aggregate::Min => "min",
            Aggregate::Max => "max",
            Aggregate::Avg => "avg",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Select {
    Rows,
    Count,
    Exists,
    Aggregate(Aggregate, String),
    Pluck(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub entity: String,
    pub filter: Option<Filter>,
    /// Ties left by these fields are broken by id ascending; empty means id order.
    pub order: Vec<OrderBy>,
    pub limit: Option<u64>,
    pub offset: u64,
    /// The order values and then the id of the row to start after.
    pub after: Option<Vec<Value>>,
    pub select: Select,
    pub explain: bool,
}

impl Query {
    /// Parses the shape of `{op: "query", …}`; [`Query::check`] then holds it against
    /// the entity's definition.
    pub fn parse(root: &Node<'_>) -> Result<Query, ServerError> {
        let mut budget = FILTER_NODES_MAX;
        let filter = match root.get("where")? {
            None => None,
            Some(node) => Some(parse_filter(&node, 1, &mut budget)?),
        };
        let order = parse_order(root)?;
        let after = parse_after(root)?;
        let select = parse_select(root)?;
        Ok(Query {
            entity: root.name("entity")?.to_string(),
            filter,
            order,
            limit: root.optional_u64("limit")?,
            offset: root.optional_u64("offset")?.unwrap_or(0),
            after,
            select,
            explain: root
                .get("explain")?
                .map(|n| n.as_bool())
                .transpose()?
                .unwrap_or(false),
        })
    }

    /// Checks every field the query names against `def`, and every value against its
    /// field's type, so that a typo or a wrong kind is an error rather than no rows.
    pub fn check(&self, def: &EntityDef) -> Result<(), ServerError> {
        if let Some(filter) = &self.filter {
            check_filter(filter, def)?;
        }
        for o in &self.order {
            known_field(def, &o.field)?;
        }
        if let Some(after) = &self.after {
            self.check_after(after, def)?;
        }
        match &self.select {
            Select::Rows | Select::Count | Select::Exists => Ok(()),
            Select::Pluck(field) => known_field(def, field).map(drop),
            Select::Aggregate(aggregate, field) => check_aggregate(*aggregate, field, def),
        }
    }

    /// The cursor holds a value of each order field's type (or null), then the id.
    fn check_after(&self, after: &[Value], def: &EntityDef) -> Result<(), ServerError> {
        if after.len() != self.order.len() + 1 {
            return Err(ServerError::bad_request(format!(
                "query: after must hold {} values (the order fields' values, then the id), got {}",
                self.order.len() + 1,
                after.len()
            )));
        }
        for (o, v) in self.order.iter().zip(after) {
            let f = known_field(def, &o.field)?;
            if !v.is_null() && !f.ty.accepts_kind_of(v) {
                return Err(ServerError::bad_request(format!(
                    "query: after holds {} for field {}, which is {}",
                    kind(v),
                    o.field,
                    f.ty.name()
                )));
            }
        }
        if !after.last().is_some_and(Value::is_text) {
            return Err(ServerError::bad_request(
                "query: after must end with the id (text) of the row to start after",
            ));
        }
        Ok(())
    }
}

/// Sum and avg need numbers; min and max numbers or strings.
fn check_aggregate(aggregate: Aggregate, field: &str, def: &EntityDef) -> Result<(), ServerError> {
    let f = known_field(def, field)?;
    let fits = match aggregate {
        Aggregate::Sum | Aggregate::Avg => matches!(f.ty, FieldType::Int | FieldType::Float),
        Aggregate::Min | Aggregate::Max => {
            matches!(f.ty, FieldType::Int | FieldType::Float | FieldType::String)
        }
    };
    if !fits {
        let wants = match aggregate {
            Aggregate::Sum | Aggregate::Avg => "an int or float field",
            Aggregate::Min | Aggregate::Max => "an int, float or string field",
        };
        return Err(ServerError::bad_request(format!(
            "query: {} needs {wants}; field {field} is {}",
            aggregate.name(),
            f.ty.name()
        )));
    }
    Ok(())
}

impl FieldType {
    /// True when a value of `value`'s kind can be held by a field of this type, so that
    /// comparing them is meaningful.
    pub fn accepts_kind_of(self, value: &Value) -> bool {
        match self {
            FieldType::Int | FieldType::Float => Class::of(value) == Class::Number,
            FieldType::String => value.is_text(),
            FieldType::Bool => value.is_bool(),
            FieldType::Array => value.is_array() || value.is_map(),
            FieldType::Mixed => is_plain(value),
        }
    }
}

fn known_field<'d>(
    def: &'d EntityDef,
    field: &str,
) -> Result<&'d crate::state::schema::FieldDef, ServerError> {
    def.field(field).ok_or_else(|| {
        let names: Vec<&str> = def.fields.iter().map(|f| f.name.as_str()).collect();
        ServerError::bad_request(format!(
            "query: {} has no field {field} (its fields: {})",
            def.name,
            names.join(", ")
        ))
    })
}

fn check_filter(filter: &Filter, def: &EntityDef) -> Result<(), ServerError> {
    match filter {
        Filter::And(items) | Filter::Or(items) => {
            for f in items {
                check_filter(f, def)?;
            }
        }
        Filter::Compare { field, op, value } => {
            check_operand(def, field, op.symbol(), value)?;
        }
        Filter::In { field, values, .. } => {
            for v in values {
                check_operand(def, field, "in", v)?;
            }
        }
        Filter::Like { field, .. } => {
            let f = known_field(def, field)?;
            if !matches!(f.ty, FieldType::String | FieldType::Mixed) {
                return Err(ServerError::bad_request(format!(
                    "query: like needs a string field; field {field} is {}",
                    f.ty.name()
                )));
            }
        }
        Filter::Null { field, .. } => {
            known_field(def, field)?;
        }
    }
    Ok(())
}

fn check_operand(def: &EntityDef, field: &str, op: &str, value: &Value) -> Result<(), ServerError> {
    let f = known_field(def, field)?;
    if f.ty == FieldType::Array {
        return Err(ServerError::bad_request(format!(
            "query: field {field} is an array; {op} does not apply to it (null and not_null do)"
        )));
    }
    if !f.ty.accepts_kind_of(value) {
        return Err(ServerError::bad_request(format!(
            "query: field {field} is {}; {op} {} compares it with {}",
            f.ty.name(),
            describe(value),
            kind(value)
        )));
    }
    Ok(())
}

fn describe(value: &Value) -> String {
    match value {
        Value::Text(t) if t.len() <= 64 => format!("{t:?}"),
        Value::Integer(i) => i128::from(*i).to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        other => kind(other).to_string(),
    }
}

/// `order`: at most [`ORDER_FIELDS_MAX`] fields, each ascending unless `desc`.
fn parse_order(root: &Node<'_>) -> Result<Vec<OrderBy>, ServerError> {
    let mut order = Vec::new();
    if let Some(list) = root.get("order")? {
        if list.len()? > ORDER_FIELDS_MAX {
            return Err(list.error(&format!("has more than {ORDER_FIELDS_MAX} fields")));
        }
        for item in list.items()? {
            let dir = match item.get("dir")? {
                None => Dir::Asc,
                Some(d) => match d.as_text()? {
                    "asc" => Dir::Asc,
                    "desc" => Dir::Desc,
                    other => return Err(d.error(&format!("is {other:?}; use asc or desc"))),
                },
            };
            order.push(OrderBy {
                field: item.name("field")?.to_string(),
                dir,
            });
        }
    }
    Ok(order)
}

/// `after`, the cursor: the last row's order values and id.
fn parse_after(root: &Node<'_>) -> Result<Option<Vec<Value>>, ServerError> {
    let Some(node) = root.get("after")? else {
        return Ok(None);
    };
    if node.len()? > ORDER_FIELDS_MAX + 1 {
        return Err(node.error("has more values than an order has fields, plus the id"));
    }
    let mut values = Vec::new();
    for item in node.items()? {
        if !is_plain(item.value) {
            return Err(item.error(&format!(
                "must be a value an entity field can hold, got {}",
                kind(item.value)
            )));
        }
        values.push(item.value.clone());
    }
    Ok(Some(values))
}

/// `select` (rows unless given), with the `field` an aggregate or pluck needs.
fn parse_select(root: &Node<'_>) -> Result<Select, ServerError> {
    let field = root.optional_name("field")?.map(str::to_string);
    let select_node = root.get("select")?;
    let select_name = select_node.map(|n| n.as_text()).transpose()?;
    let needs_field = |aggregate: &str| {
        field.clone().ok_or_else(|| {
            ServerError::bad_request(format!(
                "query: select {aggregate} needs field (the field to {aggregate})"
            ))
        })
    };
    let select = match select_name.unwrap_or("rows") {
        "rows" => Select::Rows,
        "count" => Select::Count,
        "exists" => Select::Exists,
        "sum" => Select::Aggregate(Aggregate::Sum, needs_field("sum")?),
        "min" => Select::Aggregate(Aggregate::Min, needs_field("min")?),
        "max" => Select::Aggregate(Aggregate::Max, needs_field("max")?),
        "avg" => Select::Aggregate(Aggregate::Avg, needs_field("avg")?),
        "pluck" => Select::Pluck(needs_field("pluck")?),
        other => {
            return Err(ServerError::bad_request(format!(
            "query: select is {other:?}; known are rows, count, exists, sum, min, max, avg, pluck"
        )))
        }
    };
    if let (Some(f), Select::Rows | Select::Count | Select::Exists) = (&field, &select) {
        return Err(ServerError::bad_request(format!(
            "query: field {f} is only used by select sum, min, max, avg or pluck"
        )));
    }
    Ok(select)
}

fn parse_filter(node: &Node<'_>, depth: usize, budget: &mut usize) -> Result<Filter, ServerError> {
    if depth > FILTER_DEPTH_MAX {
        return Err(node.error(&format!(
            "nests and/or deeper than {FILTER_DEPTH_MAX} levels"
        )));
    }
    if *budget == 0 {
        return Err(node.error(&format!(
            "is past the limit of {FILTER_NODES_MAX} conditions in one filter"
        )));
    }
    *budget -= 1;
    let and = node.get("and")?;
    let or = node.get("or")?;
    let field = node.get("field")?;
    let shapes =
        usize::from(and.is_some()) + usize::from(or.is_some()) + usize::from(field.is_some());
    if shapes != 1 {
        return Err(node.error("must have exactly one of and, or, field"));
    }
    if let Some(group) = and.or(or) {
        let mut items = Vec::new();
        for item in group.items()? {
            items.push(parse_filter(&item, depth + 1, budget)?);
        }
        return Ok(if and.is_some() {
            Filter::And(items)
        } else {
            Filter::Or(items)
        });
    }
    parse_condition(node)
}

/// `{field, op, value}`: one condition on one field.
fn parse_condition(node: &Node<'_>) -> Result<Filter, ServerError> {
    let field = node.name("field")?.to_string();
    let op_node = node.require("op")?;
    let op_name = op_node.as_text()?;
    let compare = |op: CmpOp| -> Result<Filter, ServerError> {
        Ok(Filter::Compare {
            value: scalar_operand(node, &field, op.symbol())?,
            field: field.clone(),
            op,
        })
    };
    Ok(match op_name {
        "=" => compare(CmpOp::Eq)?,
        "!=" => compare(CmpOp::Ne)?,
        "<" => compare(CmpOp::Lt)?,
        "<=" => compare(CmpOp::Le)?,
        ">" => compare(CmpOp::Gt)?,
        ">=" => compare(CmpOp::Ge)?,
        "like" => parse_like(node, field)?,
        "in" | "not_in" => parse_in(node, field, op_name)?,
        "null" => Filter::Null {
            field,
            negated: false,
        },
        "not_null" => Filter::Null {
            field,
            negated: true,
        },
        other => {
            return Err(op_node.error(&format!(
                "(on field {field}) is {other:?}; known ops are =, !=, <, <=, >, >=, like, in, not_in, null, not_null"
            )))
        }
    })
}

fn parse_like(node: &Node<'_>, field: String) -> Result<Filter, ServerError> {
    let value = node.require("value")?;
    let pattern = value.as_text()?;
    if pattern.len() > LIKE_PATTERN_BYTES_MAX {
        return Err(value.error(&format!(
            "(like on {field}) is longer than {LIKE_PATTERN_BYTES_MAX} bytes"
        )));
    }
    Ok(Filter::Like {
        field,
        pattern: Pattern::parse(pattern),
    })
}

/// `in` and `not_in`: a list of scalars, kept sorted in the total order.
fn parse_in(node: &Node<'_>, field: String, op_name: &str) -> Result<Filter, ServerError> {
    let list = node.require("value")?;
    if list.len()? > IN_VALUES_MAX {
        return Err(list.error(&format!(
            "({op_name} on {field}) has more than {IN_VALUES_MAX} values"
        )));
    }
    let mut values = Vec::new();
    for item in list.items()? {
        values.push(check_scalar(&item, &field, op_name)?.clone());
    }
    values.sort_by(order::compare);
    Ok(Filter::In {
        field,
        values,
        negated: op_name == "not_in",
    })
}

/// The `value` of a comparison: present, and a scalar. An explicit null is refused rather
/// than matching nothing, because `= null` is almost always meant as `null`.
fn scalar_operand(node: &Node<'_>, field: &str, op: &str) -> Result<Value, ServerError> {
    let raw = match node.value {
        Value::Map(entries) => entries
            .iter()
            .find(|(k, _)| k.as_text() == Some("value"))
            .map(|(_, v)| v),
        _ => None,
    };
    if let Some(Value::Null) = raw {
        return Err(node.error(&format!(
            "compares field {field} with null, which never matches; use op null or not_null"
        )));
    }
    let value = node.require("value")?;
    Ok(check_scalar(&value, field, op)?.clone())
}

fn check_scalar<'a>(node: &Node<'a>, field: &str, op: &str) -> Result<&'a Value, ServerError> {
    let ok = match node.value {
        Value::Bool(_) | Value::Float(_) | Value::Text(_) => true,
        Value::Integer(_) => is_plain(node.value),
        _ => false,
    };
    if ok {
        Ok(node.value)
    } else {
        Err(node.error(&format!(
            "({op} on {field}) must be a bool, int, float or string, got {}",
            kind(node.value)
        )))
    }
}

#[cfg(test)]
mod tests {
    use resident_protocol::map;

    use super::*;
    use crate::testkit::account;

    fn cond(field: &str, op: &str, value: Value) -> Value {
        map::build(vec![
            ("field", Value::from(field)),
            ("op", Value::from(op)),
            ("value", value),
        ])
    }

    fn parse(entries: Vec<(&str, Value)>) -> Result<Query, ServerError> {
        let mut all = vec![("entity", Value::from("Account"))];
        all.extend(entries);
        let request = map::build(all);
        Query::parse(&Node::root(&request, "query"))
    }

    fn checked(entries: Vec<(&str, Value)>) -> Result<Query, ServerError> {
        let q = parse(entries)?;
        q.check(&account())?;
        Ok(q)
    }

    fn message(entries: Vec<(&str, Value)>) -> String {
        let err = checked(entries).unwrap_err();
        assert_eq!(err.code, "bad_request", "{}", err.message);
        err.message
    }

    #[test]
    fn a_full_query_parses() {
        let q = checked(vec![
            (
                "where",
                map::build(vec![(
                    "and",
                    Value::Array(vec![
                        cond("balance", ">", Value::from(10)),
                        cond("name", "like", Value::from("A%")),
                        cond(
                            "name",
                            "in",
                            Value::Array(vec![Value::from("b"), Value::from("a")]),
                        ),
                        map::build(vec![
                            ("field", Value::from("low")),
                            ("op", Value::from("null")),
                        ]),
                    ]),
                )]),
            ),
            (
                "order",
                Value::Array(vec![map::build(vec![
                    ("field", Value::from("balance")),
                    ("dir", Value::from("desc")),
                ])]),
            ),
            ("limit", Value::from(10)),
            ("offset", Value::from(5)),
            (
                "after",
                Value::Array(vec![Value::from(7), Value::from("id-1")]),
            ),
            ("select", Value::from("rows")),
            ("explain", Value::Bool(true)),
        ])
        .unwrap();
        let Some(Filter::And(items)) = &q.filter else {
            panic!("{q:?}")
        };
        assert_eq!(items.len(), 4);
        assert_eq!(
            items[2],
            Filter::In {
                field: "name".into(),
                values: vec![Value::from("a"), Value::from("b")],
                negated: false
            },
            "in lists are sorted"
        );
        assert_eq!(q.order[0].dir, Dir::Desc);
        assert_eq!((q.limit, q.offset, q.explain), (Some(10), 5, true));
    }

    #[test]
    fn bad_queries_name_the_field() {
        let m = message(vec![("where", cond("balanse", "=", Value::from(1)))]);
        assert!(m.contains("Account has no field balanse"), "{m}");
        let m = message(vec![("where", cond("balance", "~", Value::from(1)))]);
        assert!(
            m.contains("where.op") && m.contains("balance") && m.contains("\"~\""),
            "{m}"
        );
        let m = message(vec![("where", cond("balance", ">", Value::from("abc")))]);
        assert_eq!(
            m,
            "query: field balance is int; > \"abc\" compares it with string"
        );
        let m = message(vec![("where", cond("name", "=", Value::from(3)))]);
        assert!(m.contains("field name is string"), "{m}");
        let m = message(vec![("where", cond("balance", "=", Value::Null))]);
        assert!(m.contains("use op null"), "{m}");
        let m = message(vec![("where", cond("balance", "like", Value::from("1%")))]);
        assert!(
            m.contains("like needs a string field; field balance is int"),
            "{m}"
        );
        let m = message(vec![("where", cond("tags", "=", Value::from(1)))]);
        assert!(m.contains("field tags is an array"), "{m}");
        let m = message(vec![(
            "where",
            cond(
                "balance",
                "in",
                Value::Array(vec![Value::from(1), Value::from("x")]),
            ),
        )]);
        assert!(m.contains("field balance is int"), "{m}");
        let m = message(vec![
            ("select", Value::from("sum")),
            ("field", Value::from("name")),
        ]);
        assert_eq!(
            m,
            "query: sum needs an int or float field; field name is string"
        );
        let m = message(vec![("select", Value::from("avg"))]);
        assert!(m.contains("select avg needs field"), "{m}");
        let m = message(vec![("select", Value::from("median"))]);
        assert!(m.contains("\"median\""), "{m}");
        let m = message(vec![(
            "order",
            Value::Array(vec![map::build(vec![("field", Value::from("nope"))])]),
        )]);
        assert!(m.contains("no field nope"), "{m}");
        let m = message(vec![(
            "order",
            Value::Array(vec![map::build(vec![
                ("field", Value::from("name")),
                ("dir", Value::from("up")),
            ])]),
        )]);
        assert_eq!(m, "query: order[0].dir is \"up\"; use asc or desc");
        let m = message(vec![(
            "after",
            Value::Array(vec![Value::from(1), Value::from("x")]),
        )]);
        assert!(m.contains("after must hold 1 values"), "{m}");
        let m = message(vec![("after", Value::Array(vec![Value::from(1)]))]);
        assert!(m.contains("must end with the id"), "{m}");
        let m = message(vec![(
            "where",
            map::build(vec![
                ("and", Value::Array(vec![])),
                ("field", Value::from("x")),
            ]),
        )]);
        assert!(m.contains("exactly one of and, or, field"), "{m}");
        let m = message(vec![
            ("select", Value::from("count")),
            ("field", Value::from("balance")),
        ]);
        assert!(m.contains("only used by"), "{m}");
    }

    #[test]
    fn filters_are_bounded() {
        let mut deep = cond("balance", "=", Value::from(1));
        for _ in 0..FILTER_DEPTH_MAX + 1 {
            deep = map::build(vec![("and", Value::Array(vec![deep]))]);
        }
        let m = message(vec![("where", deep)]);
        assert!(m.contains("deeper than"), "{m}");
        let wide = map::build(vec![(
            "or",
            Value::Array(vec![cond("balance", "=", Value::from(1)); FILTER_NODES_MAX]),
        )]);
        let m = message(vec![("where", wide)]);
        assert!(m.contains("limit of"), "{m}");
        let many = Value::Array(vec![Value::from(1); IN_VALUES_MAX + 1]);
        let m = message(vec![("where", cond("balance", "in", many))]);
        assert!(m.contains("more than"), "{m}");
    }
}
