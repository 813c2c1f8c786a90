//! Runs a checked query against one state version, following its [`Plan`]. Pure: it
//! reads the state it is given and builds the answer's fields.
//!
//! The row order is always total — the order fields, then id ascending — so pages never
//! overlap or skip. An ordered walk (an index or the table in the order's first key)
//! gathers rows in runs of equal first key and sorts each run by the full order, which
//! both breaks ties by id and makes a backward walk (desc) come out id-ascending within
//! a key; it stops after the run that fills the page. Any other plan collects the
//! matching rows and sorts only as many as the page needs.

use std::cmp::Ordering;
use std::ops::Bound;

use resident_protocol::Value;

use crate::cbor::answer::{self, Field, Fields};
use crate::error::ServerError;
use crate::query::filter;
use crate::query::parse::{Aggregate, Dir, OrderBy, Query, Select};
use crate::query::plan::{self, Plan, Source};
use crate::state::entity::Entity;
use crate::state::index::{self, field_value, FieldIndex, NumberSum, Tie};
use crate::state::interval::{self, Interval};
use crate::state::order::{compare, Class};
use crate::state::projection::Table;
use crate::state::value::Number;
use crate::state::State;

/// Answers `query` from `state`: the result fields of the response. Rows are borrowed
/// from `state`, to be spliced into the answer ready-encoded.
pub fn run<'a>(
    state: &'a State,
    query: &'a Query,
    rows_max: usize,
) -> Result<Fields<'a>, ServerError> {
    let def = state.entity_def(&query.entity)?;
    query.check(def)?;
    let table = state.table(&query.entity).unwrap_or_else(|| empty_table());
    let plan = plan::choose(def, query, |f| state.index(&query.entity, f).is_some());
    let index = match &plan.source {
        Source::Table => None,
        Source::Index(field) => Some(state.index(&query.entity, field).ok_or_else(|| {
            ServerError::internal(format!("the plan chose index {field}, which is missing"))
        })?),
    };
    let run = Run {
        query,
        table,
        index,
        plan,
        rows_max,
    };
    let mut fields = run.answer()?;
    if query.explain {
        fields.push(("plan", run.plan.to_value(query).into()));
    }
    Ok(fields)
}

/// The table of a type that has no entities yet; static, so rows could borrow from it.
fn empty_table() -> &'static Table {
    static EMPTY: std::sync::OnceLock<Table> = std::sync::OnceLock::new();
    EMPTY.get_or_init(Table::new)
}

/// One row on its way into an answer, with its order keys looked up once.
struct Row<'a> {
    id: &'a str,
    entity: &'a Entity,
    keys: Keys<'a>,
}

/// Order fields whose keys a row holds inline; nearly every query orders by fewer.
const INLINE_KEYS: usize = 3;
static NO_KEY: Value = Value::Null;

/// A row's order keys: inline for up to [`INLINE_KEYS`] order fields, so that building
/// a row allocates nothing; on the heap beyond.
enum Keys<'a> {
    Inline(usize, [&'a Value; INLINE_KEYS]),
    Heap(Vec<&'a Value>),
}

impl<'a> Keys<'a> {
    /// The row's order keys. `walked` is the walked index's field with this row's key in
    /// it: the same value the entity holds, read from the index entry already in cache
    /// instead of from the entity's fields (a cache miss or more per row on a large table).
    fn of(entity: &'a Entity, order: &[OrderBy], walked: Option<(&str, &'a Value)>) -> Self {
        let value = |o: &OrderBy| match walked {
            Some((field, key)) if field == o.field => key,
            _ => field_value(entity, &o.field),
        };
        if order.len() > INLINE_KEYS {
            return Keys::Heap(order.iter().map(value).collect());
        }
        let mut keys = [&NO_KEY; INLINE_KEYS];
        for (key, o) in keys.iter_mut().zip(order) {
            *key = value(o);
        }
        Keys::Inline(order.len(), keys)
    }
}

impl<'a> std::ops::Deref for Keys<'a> {
    type Target = [&'a Value];

    fn deref(&self) -> &Self::Target {
        match self {
            Keys::Inline(len, keys) => &keys[..*len],
            Keys::Heap(keys) => keys,
        }
    }
}

/// A row the walk produced: its key in the walked source (`None` when the source is the
/// table, whose keys are unique ids), id and entity.
struct Candidate<'a> {
    key: Option<&'a Value>,
    id: &'a str,
    entity: &'a Entity,
}

struct Run<'a> {
    query: &'a Query,
    table: &'a Table,
    index: Option<&'a FieldIndex>,
    plan: Plan,
    rows_max: usize,
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

impl<'a> Run<'a> {
    fn answer(&self) -> Result<Fields<'a>, ServerError> {
        let q = self.query;
        let whole_set = q.limit.is_none() && q.offset == 0 && q.after.is_none();
        let fields = match &q.select {
            Select::Rows => return self.rows(),
            Select::Pluck(field) => {
                let (rows, _) = self.page()?;
                let values = rows
                    .iter()
                    .map(|r| field_value(r.entity, field).clone())
                    .collect();
                vec![("values", Value::Array(values))]
            }
            // Without a page to cut, order does not matter: fold over the walk as is.
            Select::Count if whole_set => {
                let count = match (&q.filter, self.index) {
                    (None, _) => self.table.len(),
                    (Some(_), Some(index)) if self.plan.exact => {
                        index::range_count(index, &self.plan.interval)
                    }
                    (Some(_), _) => self.matching().count(),
                };
                vec![("count", Value::from(count as u64))]
            }
            Select::Exists if whole_set => {
                vec![("exists", Value::Bool(self.matching().next().is_some()))]
            }
            Select::Aggregate(aggregate, field) if whole_set => {
                let value = match self.index_keys_aggregate(*aggregate, field) {
                    Some(value) => value?,
                    None => fold(*aggregate, field, self.matching().map(|c| c.entity))?,
                };
                vec![("value", value)]
            }
            Select::Count => vec![("count", Value::from(self.aggregate_page().len() as u64))],
            Select::Exists => vec![("exists", Value::Bool(!self.aggregate_page().is_empty()))],
            Select::Aggregate(aggregate, field) => {
                let rows = self.aggregate_page();
                let value = fold(*aggregate, field, rows.iter().map(|r| r.entity))?;
                vec![("value", value)]
            }
        };
        Ok(answer::values(fields))
    }

    /// `{entities, next}`: the page's entities, spliced in as they are stored.
    fn rows(&self) -> Result<Fields<'a>, ServerError> {
        let (rows, next) = self.page()?;
        Ok(vec![
            ("entities", Field::rows(rows.iter().map(|r| r.entity))),
            ("next", next.unwrap_or(Value::Null).into()),
        ])
    }

    /// The rows an aggregate covers when the query cuts a page (limit, offset, after):
    /// the rows `rows` would answer, without the `rows_max` cap since none are sent.
    fn aggregate_page(&self) -> Vec<Row<'a>> {
        let offset = to_usize(self.query.offset);
        let take = self.query.limit.map_or(usize::MAX, to_usize);
        let mut rows = self.in_order(offset.saturating_add(take));
        rows.drain(..offset.min(rows.len()));
        rows
    }

    /// The page of rows to answer, and the cursor for the next one. Refuses, rather
    /// than truncates, a page that would exceed `rows_max`.
    fn page(&self) -> Result<(Vec<Row<'a>>, Option<Value>), ServerError> {
        let rows_max = self.rows_max;
        let offset = to_usize(self.query.offset);
        let limit = self.query.limit.map(to_usize);
        let take = match limit {
            Some(l) if l <= rows_max => l,
            _ => rows_max.saturating_add(1),
        };
        // One row more than the page: whether it exists decides `next`.
        let mut rows = self.in_order(offset.saturating_add(take).saturating_add(1));
        rows.drain(..offset.min(rows.len()));
        if rows.len() > rows_max && limit.is_none_or(|l| l > rows_max) {
            return Err(ServerError::limit(format!(
                "query: more than {rows_max} {} rows match, the limit of one answer; \
                 use limit() and pagination (pass `next` as `after`) to read them in pages",
                self.query.entity
            )));
        }
        let want = limit.unwrap_or(usize::MAX);
        let more = rows.len() > want;
        rows.truncate(want);
        let next = if more {
            rows.last().map(|r| self.cursor_of(r))
        } else {
            None
        };
        Ok((rows, next))
    }

    /// `[order values…, id]` of a row: where the next page starts.
    fn cursor_of(&self, row: &Row<'_>) -> Value {
        let mut values: Vec<Value> = row.keys.iter().map(|v| (*v).clone()).collect();
        values.push(Value::from(row.id));
        Value::Array(values)
    }

    /// Every candidate of the plan's walk that passes the filter, in walk order.
    fn matching(&self) -> impl Iterator<Item = Candidate<'a>> + '_ {
        self.walk(&self.plan.interval)
            .filter(|c| self.passes_filter(c.entity))
    }

    /// sum, avg, min or max of the walked index's own field over an exact plan's range,
    /// from the index keys alone: sums from the tree's cached subtree sums, min and max
    /// from the range's ends. `None` when the plan is not like that.
    fn index_keys_aggregate(
        &self,
        aggregate: Aggregate,
        field: &str,
    ) -> Option<Result<Value, ServerError>> {
        let index = self.index?;
        if !self.plan.exact || field != self.plan.field {
            return None;
        }
        let interval = &self.plan.interval;
        if interval.is_empty() {
            return Some(Ok(Value::Null));
        }
        Some(match aggregate {
            Aggregate::Sum | Aggregate::Avg => sum_value(
                aggregate,
                field,
                index::range_numbers(index, &interval.lower, &interval.upper),
            ),
            Aggregate::Min | Aggregate::Max => {
                // Nulls sort first and are skipped, as `fold` skips them.
                let lower = interval::tighter_lower(&interval.lower, &Bound::Excluded(Value::Null));
                let bounds = index::entry_bounds(&lower, &interval.upper);
                let mut range = index.range(bounds);
                let end = if aggregate == Aggregate::Min {
                    range.next()
                } else {
                    // `fold` keeps the first of equal maxima (say 1 before 1.0): the
                    // first entry of the last key.
                    range.next_back().and_then(|((last, _), _)| {
                        let from = Bound::Included(last.0.clone());
                        index
                            .range(index::entry_bounds(&from, &interval.upper))
                            .next()
                    })
                };
                Ok(end.map_or(Value::Null, |((key, _), _)| key.0.clone()))
            }
        })
    }

    /// True when the row matches the filter. Rows an exact plan walks match by
    /// construction (its interval is exactly what the filter keeps): not checked again.
    fn passes_filter(&self, entity: &Entity) -> bool {
        self.plan.exact
            || self
                .query
                .filter
                .as_ref()
                .is_none_or(|f| filter::matches(f, entity))
    }

    fn row(&self, c: &Candidate<'a>) -> Row<'a> {
        Row {
            id: c.id,
            entity: c.entity,
            keys: Keys::of(
                c.entity,
                &self.query.order,
                c.key.map(|key| (self.plan.field.as_str(), key)),
            ),
        }
    }

    /// The first `need` rows of the answer in order, after the cursor.
    fn in_order(&self, need: usize) -> Vec<Row<'a>> {
        if need == 0 {
            return Vec::new();
        }
        let order = &self.query.order;
        let after = self.query.after.as_deref();
        let wanted = |row: &Row<'_>| after.is_none_or(|cursor| after_cursor(order, row, cursor));
        let by_order = |a: &Row<'_>, b: &Row<'_>| compare_rows(order, a, b);
        if !self.plan.ordered {
            let mut rows: Vec<Row<'a>> = self
                .matching()
                .map(|c| self.row(&c))
                .filter(|r| wanted(r))
                .collect();
            if rows.len() > need {
                rows.select_nth_unstable_by(need, by_order);
                rows.truncate(need);
            }
            rows.sort_unstable_by(by_order);
            return rows;
        }
        // With a cursor, start the walk at the cursor's first key instead of the
        // interval's start, so deep pages cost what the first one does.
        let mut interval = self.plan.interval.clone();
        if let Some(first) = after.and_then(|a| a.first()) {
            let at = Bound::Included(first.clone());
            if self.plan.reverse {
                interval.upper = interval::tighter_upper(&interval.upper, &at);
            } else {
                interval.lower = interval::tighter_lower(&interval.lower, &at);
            }
        }
        let mut out: Vec<Row<'a>> = Vec::new();
        let mut run: Vec<Row<'a>> = Vec::new();
        let mut run_key: Option<&Value> = None;
        let flush = |run: &mut Vec<Row<'a>>, out: &mut Vec<Row<'a>>| {
            run.sort_unstable_by(by_order);
            out.append(run);
        };
        for c in self.walk(&interval) {
            let same_run =
                matches!((run_key, c.key), (Some(a), Some(b)) if compare(a, b) == Ordering::Equal);
            if !same_run {
                flush(&mut run, &mut out);
                if out.len() >= need {
                    break;
                }
            }
            run_key = c.key;
            if self.passes_filter(c.entity) {
                let row = self.row(&c);
                if wanted(&row) {
                    run.push(row);
                }
            }
        }
        flush(&mut run, &mut out);
        out.truncate(need);
        out
    }

    /// Walks the plan's source over `interval`, in key order (backwards when the plan
    /// says so).
    fn walk(&self, interval: &Interval) -> Box<dyn Iterator<Item = Candidate<'a>> + 'a> {
        if interval.is_empty() {
            return Box::new(std::iter::empty());
        }
        let reverse = self.plan.reverse;
        match self.index {
            Some(index) => {
                let range = index.range(index::entry_bounds(&interval.lower, &interval.upper));
                let resolve =
                    |((key, tie), entity): (&'a index::Entry, &'a std::sync::Arc<Entity>)| {
                        let Tie::Id(id) = tie else {
                            debug_assert!(false, "an index holds a bound marker");
                            return None;
                        };
                        Some(Candidate {
                            key: Some(&key.0),
                            id,
                            entity,
                        })
                    };
                if reverse {
                    Box::new(range.rev().filter_map(resolve))
                } else {
                    Box::new(range.filter_map(resolve))
                }
            }
            None => {
                let Some((lower, upper)) = id_bounds(interval) else {
                    return Box::new(std::iter::empty());
                };
                let range = self.table.range::<_, str>((
                    lower.as_ref().map(String::as_str),
                    upper.as_ref().map(String::as_str),
                ));
                let candidate =
                    |(id, entity): (&'a std::sync::Arc<str>, &'a std::sync::Arc<Entity>)| {
                        Candidate {
                            key: None,
                            id,
                            entity,
                        }
                    };
                if reverse {
                    Box::new(range.rev().map(candidate))
                } else {
                    Box::new(range.map(candidate))
                }
            }
        }
    }
}

/// An interval of id keys as bounds on the table's string keys; `None` when no string
/// lies in it. Bounds of other kinds sit wholly before or after every string.
fn id_bounds(interval: &Interval) -> Option<(Bound<String>, Bound<String>)> {
    let lower = match &interval.lower {
        Bound::Unbounded => Bound::Unbounded,
        Bound::Included(v) | Bound::Excluded(v) => match (Class::of(v), v) {
            (Class::Text, Value::Text(t)) => match &interval.lower {
                Bound::Included(_) => Bound::Included(t.clone()),
                _ => Bound::Excluded(t.clone()),
            },
            (class, _) if class < Class::Text => Bound::Unbounded,
            _ => return None,
        },
    };
    let upper = match &interval.upper {
        Bound::Unbounded => Bound::Unbounded,
        Bound::Included(v) | Bound::Excluded(v) => match (Class::of(v), v) {
            (Class::Text, Value::Text(t)) => match &interval.upper {
                Bound::Included(_) => Bound::Included(t.clone()),
                _ => Bound::Excluded(t.clone()),
            },
            (class, _) if class > Class::Text => Bound::Unbounded,
            _ => return None,
        },
    };
    Some((lower, upper))
}

/// The answer order: each order field in its direction, then id ascending.
fn compare_rows(order: &[OrderBy], a: &Row<'_>, b: &Row<'_>) -> Ordering {
    for (o, (x, y)) in order.iter().zip(a.keys.iter().zip(b.keys.iter())) {
        let ord = match o.dir {
            Dir::Asc => compare(x, y),
            Dir::Desc => compare(y, x),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    a.id.as_bytes().cmp(b.id.as_bytes())
}

/// True when `row` comes strictly after the cursor `[order values…, id]` (checked to
/// have that length).
fn after_cursor(order: &[OrderBy], row: &Row<'_>, cursor: &[Value]) -> bool {
    debug_assert_eq!(cursor.len(), order.len() + 1);
    for (o, (x, y)) in order.iter().zip(row.keys.iter().zip(cursor)) {
        let ord = match o.dir {
            Dir::Asc => compare(x, y),
            Dir::Desc => compare(y, x),
        };
        if ord != Ordering::Equal {
            return ord == Ordering::Greater;
        }
    }
    match cursor.last() {
        Some(Value::Text(id)) => row.id.as_bytes() > id.as_bytes(),
        _ => false,
    }
}

/// The answer of sum or avg over the numbers added up in `sum`: null over none, an int
/// sum refused when it overflows.
fn sum_value(aggregate: Aggregate, field: &str, sum: NumberSum) -> Result<Value, ServerError> {
    let NumberSum {
        count,
        ints,
        floats,
        any_float,
    } = sum;
    Ok(if count == 0 {
        Value::Null
    } else if aggregate == Aggregate::Avg {
        Value::Float((ints as f64 + floats) / count as f64)
    } else if any_float {
        Value::Float(ints as f64 + floats)
    } else {
        let sum = i64::try_from(ints).map_err(|_| {
            ServerError::bad_request(format!(
                "query: sum of {field} is {ints}, which overflows int"
            ))
        })?;
        Value::from(sum)
    })
}

/// sum, min, max or avg of `field` over `entities`; nulls are skipped, and no values
/// give null.
fn fold<'e>(
    aggregate: Aggregate,
    field: &str,
    entities: impl Iterator<Item = &'e Entity>,
) -> Result<Value, ServerError> {
    let values = entities
        .map(|e| field_value(e, field))
        .filter(|v| !v.is_null());
    Ok(match aggregate {
        Aggregate::Sum | Aggregate::Avg => {
            // Ints add up exactly in i128 — no count of i64s this server can hold
            // overflows it — so a sum is refused only when the total does not fit, not
            // when some order of addition would pass through an overflow.
            let mut sum = NumberSum::default();
            for v in values {
                match Number::of(v) {
                    Some(Number::Int(i)) => sum.ints += i128::from(i),
                    Some(Number::Float(f)) => {
                        sum.floats += f;
                        sum.any_float = true;
                    }
                    None => continue,
                }
                sum.count += 1;
            }
            sum_value(aggregate, field, sum)?
        }
        Aggregate::Min | Aggregate::Max => {
            let best = values.reduce(|best, v| {
                let ord = compare(v, best);
                let better = if aggregate == Aggregate::Min {
                    ord == Ordering::Less
                } else {
                    ord == Ordering::Greater
                };
                if better {
                    v
                } else {
                    best
                }
            });
            best.cloned().unwrap_or(Value::Null)
        }
    })
}

#[cfg(test)]
mod tests {
    use resident_protocol::map;

    use super::*;
    use crate::query::parse::{CmpOp, Filter};
    use crate::testkit::{bank, bank_part, new_event, open, run as commit, write};
    use crate::write::commit::Expected::Any;

    /// The engine's answer as a client reads it: spliced into a frame and decoded, so
    /// every test below also checks the bytes.
    fn run(
        state: &State,
        query: &Query,
        rows_max: usize,
    ) -> Result<Vec<(&'static str, Value)>, ServerError> {
        super::run(state, query, rows_max).map(|fields| answer::decode(&fields))
    }

    /// Accounts k00..k{n-1}; balance i % 7 (so ties abound), name "n{i % 3}-{i}".
    fn bank_with(n: usize) -> State {
        let mut s = bank();
        for i in 0..n {
            let key = format!("k{i:02}");
            commit(
                &mut s,
                &write(
                    &key,
                    Any,
                    vec![
                        new_event(
                            &format!("{key}-o"),
                            "AccountOpened",
                            vec![("name", Value::from(format!("n{}-{i}", i % 3)))],
                        ),
                        new_event(
                            &format!("{key}-b"),
                            "BalanceIncreased",
                            vec![("amount", Value::from((i % 7) as i64))],
                        ),
                    ],
                ),
            )
            .unwrap();
        }
        assert!(s.indexes_agree_with_tables());
        s
    }

    fn q(filter: Option<Filter>, order: Vec<(&str, Dir)>) -> Query {
        Query {
            entity: "Account".into(),
            filter,
            order: order
                .into_iter()
                .map(|(f, dir)| OrderBy {
                    field: f.into(),
                    dir,
                })
                .collect(),
            limit: None,
            offset: 0,
            after: None,
            select: Select::Rows,
            explain: false,
        }
    }

    fn cmp(field: &str, op: CmpOp, value: Value) -> Filter {
        Filter::Compare {
            field: field.into(),
            op,
            value,
        }
    }

    fn field<'v>(fields: &'v [(&'static str, Value)], name: &str) -> &'v Value {
        &fields.iter().find(|(k, _)| *k == name).unwrap().1
    }

    fn ids(fields: &[(&'static str, Value)]) -> Vec<String> {
        field(fields, "entities")
            .as_array()
            .unwrap()
            .iter()
            .map(|e| map::get_text(e, "uuid").unwrap().to_string())
            .collect()
    }

    #[test]
    fn rows_filtered_ordered_and_limited() {
        let s = bank_with(20);
        let mut query = q(
            Some(cmp("balance", CmpOp::Ge, Value::from(5))),
            vec![("balance", Dir::Desc)],
        );
        query.limit = Some(4);
        query.explain = true;
        let answer = run(&s, &query, 1000).unwrap();
        // balance 6: k06, k13; balance 5: k05, k12, k19 — desc by balance, ties by id asc.
        assert_eq!(ids(&answer), vec!["k06", "k13", "k05", "k12"]);
        assert_eq!(
            field(&answer, "next"),
            &Value::Array(vec![Value::from(5), Value::from("k12")])
        );
        let plan = field(&answer, "plan");
        assert_eq!(map::get_text(plan, "index"), Some("balance"));
        assert_eq!(map::get_text(plan, "kind"), Some("range"));

        query.limit = Some(10);
        let answer = run(&s, &query, 1000).unwrap();
        assert_eq!(ids(&answer).len(), 5);
        assert_eq!(
            field(&answer, "next"),
            &Value::Null,
            "no page after the last"
        );
    }

    /// Follows `next` until it is null; every row must come exactly once, in order.
    fn walk_pages(s: &State, base: &Query, page: u64) -> Vec<String> {
        let mut seen = Vec::new();
        let mut query = base.clone();
        query.limit = Some(page);
        for _ in 0..1000 {
            let answer = run(s, &query, 1000).unwrap();
            let got = ids(&answer);
            assert!(got.len() as u64 <= page);
            seen.extend(got);
            match field(&answer, "next") {
                Value::Null => return seen,
                Value::Array(cursor) => query.after = Some(cursor.clone()),
                other => panic!("next is {other:?}"),
            }
        }
        panic!("pagination did not end");
    }

    #[test]
    fn cursor_pagination_walks_the_whole_set_exactly_once() {
        let s = bank_with(30);
        let orders: Vec<Vec<(&str, Dir)>> = vec![
            vec![],
            vec![("balance", Dir::Asc)],
            vec![("balance", Dir::Desc)],
            vec![("name", Dir::Desc), ("balance", Dir::Asc)],
            vec![("uuid", Dir::Desc)],
            vec![("balance", Dir::Desc), ("name", Dir::Asc)],
        ];
        let filters = vec![
            None,
            Some(cmp("balance", CmpOp::Lt, Value::from(4))),
            Some(Filter::Like {
                field: "name".into(),
                pattern: crate::query::like::Pattern::parse("n1%"),
            }),
        ];
        for order in &orders {
            for filter in &filters {
                let base = q(filter.clone(), order.clone());
                let all = ids(&run(&s, &base, 1000).unwrap());
                for page in [1, 3, 7, 100] {
                    assert_eq!(
                        walk_pages(&s, &base, page),
                        all,
                        "order {order:?} filter {filter:?} page {page}"
                    );
                }
            }
        }
    }

    #[test]
    fn more_rows_than_rows_max_are_refused_not_truncated() {
        let s = bank_with(10);
        let err = run(&s, &q(None, vec![]), 9).unwrap_err();
        assert_eq!(err.code, "limit");
        assert!(
            err.message.contains("use limit() and pagination"),
            "{}",
            err.message
        );
        let mut big = q(None, vec![]);
        big.limit = Some(50);
        assert_eq!(run(&s, &big, 9).unwrap_err().code, "limit");
        // Exactly rows_max rows is fine, and so is a limit within it.
        assert_eq!(ids(&run(&s, &q(None, vec![]), 10).unwrap()).len(), 10);
        let mut small = q(None, vec![]);
        small.limit = Some(9);
        assert_eq!(ids(&run(&s, &small, 9).unwrap()).len(), 9);
        // A large limit over few matching rows is fine too.
        let mut few = q(Some(cmp("balance", CmpOp::Eq, Value::from(6))), vec![]);
        few.limit = Some(50);
        assert_eq!(ids(&run(&s, &few, 9).unwrap()), vec!["k06"]);
        // Aggregates send no rows, so rows_max does not bound them.
        let mut count = q(None, vec![]);
        count.select = Select::Count;
        assert_eq!(
            field(&run(&s, &count, 9).unwrap(), "count"),
            &Value::from(10)
        );
    }

    fn select(s: &State, filter: Option<Filter>, select: Select) -> Value {
        let mut query = q(filter, vec![]);
        let name = match &select {
            Select::Count => "count",
            Select::Exists => "exists",
            Select::Pluck(_) => "values",
            _ => "value",
        };
        query.select = select;
        field(&run(s, &query, 1000).unwrap(), name).clone()
    }

    #[test]
    fn aggregates() {
        let s = bank_with(10); // balances 0..6, 0, 1, 2
        let agg = |a, f: &str| Select::Aggregate(a, f.to_string());
        assert_eq!(select(&s, None, Select::Count), Value::from(10));
        assert_eq!(
            select(&s, None, agg(Aggregate::Sum, "balance")),
            Value::from(24)
        );
        assert_eq!(
            select(&s, None, agg(Aggregate::Min, "balance")),
            Value::from(0)
        );
        assert_eq!(
            select(&s, None, agg(Aggregate::Max, "balance")),
            Value::from(6)
        );
        assert_eq!(
            select(&s, None, agg(Aggregate::Avg, "balance")),
            Value::Float(2.4)
        );
        assert_eq!(
            select(&s, None, agg(Aggregate::Max, "name")),
            Value::from("n2-8")
        );
        assert_eq!(
            select(&s, None, agg(Aggregate::Sum, "rate")),
            Value::Float(0.0)
        );
        let over_five = Some(cmp("balance", CmpOp::Gt, Value::from(5)));
        assert_eq!(select(&s, over_five.clone(), Select::Count), Value::from(1));
        assert_eq!(select(&s, over_five, Select::Exists), Value::Bool(true));
        let none = Some(cmp("balance", CmpOp::Gt, Value::from(50)));
        assert_eq!(select(&s, none.clone(), Select::Exists), Value::Bool(false));
        for a in [
            Aggregate::Sum,
            Aggregate::Min,
            Aggregate::Max,
            Aggregate::Avg,
        ] {
            assert_eq!(select(&s, none.clone(), agg(a, "balance")), Value::Null);
        }
        // Nulls are skipped: `low` is null everywhere.
        assert!(select(&s, None, agg(Aggregate::Min, "low")).is_null());
        let two = Some(cmp("balance", CmpOp::Eq, Value::from(2)));
        assert_eq!(
            select(&s, two, Select::Pluck("uuid".into())),
            Value::Array(vec![Value::from("k02"), Value::from("k09")])
        );
        // With a page, aggregates cover the page: the top three balances.
        let mut top = q(None, vec![("balance", Dir::Desc)]);
        top.limit = Some(3);
        top.select = agg(Aggregate::Sum, "balance");
        assert_eq!(
            field(&run(&s, &top, 1000).unwrap(), "value"),
            &Value::from(15)
        );
        top.select = Select::Count;
        top.offset = 8;
        assert_eq!(
            field(&run(&s, &top, 1000).unwrap(), "count"),
            &Value::from(2)
        );
    }

    #[test]
    fn int_sums_refuse_to_overflow() {
        let mut s = bank_with(0);
        for key in ["a", "b"] {
            open(&mut s, key);
            commit(
                &mut s,
                &write(
                    key,
                    Any,
                    vec![new_event(
                        &format!("{key}-big"),
                        "BalanceIncreased",
                        vec![("amount", Value::from(i64::MAX))],
                    )],
                ),
            )
            .unwrap();
        }
        let mut query = q(None, vec![]);
        query.select = Select::Aggregate(Aggregate::Sum, "balance".into());
        let err = run(&s, &query, 10).unwrap_err();
        assert_eq!(err.code, "bad_request");
        assert!(err.message.contains("sum of balance"), "{}", err.message);
        query.select = Select::Aggregate(Aggregate::Avg, "balance".into());
        assert_eq!(
            field(&run(&s, &query, 10).unwrap(), "value"),
            &Value::Float(i64::MAX as f64)
        );
    }

    #[test]
    fn unknown_entity_is_a_schema_error() {
        let s = bank_with(0);
        let mut query = q(None, vec![]);
        query.entity = "Nope".into();
        let err = run(&s, &query, 10).unwrap_err();
        assert_eq!(err.code, "schema");
        assert!(err.message.contains("Nope"));
    }

    #[test]
    fn explain_names_the_plan() {
        let s = bank_with(5);
        let plan_of = |query: Query| {
            let mut query = query;
            query.explain = true;
            let answer = run(&s, &query, 100).unwrap();
            let plan = field(&answer, "plan").clone();
            (
                map::get(&plan, "index").cloned().unwrap(),
                map::get_text(&plan, "kind").unwrap().to_string(),
            )
        };
        assert_eq!(
            plan_of(q(Some(cmp("balance", CmpOp::Eq, Value::from(1))), vec![])),
            (Value::from("balance"), "equality".to_string())
        );
        assert_eq!(
            plan_of(q(None, vec![("balance", Dir::Desc)])),
            (Value::from("balance"), "order".to_string())
        );
        assert_eq!(
            plan_of(q(
                Some(cmp("hits", CmpOp::Eq, Value::from(1))),
                vec![("name", Dir::Asc)]
            )),
            (Value::Null, "scan".to_string())
        );
    }

    #[test]
    fn exact_ranges_aggregate_from_the_index_keys() {
        let s = bank_with(30); // balance i % 7
        let agg = |a, f: &str| Select::Aggregate(a, f.to_string());
        let range = Some(Filter::And(vec![
            cmp("balance", CmpOp::Ge, Value::from(2)),
            cmp("balance", CmpOp::Lt, Value::from(5)),
        ]));
        let want: Vec<i64> = (0..30)
            .map(|i| i % 7)
            .filter(|b| (2..5).contains(b))
            .collect();
        let mut query = q(range.clone(), vec![]);
        query.select = Select::Count;
        query.explain = true;
        let answer = run(&s, &query, 1000).unwrap();
        assert_eq!(field(&answer, "count"), &Value::from(want.len() as u64));
        let text = map::get_text(field(&answer, "plan"), "text")
            .unwrap()
            .to_string();
        assert!(
            text.contains("cached subtree counts, no row read"),
            "{text}"
        );
        assert_eq!(
            select(&s, range.clone(), agg(Aggregate::Sum, "balance")),
            Value::from(want.iter().sum::<i64>())
        );
        assert_eq!(
            select(&s, range.clone(), agg(Aggregate::Avg, "balance")),
            Value::Float(want.iter().sum::<i64>() as f64 / want.len() as f64)
        );
        assert_eq!(
            select(&s, range.clone(), agg(Aggregate::Min, "balance")),
            Value::from(2)
        );
        assert_eq!(
            select(&s, range.clone(), agg(Aggregate::Max, "balance")),
            Value::from(4)
        );
        assert_eq!(
            select(&s, range.clone(), agg(Aggregate::Max, "name")),
            Value::from("n2-23")
        );
        assert_eq!(select(&s, range, Select::Exists), Value::Bool(true));
        let empty = Some(cmp("balance", CmpOp::Gt, Value::from(6)));
        assert_eq!(select(&s, empty.clone(), Select::Count), Value::from(0));
        assert_eq!(
            select(&s, empty.clone(), Select::Exists),
            Value::Bool(false)
        );
        assert!(select(&s, empty.clone(), agg(Aggregate::Sum, "balance")).is_null());
        assert!(select(&s, empty, agg(Aggregate::Max, "balance")).is_null());
        // Not exact: the other condition is checked on every row.
        let mixed = Some(Filter::And(vec![
            cmp("balance", CmpOp::Ge, Value::from(2)),
            cmp("name", CmpOp::Ge, Value::from("n2")),
        ]));
        let mut query = q(mixed, vec![]);
        query.select = Select::Count;
        query.explain = true;
        let answer = run(&s, &query, 1000).unwrap();
        let n = (0..30).filter(|i| i % 7 >= 2 && i % 3 == 2).count();
        assert_eq!(field(&answer, "count"), &Value::from(n as u64));
        let text = map::get_text(field(&answer, "plan"), "text")
            .unwrap()
            .to_string();
        assert!(
            text.contains("each row checked against the filter"),
            "{text}"
        );
    }

    #[test]
    fn adding_an_index_to_a_type_with_entities_builds_it() {
        let mut s = bank_with(12);
        let mut part = bank_part();
        part.entities[0].indexes.push("name".into());
        crate::write::register::execute(&mut s, &part).unwrap();
        assert!(s.index("Account", "name").is_some());
        assert_eq!(s.index("Account", "name").unwrap().len(), 12);
        assert!(s.indexes_agree_with_tables());
        let mut query = q(
            Some(Filter::Like {
                field: "name".into(),
                pattern: crate::query::like::Pattern::parse("n2-%"),
            }),
            vec![("name", Dir::Desc)],
        );
        query.explain = true;
        let answer = run(&s, &query, 100).unwrap();
        assert_eq!(ids(&answer), vec!["k08", "k05", "k02", "k11"]);
        assert_eq!(
            map::get_text(field(&answer, "plan"), "kind"),
            Some("prefix")
        );
        // Closing an account removes it from every index.
        run_commit(&mut s, "k05", "AccountClosed");
        assert!(s.indexes_agree_with_tables());
        assert_eq!(
            ids(&run(&s, &query, 100).unwrap()),
            vec!["k08", "k02", "k11"]
        );
    }

    fn run_commit(s: &mut State, key: &str, event_type: &str) {
        commit(
            s,
            &write(
                key,
                Any,
                vec![new_event(
                    &format!("{key}-{event_type}"),
                    event_type,
                    vec![],
                )],
            ),
        )
        .unwrap();
    }
}
