//! Citations: every source a scenario cites resolves inside the repository.
//!
//! Scenario comments cite facts as `[ID]` or `[ID, ID, ...]` (docs/sources.md, "How to cite");
//! the ids are the first cells of the tables in `docs/sources.md`. These tests check that every
//! citation in `scenarios/**/*.toml` (any depth) and `src/scenario/builtin_accelerators.toml`
//! names a row there, that the page's own cross-references resolve, and that no text file in the
//! repository points at notes outside it, which people who clone capsim never see.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::util::root;

/// The page every citation resolves in, relative to the crate root.
const SOURCES: &str = "docs/sources.md";

/// Texts that point outside the repository. Spelled in pieces so this file does not match.
const OUTSIDE: [&str; 5] = [
    concat!("..", "/shared"),
    concat!("/work", "/shared"),
    concat!("FACTS", ".md"),
    concat!("BACKTESTS", ".md"),
    concat!("STYLE", ".md"),
];

/// Whether `s` has the shape of a row id: a capital letter, then letters, digits, `.` or `-`,
/// with at least one digit or `-`, not ending in `.` or `-` (`H11`, `BT1.16`, `I-a`, `Epoch-TL`).
fn is_id(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && s.chars().any(|c| c.is_ascii_digit() || c == '-')
        && s.chars().last().is_some_and(|c| c.is_ascii_alphanumeric())
}

/// The ids of `docs/sources.md` with the 1-based line of their row; panics on a repeated id.
fn source_ids() -> BTreeMap<String, usize> {
    let text = std::fs::read_to_string(root().join(SOURCES))
        .unwrap_or_else(|e| panic!("reading {SOURCES}: {e}"));
    let mut ids = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let Some(rest) = line.strip_prefix('|') else {
            continue;
        };
        let cell = rest.split('|').next().unwrap_or("").trim();
        if is_id(cell)
            && let Some(first) = ids.insert(cell.to_string(), n + 1)
        {
            panic!(
                "{SOURCES}:{}: id {cell} repeats the row on line {first}",
                n + 1
            );
        }
    }
    ids
}

/// The comment of one TOML line (from its `#`, outside strings), if any.
fn comment(line: &str) -> Option<&str> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match quote {
            Some('"') if escaped => escaped = false,
            Some('"') if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' => return Some(&line[i..]),
            None => {}
        }
    }
    None
}

/// The citation groups of a text: every `[...]` whose first comma-separated entry has the shape
/// of an id, as its trimmed entries (later entries need not look like ids: they are then
/// reported as unknown). Other brackets (`["gb300-nvl72"]`, `[[sites]]`, `[link](#x)`) are not
/// citations.
fn citations(text: &str) -> Vec<Vec<&str>> {
    let mut groups = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let Some(close) = after.find(']') else { break };
        let inner = &after[..close];
        if inner.contains('[') {
            // `[[sites]]` or nested: move past this `[` and look again.
            rest = after;
            continue;
        }
        let entries: Vec<&str> = inner.split(',').map(str::trim).collect();
        if is_id(entries[0]) {
            groups.push(entries);
        }
        rest = &after[close + 1..];
    }
    groups
}

/// `*.toml` files under `dir` (relative to the crate root), at any depth, sorted, as relative
/// paths.
fn toml_files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(root().join(&d))
            .unwrap_or_else(|e| panic!("reading {}: {e}", d.display()));
        for entry in entries {
            let path = d.join(entry.unwrap().file_name());
            if root().join(&path).is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "toml") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The files whose comments must cite only rows of `docs/sources.md`.
fn cited_files() -> Vec<PathBuf> {
    let mut files = toml_files_under(Path::new("scenarios"));
    files.push(PathBuf::from("src/scenario/builtin_accelerators.toml"));
    files
}

/// One problem per line: `file:line: message`.
fn problems_in(path: &Path, ids: &BTreeMap<String, usize>) -> (Vec<String>, usize) {
    let text = std::fs::read_to_string(root().join(path))
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let mut problems = Vec::new();
    let mut cited = 0;
    for (n, line) in text.lines().enumerate() {
        let Some(c) = comment(line) else { continue };
        let at = format!("{}:{}", path.display(), n + 1);
        for group in citations(c) {
            for id in group {
                cited += 1;
                if !ids.contains_key(id) {
                    problems.push(format!(
                        "{at}: cites [{id}], which is not a row id of {SOURCES}"
                    ));
                }
            }
        }
        if c.split(|ch: char| !ch.is_ascii_alphanumeric())
            .any(|w| w == "FACTS" || w == "BACKTESTS")
        {
            problems.push(format!(
                "{at}: old citation style (`FACTS H11`); cite as `[H11]`, an id of {SOURCES}"
            ));
        }
    }
    (problems, cited)
}

#[test]
fn sources_page_has_unique_ids_in_every_section() {
    let ids = source_ids();
    // One row from each group of ids the scenarios and backtests use.
    for id in [
        "A1", "H11", "P28", "S16", "I11", "R10", "C16", "B16", "D16", "U11", "BT1", "BT1.16",
        "BT3", "BT4", "BT8", "I-a", "I-k", "R-a", "R-g", "D-a", "S-1", "C-1", "G-1", "Epoch-TL",
    ] {
        assert!(ids.contains_key(id), "{SOURCES} has no row {id}");
    }
}

#[test]
fn every_citation_in_scenarios_resolves() {
    let ids = source_ids();
    let mut problems = Vec::new();
    for file in cited_files() {
        let (p, cited) = problems_in(&file, &ids);
        problems.extend(p);
        let shipped = file.parent() == Some(Path::new("scenarios"))
            || file.ends_with("builtin_accelerators.toml");
        assert!(
            !shipped || cited > 0,
            "{}: no `[ID]` citation found; is the convention of {SOURCES} followed?",
            file.display()
        );
    }
    assert!(
        problems.is_empty(),
        "{} citation problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn cross_references_in_the_sources_page_resolve() {
    let ids = source_ids();
    let text = std::fs::read_to_string(root().join(SOURCES)).unwrap();
    let mut problems = Vec::new();
    for (n, line) in text.lines().enumerate() {
        for id in citations(line).into_iter().flatten() {
            if !ids.contains_key(id) {
                problems.push(format!("{SOURCES}:{}: [{id}] is not a row", n + 1));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Text files of the repository a user gets: every file under these folders and these files at
/// the top, except anything that is not UTF-8 (images, fonts).
fn repository_text_files() -> Vec<PathBuf> {
    const DIRS: [&str; 7] = [
        "scenarios",
        "src",
        "tests",
        "benches",
        "docs",
        "deploy",
        ".ci",
    ];
    const FILES: [&str; 5] = [
        "README.md",
        "CHANGELOG.md",
        "Cargo.toml",
        "Dockerfile",
        ".dockerignore",
    ];
    let mut out: Vec<PathBuf> = FILES
        .iter()
        .map(PathBuf::from)
        .filter(|p| root().join(p).is_file())
        .collect();
    let mut stack: Vec<PathBuf> = DIRS
        .iter()
        .map(PathBuf::from)
        .filter(|d| root().join(d).is_dir())
        .collect();
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(root().join(&d)).unwrap() {
            let path = d.join(entry.unwrap().file_name());
            if root().join(&path).is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn nothing_points_outside_the_repository() {
    let mut problems = Vec::new();
    let files = repository_text_files();
    assert!(files.len() > 50, "found only {} files", files.len());
    for file in files {
        let Ok(text) = std::fs::read_to_string(root().join(&file)) else {
            continue; // not UTF-8: binary
        };
        for (n, line) in text.lines().enumerate() {
            for needle in OUTSIDE {
                if line.contains(needle) {
                    problems.push(format!(
                        "{}:{}: mentions {needle:?}, which is not part of the repository",
                        file.display(),
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn comment_and_citation_parsing() {
    assert_eq!(
        comment(r#"accepts = ["a#b"]   # [H1, P2] x"#),
        Some("# [H1, P2] x")
    );
    assert_eq!(comment(r#"name = "it's \" # not""#), None);
    assert_eq!(comment("x = 'a#b' # c"), Some("# c"));
    assert_eq!(
        citations("# [H1, P2] see [[sites]], [\"gb300-nvl72\"] and [BT1.16]; [G-9]: [P28]"),
        vec![vec!["H1", "P2"], vec!["BT1.16"], vec!["G-9"], vec!["P28"]]
    );
    assert_eq!(
        citations("[Corrections](#corrections) [scenario] [A] [H11, oops]"),
        vec![vec!["H11", "oops"]]
    );
    for id in ["H11", "BT1.16", "I-a", "S-3", "Epoch-Sep26", "D-a"] {
        assert!(is_id(id), "{id}");
    }
    for not in ["Corrections", "h11", "H", "H11-", "P6e GB300", ""] {
        assert!(!is_id(not), "{not}");
    }
}
