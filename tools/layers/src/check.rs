//! The rules: no import cycle between files, none between the folders (or files) of any
//! one folder, and each top-level module imports only the layers after its own.

use std::collections::{BTreeSet, VecDeque};

use crate::tree::Crate;

/// Every broken rule, as a sentence naming the files or folders involved.
pub fn problems(krate: &Crate, layers: &[Vec<String>]) -> Vec<String> {
    let mut found = Vec::new();
    let file_name = |f: usize| krate.files[f].display().to_string();
    let edges: Vec<_> = krate.edges.iter().copied().collect();
    for cycle in cycles(krate.files.len(), &edges) {
        let names: Vec<_> = cycle.iter().map(|f| file_name(*f)).collect();
        found.push(format!(
            "import cycle between files: {}",
            names.join(" -> ")
        ));
    }
    for (folder, cycle) in folder_cycles(krate) {
        let place = if folder.is_empty() {
            "the crate root".to_string()
        } else {
            folder
        };
        found.push(format!(
            "import cycle between the modules of {place}: {}",
            cycle.join(" -> ")
        ));
    }
    if !layers.is_empty() {
        found.extend(layer_problems(krate, layers));
    }
    found
}

/// The module path of each file (`net/dispatch.rs` → `["net", "dispatch"]`).
fn file_paths(krate: &Crate) -> Vec<&[String]> {
    (0..krate.files.len())
        .map(|f| krate.modules[krate.module_of_file(f)].path.as_slice())
        .collect()
}

/// Cycles among the children of each module, each child standing for every file
/// below it.
fn folder_cycles(krate: &Crate) -> Vec<(String, Vec<String>)> {
    let paths = file_paths(krate);
    let mut found = Vec::new();
    for parent in krate
        .modules
        .iter()
        .filter(|m| !m.inline && m.children.len() > 1)
    {
        let depth = parent.path.len();
        let child_of = |f: usize| {
            let path = paths[f];
            (path.len() > depth && path[..depth] == parent.path[..]).then(|| path[depth].clone())
        };
        let mut names: Vec<String> = parent.children.keys().cloned().collect();
        names.sort();
        let index = |name: &String| names.iter().position(|n| n == name);
        let edges: BTreeSet<(usize, usize)> = krate
            .edges
            .iter()
            .filter_map(|(a, b)| Some((index(&child_of(*a)?)?, index(&child_of(*b)?)?)))
            .filter(|(a, b)| a != b)
            .collect();
        let edges: Vec<_> = edges.into_iter().collect();
        for cycle in cycles(names.len(), &edges) {
            found.push((
                parent.path.join("/"),
                cycle.iter().map(|c| names[*c].clone()).collect(),
            ));
        }
    }
    found
}

fn layer_problems(krate: &Crate, layers: &[Vec<String>]) -> Vec<String> {
    let mut found = Vec::new();
    let layer_of = |name: &str| layers.iter().position(|l| l.iter().any(|n| n == name));
    let mut top: Vec<&String> = krate.modules[0].children.keys().collect();
    top.sort();
    for name in &top {
        if layer_of(name).is_none() {
            found.push(format!(
                "module {name} is in no layer: add it to the layer order"
            ));
        }
    }
    for name in layers.iter().flatten() {
        if !top.contains(&name) {
            found.push(format!("layer {name} is not a module of the crate root"));
        }
    }
    let paths = file_paths(krate);
    for (from, to) in &krate.edges {
        let (Some(a), Some(b)) = (paths[*from].first(), paths[*to].first()) else {
            continue; // the crate root is above every layer
        };
        let (Some(la), Some(lb)) = (layer_of(a), layer_of(b)) else {
            continue;
        };
        if a != b && lb <= la {
            let relation = if la == lb { "beside it" } else { "above it" };
            found.push(format!(
                "{} imports {}: {a} may only import the layers below it, and {b} is {relation}",
                krate.files[*from].display(),
                krate.files[*to].display(),
            ));
        }
    }
    found
}

/// One cycle per strongly connected component of more than one node (a knot of imports),
/// each as its nodes in order with the first repeated at the end; sorted.
pub fn cycles(nodes: usize, edges: &[(usize, usize)]) -> Vec<Vec<usize>> {
    let mut next = vec![Vec::new(); nodes];
    for (a, b) in edges {
        next[*a].push(*b);
    }
    let mut found: Vec<_> = components(&next)
        .into_iter()
        .filter(|c| c.len() > 1)
        .map(|component| cycle_through(&next, &component))
        .collect();
    found.sort();
    found
}

/// A shortest way from the component's first node back to itself, inside it.
fn cycle_through(next: &[Vec<usize>], component: &[usize]) -> Vec<usize> {
    let start = component[0];
    let mut came_from = vec![None; next.len()];
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for &n in &next[node] {
            if !component.contains(&n) {
                continue;
            }
            if n == start {
                let mut cycle = vec![node];
                let mut at = node;
                while let Some(prev) = came_from[at] {
                    cycle.push(prev);
                    at = prev;
                }
                cycle.reverse();
                cycle.push(start);
                return cycle;
            }
            if came_from[n].is_none() {
                came_from[n] = Some(node);
                queue.push_back(n);
            }
        }
    }
    unreachable!("a strongly connected component has a cycle through each node")
}

/// Tarjan's strongly connected components; each sorted.
fn components(next: &[Vec<usize>]) -> Vec<Vec<usize>> {
    struct Walk<'a> {
        next: &'a [Vec<usize>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        stack: Vec<usize>,
        on_stack: Vec<bool>,
        counter: usize,
        found: Vec<Vec<usize>>,
    }
    impl Walk<'_> {
        fn visit(&mut self, v: usize) {
            self.index[v] = Some(self.counter);
            self.low[v] = self.counter;
            self.counter += 1;
            self.stack.push(v);
            self.on_stack[v] = true;
            for &w in &self.next[v] {
                match self.index[w] {
                    None => {
                        self.visit(w);
                        self.low[v] = self.low[v].min(self.low[w]);
                    }
                    Some(i) if self.on_stack[w] => self.low[v] = self.low[v].min(i),
                    Some(_) => {}
                }
            }
            if Some(self.low[v]) == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                component.sort();
                self.found.push(component);
            }
        }
    }
    let n = next.len();
    let mut walk = Walk {
        next,
        index: vec![None; n],
        low: vec![0; n],
        stack: Vec::new(),
        on_stack: vec![false; n],
        counter: 0,
        found: Vec::new(),
    };
    for v in 0..n {
        if walk.index[v].is_none() {
            walk.visit(v);
        }
    }
    walk.found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::tests::source;

    fn layers(spec: &[&str]) -> Vec<Vec<String>> {
        spec.iter()
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect()
    }

    #[test]
    fn cycles_are_found_and_named_in_order() {
        assert_eq!(cycles(3, &[(0, 1), (1, 2)]), Vec::<Vec<usize>>::new());
        assert_eq!(cycles(3, &[(0, 1), (1, 2), (2, 0)]), [vec![0, 1, 2, 0]]);
        assert_eq!(
            cycles(5, &[(0, 1), (1, 0), (2, 3), (3, 4), (4, 3)]),
            [vec![0, 1, 0], vec![3, 4, 3]]
        );
    }

    #[test]
    fn a_clean_layering_passes() {
        let dir = source(&[
            ("lib.rs", "pub mod net; pub mod state; pub mod error;"),
            ("net/mod.rs", "pub mod a; pub mod b;"),
            ("net/a.rs", "use super::b; use crate::state::S;"),
            ("net/b.rs", "use crate::error::E;"),
            ("state.rs", "use crate::error::E;"),
            ("error.rs", ""),
        ]);
        let krate = Crate::load(dir.path()).unwrap();
        assert_eq!(
            problems(&krate, &layers(&["net", "state", "error"])),
            Vec::<String>::new()
        );
    }

    #[test]
    fn cycles_between_files_and_folders_and_upward_imports_are_named() {
        let dir = source(&[
            (
                "lib.rs",
                "pub mod net; pub mod state; pub mod error; pub mod extra;",
            ),
            ("net/mod.rs", "pub mod a; pub mod b;"),
            ("net/a.rs", "use super::b;"),
            ("net/b.rs", "use crate::state::S; use super::a;"),
            ("state/mod.rs", "pub mod x; pub mod y;"),
            ("state/x.rs", "use crate::net::a;"),
            ("state/y.rs", "use crate::error::E;"),
            ("error.rs", "use crate::state::y::Y;"),
            ("extra.rs", ""),
        ]);
        let krate = Crate::load(dir.path()).unwrap();
        let found = problems(&krate, &layers(&["net", "state,nothing", "error"]));
        assert_eq!(
            found,
            [
                "import cycle between files: error.rs -> state/y.rs -> error.rs",
                "import cycle between files: net/a.rs -> net/b.rs -> net/a.rs",
                // One cycle is named per knot: net -> state -> net is in the same one.
                "import cycle between the modules of the crate root: error -> state -> error",
                "import cycle between the modules of net: a -> b -> a",
                "module extra is in no layer: add it to the layer order",
                "layer nothing is not a module of the crate root",
                "error.rs imports state/y.rs: error may only import the layers below it, and state is above it",
                "state/x.rs imports net/a.rs: state may only import the layers below it, and net is above it",
            ]
        );
    }
}
