//! The query engine against a model: random entities (built through real commits, so the
//! indexes are maintained the way the writer maintains them) and random queries, each
//! answered by the engine — with whatever plan it picks — and by a naive
//! scan-filter-sort written here from the protocol's words alone. Any difference in
//! rows, their order, cursors or aggregates fails.

use std::cmp::Ordering;

use proptest::prelude::*;
use resident_protocol::{map, Value};
use resident_server::query::like::Pattern;
use resident_server::query::parse::{Aggregate, CmpOp, Dir, Filter, OrderBy, Query, Select};
use resident_server::state::schema::{
    EntityDef, EventDef, FieldDef, FieldOp, FieldRule, FieldType, Rule, RuleOp, SchemaPart, Source,
};
use resident_server::state::State;
use resident_server::testkit;
use resident_server::write::commit::{CommitRequest, Expected, NewEvent, StreamWrite};

const ROWS_MAX: usize = 12;
/// Fields of `Item`, with their types; `b` is the only one without an index.
const FIELDS: [(&str, FieldType); 6] = [
    ("id", FieldType::String),
    ("n", FieldType::Int),
    ("f", FieldType::Float),
    ("s", FieldType::String),
    ("m", FieldType::Mixed),
    ("b", FieldType::Bool),
];

/// `Put` creates the entity if needed (all fields null); then per field `set_<f>` sets a
/// value and `clear_<f>` sets null (a null event prop reads as a missing one).
fn schema() -> SchemaPart {
    let fields = FIELDS
        .iter()
        .map(|(name, ty)| FieldDef {
            name: name.to_string(),
            ty: *ty,
            nullable: *name != "id",
            default: None,
        })
        .collect();
    let rule = |op, fields| Rule {
        op,
        entity: "Item".to_string(),
        id_prop: None,
        fields,
    };
    let set = |field: &str, source| FieldRule {
        field: field.to_string(),
        op: FieldOp::Set,
        source,
    };
    let mut events = vec![
        EventDef {
            name: "Put".to_string(),
            rules: vec![rule(RuleOp::Upsert, vec![])],
        },
        EventDef {
            name: "Drop".to_string(),
            rules: vec![rule(RuleOp::Delete, vec![])],
        },
    ];
    for (name, _) in &FIELDS[1..] {
        events.push(EventDef {
            name: format!("set_{name}"),
            rules: vec![rule(
                RuleOp::Update,
                vec![set(name, Source::Prop("v".to_string()))],
            )],
        });
        events.push(EventDef {
            name: format!("clear_{name}"),
            rules: vec![rule(
                RuleOp::Update,
                vec![set(name, Source::Value(Value::Null))],
            )],
        });
    }
    SchemaPart {
        entities: vec![EntityDef {
            name: "Item".to_string(),
            id_field: "id".to_string(),
            fields,
            indexes: ["n", "f", "s", "m"].map(String::from).to_vec(),
        }],
        events,
    }
}

// ---- generators -------------------------------------------------------------------

fn int_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        8 => (-3i64..4).prop_map(Value::from),
        1 => Just(Value::from(i64::MAX)),
        1 => Just(Value::from(i64::MIN)),
    ]
}

/// Finite floats: a commit may not store NaN or an infinity (where those sort, for a log
/// written before that rule, is `state::order`'s unit tests' business). One huge value but
/// not its negation: 1e300 + -1e300 + 0.5 sums to 0.5 or 0.0 by the order of addition,
/// and the engine's order (an index's) need not be the model's.
fn float_value() -> impl Strategy<Value = Value> {
    prop::sample::select(vec![-1.5, -0.0, 0.0, 0.5, 1.0, 2.0, 1e300, -2.5]).prop_map(Value::Float)
}

fn number_value() -> impl Strategy<Value = Value> {
    prop_oneof![int_value(), float_value()]
}

/// Short strings over a tiny alphabet, so prefixes are shared and values repeat.
fn text_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => "[ab]{0,3}".prop_map(Value::from),
        1 => prop::sample::select(vec!["é", "aé", "A", "b\u{10FFFF}"]).prop_map(Value::from),
    ]
}

fn scalar_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        number_value(),
        text_value(),
        any::<bool>().prop_map(Value::Bool)
    ]
}

fn nullable(inner: impl Strategy<Value = Value>) -> impl Strategy<Value = Value> {
    prop_oneof![1 => Just(Value::Null), 4 => inner]
}

fn key() -> impl Strategy<Value = String> {
    (0..20u32).prop_map(|i| format!("e{i:02}"))
}

#[derive(Debug, Clone)]
enum Op {
    Put(Vec<(&'static str, Value)>),
    Drop,
}

fn op() -> impl Strategy<Value = Op> {
    let put = (
        nullable(int_value()),
        nullable(float_value()),
        nullable(text_value()),
        nullable(scalar_value()),
        nullable(any::<bool>().prop_map(Value::Bool)),
    )
        .prop_map(|(n, f, s, m, b)| {
            Op::Put(vec![("n", n), ("f", f), ("s", s), ("m", m), ("b", b)])
        });
    prop_oneof![5 => put, 1 => Just(Op::Drop)]
}

/// Commits: each one or more events on one entity, so one commit can create, change and
/// delete the same entity.
fn commits() -> impl Strategy<Value = Vec<(String, Vec<Op>)>> {
    prop::collection::vec((key(), prop::collection::vec(op(), 1..3)), 0..45)
}

/// A value of the kind `field` holds (what `check` accepts).
fn operand(field: &'static str) -> BoxedStrategy<Value> {
    match field {
        "n" | "f" => number_value().boxed(),
        "s" => text_value().boxed(),
        "id" => prop_oneof![key().prop_map(Value::from), text_value()].boxed(),
        "m" => scalar_value().boxed(),
        _ => any::<bool>().prop_map(Value::Bool).boxed(),
    }
}

fn field_name() -> impl Strategy<Value = &'static str> {
    prop::sample::select(FIELDS.iter().map(|(n, _)| *n).collect::<Vec<_>>())
}

fn condition() -> impl Strategy<Value = Filter> {
    field_name().prop_flat_map(|field| {
        let cmp = (
            prop::sample::select(vec![
                CmpOp::Eq,
                CmpOp::Ne,
                CmpOp::Lt,
                CmpOp::Le,
                CmpOp::Gt,
                CmpOp::Ge,
            ]),
            operand(field),
        )
            .prop_map(move |(op, value)| Filter::Compare {
                field: field.to_string(),
                op,
                value,
            });
        let within = (prop::collection::vec(operand(field), 0..4), any::<bool>()).prop_map(
            move |(mut values, negated)| {
                values.sort_by(resident_server::state::order::compare);
                Filter::In {
                    field: field.to_string(),
                    values,
                    negated,
                }
            },
        );
        let null = any::<bool>().prop_map(move |negated| Filter::Null {
            field: field.to_string(),
            negated,
        });
        let like = prop_oneof![
            "[ab%_]{0,4}",
            Just("é%".to_string()),
            Just("b\u{10FFFF}%".to_string())
        ]
        .prop_map(move |p| Filter::Like {
            field: field.to_string(),
            pattern: Pattern::parse(&p),
        });
        if matches!(field, "s" | "m" | "id") {
            prop_oneof![4 => cmp, 2 => within, 1 => null, 3 => like].boxed()
        } else {
            prop_oneof![4 => cmp, 2 => within, 1 => null].boxed()
        }
    })
}

fn filter() -> impl Strategy<Value = Filter> {
    condition().prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            3 => prop::collection::vec(inner.clone(), 0..4).prop_map(Filter::And),
            1 => prop::collection::vec(inner, 0..3).prop_map(Filter::Or),
        ]
    })
}

fn order() -> impl Strategy<Value = Vec<OrderBy>> {
    prop::collection::vec(
        (field_name(), any::<bool>()).prop_map(|(f, desc)| OrderBy {
            field: f.to_string(),
            dir: if desc { Dir::Desc } else { Dir::Asc },
        }),
        0..3,
    )
}

fn select() -> impl Strategy<Value = Select> {
    let numeric = prop::sample::select(vec!["n", "f"]);
    let ordered = prop::sample::select(vec!["n", "f", "s"]);
    prop_oneof![
        8 => Just(Select::Rows),
        1 => Just(Select::Count),
        1 => Just(Select::Exists),
        1 => (prop::sample::select(vec![Aggregate::Sum, Aggregate::Avg]), numeric)
            .prop_map(|(a, f)| Select::Aggregate(a, f.to_string())),
        1 => (prop::sample::select(vec![Aggregate::Min, Aggregate::Max]), ordered)
            .prop_map(|(a, f)| Select::Aggregate(a, f.to_string())),
        1 => field_name().prop_map(|f| Select::Pluck(f.to_string())),
    ]
}

/// Where the cursor comes from: a row of the full answer, or values made up.
#[derive(Debug, Clone)]
enum CursorChoice {
    None,
    Row(prop::sample::Index),
    Made(Vec<Value>, String),
}

fn cursor_choice() -> impl Strategy<Value = CursorChoice> {
    prop_oneof![
        3 => Just(CursorChoice::None),
        2 => any::<prop::sample::Index>().prop_map(CursorChoice::Row),
        1 => (prop::collection::vec(nullable(scalar_value()), 3), key())
            .prop_map(|(v, k)| CursorChoice::Made(v, k)),
    ]
}

#[derive(Debug, Clone)]
struct Case {
    filter: Option<Filter>,
    order: Vec<OrderBy>,
    limit: Option<u64>,
    offset: u64,
    cursor: CursorChoice,
    select: Select,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::option::weighted(0.8, filter()),
        order(),
        prop::option::weighted(0.7, 0u64..7),
        prop_oneof![3 => Just(0u64), 1 => 0u64..4],
        cursor_choice(),
        select(),
    )
        .prop_map(|(filter, order, limit, offset, cursor, select)| Case {
            filter,
            order,
            limit,
            offset,
            cursor,
            select,
        })
}

// ---- building the state -----------------------------------------------------------

fn build(commits: &[(String, Vec<Op>)]) -> State {
    let mut state = testkit::state_with(&schema());
    let mut next_event = 0u64;
    for (key, ops) in commits {
        let mut events = Vec::new();
        let mut push = |event_type: String, data: Value| {
            next_event += 1;
            events.push(NewEvent {
                id: format!("ev{next_event}"),
                event_type,
                data,
                meta: Vec::new(),
            });
        };
        for op in ops {
            match op {
                Op::Put(fields) => {
                    push("Put".to_string(), map::build(vec![]));
                    for (name, value) in fields {
                        if value.is_null() {
                            push(format!("clear_{name}"), map::build(vec![]));
                        } else {
                            push(
                                format!("set_{name}"),
                                map::build(vec![("v", value.clone())]),
                            );
                        }
                    }
                }
                Op::Drop => push("Drop".to_string(), map::build(vec![])),
            }
        }
        let request = CommitRequest::new(vec![StreamWrite {
            aggregate: "Thing".to_string(),
            key: key.clone(),
            expected: Expected::Any,
            events,
        }]);
        if let Err(e) = testkit::run_unrecorded(&mut state, &request) {
            // Only a drop of a missing entity may fail; it changes nothing, as live.
            assert_eq!(e.code, "not_found", "{}", e.message);
        }
    }
    assert!(
        state.indexes_agree_with_tables(),
        "indexes drifted from the tables"
    );
    state
}

// ---- the naive model --------------------------------------------------------------

fn rank(v: &Value) -> u8 {
    match v {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Integer(_) | Value::Float(_) => 2,
        Value::Text(_) => 3,
        _ => 4,
    }
}

/// The protocol's order, written plainly. The test's numbers are small or far apart,
/// so going through f64 is exact here.
fn naive_cmp(a: &Value, b: &Value) -> Ordering {
    rank(a).cmp(&rank(b)).then_with(|| match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Text(x), Value::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
        _ => match (num(a), num(b)) {
            (Some(x), Some(y)) => match (x.is_nan(), y.is_nan()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                _ => x.partial_cmp(&y).unwrap(),
            },
            _ => Ordering::Equal,
        },
    })
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(i128::from(*i) as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

fn naive_like(p: &[char], t: &[char]) -> bool {
    match p.split_first() {
        None => t.is_empty(),
        Some(('%', rest)) => (0..=t.len()).any(|i| naive_like(rest, &t[i..])),
        Some(('_', rest)) => !t.is_empty() && naive_like(rest, &t[1..]),
        Some((c, rest)) => t.first() == Some(c) && naive_like(rest, &t[1..]),
    }
}

fn get<'a>(row: &'a Value, field: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    map::get(row, field).unwrap_or(&NULL)
}

fn naive_match(f: &Filter, row: &Value) -> bool {
    match f {
        Filter::And(items) => items.iter().all(|f| naive_match(f, row)),
        Filter::Or(items) => items.iter().any(|f| naive_match(f, row)),
        Filter::Compare { field, op, value } => {
            let v = get(row, field);
            if v.is_null() {
                return false;
            }
            if rank(v) != rank(value) {
                return *op == CmpOp::Ne;
            }
            let o = naive_cmp(v, value);
            match op {
                CmpOp::Eq => o.is_eq(),
                CmpOp::Ne => o.is_ne(),
                CmpOp::Lt => o.is_lt(),
                CmpOp::Le => o.is_le(),
                CmpOp::Gt => o.is_gt(),
                CmpOp::Ge => o.is_ge(),
            }
        }
        Filter::Like { field, pattern } => match get(row, field) {
            Value::Text(t) => naive_like(
                &pattern.source().chars().collect::<Vec<_>>(),
                &t.chars().collect::<Vec<_>>(),
            ),
            _ => false,
        },
        Filter::In {
            field,
            values,
            negated,
        } => {
            let v = get(row, field);
            !v.is_null()
                && values
                    .iter()
                    .any(|x| rank(x) == rank(v) && naive_cmp(x, v).is_eq())
                    != *negated
        }
        Filter::Null { field, negated } => get(row, field).is_null() != *negated,
    }
}

fn sort_key<'a>(order: &[OrderBy], row: &'a Value) -> Vec<&'a Value> {
    order.iter().map(|o| get(row, &o.field)).collect()
}

/// Compares `[order values…, id]` tuples in the query's order.
fn naive_order(order: &[OrderBy], a: &[&Value], b: &[&Value]) -> Ordering {
    for (i, o) in order.iter().enumerate() {
        let c = naive_cmp(a[i], b[i]);
        let c = if o.dir == Dir::Desc { c.reverse() } else { c };
        if c.is_ne() {
            return c;
        }
    }
    let id = |t: &[&Value]| t[order.len()].as_text().unwrap().as_bytes().to_vec();
    id(a).cmp(&id(b))
}

fn tuple<'a>(order: &[OrderBy], row: &'a Value) -> Vec<&'a Value> {
    let mut t = sort_key(order, row);
    t.push(get(row, "id"));
    t
}

/// Every matching row in answer order, ignoring the page.
fn naive_all(state: &State, q: &Query) -> Vec<Value> {
    let mut rows: Vec<Value> = state
        .table("Item")
        .map(|t| t.values().map(|e| e.to_value()).collect())
        .unwrap_or_default();
    rows.retain(|r| q.filter.as_ref().is_none_or(|f| naive_match(f, r)));
    rows.sort_by(|a, b| naive_order(&q.order, &tuple(&q.order, a), &tuple(&q.order, b)));
    rows
}

enum Expected2 {
    Fields(Vec<(&'static str, Value)>),
    Limit,
    Overflow,
}

fn naive(state: &State, q: &Query) -> Expected2 {
    let mut rows = naive_all(state, q);
    if let Some(after) = &q.after {
        let cursor: Vec<&Value> = after.iter().collect();
        rows.retain(|r| naive_order(&q.order, &tuple(&q.order, r), &cursor).is_gt());
    }
    let rows: Vec<Value> = rows.into_iter().skip(q.offset as usize).collect();
    let limit = q.limit.map(|l| l as usize);
    let page: Vec<Value> = rows
        .iter()
        .take(limit.unwrap_or(usize::MAX))
        .cloned()
        .collect();
    let sends_rows = matches!(q.select, Select::Rows | Select::Pluck(_));
    if sends_rows && page.len() > ROWS_MAX {
        return Expected2::Limit;
    }
    let values = |field: &str| -> Vec<Value> {
        page.iter()
            .map(|r| get(r, field).clone())
            .filter(|v| !v.is_null())
            .collect()
    };
    Expected2::Fields(match &q.select {
        Select::Rows => {
            let next = if rows.len() > page.len() && !page.is_empty() {
                let last = page.last().unwrap();
                Value::Array(tuple(&q.order, last).into_iter().cloned().collect())
            } else {
                Value::Null
            };
            vec![("entities", Value::Array(page.clone())), ("next", next)]
        }
        Select::Pluck(f) => vec![(
            "values",
            Value::Array(page.iter().map(|r| get(r, f).clone()).collect()),
        )],
        Select::Count => vec![("count", Value::from(page.len() as u64))],
        Select::Exists => vec![("exists", Value::Bool(!page.is_empty()))],
        Select::Aggregate(a, f) => {
            let vs = values(f);
            let value = if vs.is_empty() {
                Value::Null
            } else {
                match a {
                    Aggregate::Sum | Aggregate::Avg if f == "n" => {
                        let total: i128 =
                            vs.iter().map(|v| i128::from(v.as_integer().unwrap())).sum();
                        match (a, i64::try_from(total)) {
                            (Aggregate::Avg, _) => Value::Float(total as f64 / vs.len() as f64),
                            (_, Ok(t)) => Value::from(t),
                            (_, Err(_)) => return Expected2::Overflow,
                        }
                    }
                    Aggregate::Sum => Value::Float(vs.iter().map(|v| num(v).unwrap()).sum()),
                    Aggregate::Avg => Value::Float(
                        vs.iter().map(|v| num(v).unwrap()).sum::<f64>() / vs.len() as f64,
                    ),
                    Aggregate::Min => vs.iter().min_by(|a, b| naive_cmp(a, b)).unwrap().clone(),
                    Aggregate::Max => vs.iter().max_by(|a, b| naive_cmp(a, b)).unwrap().clone(),
                }
            };
            vec![("value", value)]
        }
    })
}

/// Equal as answers: NaN equals NaN and -0.0 equals 0.0 (which of two tied values an
/// aggregate meets first depends on the plan).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => (x.is_nan() && y.is_nan()) || x == y,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k1, v1), (k2, v2))| k1 == k2 && same(v1, v2))
        }
        _ => a == b,
    }
}

fn query_of(state: &State, case: &Case) -> Query {
    let mut q = Query {
        entity: "Item".to_string(),
        filter: case.filter.clone(),
        order: case.order.clone(),
        limit: case.limit,
        offset: case.offset,
        after: None,
        select: case.select.clone(),
        explain: false,
    };
    q.after = match &case.cursor {
        CursorChoice::None => None,
        CursorChoice::Row(i) => {
            let all = naive_all(state, &q);
            if all.is_empty() {
                None
            } else {
                let row = &all[i.index(all.len())];
                Some(tuple(&q.order, row).into_iter().cloned().collect())
            }
        }
        CursorChoice::Made(values, key) => {
            // Only values the order fields' types accept (or null) make a valid cursor.
            let mut cursor: Vec<Value> = q
                .order
                .iter()
                .zip(values.iter().cycle())
                .map(|(o, v)| {
                    let ty = FIELDS.iter().find(|(n, _)| *n == o.field).unwrap().1;
                    if v.is_null() || ty.accepts_kind_of(v) {
                        v.clone()
                    } else {
                        Value::Null
                    }
                })
                .collect();
            cursor.push(Value::from(key.as_str()));
            Some(cursor)
        }
    };
    q
}

fn check_case(state: &State, case: &Case) -> Result<(), TestCaseError> {
    let q = query_of(state, case);
    // Decoded from the spliced answer frame, as a client reads it.
    let got = resident_server::query::run::run(state, &q, ROWS_MAX)
        .map(|fields| resident_server::cbor::answer::decode(&fields));
    match (naive(state, &q), got) {
        (Expected2::Limit, Err(e)) => prop_assert_eq!(e.code, "limit", "{}", e.message),
        (Expected2::Limit, Ok(fields)) => {
            prop_assert!(false, "expected a limit refusal, got {fields:?}")
        }
        (Expected2::Overflow, Err(e)) => {
            prop_assert!(e.message.contains("overflows"), "{}", e.message)
        }
        (Expected2::Overflow, Ok(fields)) => {
            prop_assert!(false, "expected an overflow, got {fields:?}")
        }
        (Expected2::Fields(expected), Err(e)) => {
            prop_assert!(false, "expected {expected:?}, got error {e:?}")
        }
        (Expected2::Fields(expected), Ok(fields)) => {
            let plan = resident_server::query::plan::choose(&register_def(), &q, |f| {
                state.index("Item", f).is_some()
            });
            let expected = Value::Map(
                expected
                    .into_iter()
                    .map(|(k, v)| (Value::from(k), v))
                    .collect(),
            );
            let fields = Value::Map(
                fields
                    .into_iter()
                    .map(|(k, v)| (Value::from(k), v))
                    .collect(),
            );
            prop_assert!(
                same(&expected, &fields),
                "plan {:?}\nexpected {expected:?}\ngot      {fields:?}",
                plan
            );
        }
    }
    // Pagination: following `next` from the first page visits every row once, in order.
    if matches!(q.select, Select::Rows) && q.offset == 0 && q.after.is_none() {
        if let Some(limit) = q.limit.filter(|l| *l > 0) {
            let all = naive_all(state, &q);
            let mut seen: Vec<Value> = Vec::new();
            let mut page = q.clone();
            for _ in 0..=all.len() {
                let fields = resident_server::query::run::run(state, &page, ROWS_MAX)
                    .map(|fields| resident_server::cbor::answer::decode(&fields))
                    .map_err(|e| TestCaseError::fail(e.message))?;
                let rows = fields
                    .iter()
                    .find(|(k, _)| *k == "entities")
                    .unwrap()
                    .1
                    .clone();
                let rows = rows.as_array().unwrap().clone();
                prop_assert!(rows.len() as u64 <= limit);
                seen.extend(rows);
                match &fields.iter().find(|(k, _)| *k == "next").unwrap().1 {
                    Value::Null => break,
                    Value::Array(cursor) => page.after = Some(cursor.clone()),
                    other => prop_assert!(false, "next is {other:?}"),
                }
            }
            prop_assert!(same(&Value::Array(seen), &Value::Array(all)));
        }
    }
    Ok(())
}

fn register_def() -> EntityDef {
    schema().entities.remove(0)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn the_engine_answers_as_the_naive_model_does(
        commits in commits(),
        cases in prop::collection::vec(case(), 1..12),
    ) {
        let state = build(&commits);
        for case in &cases {
            check_case(&state, case)?;
        }
    }
}

/// The model itself, on a case small enough to check by eye.
#[test]
fn the_model_agrees_with_a_hand_worked_case() {
    let put = |n: i64, s: &str| {
        Op::Put(vec![
            ("n", Value::from(n)),
            ("f", Value::Null),
            ("s", Value::from(s)),
            ("m", Value::Null),
            ("b", Value::Null),
        ])
    };
    let state = build(&[
        ("e01".into(), vec![put(2, "ab")]),
        ("e02".into(), vec![put(1, "b")]),
        ("e03".into(), vec![put(2, "a")]),
        ("e04".into(), vec![put(9, "x"), Op::Drop]),
    ]);
    let case = Case {
        filter: Some(Filter::Compare {
            field: "n".into(),
            op: CmpOp::Ge,
            value: Value::from(1),
        }),
        order: vec![OrderBy {
            field: "n".into(),
            dir: Dir::Desc,
        }],
        limit: Some(2),
        offset: 0,
        cursor: CursorChoice::None,
        select: Select::Rows,
    };
    let q = query_of(&state, &case);
    let Expected2::Fields(fields) = naive(&state, &q) else {
        panic!("refused")
    };
    let ids: Vec<&str> = fields[0]
        .1
        .as_array()
        .unwrap()
        .iter()
        .map(|r| map::get_text(r, "id").unwrap())
        .collect();
    assert_eq!(ids, vec!["e01", "e03"]);
    check_case(&state, &case).unwrap();
}
