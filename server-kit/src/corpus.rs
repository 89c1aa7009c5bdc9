//! The kept corpus of a property-based fuzz target: one input per file in a folder of
//! the crate (`fuzz-corpus/<target>/`), read in name order, so inputs that once mattered
//! are replayed before generated ones (both services' fuzz targets use it).

use std::path::Path;

/// The inputs of `target` under `<crate_dir>/fuzz-corpus/`; panics (a test's failure)
/// when the folder cannot be read.
pub fn corpus(crate_dir: &str, target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(crate_dir).join("fuzz-corpus").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the corpus {}: {e}", dir.display()))
        .map(|f| f.expect("a corpus entry").path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| std::fs::read(f).expect("a corpus file"))
        .collect()
}
