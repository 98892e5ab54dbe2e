//! The module graph of `src/`: every `crate::<module>` path goes down the layers that the
//! "Architecture" section of `src/lib.rs` documents, so there is no import cycle and no upward
//! import; and the binary's own modules (`src/cli/`) import each other without a cycle.
//!
//! Only code counts: doc links and comments (from `//` to the end of the line) may point
//! anywhere. `src/main.rs` and `src/cli/` (the binary) may use anything; `src/lib.rs` only
//! declares the modules.

use std::fs;
use std::path::Path;

use crate::util::root;

/// Each library module, lowest first, with the modules it may use: only modules listed before
/// it, so the graph has no cycle. `src/lib.rs` shows the same list, top first.
const LAYERS: &[(&str, &[&str])] = &[
    ("numeric", &[]),
    ("stats", &["numeric"]),
    ("scenario", &["numeric"]),
    ("model", &["scenario", "numeric"]),
    ("engine", &["model", "stats", "scenario", "numeric"]),
    (
        "shard",
        &["engine", "model", "stats", "scenario", "numeric"],
    ),
    (
        "analysis",
        &["shard", "engine", "model", "stats", "scenario", "numeric"],
    ),
    (
        "output",
        &[
            "analysis", "engine", "model", "stats", "scenario", "numeric",
        ],
    ),
    (
        "chart",
        &[
            "output", "analysis", "engine", "model", "stats", "scenario", "numeric",
        ],
    ),
    (
        "results",
        &[
            "chart", "output", "analysis", "shard", "engine", "model", "stats", "scenario",
            "numeric",
        ],
    ),
];

/// The test-scenario builder (`#[cfg(test)]`): imports nothing, and any module's tests may use it.
const TEST_SUPPORT: &str = "test_support";

/// The binary's modules, which may use anything.
const BINARY: &[&str] = &["main", "cli"];

/// Imports against the order that are still to be removed, as (file, path). The test fails once
/// one is gone, so that it is struck from this list too.
const KNOWN_EXCEPTIONS: &[(&str, &str)] = &[];

/// A `crate::` path in code: its line (1-based), the module it names and the whole path.
#[derive(Debug, PartialEq)]
struct CratePath {
    line: usize,
    module: String,
    path: String,
}

/// Every `crate::<module>…` path in `source`, outside comments. A grouped `crate::{…}` gives the
/// module `{`, which no layer allows: write one `use` per module.
fn crate_paths(source: &str) -> Vec<CratePath> {
    let mut found = Vec::new();
    for (i, line) in source.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let before = rest[..at].chars().next_back();
            let after = &rest[at + "crate::".len()..];
            rest = after;
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                continue;
            }
            let module: String = if after.starts_with('{') {
                "{".into()
            } else {
                after
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect()
            };
            let path_len = after
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(after.len());
            found.push(CratePath {
                line: i + 1,
                module,
                path: format!("crate::{}", &after[..path_len]),
            });
        }
    }
    found
}

/// The imports of `file` (module `module`) that its layer does not allow, as messages.
fn violations(file: &str, module: &str, source: &str) -> Vec<String> {
    if BINARY.contains(&module) {
        return Vec::new();
    }
    let allowed = LAYERS
        .iter()
        .find(|(name, _)| *name == module)
        .map(|(_, uses)| *uses)
        .unwrap_or(&[]);
    crate_paths(source)
        .into_iter()
        .filter(|p| {
            p.module != module
                && p.module != TEST_SUPPORT
                && !allowed.contains(&p.module.as_str())
                && !KNOWN_EXCEPTIONS.contains(&(file, p.path.as_str()))
        })
        .map(|p| {
            format!(
                "{file}:{}: `{}` imports `{}`, which `{module}` may not use (it may use: {})",
                p.line,
                p.path,
                p.module,
                if allowed.is_empty() {
                    "nothing".to_string()
                } else {
                    allowed.join(", ")
                }
            )
        })
        .collect()
}

/// Every `.rs` file under `dir`, as paths relative to the crate root.
fn rust_files(dir: &Path, out: &mut Vec<String>) {
    for entry in fs::read_dir(root().join(dir)).unwrap() {
        let path = dir.join(entry.unwrap().file_name());
        if root().join(&path).is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path.to_str().unwrap().replace('\\', "/"));
        }
    }
}

/// The top-level module a file under `src/` belongs to (`src/model/cdf.rs` → `model`); `lib`
/// for the crate root.
fn module_of(file: &str) -> &str {
    let rel = file.strip_prefix("src/").unwrap();
    match rel.split_once('/') {
        Some((dir, _)) => dir,
        None => rel.strip_suffix(".rs").unwrap(),
    }
}

/// Every `.rs` file under `src/`, sorted.
fn src_files() -> Vec<String> {
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    files.sort();
    files
}

#[test]
fn imports_go_down_the_documented_layers() {
    let mut found = Vec::new();
    for file in src_files() {
        let source = fs::read_to_string(root().join(&file)).unwrap();
        found.extend(violations(&file, module_of(&file), &source));
    }
    assert!(found.is_empty(), "upward imports:\n{}", found.join("\n"));
}

#[test]
fn known_exceptions_are_still_there() {
    for (file, path) in KNOWN_EXCEPTIONS {
        let source = fs::read_to_string(root().join(file)).unwrap();
        assert!(
            crate_paths(&source).iter().any(|p| p.path == *path),
            "{file} no longer uses {path}: strike it from KNOWN_EXCEPTIONS"
        );
    }
}

#[test]
fn every_module_has_a_layer_and_layers_only_look_down() {
    let mut modules: Vec<&str> = Vec::new();
    let files = src_files();
    for file in &files {
        let module = module_of(file);
        if module != "lib" && !modules.contains(&module) {
            modules.push(module);
        }
    }
    for module in &modules {
        assert!(
            BINARY.contains(module)
                || *module == TEST_SUPPORT
                || LAYERS.iter().any(|(name, _)| name == module),
            "src/{module}: place it in LAYERS (and in the Architecture section of src/lib.rs)"
        );
    }
    for (i, (name, uses)) in LAYERS.iter().enumerate() {
        assert!(
            modules.contains(name),
            "LAYERS names {name}, which src/ lacks"
        );
        for used in *uses {
            assert!(
                LAYERS[..i].iter().any(|(lower, _)| lower == used),
                "{name} may use {used}, which is not below it"
            );
        }
    }
}

#[test]
fn the_scan_finds_upward_and_grouped_imports_and_skips_comments() {
    let source = "//! [`crate::engine::run`] is a doc link\n\
                  use crate::numeric::seed::input_key;\n\
                  use crate::scenario::{self, Scenario}; // crate::engine in a comment\n\
                  fn f() { crate::engine::run(); }\n\
                  use crate::{stats, numeric};\n\
                  use mycrate::engine;\n";
    let modules: Vec<String> = crate_paths(source).into_iter().map(|p| p.module).collect();
    assert_eq!(modules, ["numeric", "scenario", "engine", "{"]);
    let found = violations("src/model/x.rs", "model", source);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found[0].starts_with("src/model/x.rs:4: `crate::engine::run` imports `engine`"));
    assert!(found[1].starts_with("src/model/x.rs:5: `crate::` imports `{`"));
    assert!(violations("src/cli/x.rs", "cli", source).is_empty());
}

#[test]
fn lib_rs_documents_the_same_layers() {
    let lib = fs::read_to_string(root().join("src/lib.rs")).unwrap();
    let mut documented: Vec<(String, Vec<String>)> = lib
        .lines()
        .filter_map(|line| line.strip_prefix("//! ")?.split_once(" → "))
        .filter(|(module, _)| !BINARY.contains(&module.trim()))
        .map(|(module, uses)| {
            let uses = uses.split(':').next().unwrap();
            let uses = uses
                .split(", ")
                .map(str::trim)
                .filter(|u| *u != "nothing")
                .map(String::from)
                .collect();
            (module.trim().to_string(), uses)
        })
        .collect();
    documented.reverse();
    let listed: Vec<(String, Vec<String>)> = LAYERS
        .iter()
        .map(|(m, uses)| (m.to_string(), uses.iter().map(|u| u.to_string()).collect()))
        .collect();
    assert_eq!(documented, listed);
}

/// The modules of `src/cli/` each file's code names through `super::` (its `mod tests` aside):
/// `run` for `super::run::…` and for `use super::{run::…}`.
fn cli_imports() -> Vec<(String, Vec<String>)> {
    let dir = root().join("src/cli");
    let mut graph = Vec::new();
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let module = path.file_stem().unwrap().to_string_lossy().into_owned();
        let source = fs::read_to_string(&path).unwrap();
        let code = source.split("#[cfg(test)]").next().unwrap();
        let mut uses: Vec<String> = Vec::new();
        for line in code.lines() {
            let line = line.split("//").next().unwrap_or("");
            for part in line.split("super::").skip(1) {
                let name: String = part
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && part[name.len()..].starts_with("::") {
                    uses.push(name);
                }
            }
        }
        uses.sort();
        uses.dedup();
        graph.push((module, uses));
    }
    graph
}

#[test]
fn the_cli_modules_import_each_other_without_a_cycle() {
    let graph = cli_imports();
    let uses = |m: &str| {
        graph
            .iter()
            .find(|(name, _)| name == m)
            .map(|(_, u)| u.clone())
            .unwrap_or_default()
    };
    assert!(
        uses("merge").contains(&"run".to_string()),
        "the scan sees merge's imports: {graph:?}"
    );
    // Depth-first search from every module; a module met again on the current path is a cycle.
    fn visit(m: &str, path: &mut Vec<String>, uses: &dyn Fn(&str) -> Vec<String>) {
        if let Some(at) = path.iter().position(|p| p == m) {
            panic!(
                "import cycle in src/cli: {} -> {m}",
                path[at..].join(" -> ")
            );
        }
        path.push(m.to_string());
        for next in uses(m) {
            visit(&next, path, uses);
        }
        path.pop();
    }
    for (module, _) in &graph {
        visit(module, &mut Vec::new(), &uses);
    }
}
