//! Every statement on a tenant-owned table names its brand: `tenant_id = $1`, bound from the
//! transaction's scope (`tx.tenant()`), for each tenant table it reads, and `tenant_id` among
//! the columns of each insert. Row-level security stays the guarantee (a statement without the
//! predicate still sees one brand); the predicate is what lets a distributed database route the
//! statement to the one node holding the brand instead of every node, what lets it take row
//! locks there (Citus refuses a multi-shard `FOR UPDATE`), and what puts the brand first in
//! every index scan (docs/SCALING.md).
//!
//! Read from the source: every `src/**/*.sql` file and every string literal in `src/**/*.rs`
//! that holds a statement. The tenant tables are read from the migrated schema (the tables with
//! the canonical `tenant_isolation` policy). A table counts as named when its alias (or, without
//! one, its bare column) is compared with `$1`, or joined on `tenant_id` to a table that is.
//! Analytics statements are left out: they run as the read-only analytics role across brands.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
};

use regex::Regex;

use crate::helpers::TestDb;

/// Words that may follow a table name where an alias would stand: not aliases.
const KEYWORDS: &[&str] = &[
    "where",
    "join",
    "on",
    "set",
    "using",
    "left",
    "right",
    "inner",
    "full",
    "cross",
    "natural",
    "order",
    "group",
    "limit",
    "for",
    "values",
    "select",
    "returning",
    "union",
    "having",
    "window",
    "as",
    "offset",
    "fetch",
    "lateral",
    "with",
    "from",
    "and",
    "or",
    "not",
    "into",
    "default",
    "do",
    "except",
    "intersect",
];

/// Files (relative to `src/`) whose statements are not a brand's: the analytics role reads
/// across brands by design.
fn exempt(path: &str) -> bool {
    path.starts_with("analytics/")
}

/// Drops comments (`-- ...` to the end of the line, `/* ... */`) outside quoted text.
fn strip_comments(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("--") {
            rest = rest.find('\n').map_or("", |i| &rest[i..]);
        } else if rest.starts_with("/*") {
            rest = rest.find("*/").map_or("", |i| &rest[i + 2..]);
        } else if let Some(quote) = quote_at(rest) {
            let end = rest[quote.len()..]
                .find(&quote)
                .map_or(rest.len(), |i| quote.len() + i + quote.len());
            out.push_str(&rest[..end]);
            rest = &rest[end..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// The quote that opens at the start of `s`: `'` or a dollar quote (`$$`, `$tag$`).
fn quote_at(s: &str) -> Option<String> {
    if s.starts_with('\'') {
        return Some("'".into());
    }
    let tag = s.strip_prefix('$')?;
    let end = tag.find('$')?;
    tag[..end]
        .chars()
        .all(|c| c.is_ascii_alphabetic() || c == '_')
        .then(|| s[..end + 2].to_owned())
}

/// The statements of a script, split at semicolons outside quoted text, comments removed.
fn statements(sql: &str) -> Vec<String> {
    let sql = strip_comments(sql);
    let mut out = Vec::new();
    let mut current = String::new();
    let mut rest = sql.as_str();
    while let Some(c) = rest.chars().next() {
        if let Some(quote) = quote_at(rest) {
            let end = rest[quote.len()..]
                .find(&quote)
                .map_or(rest.len(), |i| quote.len() + i + quote.len());
            current.push_str(&rest[..end]);
            rest = &rest[end..];
        } else {
            if c == ';' {
                out.push(std::mem::take(&mut current));
            } else {
                current.push(c);
            }
            rest = &rest[c.len_utf8()..];
        }
    }
    out.push(current);
    out.into_iter().filter(|s| !s.trim().is_empty()).collect()
}

/// The tenant tables `statement` uses without naming their brand, as `table alias` (or
/// `table (insert)`); empty when it names the brand for every one.
fn unnamed_tenant_tables(statement: &str, tenant_tables: &BTreeSet<String>) -> Vec<String> {
    let sql = statement.to_lowercase();
    let table = Regex::new(r"\bapp\.([a-z_][a-z0-9_]*)\b").unwrap();
    let alias = Regex::new(r"^\s+(?:as\s+)?([a-z_][a-z0-9_]*)").unwrap();
    let insert = Regex::new(r"insert\s+into\s+$").unwrap();
    let columns = Regex::new(r"^\s*(?:as\s+[a-z_][a-z0-9_]*\s*)?\(([^)]*)\)").unwrap();
    let tenant_param = Regex::new(r"\$1\b").unwrap();

    // (table, alias or "" for a bare name, an insert's target?, the text after the name)
    let mut uses = Vec::new();
    for m in table.captures_iter(&sql) {
        let whole = m.get(0).unwrap();
        let name = &m[1];
        let after = &sql[whole.end()..];
        if !tenant_tables.contains(name)
            || after.trim_start().starts_with('(') && !insert.is_match(&sql[..whole.start()])
        {
            continue;
        }
        let a = alias
            .captures(after)
            .map(|c| c[1].to_owned())
            .filter(|a| !KEYWORDS.contains(&a.as_str()))
            .unwrap_or_default();
        uses.push((
            name.to_owned(),
            a,
            insert.is_match(&sql[..whole.start()]),
            after,
        ));
    }

    let named_by = |a: &str| {
        let column = if a.is_empty() {
            r"(?:^|[^.\w])tenant_id".to_owned()
        } else {
            format!(r"\b{}\.tenant_id", regex::escape(a))
        };
        Regex::new(&format!(r"{column}\s*=\s*\$1\b"))
            .unwrap()
            .is_match(&sql)
            || Regex::new(&format!(
                r"\$1\s*=\s*{}\b",
                column.trim_start_matches("(?:^|[^.\\w])")
            ))
            .unwrap()
            .is_match(&sql)
    };
    let mut named: BTreeSet<String> = uses
        .iter()
        .map(|(_, a, _, _)| a.clone())
        .filter(|a| named_by(a))
        .collect();
    // Joined on tenant_id to a table that is named: named too (the planner derives the same
    // equality, and so does a distributed planner's router).
    let join = Regex::new(
        r"(?:\b([a-z_][a-z0-9_]*)\.)?tenant_id\s*=\s*(?:([a-z_][a-z0-9_]*)\.)?tenant_id\b",
    )
    .unwrap();
    loop {
        let before = named.len();
        for j in join.captures_iter(&sql) {
            let x = j.get(1).map_or("", |m| m.as_str()).to_owned();
            let y = j.get(2).map_or("", |m| m.as_str()).to_owned();
            if named.contains(&x) {
                named.insert(y.clone());
            }
            if named.contains(&y) {
                named.insert(x);
            }
        }
        if named.len() == before {
            break;
        }
    }

    let mut unnamed = Vec::new();
    for (name, a, is_insert, after) in uses {
        if is_insert {
            let lists_tenant = columns
                .captures(after)
                .is_some_and(|c| c[1].split(',').any(|col| col.trim() == "tenant_id"));
            if !(lists_tenant && tenant_param.is_match(&sql)) {
                unnamed.push(format!("{name} (insert)"));
            }
        } else if !named.contains(&a) {
            unnamed.push(format!("{name} {a}").trim_end().to_owned());
        }
    }
    unnamed
}

/// The string literals of a Rust source file (plain and raw), with `\`-newline continuations
/// joined, as written (escapes other than the continuation left alone).
fn string_literals(rust: &str) -> Vec<String> {
    let literal = Regex::new(r##"r#*"|""##).unwrap();
    let continuation = Regex::new(r"\\\n\s*").unwrap();
    let mut out = Vec::new();
    let mut rest = rust;
    while let Some(m) = literal.find(rest) {
        // Skip char literals and lifetimes before the match are irrelevant here: `'"'` is the
        // one char literal holding a quote.
        if rest[..m.start()].ends_with('\'') && rest[m.end()..].starts_with('\'') {
            rest = &rest[m.end() + 1..];
            continue;
        }
        let open = m.as_str();
        let body = &rest[m.end()..];
        if open.starts_with('r') {
            let close = format!("\"{}", &open[1..open.len() - 1]);
            let end = body.find(&close).unwrap_or(body.len());
            out.push(body[..end].to_owned());
            rest = &body[(end + close.len()).min(body.len())..];
        } else {
            let mut end = 0;
            let bytes = body.as_bytes();
            while end < bytes.len() && bytes[end] != b'"' {
                end += if bytes[end] == b'\\' { 2 } else { 1 };
            }
            let text = body[..end.min(body.len())].to_owned();
            out.push(continuation.replace_all(&text, "").into_owned());
            rest = &body[(end + 1).min(body.len())..];
        }
    }
    out
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Every statement of the source that holds SQL, as (where, statement).
fn source_statements() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    files(&src, &mut paths);
    paths.sort();
    let dml = Regex::new(r"(?i)\b(select|insert|update|delete)\b").unwrap();
    let mut out = Vec::new();
    for path in paths {
        let rel = path
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if exempt(&rel) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        match path.extension().and_then(|e| e.to_str()) {
            Some("sql") => out.extend(statements(&text).into_iter().map(|s| (rel.clone(), s))),
            Some("rs") => {
                for literal in string_literals(&text) {
                    if dml.is_match(&literal) && literal.contains("app.") {
                        out.extend(statements(&literal).into_iter().map(|s| (rel.clone(), s)));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

async fn tenant_tables() -> BTreeSet<String> {
    let db = TestDb::new().await;
    let admin = db.admin().await;
    admin
        .query(
            "select c.relname::text from pg_policy p join pg_class c on c.oid = p.polrelid \
             join pg_namespace n on n.oid = c.relnamespace \
             where n.nspname = 'app' and p.polname = 'tenant_isolation'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test]
async fn every_statement_on_a_tenant_table_names_its_brand() {
    let tenant_tables = tenant_tables().await;
    assert!(
        tenant_tables.len() > 40 && tenant_tables.contains("products"),
        "the tenant tables were not found: {tenant_tables:?}"
    );
    let statements = source_statements();
    assert!(
        statements.len() > 250,
        "the source's statements were not found"
    );
    let failures: Vec<String> = statements
        .iter()
        .filter_map(|(file, sql)| {
            let unnamed = unnamed_tenant_tables(sql, &tenant_tables);
            (!unnamed.is_empty()).then(|| format!("{file}: {}", unnamed.join(", ")))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} statements use a tenant table without `tenant_id = $1` (bind `tx.tenant()` first; \
         join other tenant tables on tenant_id):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The check itself, on statements that must fail it and statements that must pass it.
#[test]
fn the_check_tells_a_named_brand_from_a_missing_one() {
    let tables: BTreeSet<String> = ["products", "variants", "categories", "stock"]
        .into_iter()
        .map(String::from)
        .collect();
    let unnamed = |sql: &str| {
        statements(sql)
            .iter()
            .flat_map(|s| unnamed_tenant_tables(s, &tables))
            .collect::<Vec<_>>()
    };

    // Missing: no predicate; a predicate on another parameter; one table of a join not tied to
    // the named one; an insert that leaves tenant_id to the column default.
    assert_eq!(
        unnamed("select * from app.products where id = $1"),
        ["products"]
    );
    assert_eq!(
        unnamed("select * from app.products p where p.tenant_id = $2"),
        ["products p"]
    );
    assert_eq!(
        unnamed(
            "select * from app.products p join app.variants v on v.product_id = p.id \
             where p.tenant_id = $1"
        ),
        ["variants v"]
    );
    assert_eq!(
        unnamed("insert into app.products (id, name) values ($1, $2)"),
        ["products (insert)"]
    );
    assert_eq!(
        unnamed("update app.stock s set on_hand = 0 from app.variants v where v.tenant_id = $1"),
        ["stock s"]
    );

    // Named: directly, bare, reversed, through a tenant_id join, in an insert's columns, and a
    // function or a global table that merely shares the prefix.
    assert!(
        unnamed("select * from app.products p where p.tenant_id = $1 and p.id = $2").is_empty()
    );
    assert!(
        unnamed("update app.products set name = $2 where tenant_id = $1 and id = $3").is_empty()
    );
    assert!(unnamed("select * from app.products p where $1 = p.tenant_id").is_empty());
    assert!(
        unnamed(
            "select * from app.products p join app.variants v \
             on v.tenant_id = p.tenant_id and v.product_id = p.id where p.tenant_id = $1"
        )
        .is_empty()
    );
    assert!(unnamed("insert into app.products (tenant_id, id) values ($1, $2)").is_empty());
    assert!(unnamed("select app.products_of($1), * from app.tenants where id = $1").is_empty());
    // A comment or quoted text does not count as a predicate.
    assert_eq!(
        unnamed("select * from app.products -- where tenant_id = $1\n where id = $2"),
        ["products"]
    );
}
