//! Where a record is in the log: a segment number and a byte offset, and the segment's
//! file name, which is how a ref is shown. The state keeps one per event (its stream
//! points at the commit record that holds it), so this is the state's type; the log on
//! disk hands them out.

/// Segment numbers fit 24 bits and offsets 40 bits of a [`RecordRef`].
pub const SEGMENT_NUMBER_MAX: u64 = (1 << 24) - 1;
pub const SEGMENT_BYTES_CEILING: u64 = 1 << 40;

/// Where a record starts in the log: a segment number and a byte offset, packed in one
/// u64 because every event in memory carries one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordRef(u64);

impl RecordRef {
    pub fn new(segment: u64, offset: u64) -> RecordRef {
        assert!(
            (1..=SEGMENT_NUMBER_MAX).contains(&segment) && offset < SEGMENT_BYTES_CEILING,
            "record ref out of range: segment {segment}, offset {offset}"
        );
        RecordRef(segment << 40 | offset)
    }

    pub fn segment(self) -> u64 {
        self.0 >> 40
    }

    pub fn offset(self) -> u64 {
        self.0 & (SEGMENT_BYTES_CEILING - 1)
    }

    pub fn to_u64(self) -> u64 {
        self.0
    }

    /// For values read back from a snapshot; `None` when they cannot be a ref.
    pub fn from_u64(packed: u64) -> Option<RecordRef> {
        (packed >> 40 != 0).then_some(RecordRef(packed))
    }
}

impl std::fmt::Display for RecordRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", segment_name(self.segment()), self.offset())
    }
}

/// The file name of log segment `number`.
pub fn segment_name(number: u64) -> String {
    format!("{number:020}.log")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_refs_pack_segment_and_offset() {
        let r = RecordRef::new(3, 1234);
        assert_eq!((r.segment(), r.offset()), (3, 1234));
        assert_eq!(RecordRef::from_u64(r.to_u64()), Some(r));
        assert_eq!(RecordRef::from_u64(77), None, "segment 0 is not a segment");
        assert!(RecordRef::new(1, 5) < RecordRef::new(2, 0));
        assert_eq!(r.to_string(), "00000000000000000003.log:1234");
    }
}
