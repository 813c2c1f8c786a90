//! A socket path in a temporary directory of its own, for the tests of the connection
//! and the client; the directory goes when the test's [`TempSocket`] does.

pub struct TempSocket {
    _dir: tempfile::TempDir,
    pub path: String,
}

impl TempSocket {
    pub fn new(name: &str) -> TempSocket {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join(name).to_string_lossy().into_owned();
        TempSocket { _dir: dir, path }
    }
}
