//! Every constant of the workspace is declared once: a layout size, a
//! resource manager id or a record flag named in two places can drift
//! apart. Reads the sources of the decoder crate and of the extension
//! (test modules and test-only files aside) and fails on any `const` or
//! `static` name declared twice.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `const`/`static` names declared in `src` before its first
/// `#[cfg(test)]` (the test module, by this project's layout, comes last).
fn declarations(src: &str) -> Vec<String> {
    let code = src.split("#[cfg(test)]").next().unwrap_or("");
    code.lines()
        .filter_map(|line| {
            let l = line.trim_start();
            // Deeper than a module, an impl or a function's top level: a
            // constant local to a block.
            if line.len() - l.len() > 4 {
                return None;
            }
            let l = l.strip_prefix("pub(crate) ").or_else(|| l.strip_prefix("pub ")).unwrap_or(l);
            let rest = l.strip_prefix("const ").or_else(|| l.strip_prefix("static "))?;
            let name: String =
                rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            (!name.is_empty() && name != "fn").then_some(name)
        })
        .collect()
}

#[test]
fn no_constant_is_declared_twice() {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&crate_dir.join("src"), &mut files);
    rust_files(&crate_dir.join("../../src"), &mut files);
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy();
        if name == "tests.rs" || name == "testutil.rs" {
            continue;
        }
        for d in declarations(&std::fs::read_to_string(f).unwrap()) {
            seen.entry(d).or_default().push(f.display().to_string());
        }
    }
    assert!(seen.len() > 200, "only {} constants found: is the scan broken?", seen.len());
    let twice: Vec<_> = seen.iter().filter(|(_, v)| v.len() > 1).collect();
    assert!(twice.is_empty(), "declared more than once: {twice:#?}");
}

#[test]
fn the_scan_sees_a_duplicate() {
    let src =
        "pub const A: u8 = 1;\nconst B: u8 = 2;\nfn f() {\n    const C: u8 = 3;\n    {\n        \
               const LOCAL: u8 = 3;\n    }\n}\npub static D: u8 = 0;\npub const fn g() {}\n\
               #[cfg(test)]\nconst T: u8 = 0;\n";
    assert_eq!(declarations(src), vec!["A", "B", "C", "D"]);
}
