//! Where one stream's events were recorded: a [`RecordRef`] per version.
//!
//! Most streams are short (an account's handful of events), and an imbl `Vector`
//! costs about 600 bytes even for ten entries; a shared slice costs the entries and a
//! 16-byte header. So a short stream is a slice copied on append (at most
//! [`SHORT_MAX`] entries, a few hundred bytes), and a longer one an imbl `Vector`,
//! whose append stays cheap however long the stream gets. Both clone in O(1).

use std::sync::Arc;

use crate::state::record_ref::RecordRef;

/// The longest stream kept as a slice; appending copies at most this many refs.
pub const SHORT_MAX: usize = 32;

#[derive(Debug, Clone)]
pub enum StreamRefs {
    Short(Arc<[RecordRef]>),
    Long(imbl::Vector<RecordRef>),
}

impl Default for StreamRefs {
    fn default() -> Self {
        StreamRefs::Short(Arc::from([]))
    }
}

impl StreamRefs {
    pub fn len(&self) -> usize {
        match self {
            StreamRefs::Short(refs) => refs.len(),
            StreamRefs::Long(refs) => refs.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn push(&mut self, at: RecordRef) {
        match self {
            StreamRefs::Short(refs) if refs.len() < SHORT_MAX => {
                let mut grown = Vec::with_capacity(refs.len() + 1);
                grown.extend_from_slice(refs);
                grown.push(at);
                *refs = Arc::from(grown);
            }
            StreamRefs::Short(refs) => {
                let mut long: imbl::Vector<RecordRef> = refs.iter().copied().collect();
                long.push_back(at);
                *self = StreamRefs::Long(long);
            }
            StreamRefs::Long(refs) => refs.push_back(at),
        }
    }

    /// The refs from index `skip` on.
    pub fn iter_from(&self, skip: usize) -> Box<dyn Iterator<Item = RecordRef> + '_> {
        match self {
            StreamRefs::Short(refs) => Box::new(refs.iter().skip(skip).copied()),
            StreamRefs::Long(refs) => Box::new(refs.iter().skip(skip).copied()),
        }
    }
}

impl FromIterator<RecordRef> for StreamRefs {
    /// The same shape pushes would have built, so a state read back from a snapshot is
    /// laid out like the one that wrote it.
    fn from_iter<I: IntoIterator<Item = RecordRef>>(iter: I) -> Self {
        let refs: Vec<RecordRef> = iter.into_iter().collect();
        if refs.len() <= SHORT_MAX {
            StreamRefs::Short(Arc::from(refs))
        } else {
            StreamRefs::Long(refs.into_iter().collect())
        }
    }
}

impl PartialEq for StreamRefs {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter_from(0).eq(other.iter_from(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushes_grow_a_slice_then_a_vector_and_keep_every_ref_in_order() {
        let mut refs = StreamRefs::default();
        let all: Vec<RecordRef> = (0..100).map(|i| RecordRef::new(1, i * 10)).collect();
        for (i, at) in all.iter().enumerate() {
            let before = refs.clone();
            refs.push(*at);
            assert_eq!(before.len(), i, "a clone is not changed by a later push");
            assert_eq!(
                matches!(refs, StreamRefs::Short(_)),
                i < SHORT_MAX,
                "after {} pushes",
                i + 1
            );
        }
        assert_eq!(refs.iter_from(0).collect::<Vec<_>>(), all);
        assert_eq!(refs.iter_from(95).count(), 5);
        for n in [0, 1, SHORT_MAX, SHORT_MAX + 1, 100] {
            let rebuilt: StreamRefs = all[..n].iter().copied().collect();
            let mut pushed = StreamRefs::default();
            all[..n].iter().for_each(|at| pushed.push(*at));
            assert_eq!(rebuilt, pushed);
            assert_eq!(
                std::mem::discriminant(&rebuilt),
                std::mem::discriminant(&pushed)
            );
        }
    }
}
