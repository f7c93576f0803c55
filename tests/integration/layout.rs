//! The house rules that a reader of the tree can check: SQL lives in `src/store/` (clippy
//! refuses rusqlite elsewhere, and no other source file holds a SQL statement), and source
//! files stay small unless they say why at the top.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir`, relative to the repository root.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root().join(dir)];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path.strip_prefix(root()).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(root().join(path)).unwrap()
}

#[test]
fn clippy_refuses_rusqlite_outside_the_store() {
    let config = read(Path::new("clippy.toml"));
    let path = regex::Regex::new(r#"\{ path = "([^"]+)""#).unwrap();
    // The `path`s of one list (`key = [ ... ]`) of clippy.toml.
    let banned = |key: &str| -> Vec<String> {
        let start = config.find(&format!("{key} = [")).unwrap_or_else(|| panic!("clippy.toml has no {key}"));
        let list = &config[start..start + config[start..].find("\n]").unwrap()];
        path.captures_iter(list).map(|c| c[1].to_owned()).collect()
    };
    let types = banned("disallowed-types");
    for t in ["rusqlite::Connection", "rusqlite::Transaction", "rusqlite::Statement", "rusqlite::Error"] {
        assert!(types.iter().any(|b| b == t), "clippy.toml must ban {t}: {types:?}");
    }
    assert!(banned("disallowed-macros").iter().any(|m| m == "rusqlite::params"));
    assert!(banned("disallowed-methods").iter().any(|m| m == "handshake::store::Store::raw"));
    // The only allowance in src/ is the store's own.
    let allowing: Vec<PathBuf> = rust_files(Path::new("src"))
        .into_iter()
        .filter(|f| read(f).lines().any(|l| l.contains("allow(") && l.contains("clippy::disallowed_types")))
        .collect();
    assert_eq!(allowing, [PathBuf::from("src/store/mod.rs")]);
}

#[test]
fn sql_statements_live_only_in_the_store() {
    let statement = regex::Regex::new(
        r#""[^"]*\b(SELECT .* FROM|INSERT INTO|UPDATE \w+ SET|DELETE FROM|CREATE (TABLE|INDEX|TRIGGER))\b"#,
    )
    .unwrap();
    let mut outside = Vec::new();
    for f in rust_files(Path::new("src")).into_iter().chain(rust_files(Path::new("src-tauri/src"))) {
        if f.starts_with("src/store") {
            continue;
        }
        let text = read(&f);
        if text.contains("rusqlite") {
            outside.push(format!("{}: names rusqlite", f.display()));
        }
        for (n, line) in text.lines().enumerate() {
            if statement.is_match(line) {
                outside.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(outside.is_empty(), "SQL outside src/store/:\n{}", outside.join("\n"));
}

/// A source file over about 600 lines says why at its top (a `//!` line naming its size).
#[test]
fn large_source_files_say_why() {
    let mut unexplained = Vec::new();
    for dir in ["src", "src-tauri/src", "src-tauri/build"] {
        for f in rust_files(Path::new(dir)) {
            let text = read(&f);
            let lines = text.lines().count();
            let explained = text.lines().take_while(|l| l.starts_with("//!")).any(|l| l.contains("lines"));
            if lines > 600 && !explained {
                unexplained.push(format!("{} ({lines} lines)", f.display()));
            }
        }
    }
    assert!(
        unexplained.is_empty(),
        "split these, or say why at the top (a //! line about its lines):\n{}",
        unexplained.join("\n")
    );
}
