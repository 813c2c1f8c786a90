//! The cost of one durable append on a disk: append a small record to a file, fdatasync,
//! repeat. A store that fsyncs once per commit can commit at most 1 / that time per
//! second, whatever its clients do; group commit is how a store beats it.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Appends before the timed ones: the first ones allocate the file's first blocks.
const WARMUP_APPENDS: usize = 5;

/// Removes the probe file however the probe ends.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

/// Times `count` appends of `bytes` bytes each followed by fdatasync (`sync_data`) in a
/// new file in `dir`; returns the times in microseconds, sorted.
pub fn fdatasync_micros(dir: &Path, count: usize, bytes: usize) -> Result<Vec<u64>, String> {
    let path = dir.join(format!("fsync-probe.{}", std::process::id()));
    let mut file: File = OpenOptions::new()
        .create_new(true)
        .append(true)
        .open(&path)
        .map_err(|e| format!("creating {}: {e}", path.display()))?;
    let _scratch = Scratch(path.clone());
    let record = vec![b'x'; bytes];
    let mut times = Vec::with_capacity(count);
    for i in 0..WARMUP_APPENDS + count {
        let begin = Instant::now();
        file.write_all(&record)
            .and_then(|()| file.sync_data())
            .map_err(|e| format!("appending to {}: {e}", path.display()))?;
        if i >= WARMUP_APPENDS {
            times.push(begin.elapsed().as_micros() as u64);
        }
    }
    times.sort_unstable();
    Ok(times)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_each_append_and_cleans_up() {
        let dir = std::env::temp_dir().join(format!("resident-probe-test.{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let times = fdatasync_micros(&dir, 10, 200).unwrap();
        assert_eq!(times.len(), 10);
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0, "probe file removed");
        fs::remove_dir(&dir).unwrap();
    }
}
