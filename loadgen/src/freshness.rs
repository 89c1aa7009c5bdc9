//! Whether the service binaries loadgen is about to start are older than their sources:
//! `cargo run -p loadgen` rebuilds loadgen only, and measuring yesterday's bot-service
//! by mistake is the easiest way to fool oneself with a benchmark.

use std::{
    path::{Path, PathBuf},
    time::SystemTime,
};

/// The workspace loadgen was built from.
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The crates each service binary is built from.
const SOURCES: &[(&str, &[&str])] = &[
    ("bot-service", &["bot-service", "server-kit", "proto"]),
    ("agent-service", &["agent-service", "server-kit", "proto"]),
];

/// One warning per service binary (next to loadgen) older than a source file it is
/// built from; nothing when the sources are not where loadgen was built.
pub fn stale_binaries() -> Vec<String> {
    let Ok(exe) = std::env::current_exe() else {
        return Vec::new();
    };
    let root = workspace();
    let mut warnings = Vec::new();
    for (binary, crates) in SOURCES {
        let Some(built) = modified(&exe.with_file_name(binary)) else {
            continue;
        };
        let newest = crates
            .iter()
            .filter_map(|c| newest_in(&root.join(c)))
            .max_by_key(|(t, _)| *t);
        if let Some((changed, path)) = newest
            && changed > built
        {
            warnings.push(format!(
                "{binary} is older than {} — rebuild it (cargo build --release -p bot-service -p agent-service) or this measures old code",
                path.strip_prefix(&root).unwrap_or(&path).display()
            ));
        }
    }
    warnings
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).ok()?.modified().ok()
}

/// The most recently modified `.rs`, `.toml`, `.proto` or `.sql` file under `dir`.
fn newest_in(dir: &Path) -> Option<(SystemTime, PathBuf)> {
    let mut newest: Option<(SystemTime, PathBuf)> = None;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "target") {
                    pending.push(path);
                }
                continue;
            }
            let source = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e, "rs" | "toml" | "proto" | "sql"));
            if let (true, Some(t)) = (source, modified(&path))
                && newest.as_ref().is_none_or(|(n, _)| t > *n)
            {
                newest = Some((t, path));
            }
        }
    }
    newest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_source_of_this_crate_is_found() {
        let (_, path) = newest_in(&workspace().join("loadgen")).expect("loadgen has sources");
        assert!(path.starts_with(workspace().join("loadgen")));
    }
}
