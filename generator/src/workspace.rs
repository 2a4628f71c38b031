//! Where things are: this repository's own `schema/`, `generated/` and
//! runtime crate, and how a generated crate elsewhere reaches the runtime.

use std::path::{Component, Path, PathBuf};

/// The repository this generator was built from (for `cargo run` with no arguments).
pub fn repository_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

pub fn runtime_dir() -> PathBuf {
    repository_root().join("runtime")
}

/// The published UCWA reference pages the committed `schema/` is extracted from.
pub fn corpus_dir() -> PathBuf {
    repository_root().join("../shared/ucwa")
}

/// The published task walkthroughs whose HTTP transcripts are evidence for
/// the committed `schema/` too.
pub fn tasks_dir() -> PathBuf {
    repository_root().join("../shared/ucwa-tasks")
}

/// The TOML value for a generated crate's `ucwa-runtime` dependency: a path
/// relative to the crate when both live under one directory tree we can
/// express relatively (so the committed `generated/` says `../runtime` on
/// every machine), else absolute.
pub fn runtime_dependency(crate_dir: &Path, runtime: &Path) -> String {
    let runtime = absolute(runtime);
    let crate_dir = absolute(crate_dir);
    let path = relative_path(&crate_dir, &runtime).unwrap_or(runtime);
    let text = path.to_string_lossy().replace('\\', "/");
    format!("{{ path = \"{}\" }}", text.replace('"', "\\\""))
}

/// Lexically absolute, with `.` and `..` folded; does not touch the file system
/// beyond the current directory, because the crate directory may not exist yet.
pub fn absolute(path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let mut folded = PathBuf::new();
    for component in joined.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                folded.pop();
            }
            other => folded.push(other),
        }
    }
    folded
}

/// `to` relative to `from` when they share more than the root.
fn relative_path(from: &Path, to: &Path) -> Option<PathBuf> {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    if common <= 1 {
        return None;
    }
    let mut relative = PathBuf::new();
    for _ in common..from.len() {
        relative.push("..");
    }
    for component in &to[common..] {
        relative.push(component);
    }
    Some(relative)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_crate_reaches_the_runtime_relatively() {
        let root = Path::new("/work/repo");
        assert_eq!(
            runtime_dependency(&root.join("generated"), &root.join("runtime")),
            "{ path = \"../runtime\" }"
        );
        assert_eq!(
            runtime_dependency(
                Path::new("/work/repo/tests/x/../downstream"),
                Path::new("/work/repo/runtime")
            ),
            "{ path = \"../../runtime\" }"
        );
        assert_eq!(
            runtime_dependency(Path::new("/tmp/out"), Path::new("/work/repo/runtime")),
            "{ path = \"/work/repo/runtime\" }"
        );
    }
}
