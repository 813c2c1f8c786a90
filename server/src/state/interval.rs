//! Intervals of keys in the total order of values ([`crate::state::order`]): what an
//! index walk covers. The planner works them out from a query's conditions; the index
//! counts and sums over them.

use std::cmp::Ordering;
use std::ops::Bound;

use resident_protocol::Value;

use crate::state::order::compare;

/// A run of keys in the total order.
#[derive(Debug, Clone, PartialEq)]
pub struct Interval {
    pub lower: Bound<Value>,
    pub upper: Bound<Value>,
}

impl Interval {
    pub fn full() -> Interval {
        Interval {
            lower: Bound::Unbounded,
            upper: Bound::Unbounded,
        }
    }

    pub fn is_full(&self) -> bool {
        self.lower == Bound::Unbounded && self.upper == Bound::Unbounded
    }

    pub fn point(value: &Value) -> Interval {
        Interval {
            lower: Bound::Included(value.clone()),
            upper: Bound::Included(value.clone()),
        }
    }

    pub fn intersect(&self, other: &Interval) -> Interval {
        Interval {
            lower: tighter_lower(&self.lower, &other.lower),
            upper: tighter_upper(&self.upper, &other.upper),
        }
    }

    pub fn is_empty(&self) -> bool {
        let (lo, lo_open) = match &self.lower {
            Bound::Unbounded => return false,
            Bound::Included(v) => (v, false),
            Bound::Excluded(v) => (v, true),
        };
        let (hi, hi_open) = match &self.upper {
            Bound::Unbounded => return false,
            Bound::Included(v) => (v, false),
            Bound::Excluded(v) => (v, true),
        };
        match compare(lo, hi) {
            Ordering::Greater => true,
            Ordering::Equal => lo_open || hi_open,
            Ordering::Less => false,
        }
    }

    pub fn contains(&self, value: &Value) -> bool {
        let above = match &self.lower {
            Bound::Unbounded => true,
            Bound::Included(v) => compare(value, v) != Ordering::Less,
            Bound::Excluded(v) => compare(value, v) == Ordering::Greater,
        };
        let below = match &self.upper {
            Bound::Unbounded => true,
            Bound::Included(v) => compare(value, v) != Ordering::Greater,
            Bound::Excluded(v) => compare(value, v) == Ordering::Less,
        };
        above && below
    }
}

/// The larger of two lower bounds: at the same value, excluding is tighter.
pub fn tighter_lower(a: &Bound<Value>, b: &Bound<Value>) -> Bound<Value> {
    let pick_a = match (a, b) {
        (Bound::Unbounded, _) => false,
        (_, Bound::Unbounded) => true,
        (Bound::Included(x) | Bound::Excluded(x), Bound::Included(y) | Bound::Excluded(y)) => {
            match compare(x, y) {
                Ordering::Greater => true,
                Ordering::Less => false,
                Ordering::Equal => matches!(a, Bound::Excluded(_)),
            }
        }
    };
    if pick_a {
        a.clone()
    } else {
        b.clone()
    }
}

/// The smaller of two upper bounds: at the same value, excluding is tighter.
pub fn tighter_upper(a: &Bound<Value>, b: &Bound<Value>) -> Bound<Value> {
    let pick_a = match (a, b) {
        (Bound::Unbounded, _) => false,
        (_, Bound::Unbounded) => true,
        (Bound::Included(x) | Bound::Excluded(x), Bound::Included(y) | Bound::Excluded(y)) => {
            match compare(x, y) {
                Ordering::Less => true,
                Ordering::Greater => false,
                Ordering::Equal => matches!(a, Bound::Excluded(_)),
            }
        }
    };
    if pick_a {
        a.clone()
    } else {
        b.clone()
    }
}
