//! A persistent ordered map whose nodes know their subtree's size and the sum of its
//! numeric keys, so a range's count and sum cost two descents instead of a walk.
//!
//! A copy-on-write B+ tree: entries live in the leaves, branches hold separator keys and
//! `Arc`s to their children together with each child's [`Summary`]. Cloning the map
//! clones one `Arc`; an insert or remove copies only the nodes on the path it changes
//! (`Arc::make_mut`), so a version published to readers never changes under them while
//! the writer builds the next one, and nodes the writer already copied in this version
//! are changed in place.
//!
//! Summaries are exact and form a group (integer sums in `i128`, which no count of `i64`
//! this server can hold overflows), so the summary of the keys between two positions is
//! the difference of the summaries of the keys before each: a range costs two
//! root-to-leaf descents whatever its length. Float keys are only counted, not summed:
//! float addition does not associate, and an answer must not depend on the tree's shape,
//! so a range holding floats is summed by walking its keys in order.
//!
//! Invariants (checked by `check` in tests): every leaf is at the same depth; keys are
//! strictly increasing; in a branch, child `i` holds keys `k` with
//! `seps[i-1] <= k < seps[i]`; every node but the root holds at least [`MIN`] entries or
//! children and at most [`MAX`]; `sums[i]` is child `i`'s summary.

use std::cmp::Ordering;
use std::ops::{Add, AddAssign, Bound, Index, RangeBounds, Sub, SubAssign};
use std::sync::Arc;

/// Most entries of a leaf and children of a branch.
const MAX: usize = 32;
/// Fewest entries or children of a node other than the root.
const MIN: usize = MAX / 2;

/// What a key contributes to the summaries: every key counts, numeric ones add up.
pub trait Measured {
    fn summary(&self) -> Summary;
}

/// The number of keys in a run and the exact sum of its integer keys; float keys are
/// counted only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Every key.
    pub len: u64,
    /// Integer keys, and their sum.
    pub ints: u64,
    pub int_sum: i128,
    /// Float keys.
    pub floats: u64,
}

impl Summary {
    pub fn of_int(i: i64) -> Summary {
        Summary {
            len: 1,
            ints: 1,
            int_sum: i128::from(i),
            floats: 0,
        }
    }

    pub fn of_float() -> Summary {
        Summary {
            len: 1,
            ints: 0,
            int_sum: 0,
            floats: 1,
        }
    }

    /// A key that is not a number.
    pub fn of_other() -> Summary {
        Summary {
            len: 1,
            ..Summary::default()
        }
    }
}

impl Add for Summary {
    type Output = Summary;
    fn add(self, o: Summary) -> Summary {
        Summary {
            len: self.len + o.len,
            ints: self.ints + o.ints,
            int_sum: self.int_sum + o.int_sum,
            floats: self.floats + o.floats,
        }
    }
}

impl Sub for Summary {
    type Output = Summary;
    fn sub(self, o: Summary) -> Summary {
        Summary {
            len: self.len - o.len,
            ints: self.ints - o.ints,
            int_sum: self.int_sum - o.int_sum,
            floats: self.floats - o.floats,
        }
    }
}

impl AddAssign for Summary {
    fn add_assign(&mut self, o: Summary) {
        *self = *self + o;
    }
}

impl SubAssign for Summary {
    fn sub_assign(&mut self, o: Summary) {
        *self = *self - o;
    }
}

#[derive(Clone)]
enum Node<K, V> {
    Leaf {
        keys: Vec<K>,
        vals: Vec<V>,
    },
    Branch {
        /// `seps[i]` is greater than every key of `kids[i]` and at most every key of
        /// `kids[i + 1]`.
        seps: Vec<K>,
        kids: Vec<Arc<Node<K, V>>>,
        sums: Vec<Summary>,
    },
}

impl<K: Measured, V> Node<K, V> {
    fn summary(&self) -> Summary {
        match self {
            Node::Leaf { keys, .. } => keys.iter().fold(Summary::default(), |s, k| s + k.summary()),
            Node::Branch { sums, .. } => sums.iter().fold(Summary::default(), |s, &t| s + t),
        }
    }
}

impl<K, V> Node<K, V> {
    /// Entries of a leaf, children of a branch.
    fn width(&self) -> usize {
        match self {
            Node::Leaf { keys, .. } => keys.len(),
            Node::Branch { kids, .. } => kids.len(),
        }
    }
}

/// The persistent ordered map. Cloning is O(1).
pub struct SumTree<K, V> {
    root: Option<Arc<Node<K, V>>>,
    total: Summary,
}

impl<K, V> Clone for SumTree<K, V> {
    fn clone(&self) -> Self {
        SumTree {
            root: self.root.clone(),
            total: self.total,
        }
    }
}

impl<K, V> Default for SumTree<K, V> {
    fn default() -> Self {
        SumTree {
            root: None,
            total: Summary::default(),
        }
    }
}

impl<K: std::fmt::Debug, V: std::fmt::Debug> std::fmt::Debug for SumTree<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter_any()).finish()
    }
}

impl<K, V> SumTree<K, V> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.total.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.total.len == 0
    }

    /// The summary of every key.
    pub fn summary(&self) -> Summary {
        self.total
    }

    /// Every entry in key order; needs no bound on `K`, for `Debug`.
    fn iter_any(&self) -> Iter<'_, K, V> {
        let Some(root) = self.root.as_deref() else {
            return Iter {
                ends: None,
                remaining: 0,
            };
        };
        let mut front = Cursor::new();
        front.descend_first(root);
        let mut back = Cursor::new();
        back.descend_last(root);
        Iter {
            ends: Some((front, back)),
            remaining: self.len(),
        }
    }

    /// True when both maps are the same version (share their root).
    pub fn ptr_eq(&self, other: &Self) -> bool {
        match (&self.root, &other.root) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
}

impl<K: Ord + Clone + Measured, V: Clone> SumTree<K, V> {
    /// Inserts or replaces (key and value) the entry of `key`; the old value if any.
    pub fn insert(&mut self, key: K, val: V) -> Option<V> {
        let add = key.summary();
        let Some(root) = self.root.as_mut() else {
            self.root = Some(Arc::new(Node::Leaf {
                keys: vec![key],
                vals: vec![val],
            }));
            self.total = add;
            return None;
        };
        let (old, split) = insert_into(root, key, val);
        self.total += add;
        if let Some((k, _)) = &old {
            self.total -= k.summary();
        }
        if let Some((sep, right)) = split {
            let left = root.clone();
            let sums = vec![left.summary(), right.summary()];
            *root = Arc::new(Node::Branch {
                seps: vec![sep],
                kids: vec![left, right],
                sums,
            });
        }
        old.map(|(_, v)| v)
    }

    /// Removes the entry of `key`; its value if there was one.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        // Look first, so that removing an absent key copies no node.
        self.get(key)?;
        let (k, v) = remove_from(self.root.as_mut()?, key)?;
        self.total -= k.summary();
        // A root branch left with one child gives way to it; an empty root leaf goes.
        while let Some(root) = &self.root {
            self.root = match &**root {
                Node::Branch { kids, .. } if kids.len() == 1 => Some(kids[0].clone()),
                Node::Leaf { keys, .. } if keys.is_empty() => None,
                _ => break,
            };
        }
        Some(v)
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        let mut node = self.root.as_deref()?;
        loop {
            match node {
                Node::Leaf { keys, vals } => {
                    return keys.binary_search(key).ok().map(|i| &vals[i]);
                }
                Node::Branch { seps, kids, .. } => {
                    node = &kids[seps.partition_point(|s| s <= key)];
                }
            }
        }
    }

    pub fn contains_key(&self, key: &K) -> bool {
        self.get(key).is_some()
    }

    /// Every entry in key order (double-ended).
    pub fn iter(&self) -> Iter<'_, K, V> {
        self.iter_any()
    }

    /// The entries whose keys lie in `range`, in key order (double-ended). A range whose
    /// start lies after its end is empty.
    pub fn range<R: RangeBounds<K>>(&self, range: R) -> Iter<'_, K, V> {
        let Some(root) = self.root.as_deref() else {
            return Iter {
                ends: None,
                remaining: 0,
            };
        };
        let (front, before) = seek(root, lower_edge(range.start_bound()), false);
        let (back, through) = seek(root, upper_edge(range.end_bound()), false);
        Iter {
            ends: Some((front, back)),
            remaining: through.len.saturating_sub(before.len) as usize,
        }
    }

    /// The summary of the keys in `range`, in two descents.
    pub fn range_summary<R: RangeBounds<K>>(&self, range: R) -> Summary {
        let Some(root) = self.root.as_deref() else {
            return Summary::default();
        };
        let (_, before) = seek(root, lower_edge(range.start_bound()), true);
        let (_, through) = seek(root, upper_edge(range.end_bound()), true);
        if through.len <= before.len {
            Summary::default()
        } else {
            through - before
        }
    }
}

impl<K: Ord + Clone + Measured, V: Clone> Index<&K> for SumTree<K, V> {
    type Output = V;
    fn index(&self, key: &K) -> &V {
        self.get(key).expect("no entry for the key")
    }
}

impl<K: Ord + Clone + Measured, V: Clone> FromIterator<(K, V)> for SumTree<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut tree = SumTree::new();
        for (k, v) in iter {
            tree.insert(k, v);
        }
        tree
    }
}

type Split<K, V> = Option<(K, Arc<Node<K, V>>)>;

/// Inserts into the subtree; returns the replaced entry and, when the node overflowed,
/// the separator and new right sibling.
fn insert_into<K: Ord + Clone + Measured, V: Clone>(
    node: &mut Arc<Node<K, V>>,
    key: K,
    val: V,
) -> (Option<(K, V)>, Split<K, V>) {
    match Arc::make_mut(node) {
        Node::Leaf { keys, vals } => match keys.binary_search(&key) {
            Ok(i) => {
                let k = std::mem::replace(&mut keys[i], key);
                let v = std::mem::replace(&mut vals[i], val);
                (Some((k, v)), None)
            }
            Err(i) => {
                keys.insert(i, key);
                vals.insert(i, val);
                if keys.len() <= MAX {
                    return (None, None);
                }
                let at = keys.len() / 2;
                let right_keys = keys.split_off(at);
                let right_vals = vals.split_off(at);
                let sep = right_keys[0].clone();
                let right = Node::Leaf {
                    keys: right_keys,
                    vals: right_vals,
                };
                (None, Some((sep, Arc::new(right))))
            }
        },
        Node::Branch { seps, kids, sums } => {
            let i = seps.partition_point(|s| *s <= key);
            let add = key.summary();
            let (old, split) = insert_into(&mut kids[i], key, val);
            match split {
                None => {
                    sums[i] += add;
                    if let Some((k, _)) = &old {
                        sums[i] -= k.summary();
                    }
                }
                Some((sep, right)) => {
                    sums[i] = kids[i].summary();
                    sums.insert(i + 1, right.summary());
                    seps.insert(i, sep);
                    kids.insert(i + 1, right);
                }
            }
            if kids.len() <= MAX {
                return (old, None);
            }
            let at = kids.len() / 2;
            let right_kids = kids.split_off(at);
            let right_sums = sums.split_off(at);
            let right_seps = seps.split_off(at);
            let up = seps.pop().expect("a full branch has separators");
            let right = Node::Branch {
                seps: right_seps,
                kids: right_kids,
                sums: right_sums,
            };
            (old, Some((up, Arc::new(right))))
        }
    }
}

/// Removes `key` (known to be present) from the subtree, which may be left with fewer
/// than [`MIN`] entries: its parent rebalances it.
fn remove_from<K: Ord + Clone + Measured, V: Clone>(
    node: &mut Arc<Node<K, V>>,
    key: &K,
) -> Option<(K, V)> {
    match Arc::make_mut(node) {
        Node::Leaf { keys, vals } => {
            let i = keys.binary_search(key).ok()?;
            Some((keys.remove(i), vals.remove(i)))
        }
        Node::Branch { seps, kids, sums } => {
            let i = seps.partition_point(|s| s <= key);
            let removed = remove_from(&mut kids[i], key)?;
            sums[i] -= removed.0.summary();
            if kids[i].width() < MIN {
                rebalance(seps, kids, sums, i);
            }
            Some(removed)
        }
    }
}

/// Brings child `i`, one short of [`MIN`], back to it: by taking an entry (or child) from
/// a sibling that can spare one, else by merging with a sibling.
fn rebalance<K: Ord + Clone + Measured, V: Clone>(
    seps: &mut Vec<K>,
    kids: &mut Vec<Arc<Node<K, V>>>,
    sums: &mut Vec<Summary>,
    i: usize,
) {
    if i > 0 && kids[i - 1].width() > MIN {
        let (left, right) = kids.split_at_mut(i);
        let moved = move_last_to_front(
            Arc::make_mut(&mut left[i - 1]),
            Arc::make_mut(&mut right[0]),
            &mut seps[i - 1],
        );
        sums[i - 1] -= moved;
        sums[i] += moved;
    } else if i + 1 < kids.len() && kids[i + 1].width() > MIN {
        let (left, right) = kids.split_at_mut(i + 1);
        let moved = move_first_to_back(
            Arc::make_mut(&mut left[i]),
            Arc::make_mut(&mut right[0]),
            &mut seps[i],
        );
        sums[i + 1] -= moved;
        sums[i] += moved;
    } else if i > 0 {
        merge(seps, kids, sums, i - 1);
    } else if i + 1 < kids.len() {
        merge(seps, kids, sums, i);
    }
    // Else the only child of the root: the root collapses onto it.
}

/// Moves `left`'s last entry (or child) to the front of `right`, its right sibling;
/// `sep` separates them. Returns the summary moved.
fn move_last_to_front<K: Clone + Measured, V>(
    left: &mut Node<K, V>,
    right: &mut Node<K, V>,
    sep: &mut K,
) -> Summary {
    match (left, right) {
        (Node::Leaf { keys: lk, vals: lv }, Node::Leaf { keys: rk, vals: rv }) => {
            let k = lk.pop().expect("a sibling with entries to spare");
            let v = lv.pop().expect("values match keys");
            let moved = k.summary();
            *sep = k.clone();
            rk.insert(0, k);
            rv.insert(0, v);
            moved
        }
        (
            Node::Branch {
                seps: ls,
                kids: lk,
                sums: lsum,
            },
            Node::Branch {
                seps: rs,
                kids: rk,
                sums: rsum,
            },
        ) => {
            let kid = lk.pop().expect("a sibling with children to spare");
            let moved = lsum.pop().expect("sums match children");
            let up = ls.pop().expect("separators match children");
            rs.insert(0, std::mem::replace(sep, up));
            rk.insert(0, kid);
            rsum.insert(0, moved);
            moved
        }
        _ => unreachable!("siblings are at the same depth"),
    }
}

/// Moves `right`'s first entry (or child) to the back of `left`, its left sibling;
/// `sep` separates them. Returns the summary moved.
fn move_first_to_back<K: Clone + Measured, V>(
    left: &mut Node<K, V>,
    right: &mut Node<K, V>,
    sep: &mut K,
) -> Summary {
    match (left, right) {
        (Node::Leaf { keys: lk, vals: lv }, Node::Leaf { keys: rk, vals: rv }) => {
            let k = rk.remove(0);
            let v = rv.remove(0);
            let moved = k.summary();
            lk.push(k);
            lv.push(v);
            *sep = rk[0].clone();
            moved
        }
        (
            Node::Branch {
                seps: ls,
                kids: lk,
                sums: lsum,
            },
            Node::Branch {
                seps: rs,
                kids: rk,
                sums: rsum,
            },
        ) => {
            let kid = rk.remove(0);
            let moved = rsum.remove(0);
            let up = rs.remove(0);
            ls.push(std::mem::replace(sep, up));
            lk.push(kid);
            lsum.push(moved);
            moved
        }
        _ => unreachable!("siblings are at the same depth"),
    }
}

/// Merges child `j + 1` into child `j`.
fn merge<K: Clone + Measured, V: Clone>(
    seps: &mut Vec<K>,
    kids: &mut Vec<Arc<Node<K, V>>>,
    sums: &mut Vec<Summary>,
    j: usize,
) {
    let right = Arc::unwrap_or_clone(kids.remove(j + 1));
    let right_sum = sums.remove(j + 1);
    let sep = seps.remove(j);
    match (Arc::make_mut(&mut kids[j]), right) {
        (Node::Leaf { keys, vals }, Node::Leaf { keys: rk, vals: rv }) => {
            keys.extend(rk);
            vals.extend(rv);
        }
        (
            Node::Branch {
                seps: ls,
                kids: lk,
                sums: lsum,
            },
            Node::Branch {
                seps: rs,
                kids: rk,
                sums: rsum,
            },
        ) => {
            ls.push(sep);
            ls.extend(rs);
            lk.extend(rk);
            lsum.extend(rsum);
        }
        _ => unreachable!("siblings are at the same depth"),
    }
    sums[j] += right_sum;
}

/// A position between entries, named by the keys before it.
#[derive(Clone, Copy)]
enum Edge<'k, K> {
    Start,
    /// Before the first key `>= k`.
    Before(&'k K),
    /// Before the first key `> k`.
    After(&'k K),
    End,
}

fn lower_edge<K>(bound: Bound<&K>) -> Edge<'_, K> {
    match bound {
        Bound::Included(k) => Edge::Before(k),
        Bound::Excluded(k) => Edge::After(k),
        Bound::Unbounded => Edge::Start,
    }
}

fn upper_edge<K>(bound: Bound<&K>) -> Edge<'_, K> {
    match bound {
        Bound::Included(k) => Edge::After(k),
        Bound::Excluded(k) => Edge::Before(k),
        Bound::Unbounded => Edge::End,
    }
}

/// Descends to `edge`: a cursor there and the summary of every key before it (only its
/// `len` unless `sums`, which costs a look at the keys before it in its leaf).
fn seek<'a, K: Ord + Measured, V>(
    root: &'a Node<K, V>,
    edge: Edge<'_, K>,
    sums: bool,
) -> (Cursor<'a, K, V>, Summary) {
    let mut cursor = Cursor::new();
    let mut before = Summary::default();
    let mut node = root;
    loop {
        match node {
            Node::Branch {
                seps,
                kids,
                sums: kid_sums,
            } => {
                let i = match edge {
                    Edge::Start => 0,
                    Edge::End => kids.len() - 1,
                    Edge::Before(k) | Edge::After(k) => seps.partition_point(|s| s <= k),
                };
                for s in &kid_sums[..i] {
                    if sums {
                        before += *s;
                    } else {
                        before.len += s.len;
                    }
                }
                cursor.path.push((node, i));
                node = &kids[i];
            }
            Node::Leaf { keys, vals } => {
                let idx = match edge {
                    Edge::Start => 0,
                    Edge::End => keys.len(),
                    Edge::Before(k) => keys.partition_point(|x| x.cmp(k) == Ordering::Less),
                    Edge::After(k) => keys.partition_point(|x| x <= k),
                };
                if sums {
                    for k in &keys[..idx] {
                        before += k.summary();
                    }
                } else {
                    before.len += idx as u64;
                }
                cursor.keys = keys;
                cursor.vals = vals;
                cursor.idx = idx;
                return (cursor, before);
            }
        }
    }
}

/// A position in a leaf and the path of branches down to it.
struct Cursor<'a, K, V> {
    path: Vec<(&'a Node<K, V>, usize)>,
    keys: &'a [K],
    vals: &'a [V],
    idx: usize,
}

impl<'a, K, V> Cursor<'a, K, V> {
    fn new() -> Self {
        Cursor {
            path: Vec::new(),
            keys: &[],
            vals: &[],
            idx: 0,
        }
    }

    fn descend_first(&mut self, mut node: &'a Node<K, V>) {
        loop {
            match node {
                Node::Branch { kids, .. } => {
                    self.path.push((node, 0));
                    node = &kids[0];
                }
                Node::Leaf { keys, vals } => {
                    self.keys = keys;
                    self.vals = vals;
                    self.idx = 0;
                    return;
                }
            }
        }
    }

    fn descend_last(&mut self, mut node: &'a Node<K, V>) {
        loop {
            match node {
                Node::Branch { kids, .. } => {
                    self.path.push((node, kids.len() - 1));
                    node = &kids[kids.len() - 1];
                }
                Node::Leaf { keys, vals } => {
                    self.keys = keys;
                    self.vals = vals;
                    self.idx = keys.len();
                    return;
                }
            }
        }
    }

    /// The entry after the position, moving past it. The caller knows there is one.
    fn next(&mut self) -> (&'a K, &'a V) {
        while self.idx == self.keys.len() {
            // To the first leaf of the next subtree to the right.
            loop {
                let (node, i) = self.path.last_mut().expect("an entry after the cursor");
                let node: &'a Node<K, V> = node;
                let Node::Branch { kids, .. } = node else {
                    unreachable!("the path holds branches")
                };
                if *i + 1 < kids.len() {
                    *i += 1;
                    let kid = &kids[*i];
                    self.descend_first(kid);
                    break;
                }
                self.path.pop();
            }
        }
        let at = self.idx;
        self.idx += 1;
        (&self.keys[at], &self.vals[at])
    }

    /// The entry before the position, moving before it. The caller knows there is one.
    fn prev(&mut self) -> (&'a K, &'a V) {
        while self.idx == 0 {
            loop {
                let (node, i) = self.path.last_mut().expect("an entry before the cursor");
                let node: &'a Node<K, V> = node;
                let Node::Branch { kids, .. } = node else {
                    unreachable!("the path holds branches")
                };
                if *i > 0 {
                    *i -= 1;
                    let kid = &kids[*i];
                    self.descend_last(kid);
                    break;
                }
                self.path.pop();
            }
        }
        self.idx -= 1;
        (&self.keys[self.idx], &self.vals[self.idx])
    }
}

/// Entries between two positions; knowing how many makes both ends simple.
pub struct Iter<'a, K, V> {
    ends: Option<(Cursor<'a, K, V>, Cursor<'a, K, V>)>,
    remaining: usize,
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        self.ends.as_mut().map(|(front, _)| front.next())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }

    fn count(self) -> usize {
        self.remaining
    }
}

impl<K, V> DoubleEndedIterator for Iter<'_, K, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        self.ends.as_mut().map(|(_, back)| back.prev())
    }
}

impl<K, V> ExactSizeIterator for Iter<'_, K, V> {}

#[cfg(test)]
impl<K: Ord + Clone + Measured + std::fmt::Debug, V> SumTree<K, V> {
    /// Panics unless every invariant of the module doc holds.
    pub fn check(&self) {
        fn walk<K: Ord + Measured + std::fmt::Debug, V>(
            node: &Node<K, V>,
            lo: Option<&K>,
            hi: Option<&K>,
            is_root: bool,
            depth: usize,
            leaf_depth: &mut Option<usize>,
        ) -> Summary {
            let width = node.width();
            assert!(width <= MAX, "node of width {width}");
            assert!(is_root || width >= MIN, "node of width {width} below MIN");
            match node {
                Node::Leaf { keys, vals } => {
                    assert_eq!(keys.len(), vals.len());
                    assert!(is_root || !keys.is_empty());
                    assert!(
                        keys.windows(2).all(|w| w[0] < w[1]),
                        "leaf keys out of order"
                    );
                    for k in keys {
                        assert!(lo.is_none_or(|lo| lo <= k) && hi.is_none_or(|hi| k < hi));
                    }
                    assert_eq!(*leaf_depth.get_or_insert(depth), depth, "uneven leaves");
                    node.summary()
                }
                Node::Branch { seps, kids, sums } => {
                    assert!(kids.len() >= 2, "a branch with one child");
                    assert_eq!(seps.len() + 1, kids.len());
                    assert_eq!(sums.len(), kids.len());
                    assert!(
                        seps.windows(2).all(|w| w[0] < w[1]),
                        "separators out of order"
                    );
                    let mut total = Summary::default();
                    for (i, kid) in kids.iter().enumerate() {
                        let kid_lo = if i == 0 { lo } else { Some(&seps[i - 1]) };
                        let kid_hi = seps.get(i).or(hi);
                        let s = walk(kid, kid_lo, kid_hi, false, depth + 1, leaf_depth);
                        assert_eq!(s, sums[i], "stale summary");
                        total += s;
                    }
                    total
                }
            }
        }
        match &self.root {
            None => assert_eq!(self.total, Summary::default()),
            Some(root) => {
                let total = walk(root, None, None, true, 0, &mut None);
                assert_eq!(total, self.total, "stale total");
                assert!(self.total.len > 0, "an empty root is dropped");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    impl Measured for i64 {
        fn summary(&self) -> Summary {
            Summary::of_int(*self)
        }
    }

    fn model_summary<'a>(keys: impl Iterator<Item = &'a i64>) -> Summary {
        keys.fold(Summary::default(), |s, k| s + k.summary())
    }

    fn bound(kind: u8, v: i64) -> Bound<i64> {
        match kind % 3 {
            0 => Bound::Included(v),
            1 => Bound::Excluded(v),
            _ => Bound::Unbounded,
        }
    }

    /// Whether `BTreeMap::range` accepts the bounds (it panics on a reversed range);
    /// the tree calls such a range empty.
    fn valid(lo: &Bound<i64>, hi: &Bound<i64>) -> bool {
        match (lo, hi) {
            (Bound::Included(a), Bound::Included(b)) => a <= b,
            (Bound::Included(a) | Bound::Excluded(a), Bound::Included(b) | Bound::Excluded(b)) => {
                a < b
            }
            _ => true,
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(i64, u32),
        Remove(i64),
        /// Keep the current version aside, with what it held then.
        Snapshot,
    }

    fn ops(keys: i64) -> impl Strategy<Value = Vec<Op>> {
        prop::collection::vec(
            prop_oneof![
                6 => (-keys..keys, any::<u32>()).prop_map(|(k, v)| Op::Insert(k, v)),
                4 => (-keys..keys).prop_map(Op::Remove),
                1 => Just(Op::Snapshot),
            ],
            0..1500,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn behaves_like_a_btreemap(
            ops in ops(400),
            ranges in prop::collection::vec((any::<u8>(), -450i64..450, any::<u8>(), -450i64..450), 20),
        ) {
            let mut tree: SumTree<i64, u32> = SumTree::new();
            let mut model: BTreeMap<i64, u32> = BTreeMap::new();
            let mut snapshots: Vec<(SumTree<i64, u32>, BTreeMap<i64, u32>)> = Vec::new();
            for op in &ops {
                match *op {
                    Op::Insert(k, v) => prop_assert_eq!(tree.insert(k, v), model.insert(k, v)),
                    Op::Remove(k) => prop_assert_eq!(tree.remove(&k), model.remove(&k)),
                    Op::Snapshot => snapshots.push((tree.clone(), model.clone())),
                }
            }
            tree.check();
            prop_assert_eq!(tree.len(), model.len());
            prop_assert_eq!(tree.summary(), model_summary(model.keys()));
            let all: Vec<_> = tree.iter().map(|(k, v)| (*k, *v)).collect();
            let want: Vec<_> = model.iter().map(|(k, v)| (*k, *v)).collect();
            prop_assert_eq!(&all, &want);
            let back: Vec<_> = tree.iter().rev().map(|(k, v)| (*k, *v)).collect();
            prop_assert_eq!(back, want.iter().rev().cloned().collect::<Vec<_>>());
            for k in -410..410 {
                prop_assert_eq!(tree.get(&k), model.get(&k));
            }
            for &(lk, lo, hk, hi) in &ranges {
                let (lo, hi) = (bound(lk, lo), bound(hk, hi));
                let got: Vec<i64> = tree.range((lo, hi)).map(|(k, _)| *k).collect();
                let summary = tree.range_summary((lo, hi));
                if !valid(&lo, &hi) {
                    prop_assert!(got.is_empty());
                    prop_assert_eq!(summary, Summary::default());
                    continue;
                }
                let want: Vec<i64> = model.range((lo, hi)).map(|(k, _)| *k).collect();
                prop_assert_eq!(&got, &want);
                prop_assert_eq!(tree.range((lo, hi)).count(), want.len());
                prop_assert_eq!(summary, model_summary(want.iter()));
                let back: Vec<i64> = tree.range((lo, hi)).rev().map(|(k, _)| *k).collect();
                prop_assert_eq!(back, want.iter().rev().cloned().collect::<Vec<_>>());
                // Both ends at once meet in the middle without overlap.
                let mut both = tree.range((lo, hi));
                let (mut front, mut rear) = (Vec::new(), Vec::new());
                while let Some((k, _)) = both.next() {
                    front.push(*k);
                    match both.next_back() {
                        Some((k, _)) => rear.push(*k),
                        None => break,
                    }
                }
                rear.reverse();
                front.extend(rear);
                prop_assert_eq!(front, want);
            }
            // Older versions are untouched by what came after them.
            for (old, then) in &snapshots {
                old.check();
                let held: Vec<_> = old.iter().map(|(k, v)| (*k, *v)).collect();
                let want: Vec<_> = then.iter().map(|(k, v)| (*k, *v)).collect();
                prop_assert_eq!(held, want);
                prop_assert_eq!(old.summary(), model_summary(then.keys()));
            }
        }
    }

    #[test]
    fn many_entries_stay_balanced_and_share_structure() {
        let mut tree: SumTree<i64, i64> = (0..100_000).map(|k| (k * 7 % 100_003, k)).collect();
        tree.check();
        let before = tree.clone();
        assert!(before.ptr_eq(&tree));
        for k in 0..50_000 {
            tree.remove(&(k * 7 % 100_003));
        }
        tree.insert(-5, 1);
        tree.check();
        before.check();
        assert_eq!(before.len(), 100_000);
        assert_eq!(tree.len(), 50_001);
        assert!(!before.ptr_eq(&tree));
        let s = before.range_summary(10..=20);
        assert_eq!((s.len, s.int_sum), (11, (10..=20).sum::<i128>()));
        assert_eq!(before.range(10..=20).count(), 11);
        assert_eq!(before.range(..).next_back().map(|(k, _)| *k), Some(100_002));
        // Reversed bounds are empty, not a panic.
        assert_eq!(
            tree.range((Bound::Excluded(9), Bound::Excluded(9))).count(),
            0
        );
        assert_eq!(
            tree.range_summary((Bound::Included(20), Bound::Excluded(10))),
            Summary::default()
        );
        for k in 0..100_003 {
            tree.remove(&k);
        }
        tree.remove(&-5);
        tree.check();
        assert!(tree.is_empty());
        assert_eq!(tree.iter().count(), 0);
    }

    #[test]
    fn an_unchanged_subtree_is_shared_by_both_versions() {
        let a: SumTree<i64, i64> = (0..10_000).map(|k| (k, k)).collect();
        let mut b = a.clone();
        b.insert(5, -5);
        // Same leaves away from the changed path: their entries are the same memory.
        let far = |t: &SumTree<i64, i64>| t.get(&9_999).unwrap() as *const i64;
        assert_eq!(far(&a), far(&b));
        let near = |t: &SumTree<i64, i64>| t.get(&5).unwrap() as *const i64;
        assert_ne!(near(&a), near(&b));
        assert_eq!((a[&5], b[&5]), (5, -5));
    }
}
