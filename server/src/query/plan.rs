//! Chooses how to run a query: which ordered source to walk (the table, which is the id
//! index, or a declared index), over which interval of keys, and whether that walk
//! already yields rows in the requested order. Pure: it looks only at the query, the
//! entity definition and which fields have an index.
//!
//! The rules, in order:
//! 1. a condition of the top-level AND on an indexed field (`=`, `<`, `<=`, `>`, `>=`,
//!    `like 'prefix%'`; several on one field are intersected) → walk only that interval;
//!    an equality wins, then a condition on the order's first field (so the walk is
//!    also in order), then the first one written;
//! 2. else an order whose first field is indexed → walk that whole index in order
//!    (backwards for desc) and stop once enough rows are found;
//! 3. else scan the table and sort.
//!
//! Rows are checked against the whole filter unless the plan is `exact`: then the
//! interval is exactly the set of rows the filter keeps (every condition is on the walked
//! field, and each one's interval is its exact solution set), and count, sum, min and
//! max can come from the index alone. Otherwise the interval only narrows where to look,
//! so a too-wide interval costs time, never correctness.

use std::cmp::Ordering;
use std::ops::Bound;

use resident_protocol::{map, Value};

use crate::query::like::prefix_successor;
use crate::query::parse::{Aggregate, CmpOp, Dir, Filter, Query, Select};
use crate::state::interval::Interval;
use crate::state::order::{compare, Class};
use crate::state::schema::EntityDef;

/// The keys that satisfy `key op value`; `None` for `!=`, which is no interval.
pub fn comparison_interval(op: CmpOp, value: &Value) -> Option<Interval> {
    // A comparison only matches values of the operand's kind, so a one-sided
    // condition is still bounded by the ends of that kind (`> 5` excludes strings).
    let class = Class::of(value);
    let v = || value.clone();
    Some(match op {
        CmpOp::Eq => Interval::point(value),
        CmpOp::Ne => return None,
        CmpOp::Lt => Interval {
            lower: class.start(),
            upper: Bound::Excluded(v()),
        },
        CmpOp::Le => Interval {
            lower: class.start(),
            upper: Bound::Included(v()),
        },
        CmpOp::Gt => Interval {
            lower: Bound::Excluded(v()),
            upper: class.end(),
        },
        CmpOp::Ge => Interval {
            lower: Bound::Included(v()),
            upper: class.end(),
        },
    })
}

/// The strings that start with `prefix`.
pub fn prefix_interval(prefix: &str) -> Interval {
    Interval {
        lower: Bound::Included(Value::from(prefix)),
        upper: match prefix_successor(prefix) {
            Some(next) => Bound::Excluded(Value::from(next)),
            None => Class::Text.end(),
        },
    }
}

/// What the plan walks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The entity table, ordered by id.
    Table,
    /// The declared index on this field.
    Index(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Scan,
    Order,
    Range,
    Prefix,
    Equality,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Scan => "scan",
            Kind::Order => "order",
            Kind::Range => "range",
            Kind::Prefix => "prefix",
            Kind::Equality => "equality",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub source: Source,
    /// The field whose keys the source is ordered by (the id field for the table).
    pub field: String,
    /// The keys of `field` to walk.
    pub interval: Interval,
    pub kind: Kind,
    /// True when walking `source` yields rows in runs of equal first order key, in the
    /// requested order of that key: the executor then sorts only within runs and can
    /// stop early.
    pub ordered: bool,
    /// Walk backwards (the first order field is descending).
    pub reverse: bool,
    /// The interval alone answers the filter: every row in it matches, every matching
    /// row is in it. True with no filter.
    pub exact: bool,
}

/// One indexable field's conditions, intersected.
struct Candidate<'q> {
    field: &'q str,
    interval: Interval,
    kind: Kind,
    /// How many conditions were intersected into it, and whether each one's interval is
    /// exactly the values it keeps.
    conditions: usize,
    exact: bool,
}

/// The plan for `query` over entities of `def`, where `indexed` says which fields have
/// an index (the rules are in the module's docs).
pub fn choose(def: &EntityDef, query: &Query, indexed: impl Fn(&str) -> bool) -> Plan {
    let (first_field, first_dir) = query
        .order
        .first()
        .map_or((def.id_field.as_str(), Dir::Asc), |o| {
            (o.field.as_str(), o.dir)
        });
    let servable = |field: &str| field == def.id_field || indexed(field);

    let (mut candidates, conditions) = candidates(query, &servable);
    let chosen = pick(&candidates, first_field);
    let source_of = |field: &str| {
        if field == def.id_field {
            Source::Table
        } else {
            Source::Index(field.to_string())
        }
    };
    if let Some(i) = chosen {
        let c = candidates.swap_remove(i);
        let ordered = c.field == first_field;
        // An empty interval answers any filter: nothing matches.
        let exact = c.interval.is_empty() || (c.exact && c.conditions == conditions);
        return Plan {
            source: source_of(c.field),
            field: c.field.to_string(),
            interval: c.interval,
            kind: c.kind,
            ordered,
            reverse: ordered && first_dir == Dir::Desc,
            exact,
        };
    }
    if servable(first_field) {
        let source = source_of(first_field);
        return Plan {
            kind: if source == Source::Table {
                Kind::Scan
            } else {
                Kind::Order
            },
            source,
            field: first_field.to_string(),
            interval: Interval::full(),
            ordered: true,
            reverse: first_dir == Dir::Desc,
            exact: conditions == 0,
        };
    }
    Plan {
        source: Source::Table,
        field: def.id_field.clone(),
        interval: Interval::full(),
        kind: Kind::Scan,
        ordered: false,
        reverse: false,
        exact: conditions == 0,
    }
}

/// Each servable field's conditions from the top-level AND, intersected; and how many
/// conditions that AND has.
fn candidates<'q>(
    query: &'q Query,
    servable: &impl Fn(&str) -> bool,
) -> (Vec<Candidate<'q>>, usize) {
    let mut conjuncts = Vec::new();
    if let Some(filter) = &query.filter {
        top_level_and(filter, &mut conjuncts);
    }
    let conditions = conjuncts.len();
    let mut candidates: Vec<Candidate<'_>> = Vec::new();
    for c in conjuncts {
        let Some((field, interval, kind, exact)) = sargable(c) else {
            continue;
        };
        if !servable(field) {
            continue;
        }
        match candidates.iter_mut().find(|k| k.field == field) {
            Some(k) => {
                k.interval = k.interval.intersect(&interval);
                k.kind = k.kind.max(kind);
                k.conditions += 1;
                k.exact &= exact;
            }
            None => candidates.push(Candidate {
                field,
                interval,
                kind,
                conditions: 1,
                exact,
            }),
        }
    }
    (candidates, conditions)
}

/// An empty interval answers at once; then equality (fewest rows); then the order's
/// first field (the walk is also in order); then the first condition written.
fn pick(candidates: &[Candidate<'_>], first_field: &str) -> Option<usize> {
    candidates
        .iter()
        .position(|c| c.interval.is_empty())
        .or_else(|| candidates.iter().position(|c| c.kind == Kind::Equality))
        .or_else(|| candidates.iter().position(|c| c.field == first_field))
        .or(if candidates.is_empty() { None } else { Some(0) })
}

/// The conditions every matching row must meet: the filter itself, or the members of a
/// top-level AND (nested ANDs flattened). An OR offers no interval.
fn top_level_and<'q>(filter: &'q Filter, out: &mut Vec<&'q Filter>) {
    match filter {
        Filter::And(items) => {
            for f in items {
                top_level_and(f, out);
            }
        }
        other => out.push(other),
    }
}

/// The field, key interval and kind of a condition an ordered index can serve, and
/// whether the interval is exactly the values the condition keeps (a comparison's is:
/// the filter compares within the operand's kind, in the same total order; a `like`'s
/// is when the pattern is a plain string or a plain prefix then `%`).
fn sargable(filter: &Filter) -> Option<(&str, Interval, Kind, bool)> {
    match filter {
        Filter::Compare { field, op, value } => {
            let kind = if *op == CmpOp::Eq {
                Kind::Equality
            } else {
                Kind::Range
            };
            comparison_interval(*op, value).map(|i| (field.as_str(), i, kind, true))
        }
        Filter::Like { field, pattern } => {
            if pattern.is_exact() {
                Some((
                    field.as_str(),
                    Interval::point(&Value::from(pattern.source())),
                    Kind::Equality,
                    true,
                ))
            } else if pattern.literal_prefix().is_empty() {
                None
            } else {
                Some((
                    field.as_str(),
                    prefix_interval(pattern.literal_prefix()),
                    Kind::Prefix,
                    pattern.is_prefix(),
                ))
            }
        }
        _ => None,
    }
}

impl Plan {
    /// The index the plan uses, as explain reports it: none for a plain table scan.
    pub fn index_name(&self) -> Option<&str> {
        match (&self.source, self.kind) {
            (Source::Table, Kind::Scan) => None,
            _ => Some(&self.field),
        }
    }

    /// `{index, kind, text}` for `explain`.
    pub fn to_value(&self, query: &Query) -> Value {
        map::build(vec![
            ("index", self.index_name().map_or(Value::Null, Value::from)),
            ("kind", Value::from(self.kind.name())),
            ("text", Value::from(self.describe(query))),
        ])
    }

    /// A sentence for people reading `explain`.
    pub fn describe(&self, query: &Query) -> String {
        let direction = if self.reverse {
            "backwards"
        } else {
            "forwards"
        };
        let walk = match (&self.source, self.kind) {
            (Source::Table, Kind::Scan) => "full scan of the table".to_string(),
            (Source::Index(f), Kind::Order) => format!("whole index {f}"),
            (_, kind) => {
                let what = match &self.source {
                    Source::Table => format!("id {}", self.field),
                    Source::Index(f) => format!("index {f}"),
                };
                let keys = describe_interval(&self.interval);
                format!("{what} {} {keys}", kind.name())
            }
        };
        let filter = match (&query.filter, self.exact) {
            (None, _) => "",
            (Some(_), true) => " (the range alone answers the filter, no row checked)",
            (Some(_), false) => ", each row checked against the filter",
        };
        let order = match &query.order[..] {
            [] => "id".to_string(),
            fields => fields
                .iter()
                .map(|o| match o.dir {
                    Dir::Asc => o.field.clone(),
                    Dir::Desc => format!("{} desc", o.field),
                })
                .collect::<Vec<_>>()
                .join(", "),
        };
        let cuts_a_page = query.limit.is_some() || query.offset > 0 || query.after.is_some();
        if !cuts_a_page && !matches!(query.select, Select::Rows | Select::Pluck(_)) {
            return self.describe_aggregate(query, &walk, filter);
        }
        if self.ordered {
            format!(
                "{walk}, walked {direction} in order of {order} (ties by id){filter}; stops once the page is full"
            )
        } else {
            format!("{walk}{filter}; then sorted by {order} (ties by id)")
        }
    }
}

impl Plan {
    /// How count, exists, sum, min, max or avg over every matching row is answered; must
    /// say what `run` does.
    fn describe_aggregate(&self, query: &Query, walk: &str, filter: &str) -> String {
        let index_only = matches!(self.source, Source::Index(_));
        if !self.exact {
            return format!("{walk}{filter}; aggregated in walk order, no sort");
        }
        let answered = if query.filter.is_some() {
            " (the range alone answers the filter)"
        } else {
            ""
        };
        let how = match &query.select {
            Select::Count if query.filter.is_none() => "counted from the table's size, no row read",
            Select::Count if index_only => {
                "counted from the index's cached subtree counts, no row read"
            }
            Select::Count => "counted by walking the range, no row checked",
            Select::Exists => "the range's first entry decides, no row checked",
            Select::Aggregate(a, f) if index_only && *f == self.field => match a {
                Aggregate::Sum | Aggregate::Avg => {
                    "summed from the index's cached subtree counts and sums (float keys \
                     added one by one), no row read"
                }
                Aggregate::Min => "the range's first non-null key, no row read",
                Aggregate::Max => "the range's last key, no row read",
            },
            _ => "aggregated over the range's rows in walk order, no row checked",
        };
        format!("{walk}{answered}; {how}")
    }
}

fn describe_interval(interval: &Interval) -> String {
    if interval.is_empty() {
        return "(empty: no key can match)".to_string();
    }
    let show = |v: &Value| match v {
        Value::Text(t) => format!("{t:?}"),
        Value::Integer(i) => i128::from(*i).to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".to_string(),
        _ => "…".to_string(),
    };
    if let (Bound::Included(a), Bound::Included(b)) = (&interval.lower, &interval.upper) {
        if compare(a, b) == Ordering::Equal {
            return format!("= {}", show(a));
        }
    }
    // A bound that is just the edge of a kind ("every number below 5") reads better left out.
    let kind_edge = |v: &Value| *v == Class::of(v).min_value();
    let mut parts = Vec::new();
    match &interval.lower {
        Bound::Included(v) if !kind_edge(v) => parts.push(format!(">= {}", show(v))),
        Bound::Excluded(v) => parts.push(format!("> {}", show(v))),
        _ => {}
    }
    match &interval.upper {
        Bound::Included(v) => parts.push(format!("<= {}", show(v))),
        Bound::Excluded(v) if !kind_edge(v) => parts.push(format!("< {}", show(v))),
        _ => {}
    }
    parts.join(" and ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::like::Pattern;
    use crate::query::parse::OrderBy;
    use crate::testkit::account;

    fn query(filter: Option<Filter>, order: Vec<(&str, Dir)>) -> Query {
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
            limit: Some(10),
            offset: 0,
            after: None,
            select: Select::Rows,
            explain: false,
        }
    }

    fn cmp(field: &str, op: CmpOp, v: i64) -> Filter {
        Filter::Compare {
            field: field.into(),
            op,
            value: Value::from(v),
        }
    }

    fn plan(filter: Option<Filter>, order: Vec<(&str, Dir)>) -> Plan {
        // balance and name are indexed here; hits is not.
        choose(&account(), &query(filter, order), |f| {
            f == "balance" || f == "name"
        })
    }

    #[test]
    fn ranges_on_an_indexed_field_are_intersected() {
        let p = plan(
            Some(Filter::And(vec![
                cmp("balance", CmpOp::Ge, 10),
                cmp("hits", CmpOp::Eq, 1),
                cmp("balance", CmpOp::Lt, 20),
            ])),
            vec![("balance", Dir::Desc)],
        );
        assert_eq!(p.source, Source::Index("balance".into()));
        assert_eq!(p.kind, Kind::Range);
        assert_eq!(
            p.interval,
            Interval {
                lower: Bound::Included(Value::from(10)),
                upper: Bound::Excluded(Value::from(20)),
            }
        );
        assert!(p.ordered && p.reverse);
        assert_eq!(
            p.describe(&query(None, vec![("balance", Dir::Desc)])),
            "index balance range >= 10 and < 20, walked backwards in order of balance desc (ties by id); stops once the page is full"
        );
    }

    #[test]
    fn equality_beats_range_and_order_field_beats_others() {
        let p = plan(
            Some(Filter::And(vec![
                cmp("balance", CmpOp::Gt, 1),
                Filter::Like {
                    field: "name".into(),
                    pattern: Pattern::parse("Al"),
                },
            ])),
            vec![],
        );
        assert_eq!((p.field.as_str(), p.kind), ("name", Kind::Equality));
        let p = plan(
            Some(Filter::And(vec![
                cmp("balance", CmpOp::Gt, 1),
                Filter::Like {
                    field: "name".into(),
                    pattern: Pattern::parse("Al%"),
                },
            ])),
            vec![("name", Dir::Asc)],
        );
        assert_eq!(
            (p.field.as_str(), p.kind, p.ordered),
            ("name", Kind::Prefix, true)
        );
        assert_eq!(p.interval, prefix_interval("Al"));
    }

    #[test]
    fn order_walk_then_scan() {
        let p = plan(Some(cmp("hits", CmpOp::Gt, 1)), vec![("balance", Dir::Asc)]);
        assert_eq!((p.kind, p.ordered, p.reverse), (Kind::Order, true, false));
        assert_eq!(p.index_name(), Some("balance"));
        let p = plan(Some(cmp("hits", CmpOp::Gt, 1)), vec![("hits", Dir::Asc)]);
        assert_eq!(
            (p.source.clone(), p.kind, p.ordered),
            (Source::Table, Kind::Scan, false)
        );
        assert_eq!(p.index_name(), None);
        // No order is id order, which the table walk gives.
        let p = plan(None, vec![]);
        assert_eq!(
            (p.source.clone(), p.kind, p.ordered),
            (Source::Table, Kind::Scan, true)
        );
        // An OR offers no interval.
        let p = plan(
            Some(Filter::Or(vec![
                cmp("balance", CmpOp::Eq, 1),
                cmp("balance", CmpOp::Eq, 2),
            ])),
            vec![("hits", Dir::Asc)],
        );
        assert_eq!(p.kind, Kind::Scan);
    }

    #[test]
    fn the_id_field_is_served_by_the_table() {
        let p = plan(
            Some(Filter::Compare {
                field: "uuid".into(),
                op: CmpOp::Ge,
                value: Value::from("m"),
            }),
            vec![("uuid", Dir::Desc)],
        );
        assert_eq!(
            (p.source.clone(), p.kind, p.reverse),
            (Source::Table, Kind::Range, true)
        );
        assert_eq!(p.index_name(), Some("uuid"));
    }

    #[test]
    fn a_plan_is_exact_when_its_interval_alone_answers_the_filter() {
        let like = |p: &str| Filter::Like {
            field: "name".into(),
            pattern: Pattern::parse(p),
        };
        let exact = |filter: Filter| plan(Some(filter), vec![]).exact;
        assert!(plan(None, vec![]).exact);
        assert!(exact(cmp("balance", CmpOp::Gt, 1)));
        assert!(exact(Filter::And(vec![
            cmp("balance", CmpOp::Ge, 1),
            Filter::And(vec![cmp("balance", CmpOp::Lt, 9)]),
        ])));
        assert!(exact(like("Al%")));
        assert!(exact(like("Al")));
        assert!(!exact(like("Al%x")));
        assert!(!exact(like("Al_%")));
        // A condition on another field, or one no interval expresses, must be checked.
        assert!(!exact(Filter::And(vec![
            cmp("balance", CmpOp::Ge, 1),
            cmp("hits", CmpOp::Eq, 1),
        ])));
        assert!(!exact(Filter::And(vec![
            cmp("balance", CmpOp::Ge, 1),
            like("Al%"),
        ])));
        assert!(!exact(cmp("balance", CmpOp::Ne, 1)));
        assert!(!exact(cmp("hits", CmpOp::Gt, 1)));
        assert!(!exact(Filter::Or(vec![cmp("balance", CmpOp::Eq, 1)])));
        // An empty interval answers any filter.
        assert!(exact(Filter::And(vec![
            cmp("balance", CmpOp::Gt, 5),
            cmp("balance", CmpOp::Lt, 3),
            cmp("hits", CmpOp::Eq, 1),
        ])));
    }

    #[test]
    fn contradictions_are_empty() {
        let p = plan(
            Some(Filter::And(vec![
                cmp("balance", CmpOp::Gt, 5),
                cmp("balance", CmpOp::Lt, 3),
            ])),
            vec![],
        );
        assert!(p.interval.is_empty());
        assert!(comparison_interval(CmpOp::Gt, &Value::from(5))
            .unwrap()
            .intersect(&comparison_interval(CmpOp::Le, &Value::from(5)).unwrap())
            .is_empty());
        let strings_above_5 = comparison_interval(CmpOp::Gt, &Value::from(5)).unwrap();
        assert!(
            !strings_above_5.contains(&Value::from("6")),
            "a kind bounds it"
        );
        assert!(strings_above_5.contains(&Value::Float(5.5)));
        assert!(!strings_above_5.contains(&Value::Null));
    }
}
