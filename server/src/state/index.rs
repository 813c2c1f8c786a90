//! Declared indexes: per indexed field, an ordered persistent map from `(value, id)` to
//! the entity.
//!
//! Persistent like the tables, so the writer updates a clone in O(log n) per changed
//! entity and readers keep walking the version they loaded. A [`SumTree`]: besides
//! walking ranges in order it knows each subtree's entry count and the sum of its
//! integer keys, so a range's count and sum take O(log n) (see [`range_numbers`]). Each entry holds the
//! entity itself (an `Arc` shared with the table) so that a walk reads rows without a
//! lookup by id: over a million entities that lookup is a chain of cache misses on id
//! strings and cost several times the rest of the walk. Entries order by the
//! value in the total order of [`crate::state::order`], then by id, which is exactly the order a
//! query wants: ascending key, ties by id ascending. The id field itself needs no index:
//! the table is already ordered by id.

use std::ops::Bound;
use std::sync::Arc;

use resident_protocol::Value;

use crate::state::entity::Entity;
use crate::state::interval::Interval;
use crate::state::order::Key;
use crate::state::projection::Table;
use crate::state::schema::EntityDef;
use crate::state::sumtree::{Measured, SumTree, Summary};
use crate::state::value::Number;

/// The second half of an index entry. `First` and `Last` are never stored: they sort
/// before and after every id, so a bound like "every entry whose value is 5" can be
/// written as `(5, First)..=(5, Last)`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tie {
    First,
    /// Shared rather than owned: the writer copies whole B-tree nodes on write, and a
    /// reference count is far cheaper to copy than a string.
    Id(Arc<str>),
    Last,
}

pub type Entry = (Key, Tie);
pub type FieldIndex = SumTree<Entry, Arc<Entity>>;

impl Measured for Entry {
    fn summary(&self) -> Summary {
        match Number::of(&self.0 .0) {
            Some(Number::Int(i)) => Summary::of_int(i),
            Some(Number::Float(_)) => Summary::of_float(),
            None => Summary::of_other(),
        }
    }
}
/// The indexes of one entity type, by field. A plain list: a type has few indexes, and
/// cloning it only bumps each set's reference count.
pub type EntityIndexes = Vec<(String, FieldIndex)>;
/// Every entity type's indexes, by entity type; types without indexes have no entry.
pub type Indexes = imbl::HashMap<String, EntityIndexes>;

static NULL: Value = Value::Null;

/// The value an entity holds in `field`; a missing field reads as null, as it does for
/// filters.
pub fn field_value<'e>(entity: &'e Entity, field: &str) -> &'e Value {
    entity.get(field).unwrap_or(&NULL)
}

/// The fields of `def` that get an index: those declared, once each, without the id
/// field (the table serves that one).
pub fn indexed_fields(def: &EntityDef) -> Vec<&str> {
    let mut fields: Vec<&str> = Vec::new();
    for f in &def.indexes {
        if *f != def.id_field && !fields.contains(&f.as_str()) {
            fields.push(f);
        }
    }
    fields
}

/// Builds the indexes of one entity type from its table (at replay, or when a schema
/// change adds an index to a type that already has entities).
pub fn build(def: &EntityDef, table: Option<&Table>) -> EntityIndexes {
    let mut indexes = EntityIndexes::new();
    for field in indexed_fields(def) {
        let mut index = FieldIndex::new();
        for (id, entity) in table.into_iter().flat_map(|t| t.iter()) {
            index.insert(entry(field_value(entity, field), id), entity.clone());
        }
        indexes.push((field.to_string(), index));
    }
    indexes
}

/// An index entry; `id` is the table's own key, shared rather than copied.
fn entry(value: &Value, id: &Arc<str>) -> Entry {
    (Key(value.clone()), Tie::Id(id.clone()))
}

/// Moves entity `id` from its `before` state to its `after` state in every index
/// (`None`: the entity did not exist / no longer exists). Every index holds the entity,
/// so every index changes when it does, even if the indexed value stays.
pub fn update(
    indexes: &mut EntityIndexes,
    id: &Arc<str>,
    before: Option<&Arc<Entity>>,
    after: Option<&Arc<Entity>>,
) {
    if let (Some(a), Some(b)) = (before, after) {
        if Arc::ptr_eq(a, b) {
            return;
        }
    }
    for (field, index) in indexes.iter_mut() {
        let field = field.as_str();
        let old = before.map(|e| field_value(e, field));
        let new = after.map(|e| field_value(e, field));
        if let Some(old) = old {
            if new != Some(old) {
                let removed = index.remove(&entry(old, id));
                debug_assert!(removed.is_some(), "index {field} lacked entity {id}");
            }
        }
        if let (Some(new), Some(entity)) = (new, after) {
            // Replaces the entry in place when the value stayed.
            index.insert(entry(new, id), entity.clone());
        }
    }
}

/// An index range for the keys between `lower` and `upper` (in the total order), every
/// id included.
pub fn entry_bounds(lower: &Bound<Value>, upper: &Bound<Value>) -> (Bound<Entry>, Bound<Entry>) {
    let at = |v: &Value, tie: Tie| (Key(v.clone()), tie);
    let lower = match lower {
        Bound::Included(v) => Bound::Included(at(v, Tie::First)),
        Bound::Excluded(v) => Bound::Excluded(at(v, Tie::Last)),
        Bound::Unbounded => Bound::Unbounded,
    };
    let upper = match upper {
        Bound::Included(v) => Bound::Included(at(v, Tie::Last)),
        Bound::Excluded(v) => Bound::Excluded(at(v, Tie::First)),
        Bound::Unbounded => Bound::Unbounded,
    };
    (lower, upper)
}

/// How many entries of `index` have keys in `interval`, in O(log n).
pub fn range_count(index: &FieldIndex, interval: &Interval) -> usize {
    if interval.is_empty() {
        return 0;
    }
    index
        .range_summary(entry_bounds(&interval.lower, &interval.upper))
        .len as usize
}

/// The numbers among the keys of an index range, added up as a fold over the range's
/// rows would: ints exactly, floats one by one in key order.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct NumberSum {
    /// How many keys are numbers.
    pub count: u64,
    pub ints: i128,
    pub floats: f64,
    pub any_float: bool,
}

/// The numeric keys of `index` between `lower` and `upper`, summed. From the tree's
/// cached sums in O(log n) when the range holds no float; else the floats are added by
/// walking the range's keys (not its rows), so the answer does not depend on the
/// tree's shape.
pub fn range_numbers(index: &FieldIndex, lower: &Bound<Value>, upper: &Bound<Value>) -> NumberSum {
    let bounds = entry_bounds(lower, upper);
    let summary = index.range_summary(bounds.clone());
    if summary.floats == 0 {
        return NumberSum {
            count: summary.ints,
            ints: summary.int_sum,
            floats: 0.0,
            any_float: false,
        };
    }
    let mut sum = NumberSum::default();
    for ((key, _), _) in index.range(bounds) {
        match Number::of(&key.0) {
            Some(Number::Int(i)) => sum.ints += i128::from(i),
            Some(Number::Float(f)) => {
                sum.floats += f;
                sum.any_float = true;
            }
            None => continue,
        }
        sum.count += 1;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::order::Class;
    use crate::testkit::account;

    fn entity(balance: Value) -> Arc<Entity> {
        let mut e = Entity::default();
        e.set("balance", balance);
        Arc::new(e)
    }

    fn ids(index: &FieldIndex, lower: Bound<Value>, upper: Bound<Value>) -> Vec<String> {
        index
            .range(entry_bounds(&lower, &upper))
            .map(|((_, tie), _)| match tie {
                Tie::Id(id) => id.to_string(),
                other => panic!("stored {other:?}"),
            })
            .collect()
    }

    #[test]
    fn entries_follow_changes_and_ranges_include_every_tie() {
        let def = account();
        let mut indexes = build(&def, None);
        assert_eq!(indexes.len(), 1);
        assert_eq!(indexes[0].0, "balance");
        let (a5, b5, c7) = (
            entity(Value::from(5)),
            entity(Value::Float(5.0)),
            entity(Value::from(7)),
        );
        update(&mut indexes, &Arc::from("b"), None, Some(&b5));
        update(&mut indexes, &Arc::from("a"), None, Some(&a5));
        update(&mut indexes, &Arc::from("c"), None, Some(&c7));
        let index = &indexes[0].1;
        let five = Value::from(5);
        assert_eq!(
            ids(
                index,
                Bound::Included(five.clone()),
                Bound::Included(five.clone())
            ),
            vec!["a", "b"],
            "5 and 5.0 are one key; ties by id"
        );
        assert_eq!(
            ids(index, Bound::Excluded(five.clone()), Bound::Unbounded),
            vec!["c"]
        );
        assert_eq!(
            ids(index, Bound::Unbounded, Bound::Excluded(Value::from(7))),
            vec!["a", "b"]
        );
        let a9 = entity(Value::from(9));
        update(&mut indexes, &Arc::from("a"), Some(&a5), Some(&a9));
        update(&mut indexes, &Arc::from("c"), Some(&c7), None);
        let index = &indexes[0].1;
        assert_eq!(
            ids(index, Bound::Unbounded, Bound::Unbounded),
            vec!["b", "a"]
        );
        assert_eq!(index.len(), 2);
        assert!(Arc::ptr_eq(
            &index[&(Key(Value::from(9)), Tie::Id("a".into()))],
            &a9
        ));
        // A change that keeps the value still points the entry at the new state.
        let mut a9b = (*a9).clone();
        a9b.set("name", Value::from("x"));
        let a9b = Arc::new(a9b);
        update(&mut indexes, &Arc::from("a"), Some(&a9), Some(&a9b));
        let index = &indexes[0].1;
        assert_eq!(index.len(), 2);
        assert!(Arc::ptr_eq(
            &index[&(Key(Value::from(9)), Tie::Id("a".into()))],
            &a9b
        ));
    }

    #[test]
    fn range_numbers_add_ints_exactly_and_floats_in_key_order() {
        let mut index = FieldIndex::new();
        let values = [
            Value::from(i64::MAX),
            Value::from(i64::MAX),
            Value::from(-3),
            Value::Float(0.5),
            Value::Float(1e300),
            Value::from("text"),
            Value::Null,
        ];
        for (i, v) in values.iter().enumerate() {
            index.insert(entry(v, &Arc::from(format!("e{i}"))), entity(v.clone()));
        }
        let all = range_numbers(&index, &Bound::Unbounded, &Bound::Unbounded);
        assert_eq!(all.count, 5);
        assert_eq!(all.ints, 2 * i128::from(i64::MAX) - 3);
        assert!(all.any_float);
        assert_eq!(all.floats, 0.5 + 1e300);
        // Ints only: straight from the cached sums.
        let ints = range_numbers(
            &index,
            &Bound::Included(Value::from(-3)),
            &Bound::Excluded(Value::Float(0.5)),
        );
        assert_eq!((ints.count, ints.ints, ints.any_float), (1, -3, false));
        let texts = range_numbers(&index, &Class::Text.start(), &Class::Text.end());
        assert_eq!(texts, NumberSum::default());
        assert_eq!(range_count(&index, &Interval::full()), 7);
    }
}
