//! The scenario document before it is typed: a TOML tree in which every value remembers where it
//! came from (file, line, column, or a `--set` argument).
//!
//! Variants (`extends`) and command-line overrides are applied here, on the tree, so that the
//! merged document goes through exactly the same typed parsing and checks as a single file, and
//! every error can still point at the line that supplied the offending value.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use toml::Value;
use toml::de::{DeTable, DeValue};

use super::ScenarioError;

/// Where a value of the merged document was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A position in a scenario file (1-based line and column).
    File {
        /// The file, as it was named when loaded.
        path: Arc<Path>,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// A `--set PATH=VALUE` override.
    Override(Arc<str>),
    /// The built-in accelerator catalogue.
    BuiltIn,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File { path, line, column } => {
                write!(
                    f,
                    "{}:{line}:{column}",
                    one_line(&path.display().to_string())
                )
            }
            Origin::Override(arg) => write!(f, "--set {}", one_line(arg)),
            Origin::BuiltIn => f.write_str("<built-in accelerators>"),
        }
    }
}

/// `text` with every control character but a newline escaped as Rust writes it (`\u{1b}`,
/// `\r`), so that no user text echoed in a message can move the cursor or recolour the terminal.
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\n' {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

/// `text` with every control character escaped, newlines too: for what must print on one line.
pub(crate) fn one_line(text: &str) -> String {
    escaped(text).replace('\n', "\\n")
}

/// Characters of an id echoed in a message before it is cut short.
const SHOWN_CHARS: usize = 64;

/// An id or key for a message: control characters escaped (newlines too), and cut to 64
/// characters with the full length noted.
pub(crate) fn shown(text: &str) -> String {
    let chars = text.chars().count();
    let head: String = text.chars().take(SHOWN_CHARS).collect();
    let head = one_line(&head);
    if chars > SHOWN_CHARS {
        format!("{head}… ({chars} characters)")
    } else {
        head
    }
}

/// A TOML value with its origin; tables keep their key order.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) origin: Origin,
    pub(crate) kind: NodeKind,
}

#[derive(Debug, Clone)]
pub(crate) enum NodeKind {
    Leaf(Value),
    Array(Vec<Node>),
    Table(Vec<(String, Node)>),
}

/// One step of a path into the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    Key(String),
    Index(usize),
}

/// Formats a path as `sites[2].phases[0].mw`.
pub(crate) fn format_path(path: &[Segment]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Segment::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

impl Node {
    /// Parses one scenario file into a tree whose values carry their line and column.
    pub(crate) fn parse_file(text: &str, path: &Path) -> Result<Node, ScenarioError> {
        let lines = LineIndex::new(text);
        let syntax = |e: toml::de::Error| {
            let (line, column) = e
                .span()
                .map(|s| lines.line_column(s.start))
                .unwrap_or((1, 1));
            ScenarioError::Syntax {
                file: path.to_path_buf(),
                line,
                column,
                message: e.message().trim_end().to_string(),
            }
        };
        let values: toml::Table = toml::from_str(text).map_err(syntax)?;
        let spans = DeTable::parse(text).map_err(syntax)?;
        let path: Arc<Path> = Arc::from(path);
        let at = |offset: usize| {
            let (line, column) = lines.line_column(offset);
            Origin::File {
                path: path.clone(),
                line,
                column,
            }
        };
        Ok(table_node(values, Some(spans.get_ref()), at(0), &at))
    }

    /// A tree for a value that has no source text (overrides, built-ins).
    pub(crate) fn from_value(value: Value, origin: &Origin) -> Node {
        let kind = match value {
            Value::Array(items) => NodeKind::Array(
                items
                    .into_iter()
                    .map(|v| Node::from_value(v, origin))
                    .collect(),
            ),
            Value::Table(t) => NodeKind::Table(
                t.into_iter()
                    .map(|(k, v)| (k, Node::from_value(v, origin)))
                    .collect(),
            ),
            leaf => NodeKind::Leaf(leaf),
        };
        Node {
            origin: origin.clone(),
            kind,
        }
    }

    /// The plain TOML value, for typed deserialization and for writing the resolved scenario.
    pub(crate) fn to_value(&self) -> Value {
        match &self.kind {
            NodeKind::Leaf(v) => v.clone(),
            NodeKind::Array(items) => Value::Array(items.iter().map(Node::to_value).collect()),
            NodeKind::Table(entries) => Value::Table(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_value()))
                    .collect(),
            ),
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Table(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub(crate) fn remove(&mut self, key: &str) -> Option<Node> {
        match &mut self.kind {
            NodeKind::Table(entries) => {
                let i = entries.iter().position(|(k, _)| k == key)?;
                Some(entries.remove(i).1)
            }
            _ => None,
        }
    }

    /// Sets `key` in a table node, replacing any earlier value.
    pub(crate) fn insert(&mut self, key: &str, node: Node) {
        if let NodeKind::Table(entries) = &mut self.kind {
            match entries.iter_mut().find(|(k, _)| k == key) {
                Some(slot) => slot.1 = node,
                None => entries.push((key.to_string(), node)),
            }
        }
    }

    /// The `id` string of a table node, if it has one.
    pub(crate) fn id(&self) -> Option<&str> {
        match &self.get("id")?.kind {
            NodeKind::Leaf(Value::String(s)) => Some(s),
            _ => None,
        }
    }

    /// The origin of the deepest node along `path`: the value itself when it exists, else its
    /// closest existing ancestor.
    pub(crate) fn origin_of(&self, path: &[Segment]) -> &Origin {
        let mut node = self;
        for seg in path {
            let next = match (seg, &node.kind) {
                (Segment::Key(k), NodeKind::Table(_)) => node.get(k),
                (Segment::Index(i), NodeKind::Array(items)) => items.get(*i),
                _ => None,
            };
            match next {
                Some(n) => node = n,
                None => break,
            }
        }
        &node.origin
    }

    /// Overlays `over` on `self` (the base): tables merge key by key, arrays whose items are all
    /// tables with an `id` merge item by item (matched by `id`, new ids appended in order), and
    /// anything else, including a distribution table (one with a `kind` key), is replaced by the
    /// overlay.
    pub(crate) fn merge(self, over: Node) -> Node {
        // A distribution (a table with `kind`) is one value: replace it whole, never mix the
        // parameters of two distributions.
        if over.get("kind").is_some() {
            return over;
        }
        match (self.kind, over.kind) {
            (NodeKind::Table(base), NodeKind::Table(top)) => {
                let mut entries = base;
                // Position of each key: one lookup per key, however large the tables.
                let mut position: HashMap<String, usize> = entries
                    .iter()
                    .enumerate()
                    .map(|(i, (k, _))| (k.clone(), i))
                    .collect();
                for (key, value) in top {
                    match position.get(&key) {
                        Some(&i) => {
                            let old = std::mem::replace(&mut entries[i].1, Node::empty());
                            entries[i].1 = old.merge(value);
                        }
                        None => {
                            position.insert(key.clone(), entries.len());
                            entries.push((key, value));
                        }
                    }
                }
                // The overlay is the latest writer of this table: errors about it point there.
                Node {
                    origin: over.origin,
                    kind: NodeKind::Table(entries),
                }
            }
            (NodeKind::Array(base), NodeKind::Array(top))
                if all_have_ids(&base) && all_have_ids(&top) =>
            {
                let mut items = base;
                // Position of each id: one lookup per item, however long the arrays.
                let mut position: HashMap<String, usize> = HashMap::new();
                for (i, item) in items.iter().enumerate() {
                    if let Some(id) = item.id() {
                        position.entry(id.to_string()).or_insert(i);
                    }
                }
                for item in top {
                    let id = item.id().unwrap_or_default().to_string();
                    match position.get(&id) {
                        Some(&i) => {
                            let old = std::mem::replace(&mut items[i], Node::empty());
                            items[i] = old.merge(item);
                        }
                        None => {
                            position.insert(id, items.len());
                            items.push(item);
                        }
                    }
                }
                Node {
                    origin: over.origin,
                    kind: NodeKind::Array(items),
                }
            }
            (_, kind) => Node {
                origin: over.origin,
                kind,
            },
        }
    }

    /// An empty table, to stand in for a node while it is being merged.
    fn empty() -> Node {
        Node {
            origin: Origin::BuiltIn,
            kind: NodeKind::Table(Vec::new()),
        }
    }

    /// Applies one `--set PATH=VALUE` override. Path segments are table keys; inside an array of
    /// tables a segment selects the item whose `id` equals it, or else the item at that 0-based
    /// index. The last key may be new (it is then checked like any key in a file).
    pub(crate) fn set(&mut self, arg: &str) -> Result<(), ScenarioError> {
        let bad = |message: String| ScenarioError::Override {
            arg: arg.to_string(),
            message,
        };
        let (path, raw_value) = arg
            .split_once('=')
            .ok_or_else(|| bad("expected PATH=VALUE, e.g. `supply.gb300.rate_scale=0.8`".into()))?;
        let keys: Vec<&str> = path.trim().split('.').collect();
        if keys.iter().any(|k| k.is_empty()) {
            return Err(bad(format!("`{path}` has an empty path segment")));
        }
        let origin = Origin::Override(Arc::from(arg));
        let value = Node::from_value(parse_override_value(raw_value.trim()), &origin);
        let (last, parents) = keys.split_last().ok_or_else(|| bad("empty path".into()))?;
        let mut node = self;
        let mut walked: Vec<&str> = Vec::new();
        for key in parents {
            node = step_mut(node, key).map_err(|m| {
                let at = if walked.is_empty() {
                    "the top level".to_string()
                } else {
                    format!("`{}`", walked.join("."))
                };
                bad(format!("no `{key}` under {at}: {m}"))
            })?;
            walked.push(key);
        }
        match &mut node.kind {
            NodeKind::Table(_) => {
                let merged = match node.get(last) {
                    Some(old) if matches!(old.kind, NodeKind::Table(_)) => old.clone().merge(value),
                    _ => value,
                };
                node.insert(last, merged);
                Ok(())
            }
            NodeKind::Array(items) => {
                let i = find_item(items, last).map_err(|m| bad(format!("`{last}`: {m}")))?;
                items[i] = value;
                Ok(())
            }
            NodeKind::Leaf(_) => Err(bad(format!(
                "`{}` is a plain value, not a table",
                walked.join(".")
            ))),
        }
    }
}

fn step_mut<'a>(node: &'a mut Node, key: &str) -> Result<&'a mut Node, String> {
    match &mut node.kind {
        NodeKind::Table(entries) => {
            let keys: Vec<String> = entries.iter().map(|(k, _)| k.clone()).collect();
            match entries.iter_mut().find(|(k, _)| k == key) {
                Some((_, v)) => Ok(v),
                None => Err(format!("existing keys are {}", quote_list(&keys))),
            }
        }
        NodeKind::Array(items) => {
            let i = find_item(items, key)?;
            Ok(&mut items[i])
        }
        NodeKind::Leaf(_) => Err("it is a plain value".into()),
    }
}

fn find_item(items: &[Node], key: &str) -> Result<usize, String> {
    if let Some(i) = items.iter().position(|n| n.id() == Some(key)) {
        return Ok(i);
    }
    if let Ok(i) = key.parse::<usize>()
        && i < items.len()
    {
        return Ok(i);
    }
    let ids: Vec<String> = items
        .iter()
        .filter_map(|n| n.id().map(String::from))
        .collect();
    if ids.is_empty() {
        Err(format!(
            "use an index from 0 to {}",
            items.len().saturating_sub(1)
        ))
    } else {
        Err(format!("known ids are {}", quote_list(&ids)))
    }
}

/// Items listed in a message before the rest are counted.
const LISTED: usize = 20;

/// `` `a`, `b`, `c` ``: at most 20 items, then how many more.
pub(crate) fn quote_list(items: &[String]) -> String {
    let mut out = items
        .iter()
        .take(LISTED)
        .map(|s| format!("`{}`", shown(s)))
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > LISTED {
        out.push_str(&format!(" and {} more", items.len() - LISTED));
    }
    out
}

/// An override value is read as a TOML value (`0.8`, `"x"`, `2026-03-01`, `{ kind = "fixed",
/// value = 3 }`, `[1, 2]`); anything that is not valid TOML is taken as a plain string.
fn parse_override_value(text: &str) -> Value {
    let doc = format!("v = {text}");
    match toml::from_str::<toml::Table>(&doc) {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| Value::String(text.to_string())),
        Err(_) => Value::String(text.to_string()),
    }
}

fn all_have_ids(items: &[Node]) -> bool {
    !items.is_empty() && items.iter().all(|n| n.id().is_some())
}

fn table_node(
    values: toml::Table,
    spans: Option<&DeTable<'_>>,
    origin: Origin,
    at: &dyn Fn(usize) -> Origin,
) -> Node {
    // One lookup per key: a table may hold very many keys.
    let spans: HashMap<&str, &toml::Spanned<DeValue<'_>>> = spans
        .map(|t| t.iter().map(|(k, v)| (k.get_ref().as_ref(), v)).collect())
        .unwrap_or_default();
    let entries = values
        .into_iter()
        .map(|(key, value)| {
            let span = spans.get(key.as_str()).copied();
            let node = value_node(value, span, at);
            (key, node)
        })
        .collect();
    Node {
        origin,
        kind: NodeKind::Table(entries),
    }
}

fn value_node(
    value: Value,
    span: Option<&toml::Spanned<DeValue<'_>>>,
    at: &dyn Fn(usize) -> Origin,
) -> Node {
    let origin = at(span.map(|s| s.span().start).unwrap_or(0));
    match value {
        Value::Table(t) => {
            let inner = span.and_then(|s| match s.get_ref() {
                DeValue::Table(dt) => Some(dt),
                _ => None,
            });
            table_node(t, inner, origin, at)
        }
        Value::Array(items) => {
            let inner = span.and_then(|s| match s.get_ref() {
                DeValue::Array(da) => Some(da),
                _ => None,
            });
            let nodes = items
                .into_iter()
                .enumerate()
                .map(|(i, v)| value_node(v, inner.and_then(|a| a.get(i)), at))
                .collect();
            Node {
                origin,
                kind: NodeKind::Array(nodes),
            }
        }
        leaf => Node {
            origin,
            kind: NodeKind::Leaf(leaf),
        },
    }
}

/// Bytes between two checkpoints of [`LineIndex`]'s character counts.
const CHUNK: usize = 64;

/// Line and column of byte offsets in one text, each found in constant time (plus a binary
/// search over the lines), so that locating every value of a file is linear in its size.
struct LineIndex<'t> {
    bytes: &'t [u8],
    /// Byte offset where each line starts.
    line_starts: Vec<usize>,
    /// `chars_before[k]`: characters in the first `k × CHUNK` bytes.
    chars_before: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    fn new(text: &'t str) -> LineIndex<'t> {
        let bytes = text.as_bytes();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let mut chars_before = Vec::with_capacity(bytes.len() / CHUNK + 1);
        let mut count = 0;
        chars_before.push(0);
        for chunk in bytes.chunks(CHUNK) {
            count += char_starts(chunk);
            chars_before.push(count);
        }
        LineIndex {
            bytes,
            line_starts,
            chars_before,
        }
    }

    /// Characters in the first `offset` bytes.
    fn chars_to(&self, offset: usize) -> usize {
        let k = offset / CHUNK;
        self.chars_before[k] + char_starts(&self.bytes[k * CHUNK..offset])
    }

    /// 1-based line and column (in characters) of a byte offset.
    fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.bytes.len());
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let start = self.line_starts[line - 1];
        (line, self.chars_to(offset) - self.chars_to(start) + 1)
    }
}

/// UTF-8 characters that start in `bytes` (every byte but a continuation byte starts one).
fn char_starts(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count()
}

/// Resolves `extends` relative to the file that names it.
pub(crate) fn extends_path(from: &Path, target: &str) -> PathBuf {
    match from.parent() {
        Some(dir) => dir.join(target),
        None => PathBuf::from(target),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Node {
        Node::parse_file(text, Path::new("t.toml")).unwrap()
    }

    #[test]
    fn line_index_agrees_with_counting_from_the_start() {
        let text = "a = 1\n\nb = \"é€😀x\"\n[t]\nc = [1, 2, \"ü\"]\n".repeat(9);
        let lines = LineIndex::new(&text);
        for (offset, _) in text.char_indices().chain([(text.len(), ' ')]) {
            let before = &text[..offset];
            let line = before.matches('\n').count() + 1;
            let start = before.rfind('\n').map_or(0, |i| i + 1);
            let column = before[start..].chars().count() + 1;
            assert_eq!(lines.line_column(offset), (line, column), "offset {offset}");
        }
    }

    #[test]
    fn shown_text_is_escaped_and_cut_short() {
        assert_eq!(shown("a\u{1b}[31m\nb"), "a\\u{1b}[31m\\nb");
        assert_eq!(escaped("x\ny\rz"), "x\ny\\rz");
        let long = "é".repeat(100);
        assert_eq!(
            shown(&long),
            format!("{}… (100 characters)", "é".repeat(64))
        );
        let many: Vec<String> = (0..25).map(|i| i.to_string()).collect();
        assert!(quote_list(&many).ends_with("`19` and 5 more"));
    }

    #[test]
    fn values_remember_their_line() {
        let n = parse("a = 1\n[b]\nc = 2\n[[s]]\nid = \"x\"\nmw = 3\n");
        let path = [
            Segment::Key("s".into()),
            Segment::Index(0),
            Segment::Key("mw".into()),
        ];
        assert_eq!(n.origin_of(&path).to_string(), "t.toml:6:6");
        let path = [Segment::Key("b".into()), Segment::Key("c".into())];
        assert_eq!(n.origin_of(&path).to_string(), "t.toml:3:5");
    }

    #[test]
    fn arrays_of_tables_merge_by_id_and_tables_merge_by_key() {
        let base = parse("[m]\nx = 1\ny = 2\n[[s]]\nid = \"a\"\nv = 1\n[[s]]\nid = \"b\"\nv = 2\n");
        let top = parse("[m]\ny = 5\n[[s]]\nid = \"b\"\nv = 9\n[[s]]\nid = \"c\"\nv = 3\n");
        let v = base.merge(top).to_value();
        let expected: toml::Table = toml::from_str(
            "[m]\nx = 1\ny = 5\n[[s]]\nid = \"a\"\nv = 1\n[[s]]\nid = \"b\"\nv = 9\n[[s]]\nid = \"c\"\nv = 3\n",
        )
        .unwrap();
        assert_eq!(v, Value::Table(expected));
    }

    #[test]
    fn distribution_tables_are_replaced_whole() {
        let base = parse("d = { kind = \"triangular\", min = 0, mode = 1, max = 2 }\n");
        let top = parse("d = { kind = \"fixed\", value = 3 }\n");
        let v = base.merge(top).to_value();
        assert_eq!(v["d"].as_table().map(|t| t.len()), Some(2));
    }

    #[test]
    fn set_selects_array_items_by_id_or_index() {
        let mut n = parse("[[s]]\nid = \"a\"\nv = 1\n[[s]]\nid = \"b\"\nv = 2\nlist = [1, 2]\n");
        n.set("s.b.v=0.5").unwrap();
        n.set("s.0.v=7").unwrap();
        n.set("s.b.list.1=9").unwrap();
        let v = n.to_value();
        assert_eq!(v["s"][1]["v"].as_float(), Some(0.5));
        assert_eq!(v["s"][0]["v"].as_integer(), Some(7));
        assert_eq!(v["s"][1]["list"][1].as_integer(), Some(9));
        let err = n.set("s.zz.v=1").unwrap_err().to_string();
        assert!(err.contains("known ids are `a`, `b`"), "{err}");
        assert!(n.set("novalue").is_err());
    }

    #[test]
    fn override_values_parse_as_toml_or_fall_back_to_strings() {
        assert_eq!(parse_override_value("0.8").as_float(), Some(0.8));
        assert_eq!(
            parse_override_value("most_headroom").as_str(),
            Some("most_headroom")
        );
        assert!(parse_override_value("2026-01-01").is_datetime());
        assert!(parse_override_value("{ kind = \"fixed\", value = 2 }").is_table());
    }
}
