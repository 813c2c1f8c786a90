//! Latency histogram in microseconds, of fixed size whatever the run's length.
//!
//! A closed-loop client at tens of thousands of commits per second for minutes would make a
//! vector of samples grow without bound; these buckets do not. Values below 2048 µs are
//! exact; above, each power of two is cut into 1024 buckets, so a reported percentile is
//! at most 0.1 % below the true sample.

/// Sub-buckets per power of two, as bits: 1024 gives < 0.1 % error.
const SUB_BITS: u32 = 10;
const SUB: u64 = 1 << SUB_BITS;
/// Largest value kept apart; anything slower (over an hour) lands in the last bucket.
const VALUE_MAX: u64 = u32::MAX as u64;
/// One bucket per exact value below 2 * SUB, then SUB per power of two up to 2^32.
const BUCKETS: usize = ((32 - SUB_BITS) as usize + 1) * SUB as usize;

#[derive(Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; BUCKETS],
            total: 0,
        }
    }
}

fn bucket_of(value: u64) -> usize {
    let v = value.min(VALUE_MAX);
    if v < 2 * SUB {
        return v as usize;
    }
    let shift = (63 - v.leading_zeros()) - SUB_BITS;
    (u64::from(shift) * SUB + (v >> shift)) as usize
}

/// The smallest value a bucket holds: what a percentile reports.
fn low_of(bucket: usize) -> u64 {
    let b = bucket as u64;
    if b < 2 * SUB {
        return b;
    }
    let shift = b / SUB - 1;
    (b - shift * SUB) << shift
}

impl Histogram {
    pub fn record(&mut self, micros: u64) {
        self.counts[bucket_of(micros)] += 1;
        self.total += 1;
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.total += other.total;
    }

    /// Nearest-rank percentile (`p` in 0..=100); `None` when nothing was recorded.
    pub fn percentile(&self, p: f64) -> Option<u64> {
        let rank = rank(p, self.total)?;
        let mut seen = 0;
        for (bucket, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some(low_of(bucket));
            }
        }
        unreachable!("the ranks add up to total")
    }
}

/// The 1-based nearest rank of percentile `p` among `n` samples.
fn rank(p: f64, n: u64) -> Option<u64> {
    if n == 0 {
        return None;
    }
    let r = (p.clamp(0.0, 100.0) / 100.0 * n as f64).ceil() as u64;
    Some(r.clamp(1, n))
}

/// Nearest-rank percentile of samples already sorted ascending.
pub fn percentile_sorted(sorted: &[u64], p: f64) -> Option<u64> {
    let r = rank(p, sorted.len() as u64)?;
    Some(sorted[r as usize - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_on_sorted_samples() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile_sorted(&v, 50.0), Some(50));
        assert_eq!(percentile_sorted(&v, 99.0), Some(99));
        assert_eq!(percentile_sorted(&v, 100.0), Some(100));
        assert_eq!(percentile_sorted(&v, 0.0), Some(1));
        assert_eq!(percentile_sorted(&[7], 99.0), Some(7));
        assert_eq!(percentile_sorted(&[1, 2, 3, 4], 50.0), Some(2));
        assert_eq!(percentile_sorted(&[], 50.0), None);
    }

    #[test]
    fn buckets_are_contiguous_and_ordered() {
        let mut previous = 0;
        for b in 1..BUCKETS {
            let low = low_of(b);
            assert!(low > previous, "bucket {b}");
            assert_eq!(bucket_of(low), b);
            assert_eq!(bucket_of(low - 1), b - 1);
            previous = low;
        }
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn exact_below_two_milliseconds() {
        let samples: Vec<u64> = (0..2000).map(|i| (i * 7919) % 2048).collect();
        let mut h = Histogram::default();
        samples.iter().for_each(|&s| h.record(s));
        let mut sorted = samples.clone();
        sorted.sort_unstable();
        for p in [1.0, 50.0, 90.0, 99.0, 99.9, 100.0] {
            assert_eq!(h.percentile(p), percentile_sorted(&sorted, p), "p{p}");
        }
    }

    #[test]
    fn within_a_thousandth_above() {
        let samples: Vec<u64> = (1..5000u64).map(|i| i * i * 37 + 2048).collect();
        let mut h = Histogram::default();
        samples.iter().for_each(|&s| h.record(s));
        let mut sorted = samples.clone();
        sorted.sort_unstable();
        for p in [50.0, 99.0] {
            let exact = percentile_sorted(&sorted, p).unwrap();
            let got = h.percentile(p).unwrap();
            assert!(
                got <= exact && exact - got <= exact / 1000,
                "p{p}: {got} vs {exact}"
            );
        }
    }

    #[test]
    fn merge_adds_counts() {
        let (mut a, mut b) = (Histogram::default(), Histogram::default());
        (1..=50).for_each(|v| a.record(v));
        (51..=100).for_each(|v| b.record(v));
        a.merge(&b);
        assert_eq!(a.count(), 100);
        assert_eq!(a.percentile(50.0), Some(50));
        assert_eq!(a.percentile(99.0), Some(99));
        assert_eq!(Histogram::default().percentile(50.0), None);
    }
}
