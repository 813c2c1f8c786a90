//! `layers SRC LAYER…`: checks the modules of the crate whose sources are in SRC.
//!
//! Fails, naming the files or modules, on an import cycle between two files, or between
//! the submodules of any one module (folders included, each standing for every file
//! below it); and, given the layer order, on a top-level module importing a module of
//! its own layer or one above it. Each LAYER is a top-level module name, or several
//! separated by commas for modules side by side; the first is the top. Every top-level
//! module must be in a layer. Items under `#[cfg(test)]` are left out: tests may reach
//! anywhere.
//!
//! Example: `layers server/src server,testkit net,config write,query storage state cbor error`

mod check;
mod scan;
mod tree;

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((src, layers)) = args.split_first() else {
        eprintln!(
            "usage: layers SRC [LAYER…]  (a LAYER is a module, or a,b for modules side by side)"
        );
        return ExitCode::from(2);
    };
    let layers: Vec<Vec<String>> = layers
        .iter()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    let krate = match tree::Crate::load(Path::new(src)) {
        Ok(krate) => krate,
        Err(e) => {
            eprintln!("layers: {e}");
            return ExitCode::from(2);
        }
    };
    let problems = check::problems(&krate, &layers);
    if problems.is_empty() {
        println!(
            "layers: {src}: {} files, {} imports between them, no cycles{}",
            krate.files.len(),
            krate.edges.len(),
            if layers.is_empty() {
                ""
            } else {
                ", each layer imports only those below it"
            }
        );
        return ExitCode::SUCCESS;
    }
    for problem in &problems {
        eprintln!("layers: {src}: {problem}");
    }
    ExitCode::FAILURE
}
