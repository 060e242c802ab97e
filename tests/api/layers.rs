//! The house's shape, checked from the source: no file imports one that imports it back, and
//! dependencies point down (plumbing <- domains <- HTTP <- composition root), as `src/lib.rs`'s
//! Layout says. Edges are read from `use` items (braces expanded, `super::`/`self::` resolved)
//! and from inline `crate::` paths, each resolved to the file that defines the module; test
//! modules (`#[cfg(test)] mod tests`) are left out.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

/// A module path (`["catalog", "api"]`), the crate root being `[]`.
type Module = Vec<String>;

/// The layer of a module, lowest first. A module may use its own layer and those below it,
/// never one above.
fn layer(module: &Module) -> (u8, &'static str) {
    let first = module.first().map(String::as_str).unwrap_or("");
    let last = module.last().map(String::as_str).unwrap_or("");
    match first {
        // Shared plumbing: configuration, pools and the tenant transaction, the scope they take,
        // errors, telemetry, cache, rate limits, object storage, the vector index, the audit
        // trail.
        "config" | "db" | "scope" | "error" | "telemetry" | "cache" | "ratelimit" | "payload"
        | "audit" | "migrate" | "search" | "types" | "metrics" => (0, "plumbing"),
        "media" if last == "store" || module.len() == 1 => (0, "plumbing"),
        // Outbound HTTP clients for OpenAI-compatible APIs, shared by the assistant (replies)
        // and the vector index (embeddings): adapters with no rules of their own.
        "chat" if last == "http" || last == "llm" => (0, "plumbing"),
        // The composition root and the command line.
        "" | "startup" | "cli" | "seed" => (3, "composition root"),
        // The HTTP layer: every domain's endpoints and the shared tags/health module.
        "api" => (2, "HTTP"),
        _ if last == "api" || last == "admin_api" || last == "staff_api" || last == "extract" => {
            (2, "HTTP")
        }
        // Domains: services, repos, rules.
        _ => (1, "domain"),
    }
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `src/` by module path (`main.rs` is the binary, not the library).
fn modules() -> BTreeMap<Module, PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = src_dir();
    let mut files = Vec::new();
    walk(&root, &mut files);
    let mut out = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(&root).unwrap().with_extension("");
        let mut parts: Module = rel
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        if parts.last().is_some_and(|p| p == "mod") {
            parts.pop();
        }
        if parts == ["main"] {
            continue;
        }
        if parts == ["lib"] {
            parts.clear();
        }
        out.insert(parts, file);
    }
    out
}

/// The source without comments and without the trailing unit-test module.
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = text
        .split("#[cfg(test)]\nmod tests")
        .next()
        .unwrap_or_default();
    text.lines()
        .map(|l| match l.find("//") {
            // A `//` inside a string (a URL) is rare in `use` lines and paths; good enough here.
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Expands a `use` tree (`a::{b, c::{d, e}}`) into its paths.
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else {
        return vec![tree];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.len() - 1];
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&inner[start..]);
    items
        .into_iter()
        .filter(|i| !i.is_empty())
        .flat_map(|i| expand(&format!("{prefix}{i}")))
        .collect()
}

/// The file module a path lands in: the longest prefix that is a file.
fn resolve(files: &BTreeMap<Module, PathBuf>, path: &[String]) -> Option<Module> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|m| files.contains_key(m))
}

/// Module -> the modules it uses.
fn graph() -> BTreeMap<Module, BTreeSet<Module>> {
    let files = modules();
    let use_item = use_items();
    let mut graph = BTreeMap::new();
    for (module, path) in &files {
        let code = code_of(path);
        let is_dir_module = path.ends_with("mod.rs") || path.ends_with("lib.rs");
        let base: Module = if is_dir_module {
            module.clone()
        } else {
            module[..module.len().saturating_sub(1)].to_vec()
        };
        let mut targets = BTreeSet::new();
        for tree in use_item(&code) {
            for p in expand(&tree) {
                // `x as y` lost its spaces in `expand`; the longest existing prefix of the path
                // is what counts, so a trailing `xasy` segment is harmless.
                let mut segs: Vec<String> = p.split("::").map(str::to_owned).collect();
                let target = match segs.first().map(String::as_str) {
                    Some("crate") => segs.split_off(1),
                    Some("super") => {
                        let mut b = base.clone();
                        while segs.first().is_some_and(|s| s == "super") {
                            b.pop();
                            segs.remove(0);
                        }
                        b.extend(segs);
                        b
                    }
                    Some("self") => {
                        let mut b = base.clone();
                        b.extend(segs.split_off(1));
                        b
                    }
                    Some(first) => {
                        // A child module named relatively (`use scope::X` inside a mod.rs).
                        let mut b = base.clone();
                        b.push(first.to_owned());
                        if !files.contains_key(&b) {
                            continue;
                        }
                        b.extend(segs.split_off(1));
                        b
                    }
                    None => continue,
                };
                if let Some(t) = resolve(&files, &target) {
                    targets.insert(t);
                }
            }
        }
        for (i, _) in code.match_indices("crate::") {
            let rest = &code[i + "crate::".len()..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            let segs: Vec<String> = rest[..end]
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            if let Some(t) = resolve(&files, &segs) {
                targets.insert(t);
            }
        }
        targets.remove(module);
        targets.remove(&Vec::new());
        graph.insert(module.clone(), targets);
    }
    graph
}

/// The bodies of `use ...;` items (including `pub use`).
fn use_items() -> impl Fn(&str) -> Vec<String> {
    |code: &str| {
        let mut out = Vec::new();
        let bytes = code.as_bytes();
        let mut i = 0;
        while let Some(pos) = code[i..].find("use ") {
            let at = i + pos;
            let boundary =
                at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_');
            let line_start = code[..at].rfind('\n').map_or(0, |n| n + 1);
            let before = code[line_start..at].trim();
            if boundary
                && (before.is_empty() || before.starts_with("pub"))
                && let Some(end) = code[at..].find(';')
            {
                out.push(code[at + 4..at + end].to_owned());
                i = at + end;
                continue;
            }
            i = at + 4;
        }
        out
    }
}

/// Strongly connected components with more than one module (Tarjan).
fn cycles(graph: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    struct T<'g> {
        g: &'g BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<&'g Module, usize>,
        low: BTreeMap<&'g Module, usize>,
        stack: Vec<&'g Module>,
        on: BTreeSet<&'g Module>,
        next: usize,
        out: Vec<Vec<Module>>,
    }
    impl<'g> T<'g> {
        fn visit(&mut self, v: &'g Module) {
            self.index.insert(v, self.next);
            self.low.insert(v, self.next);
            self.next += 1;
            self.stack.push(v);
            self.on.insert(v);
            for w in self.g.get(v).into_iter().flatten() {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    let lv = self.low.get_mut(v).unwrap();
                    *lv = (*lv).min(lw);
                } else if self.on.contains(w) {
                    let iw = self.index[w];
                    let lv = self.low.get_mut(v).unwrap();
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut comp = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on.remove(w);
                    comp.push(w.clone());
                    if w == v {
                        break;
                    }
                }
                if comp.len() > 1 {
                    self.out.push(comp);
                }
            }
        }
    }
    let mut t = T {
        g: graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !t.index.contains_key(v) {
            t.visit(v);
        }
    }
    t.out
}

fn name(m: &Module) -> String {
    if m.is_empty() {
        "lib".into()
    } else {
        m.join("::")
    }
}

#[test]
fn no_source_file_imports_one_that_imports_it_back() {
    let graph = graph();
    assert!(graph.len() > 50, "the source tree was not found");
    let cycles: Vec<String> = cycles(&graph)
        .iter()
        .map(|c| c.iter().map(name).collect::<Vec<_>>().join(" <-> "))
        .collect();
    assert!(cycles.is_empty(), "import cycles: {cycles:#?}");
}

#[test]
fn dependencies_point_down_from_http_to_domains_to_plumbing() {
    let mut wrong = Vec::new();
    for (from, targets) in graph() {
        let (lf, nf) = layer(&from);
        for to in targets {
            let (lt, nt) = layer(&to);
            if lt > lf {
                wrong.push(format!("{} ({nf}) uses {} ({nt})", name(&from), name(&to)));
            }
            // A domain may call another domain's service, never its repo.
            if to.last().is_some_and(|l| l == "repo") && to.first() != from.first() {
                wrong.push(format!(
                    "{} uses another domain's repo {}",
                    name(&from),
                    name(&to)
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "arrows that run the wrong way: {wrong:#?}"
    );
}

#[test]
fn the_checker_sees_a_cycle_and_an_upward_arrow() {
    // The checker itself can fail: a planted cycle and a planted upward edge are found.
    let a: Module = vec!["db".into()];
    let b: Module = vec!["catalog".into(), "service".into()];
    let mut g = BTreeMap::new();
    g.insert(a.clone(), BTreeSet::from([b.clone()]));
    g.insert(b.clone(), BTreeSet::from([a.clone()]));
    assert_eq!(cycles(&g).len(), 1);
    assert!(layer(&b).0 > layer(&a).0, "db is below a domain service");
    assert_eq!(
        expand("crate::{a::{b, c}, e}"),
        ["crate::a::b", "crate::a::c", "crate::e"]
    );
}
