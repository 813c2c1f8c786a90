//! A crate's module tree, found by following `mod` declarations from `lib.rs` (or
//! `main.rs`), and which of its files name something in which other file.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::scan::{self, PathUse};

pub struct Module {
    /// From the crate root: `["net", "dispatch"]`; the root's is empty.
    pub path: Vec<String>,
    /// The file that holds it (an inline module's is its parent's).
    pub file: usize,
    pub inline: bool,
    /// Submodules by name.
    pub children: HashMap<String, usize>,
    /// Where the files of its submodules are.
    child_dir: PathBuf,
}

pub struct Crate {
    /// Source files relative to the source directory; the root is the first.
    pub files: Vec<PathBuf>,
    /// Modules; the root is the first.
    pub modules: Vec<Module>,
    /// `(from, to)`: file `from` names something in file `to`.
    pub edges: BTreeSet<(usize, usize)>,
}

impl Crate {
    pub fn load(src: &Path) -> Result<Crate, String> {
        let root = ["lib.rs", "main.rs"]
            .iter()
            .map(PathBuf::from)
            .find(|f| src.join(f).is_file())
            .ok_or_else(|| format!("{} holds neither lib.rs nor main.rs", src.display()))?;
        let mut krate = Crate {
            files: vec![root],
            modules: vec![Module {
                path: Vec::new(),
                file: 0,
                inline: false,
                children: HashMap::new(),
                child_dir: PathBuf::new(),
            }],
            edges: BTreeSet::new(),
        };
        let mut uses = Vec::new();
        // Files are added while they are read: each new file module is read in turn.
        let mut next = 0;
        while next < krate.modules.len() {
            if !krate.modules[next].inline {
                krate.read(src, next, &mut uses)?;
            }
            next += 1;
        }
        for (file, module, path) in uses {
            if let Some(target) = krate.resolve(module, &path.segments) {
                let to = krate.modules[target].file;
                if to != file {
                    krate.edges.insert((file, to));
                }
            }
        }
        Ok(krate)
    }

    /// Reads the file of module `m`: declares its submodules, gathers its paths.
    fn read(
        &mut self,
        src: &Path,
        m: usize,
        uses: &mut Vec<(usize, usize, PathUse)>,
    ) -> Result<(), String> {
        let file = self.modules[m].file;
        let path = src.join(&self.files[file]);
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let scanned = scan::scan(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        for decl in scanned.mods {
            let parent = self.descend(m, &decl.within);
            let module_file = if decl.inline {
                file
            } else {
                self.module_file(src, parent, &decl.name)?
            };
            let mut module_path = self.modules[parent].path.clone();
            module_path.push(decl.name.clone());
            let child_dir = self.modules[parent].child_dir.join(&decl.name);
            self.modules.push(Module {
                path: module_path,
                file: module_file,
                inline: decl.inline,
                children: HashMap::new(),
                child_dir,
            });
            let id = self.modules.len() - 1;
            self.modules[parent].children.insert(decl.name, id);
        }
        for path in scanned.paths {
            uses.push((file, self.descend(m, &path.within), path));
        }
        Ok(())
    }

    /// The file of submodule `name` of `parent`: `name.rs` or `name/mod.rs`.
    fn module_file(&mut self, src: &Path, parent: usize, name: &str) -> Result<usize, String> {
        let dir = &self.modules[parent].child_dir;
        let file = [
            dir.join(format!("{name}.rs")),
            dir.join(name).join("mod.rs"),
        ]
        .into_iter()
        .find(|f| src.join(f).is_file())
        .ok_or_else(|| {
            format!(
                "module {name} declared in {} has no file",
                self.files[self.modules[parent].file].display()
            )
        })?;
        self.files.push(file);
        Ok(self.files.len() - 1)
    }

    /// The module reached from `m` through the child names in `names`, as far as they go.
    fn descend(&self, mut m: usize, names: &[String]) -> usize {
        for name in names {
            match self.modules[m].children.get(name) {
                Some(child) => m = *child,
                None => break,
            }
        }
        m
    }

    /// The module a path written in module `m` leads into, or `None` when it leads out
    /// of the crate (or to something that is not a module path, like `Value::from`).
    fn resolve(&self, m: usize, segments: &[String]) -> Option<usize> {
        let (first, rest) = segments.split_first()?;
        let (base, rest) = match first.as_str() {
            "crate" => (0, rest),
            "self" => (m, rest),
            "super" => {
                let mut base = self.parent(m)?;
                let mut rest = rest;
                while rest.first().is_some_and(|s| s == "super") {
                    base = self.parent(base)?;
                    rest = &rest[1..];
                }
                (base, rest)
            }
            name if self.modules[m].children.contains_key(name) => (m, segments),
            _ => return None,
        };
        Some(self.descend(base, rest))
    }

    fn parent(&self, m: usize) -> Option<usize> {
        let path = &self.modules[m].path;
        let (_, parent) = path.split_last()?;
        Some(self.descend(0, parent))
    }

    /// The module whose file is `file`, if it is not inline.
    pub fn module_of_file(&self, file: usize) -> usize {
        self.modules
            .iter()
            .position(|m| m.file == file && !m.inline)
            .expect("every file is a module's")
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// Writes `files` (path, text) under a temporary source directory.
    pub fn source(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    /// The edges as `from -> to`, sorted.
    fn edges(krate: &Crate) -> Vec<String> {
        let mut edges: Vec<_> = krate
            .edges
            .iter()
            .map(|(a, b)| {
                format!(
                    "{} -> {}",
                    krate.files[*a].display(),
                    krate.files[*b].display()
                )
            })
            .collect();
        edges.sort();
        edges
    }

    #[test]
    fn paths_resolve_to_the_files_of_the_modules_they_name() {
        let dir = source(&[
            ("lib.rs", "pub mod net; mod state; #[cfg(test)] mod testkit;"),
            ("net/mod.rs", "pub mod dispatch; pub mod reads;"),
            (
                "net/dispatch.rs",
                "use super::reads::{self, Read}; use crate::state::entity::Entity; fn f() { std::mem::drop(1) }",
            ),
            ("net/reads.rs", "use crate::state::{Value, entity};"),
            ("state.rs", "pub mod entity; mod inner { use super::entity::E; }"),
            ("state/entity.rs", "use crate::state::inner;"),
        ]);
        let krate = Crate::load(dir.path()).unwrap();
        assert_eq!(krate.files.len(), 6, "testkit.rs is test-only and not read");
        assert_eq!(
            edges(&krate),
            [
                "net/dispatch.rs -> net/reads.rs",
                "net/dispatch.rs -> state/entity.rs",
                "net/reads.rs -> state.rs",
                "net/reads.rs -> state/entity.rs",
                "state.rs -> state/entity.rs",
                "state/entity.rs -> state.rs",
            ]
        );
    }

    #[test]
    fn a_declared_module_without_a_file_is_an_error() {
        let dir = source(&[("lib.rs", "mod gone;")]);
        let err = Crate::load(dir.path()).map(|_| ()).unwrap_err();
        assert!(
            err.contains("module gone declared in lib.rs has no file"),
            "{err}"
        );
    }
}
