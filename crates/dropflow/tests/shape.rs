//! The crate's shape, checked over its own source: which top-level module may use which.
//!
//! Reads every `.rs` file under `src/`, strips comments and string literals, collects each
//! `crate::<module>` path (including grouped `use crate::{a, b::c}`), and checks:
//! - no import cycle between top-level modules (a child using its parent is not an edge: both
//!   are the same top-level module);
//! - `storage` imports nothing above it (only the domain crate and libraries);
//! - `dashboard` never imports `http`, nor `http` the dashboard: both are adapters over the
//!   action layer, wired together where the process is built.
//! - no file under `storage` names the OpenAPI library: rows are not the API's schema (the
//!   API's own types are `http::api::views`), so a column change cannot change the contract.
//!
//! A failure names the files that make each offending edge.
#![allow(clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// For each top-level module, the modules it uses and the files that do.
type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            source_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source with comments, string and char literals blanked, so a path named in a doc
/// comment or an error message is not an import.
fn code_only(source: &str) -> String {
    let bytes = source.as_bytes();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &source[i..];
        if rest.starts_with("//") {
            let end = rest.find('\n').unwrap_or(rest.len());
            i += end;
        } else if rest.starts_with("/*") {
            let end = rest.find("*/").map_or(rest.len(), |e| e + 2);
            i += end;
        } else if let Some(len) = raw_string_len(rest) {
            out.push_str("\"\"");
            i += len;
        } else if rest.starts_with('"') {
            let mut j = 1;
            while j < rest.len() {
                match rest.as_bytes()[j] {
                    b'\\' => j += 2,
                    b'"' => break,
                    _ => j += 1,
                }
            }
            out.push_str("\"\"");
            i += (j + 1).min(rest.len());
        } else if rest.starts_with("'\\")
            || (rest.starts_with('\'') && rest.len() > 2 && rest.as_bytes()[2] == b'\'')
        {
            // A char literal ('x' or '\n'); lifetimes ('a) have no closing quote there.
            let end = rest[1..].find('\'').map_or(1, |e| e + 2);
            out.push_str("' '");
            i += end;
        } else {
            let c = rest.chars().next().expect("not at the end");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The length of a raw string literal (`r"…"`, `r#"…"#`, `br"…"`) at the start of `s`.
fn raw_string_len(s: &str) -> Option<usize> {
    let body = s.strip_prefix("br").or_else(|| s.strip_prefix('r'))?;
    let hashes = body.len() - body.trim_start_matches('#').len();
    let after = body[hashes..].strip_prefix('"')?;
    let closing = format!("\"{}", "#".repeat(hashes));
    let end = after.find(&closing)?;
    Some(s.len() - after.len() + end + closing.len())
}

/// The top-level modules a piece of code names through `crate::`.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        // `dropflow_core::` or `my_crate::` are other crates, not this one.
        let before = rest[..at].chars().last();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut item = String::new();
            let mut at_item_start = true;
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            if at_item_start && !item.is_empty() {
                                found.insert(item);
                            }
                            break;
                        }
                    }
                    ',' if depth == 1 => {
                        at_item_start = true;
                        continue;
                    }
                    _ => {}
                }
                if depth == 1 && at_item_start {
                    if c.is_alphanumeric() || c == '_' {
                        item.push(c);
                    } else if !item.is_empty() {
                        found.insert(std::mem::take(&mut item));
                        at_item_start = false;
                    }
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
}

fn graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    source_files(&src, &mut files);
    let modules: BTreeSet<String> = files
        .iter()
        .map(|f| top_module(&src, f))
        .filter(|m| m != "lib" && m != "main")
        .collect();
    let mut graph = Graph::new();
    for file in &files {
        let from = top_module(&src, file);
        let source = std::fs::read_to_string(file).expect("source is UTF-8");
        let rel = file
            .strip_prefix(&src)
            .expect("under src")
            .display()
            .to_string();
        for to in crate_paths(&code_only(&source)) {
            if to != from && modules.contains(&to) {
                graph
                    .entry(from.clone())
                    .or_default()
                    .entry(to)
                    .or_default()
                    .insert(rel.clone());
            }
        }
    }
    graph
}

fn top_module(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("under src");
    let first = rel.components().next().expect("a path");
    first
        .as_os_str()
        .to_string_lossy()
        .trim_end_matches(".rs")
        .to_string()
}

/// Strongly connected components of more than one module (Tarjan).
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    struct Walk<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        found: Vec<Vec<String>>,
    }
    impl<'g> Walk<'g> {
        fn visit(&mut self, v: &'g str) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            for w in self.graph.get(v).into_iter().flat_map(|e| e.keys()) {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(lw);
                } else if self.stack.contains(&w) {
                    let iw = self.index[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    component.push(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !walk.index.contains_key(v.as_str()) {
            walk.visit(v);
        }
    }
    walk.found
}

fn describe(graph: &Graph, from: &str, to: &str) -> String {
    let files = &graph[from][to];
    format!(
        "{from} -> {to} ({})",
        files.iter().cloned().collect::<Vec<_>>().join(", ")
    )
}

#[test]
fn no_import_cycle_between_top_level_modules() {
    let graph = graph();
    let mut problems = Vec::new();
    for component in cycles(&graph) {
        let members: BTreeSet<&str> = component.iter().map(String::as_str).collect();
        let edges: Vec<String> = component
            .iter()
            .flat_map(|from| {
                graph[from]
                    .keys()
                    .filter(|to| members.contains(to.as_str()))
                    .map(|to| describe(&graph, from, to))
                    .collect::<Vec<_>>()
            })
            .collect();
        problems.push(format!(
            "cycle between {}:\n  {}",
            component.join(", "),
            edges.join("\n  ")
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn storage_imports_nothing_above_it() {
    let graph = graph();
    let above: Vec<String> = graph
        .get("storage")
        .into_iter()
        .flat_map(|e| e.keys())
        .map(|to| describe(&graph, "storage", to))
        .collect();
    assert!(above.is_empty(), "storage uses:\n  {}", above.join("\n  "));
}

#[test]
fn dashboard_and_http_do_not_import_each_other() {
    let graph = graph();
    let mut crossing = Vec::new();
    for (from, to) in [("dashboard", "http"), ("http", "dashboard")] {
        if graph.get(from).is_some_and(|e| e.contains_key(to)) {
            crossing.push(describe(&graph, from, to));
        }
    }
    assert!(crossing.is_empty(), "{}", crossing.join("\n"));
}

#[test]
fn storage_rows_are_not_the_api_schema() {
    let storage = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/storage");
    let mut files = Vec::new();
    source_files(&storage, &mut files);
    let naming: Vec<String> = files
        .iter()
        .filter(|f| {
            std::fs::read_to_string(f)
                .expect("source is UTF-8")
                .contains("utoipa")
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(naming.is_empty(), "storage names utoipa: {naming:?}");
}

/// The top-level modules in the order `lib.rs` declares them.
fn table_of_contents() -> Vec<String> {
    let lib = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs");
    let source = std::fs::read_to_string(lib).expect("lib.rs");
    code_only(&source)
        .lines()
        .filter_map(|line| line.trim().strip_prefix("pub mod "))
        .map(|rest| rest.trim_end_matches(';').trim().to_string())
        .collect()
}

/// `lib.rs` is the table of contents in reading order: a module uses only modules declared
/// before it, so reading top to bottom never meets a name not yet introduced.
#[test]
fn imports_point_up_the_table_of_contents() {
    let order = table_of_contents();
    assert!(order.len() > 10, "lib.rs lists the modules: {order:?}");
    let position = |m: &str| order.iter().position(|o| o == m);
    let graph = graph();
    let mut downward = Vec::new();
    for (from, edges) in &graph {
        let Some(at) = position(from) else {
            continue;
        };
        for to in edges.keys() {
            if position(to).is_some_and(|target| target > at) {
                downward.push(describe(&graph, from, to));
            }
        }
    }
    assert!(
        downward.is_empty(),
        "these use a module lib.rs declares after them:\n  {}",
        downward.join("\n  ")
    );
}

/// The reader itself: comments and strings are not imports, groups are.
#[test]
fn reads_paths_not_comments_or_strings() {
    let code = code_only(
        "use crate::{storage::Tx, notify};\n// crate::http\n/* crate::cli */\n\
         let s = \"crate::demo\"; let r = r#\"crate::bench\"#; let c = '\"';\n\
         fn f<'a>(x: &'a str) { crate::jobs::run(x) }\n\
         dropflow_core::ids::OrderId;",
    );
    let found = crate_paths(&code);
    let expected: BTreeSet<String> = ["jobs", "notify", "storage"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(found, expected);
}
