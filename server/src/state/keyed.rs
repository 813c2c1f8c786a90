//! A persistent map from text keys, ordered by the keys' hashes: for the big maps that
//! are only ever looked up by key (streams, remembered event ids), never walked in
//! key order.
//!
//! imbl's hash map reserves 32 slots in every node however few it holds (about 1 KB per
//! stream at a million streams); its ordered map is dense but compares keys through
//! their heap pointers, a cache miss per comparison when keys are random uuids. Keyed by
//! a 64-bit hash, the ordered map compares integers stored in the node itself. Keys that
//! share a hash (rare) share a bucket, and every lookup checks the text, so a collision
//! costs a little time, never a wrong answer.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct KeyedMap<V: Clone> {
    buckets: imbl::OrdMap<u64, Bucket<V>>,
    len: usize,
    /// [`sip`] but in tests, which force collisions.
    hash: fn(&str) -> u64,
}

/// The entries whose keys share one hash; almost always exactly one.
type Bucket<V> = Arc<[(Arc<str>, V)]>;

impl<V: Clone> Default for KeyedMap<V> {
    fn default() -> Self {
        KeyedMap {
            buckets: imbl::OrdMap::new(),
            len: 0,
            hash: sip,
        }
    }
}

fn sip(key: &str) -> u64 {
    // SipHash with fixed keys: the hash never leaves the process (snapshots store keys
    // as text), so it need not be stable across builds.
    let mut hasher = std::hash::DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish()
}

impl<V: Clone> KeyedMap<V> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        self.buckets
            .get(&(self.hash)(key))?
            .iter()
            .find(|(k, _)| &**k == key)
            .map(|(_, v)| v)
    }

    /// Sets `key` to `value`, returning the value it replaced.
    pub fn insert(&mut self, key: Arc<str>, value: V) -> Option<V> {
        self.update(key, |_| value)
    }

    /// Sets `key` to `change(its current value)`, returning the value it replaced.
    pub fn update(&mut self, key: Arc<str>, change: impl FnOnce(Option<&V>) -> V) -> Option<V> {
        let h = (self.hash)(&key);
        let mut entries: Vec<(Arc<str>, V)> = match self.buckets.get(&h) {
            Some(bucket) => bucket.to_vec(),
            None => Vec::with_capacity(1),
        };
        let old = match entries.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => {
                let next = change(Some(v));
                Some(std::mem::replace(v, next))
            }
            None => {
                let next = change(None);
                entries.push((key, next));
                self.len += 1;
                None
            }
        };
        self.buckets.insert(h, Arc::from(entries));
        old
    }

    /// Every entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&Arc<str>, &V)> {
        self.buckets
            .values()
            .flat_map(|bucket| bucket.iter().map(|(k, v)| (k, v)))
    }
}

impl<V: Clone> Extend<(Arc<str>, V)> for KeyedMap<V> {
    fn extend<I: IntoIterator<Item = (Arc<str>, V)>>(&mut self, entries: I) {
        for (k, v) in entries {
            self.insert(k, v);
        }
    }
}

impl<V: Clone + PartialEq> PartialEq for KeyedMap<V> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn behaves_like_a_map_of_text_keys(hash: fn(&str) -> u64) {
        let mut map = KeyedMap {
            hash,
            ..KeyedMap::default()
        };
        let mut model = std::collections::HashMap::new();
        for i in 0..2000u32 {
            let key = format!("stream-{}", i % 700);
            let before = map.clone();
            assert_eq!(map.insert(Arc::from(key.as_str()), i), model.insert(key, i));
            assert!(map.len() - before.len() <= 1);
            assert_eq!(
                before.len(),
                model.len() - usize::from(map.len() > before.len())
            );
        }
        assert_eq!(map.len(), model.len());
        for (k, v) in &model {
            assert_eq!(map.get(k), Some(v));
        }
        assert_eq!(map.get("stream-700"), None);
        assert_eq!(map.iter().count(), model.len());
        let old = map.update(Arc::from("stream-3"), |v| v.copied().unwrap_or(0) + 1);
        assert_eq!(map.get("stream-3"), Some(&(old.unwrap() + 1)));
        let mut copy = KeyedMap::default();
        copy.extend(map.iter().map(|(k, v)| (k.clone(), *v)));
        assert_eq!(copy, map);
    }

    #[test]
    fn behaves_like_a_map() {
        behaves_like_a_map_of_text_keys(sip);
    }

    #[test]
    fn keys_sharing_a_hash_stay_apart() {
        // Every key in one bucket, as if every hash collided.
        behaves_like_a_map_of_text_keys(|_| 7);
        behaves_like_a_map_of_text_keys(|k| k.len() as u64);
    }
}
