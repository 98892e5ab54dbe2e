//! Every excerpt of capsim output in `README.md` and `docs/*.md` is what the current binary
//! prints: each block between `<!-- excerpt ...: COMMAND -->` and `<!-- /excerpt -->` is
//! compared with a real run of its command, and a fenced block that looks like capsim output
//! without a marker fails too. With `CAPSIM_UPDATE_EXCERPTS=1` (`scripts/update-excerpts`) the
//! blocks are rewritten in place instead.
//!
//! A marker is an HTML comment on the line before a fenced block, so it does not render:
//!
//! ```text
//! <!-- excerpt MODIFIERS: SHELL COMMAND -->
//! ```
//!
//! The command runs under `sh -c` in a folder of its own that links the repository's
//! `scenarios/` and `tests/`, with the binary under test first on `PATH` as `capsim` and no
//! array-job index in the environment. It runs once per test however many markers name it, so
//! excerpts of one run's files share it. Modifiers, all optional:
//!
//! - `stderr`: show the standard error instead of the standard output;
//! - `file=PATH`: show a file the command wrote (relative to its folder, or absolute);
//! - `json=.a.b.0`: show one value of the (pretty-printed) JSON shown, as written there;
//! - `columns=A,B`: show only these columns of the CSV shown, in this order;
//! - `rows=K1,K2`: show the CSV's header and the rows whose first field is one of these;
//! - `from=WORD`: show the output from its first line that starts with WORD (after any
//!   indentation), after a `...` line;
//! - `lines=SPEC`: show only some lines: a comma list of `N`, `N-M`, `N-` (to the end), `$` (the last
//!   line) and `...` (a literal `...` line);
//! - `prompt`: start the block with `$ COMMAND`;
//! - `exit=N`: the exit status the command must give (default 0).
//!
//! What cannot be reproduced is normalised the same way in the doc and the run: a number
//! followed by ` s`, ` ms` or ` trials/s` becomes `…`. Output that cannot be reproduced at all
//! (benchmark throughput, cluster runs) is not marked; a fenced block that looks like capsim
//! output (a `text`, `console`, `json`, `csv` or unnamed block whose first line is `$ capsim`, or right
//! after a `sh` block that calls `capsim`, or after a line ending in `Output:`) must then follow `<!-- illustrative: WHY -->`.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::root;

/// The Markdown files whose excerpts are checked, relative to the repository root.
fn documents() -> Vec<PathBuf> {
    let mut docs = vec![
        PathBuf::from("README.md"),
        PathBuf::from("python/README.md"),
    ];
    let mut in_docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/ is readable")
        .map(|entry| entry.expect("docs/ entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .map(|path| {
            path.strip_prefix(root())
                .expect("under the root")
                .to_path_buf()
        })
        .collect();
    in_docs.sort();
    docs.extend(in_docs);
    // `CAPSIM_EXCERPTS_ONLY=docs/outputs.md` checks (or regenerates) the documents whose path
    // contains it, to iterate on one document.
    if let Ok(only) = std::env::var("CAPSIM_EXCERPTS_ONLY") {
        docs.retain(|doc| doc.to_string_lossy().contains(&only));
    }
    docs
}

/// One marked excerpt: where its block is and what it shows.
#[derive(Debug)]
struct Excerpt {
    /// 1-based line of the marker.
    marker_line: usize,
    /// 0-based index of the first line inside the fence, and one past the last.
    body: (usize, usize),
    command: String,
    show: Show,
    json: Option<String>,
    lines: Option<String>,
    columns: Option<String>,
    rows: Option<String>,
    from: Option<String>,
    prompt: bool,
    exit: i32,
}

#[derive(Debug, Clone, PartialEq)]
enum Show {
    Stdout,
    Stderr,
    File(String),
}

const OPEN: &str = "<!-- excerpt";
const CLOSE: &str = "<!-- /excerpt -->";
const ILLUSTRATIVE: &str = "<!-- illustrative:";

/// Parses the markers of `text`, and lists the fenced blocks that look like capsim output
/// without one. Errors name the line.
fn parse(text: &str) -> Result<(Vec<Excerpt>, Vec<usize>), String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut excerpts = Vec::new();
    let mut unmarked = Vec::new();
    let mut i = 0;
    // The previous fenced block: its language, whether it calls capsim, and the line after it.
    let mut previous: Option<(String, bool, usize)> = None;
    while i < lines.len() {
        let line = lines[i];
        if line.starts_with(OPEN) && !line.starts_with(CLOSE) {
            let excerpt = parse_marker(line, i + 1)?;
            let fence = lines.get(i + 1).copied().unwrap_or("");
            if !fence.starts_with("```") {
                return Err(format!(
                    "line {}: an excerpt marker must be followed by a fenced block",
                    i + 1
                ));
            }
            let end = (i + 2..lines.len())
                .find(|&j| lines[j].starts_with("```"))
                .ok_or_else(|| format!("line {}: the fenced block is never closed", i + 2))?;
            if lines.get(end + 1).copied() != Some(CLOSE) {
                return Err(format!(
                    "line {}: a marked block must be followed by `{CLOSE}`",
                    end + 2
                ));
            }
            excerpts.push(Excerpt {
                body: (i + 2, end),
                ..excerpt
            });
            previous = None;
            i = end + 2;
            continue;
        }
        if let Some(lang) = line.strip_prefix("```") {
            let end = (i + 1..lines.len())
                .find(|&j| lines[j].starts_with("```"))
                .ok_or_else(|| format!("line {}: the fenced block is never closed", i + 1))?;
            let body = &lines[i + 1..end];
            let before = (0..i).rev().find(|&j| !lines[j].trim().is_empty());
            let illustrative = before.is_some_and(|j| lines[j].starts_with(ILLUSTRATIVE));
            let after_command = previous.as_ref().is_some_and(|(prev_lang, calls, next)| {
                prev_lang == "sh" && *calls && before.is_some_and(|j| j + 1 == *next)
            });
            let after_output_colon =
                before.is_some_and(|j| lines[j].trim_end().ends_with("Output:"));
            let starts_with_prompt = body.first().is_some_and(|l| l.starts_with("$ capsim"));
            let output_language = ["", "text", "console", "json", "csv"].contains(&lang.trim());
            if !illustrative
                && output_language
                && (starts_with_prompt || after_command || after_output_colon)
            {
                unmarked.push(i + 1);
            }
            let calls = body.iter().any(|l| {
                let l = l.trim_start();
                l.starts_with("capsim ") || l.contains("; do capsim ")
            });
            previous = Some((lang.trim().to_string(), calls, end + 1));
            i = end + 1;
            continue;
        }
        i += 1;
    }
    Ok((excerpts, unmarked))
}

/// Reads `<!-- excerpt MODIFIERS: COMMAND -->`.
fn parse_marker(line: &str, number: usize) -> Result<Excerpt, String> {
    let bad = |why: &str| format!("line {number}: {why} in `{line}`");
    let inner = line
        .strip_prefix(OPEN)
        .and_then(|rest| rest.strip_suffix("-->"))
        .ok_or_else(|| bad("a marker is `<!-- excerpt MODIFIERS: COMMAND -->` on one line"))?;
    let (modifiers, command) = inner
        .split_once(':')
        .ok_or_else(|| bad("no `:` before the command"))?;
    let mut excerpt = Excerpt {
        marker_line: number,
        body: (0, 0),
        command: command.trim().to_string(),
        show: Show::Stdout,
        json: None,
        lines: None,
        columns: None,
        rows: None,
        from: None,
        prompt: false,
        exit: 0,
    };
    for modifier in modifiers.split_whitespace() {
        match modifier.split_once('=') {
            None if modifier == "stderr" => excerpt.show = Show::Stderr,
            None if modifier == "prompt" => excerpt.prompt = true,
            Some(("file", path)) => excerpt.show = Show::File(path.to_string()),
            Some(("json", path)) => excerpt.json = Some(path.to_string()),
            Some(("lines", spec)) => excerpt.lines = Some(spec.to_string()),
            Some(("columns", names)) => excerpt.columns = Some(names.to_string()),
            Some(("rows", keys)) => excerpt.rows = Some(keys.to_string()),
            Some(("from", word)) => excerpt.from = Some(word.to_string()),
            Some(("exit", code)) => {
                excerpt.exit = code.parse().map_err(|_| bad("`exit=` takes a number"))?
            }
            _ => {
                return Err(bad(&format!(
                    "unknown modifier `{modifier}` (valid: stderr, prompt, file=PATH, json=.PATH, columns=A,B, rows=K1,K2, from=WORD, lines=SPEC, exit=N)"
                )));
            }
        }
    }
    if excerpt.command.is_empty() {
        return Err(bad("no command"));
    }
    Ok(excerpt)
}

/// What one command gave, and the folder it ran in.
struct Ran {
    stdout: String,
    stderr: String,
    status: i32,
    folder: PathBuf,
}

/// Runs the commands of the excerpts, each once, each in its own folder of one scratch folder
/// (so that two commands writing the same `out/...` do not overwrite each other's files).
struct Runner {
    scratch: tempfile::TempDir,
    path: String,
    runs: HashMap<String, Ran>,
}

impl Runner {
    fn new() -> Runner {
        let scratch = tempfile::tempdir().expect("scratch folder");
        let bin = Path::new(env!("CARGO_BIN_EXE_capsim"))
            .parent()
            .expect("the binary's folder")
            .to_path_buf();
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        Runner {
            scratch,
            path,
            runs: HashMap::new(),
        }
    }

    fn run(&mut self, command: &str) -> &Ran {
        let folder = self.scratch.path().join(self.runs.len().to_string());
        let path = &self.path;
        self.runs.entry(command.to_string()).or_insert_with(|| {
            std::fs::create_dir(&folder).expect("a folder for the command");
            for linked in ["scenarios", "tests"] {
                std::os::unix::fs::symlink(root().join(linked), folder.join(linked))
                    .expect("linking into the command's folder");
            }
            let started = std::time::Instant::now();
            let output = Command::new("sh")
                .arg("-c")
                .arg(command)
                .current_dir(&folder)
                .env("PATH", path)
                .env_remove("CAPSIM_UPDATE_EXCERPTS")
                .env_remove("SLURM_ARRAY_TASK_ID")
                .env_remove("JOB_COMPLETION_INDEX")
                .env_remove("AWS_BATCH_JOB_ARRAY_INDEX")
                .output()
                .expect("starting sh");
            eprintln!(
                "excerpts: {:.1} s  {command}",
                started.elapsed().as_secs_f64()
            );
            Ran {
                stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
                status: output.status.code().unwrap_or(-1),
                folder,
            }
        })
    }

    /// The block `excerpt` should hold, normalised, or why it cannot be made.
    fn block(&mut self, excerpt: &Excerpt) -> Result<String, String> {
        let ran = self.run(&excerpt.command);
        if ran.status != excerpt.exit {
            return Err(format!(
                "`{}` exited {} (expected {}); stderr:\n{}",
                excerpt.command, ran.status, excerpt.exit, ran.stderr
            ));
        }
        let mut shown = match &excerpt.show {
            Show::Stdout => ran.stdout.clone(),
            Show::Stderr => ran.stderr.clone(),
            Show::File(path) => std::fs::read_to_string(ran.folder.join(path))
                .map_err(|e| format!("reading {path} after `{}`: {e}", excerpt.command))?,
        };
        if let Some(path) = &excerpt.json {
            shown = json_value(&shown, path)?;
        }
        let mut lines: Vec<String> = shown.lines().map(str::to_string).collect();
        if let Some(names) = &excerpt.columns {
            lines = select_columns(&lines, names)?;
        }
        if let Some(keys) = &excerpt.rows {
            let keys: Vec<&str> = keys.split(',').collect();
            let keep = |line: &String| keys.contains(&line.split(',').next().unwrap_or(""));
            lines = lines
                .iter()
                .take(1)
                .chain(lines.iter().skip(1).filter(|l| keep(l)))
                .cloned()
                .collect();
        }
        if let Some(word) = &excerpt.from {
            let first = lines
                .iter()
                .position(|line| line.trim_start().starts_with(word.as_str()))
                .ok_or_else(|| format!("`from={word}`: no line starts with it"))?;
            if first > 0 {
                lines.splice(..first, ["...".to_string()]);
            }
        }
        if let Some(spec) = &excerpt.lines {
            lines = select_lines(&lines, spec)?;
        }
        if excerpt.prompt {
            lines.insert(0, format!("$ {}", excerpt.command));
        }
        Ok(normalise(&lines.join("\n")))
    }
}

/// The value at `.a.b.0` of a pretty-printed JSON text, as written there (key order kept),
/// dedented to start at column 0.
fn json_value(text: &str, path: &str) -> Result<String, String> {
    serde_json::from_str::<serde_json::Value>(text).map_err(|e| format!("not JSON ({e})"))?;
    let bytes = text.as_bytes();
    let mut at = skip_space(bytes, 0);
    for key in path.split('.').filter(|k| !k.is_empty()) {
        at = child(bytes, at, key).ok_or_else(|| format!("no `{key}` in `json={path}`"))?;
    }
    let end = value_end(bytes, at);
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let indent = text[line_start..].len() - text[line_start..].trim_start().len();
    let value = &text[at..end];
    let mut lines = value.lines();
    let mut out: Vec<&str> = lines.next().into_iter().collect();
    out.extend(lines.map(|line| line.get(indent..).unwrap_or(line.trim_start())));
    Ok(out.join("\n"))
}

fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() && bytes[at].is_ascii_whitespace() {
        at += 1;
    }
    at
}

/// One past the end of the (valid) JSON value starting at `at`.
fn value_end(bytes: &[u8], at: usize) -> usize {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut i = at;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => {
                    in_string = false;
                    if depth == 0 {
                        return i + 1;
                    }
                }
                _ => {}
            }
        } else {
            match b {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' if depth == 0 => return i,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        return i + 1;
                    }
                }
                b',' if depth == 0 => return i,
                b if depth == 0 && b.is_ascii_whitespace() => return i,
                _ => {}
            }
        }
        i += 1;
    }
    i
}

/// Where the value of `key` (an object's key, or an array's index) starts, in the object or
/// array starting at `at`.
fn child(bytes: &[u8], at: usize, key: &str) -> Option<usize> {
    let is_array = *bytes.get(at)? == b'[';
    if !is_array && bytes[at] != b'{' {
        return None;
    }
    let mut i = skip_space(bytes, at + 1);
    let mut index = 0usize;
    while i < bytes.len() && bytes[i] != b'}' && bytes[i] != b']' {
        let value_at = if is_array {
            i
        } else {
            let key_end = value_end(bytes, i);
            let name = std::str::from_utf8(&bytes[i + 1..key_end - 1]).ok()?;
            let colon = skip_space(bytes, key_end);
            let value_at = skip_space(bytes, colon + 1);
            if name == key {
                return Some(value_at);
            }
            value_at
        };
        if is_array && key.parse() == Ok(index) {
            return Some(value_at);
        }
        index += 1;
        i = skip_space(bytes, value_end(bytes, value_at));
        if bytes.get(i) == Some(&b',') {
            i = skip_space(bytes, i + 1);
        }
    }
    None
}

/// The named columns of a CSV text (fields without quoted commas), in the order named.
fn select_columns(lines: &[String], names: &str) -> Result<Vec<String>, String> {
    let header: Vec<&str> = lines
        .first()
        .map(|h| h.split(',').collect())
        .unwrap_or_default();
    let picked: Vec<usize> = names
        .split(',')
        .map(|name| {
            header
                .iter()
                .position(|h| h == &name)
                .ok_or_else(|| format!("`columns=`: no column `{name}`"))
        })
        .collect::<Result<_, _>>()?;
    Ok(lines
        .iter()
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            let row: Vec<&str> = picked
                .iter()
                .map(|&i| fields.get(i).copied().unwrap_or(""))
                .collect();
            row.join(",")
        })
        .collect())
}

/// The lines a `lines=` spec picks (1-based, inclusive).
fn select_lines(lines: &[String], spec: &str) -> Result<Vec<String>, String> {
    let mut picked = Vec::new();
    let number = |s: &str| {
        if s == "$" {
            return Ok(lines.len());
        }
        s.parse::<usize>()
            .ok()
            .filter(|&n| n >= 1)
            .ok_or_else(|| format!("`lines={spec}`: `{s}` is not a line number (1 or more)"))
    };
    for item in spec.split(',') {
        if item == "..." {
            picked.push("...".to_string());
            continue;
        }
        let (first, last) = match item.split_once('-') {
            Some((a, "")) => (number(a)?, lines.len()),
            Some((a, b)) => (number(a)?, number(b)?),
            None => (number(item)?, number(item)?),
        };
        if last > lines.len() || first > last {
            return Err(format!(
                "`lines={spec}`: {item} is outside the output's {} lines",
                lines.len()
            ));
        }
        picked.extend_from_slice(&lines[first - 1..last]);
    }
    Ok(picked)
}

/// Replaces what differs from run to run (durations and rates) by `…`.
fn normalise(text: &str) -> String {
    const UNITS: [&str; 3] = [" trials/s", " ms", " s"];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let starts_number = c.is_ascii_digit() && !out.ends_with(|p: char| p.is_alphanumeric());
        if starts_number {
            let len = rest
                .find(|ch: char| !(ch.is_ascii_digit() || ch == '.' || ch == ','))
                .unwrap_or(rest.len());
            let after = &rest[len..];
            let unit = UNITS.iter().find(|unit| {
                after.starts_with(*unit)
                    && !after[unit.len()..].starts_with(|ch: char| ch.is_alphanumeric())
            });
            if let Some(unit) = unit {
                out.push('…');
                out.push_str(unit);
                rest = &after[unit.len()..];
                continue;
            }
            out.push_str(&rest[..len]);
            rest = after;
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// A short diff: the first differing lines of each side, after the common start and end.
fn short_diff(doc: &[&str], run: &[&str]) -> String {
    let prefix = doc.iter().zip(run).take_while(|(a, b)| a == b).count();
    let suffix = doc[prefix..]
        .iter()
        .rev()
        .zip(run[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let mut diff = String::new();
    for (sign, side) in [("-", doc), ("+", run)] {
        let changed = &side[prefix..side.len() - suffix];
        for line in changed.iter().take(8) {
            diff.push_str(&format!("    {sign} {line}\n"));
        }
        if changed.len() > 8 {
            diff.push_str(&format!(
                "    {sign} ... ({} more lines)\n",
                changed.len() - 8
            ));
        }
    }
    diff
}

#[test]
fn every_excerpt_matches_a_run_of_its_command() {
    let update = std::env::var_os("CAPSIM_UPDATE_EXCERPTS").is_some_and(|v| v == "1");
    let mut runner = Runner::new();
    let mut failures = Vec::new();
    let mut count = 0;
    for doc in documents() {
        let path = root().join(&doc);
        let text = std::fs::read_to_string(&path).expect("reading a document");
        let (excerpts, unmarked) = match parse(&text) {
            Ok(parsed) => parsed,
            Err(why) => {
                failures.push(format!("{}: {why}", doc.display()));
                continue;
            }
        };
        for line in unmarked {
            failures.push(format!(
                "{}:{line}: this block looks like capsim output but has no `<!-- excerpt: COMMAND -->` marker (or `<!-- illustrative: WHY -->` if it cannot be reproduced)",
                doc.display()
            ));
        }
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        // Replace from the last block up, so earlier indices stay valid.
        let mut replacements = Vec::new();
        for excerpt in &excerpts {
            count += 1;
            let expected = match runner.block(excerpt) {
                Ok(block) => block,
                Err(why) => {
                    failures.push(format!("{}:{}: {why}", doc.display(), excerpt.marker_line));
                    continue;
                }
            };
            let current = lines[excerpt.body.0..excerpt.body.1].join("\n");
            if current != expected {
                let doc_lines: Vec<&str> = current.lines().collect();
                let run_lines: Vec<&str> = expected.lines().collect();
                failures.push(format!(
                    "{}:{}: the excerpt of `{}` differs from a run (- doc, + run):\n{}",
                    doc.display(),
                    excerpt.marker_line,
                    excerpt.command,
                    short_diff(&doc_lines, &run_lines)
                ));
                replacements.push((excerpt.body, expected));
            }
        }
        if update && !replacements.is_empty() {
            for ((start, end), block) in replacements.into_iter().rev() {
                lines.splice(start..end, block.lines().map(str::to_string));
            }
            let mut updated = lines.join("\n");
            updated.push('\n');
            capsim::results::write_atomic(&path, |w: &mut dyn Write| {
                Ok(w.write_all(updated.as_bytes())?)
            })
            .expect("rewriting the document");
            eprintln!("excerpts: rewrote {}", doc.display());
        }
    }
    if count == 0 {
        failures.push("no excerpt markers found".to_string());
    }
    if update {
        let (drift, errors): (Vec<_>, Vec<_>) = failures
            .iter()
            .partition(|f| f.contains("differs from a run"));
        eprintln!("excerpts: {} of {count} blocks rewritten", drift.len());
        assert!(
            errors.is_empty(),
            "{}",
            errors
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        );
    } else {
        assert!(
            failures.is_empty(),
            "{} problem(s) with the docs' excerpts (run scripts/update-excerpts to regenerate, then review the diff):\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}

#[test]
fn markers_parse_and_unmarked_output_is_found() {
    let doc = "Run it:\n\n```sh\ncapsim run x.toml\n```\n\n```text\nP 50%\n```\n\n\
               <!-- excerpt stderr lines=1,...,3-: capsim run x.toml -->\n```text\nold\n```\n<!-- /excerpt -->\n\n\
               <!-- illustrative: timings -->\n```text\n$ capsim bench\n```\n";
    let (excerpts, unmarked) = parse(doc).expect("parses");
    assert_eq!(
        unmarked,
        vec![7],
        "the text block after the sh block is unmarked"
    );
    assert_eq!(excerpts.len(), 1);
    let excerpt = &excerpts[0];
    assert_eq!((excerpt.marker_line, excerpt.body), (11, (12, 13)));
    assert_eq!(excerpt.show, Show::Stderr);
    assert_eq!(excerpt.command, "capsim run x.toml");
    let output: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
    assert_eq!(
        select_lines(&output, excerpt.lines.as_deref().unwrap()).unwrap(),
        ["a", "...", "c", "d"]
    );
    assert!(select_lines(&output, "3-5").is_err());
    assert!(parse("<!-- excerpt bogus: capsim run -->\n```\n```\n<!-- /excerpt -->\n").is_err());
    assert!(parse("<!-- excerpt: capsim run -->\n```\nx\n```\n").is_err());
}

#[test]
fn normalising_hides_durations_and_rates_only() {
    assert_eq!(
        normalise("2000 trials in 5.61 s (178 trials/s), 12 ms; 2,000 trials; v0.1 s3 10 sites"),
        "2000 trials in … s (… trials/s), … ms; 2,000 trials; v0.1 s3 10 sites"
    );
    let pretty = "{\n  \"z\": \"a,}\\\"\",\n  \"a\": {\n    \"b\": [\n      1,\n      {\n        \"d\": 2,\n        \"c\": 3\n      }\n    ]\n  }\n}";
    assert_eq!(json_value(pretty, ".z").unwrap(), "\"a,}\\\"\"");
    assert_eq!(json_value(pretty, ".a.b.0").unwrap(), "1");
    assert_eq!(
        json_value(pretty, ".a.b.1").unwrap(),
        "{\n  \"d\": 2,\n  \"c\": 3\n}"
    );
    assert!(json_value(pretty, ".a.x").is_err());
}
