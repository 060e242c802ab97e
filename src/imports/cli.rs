//! `brandhouse import products FILE --brand SLUG [--dry-run]`: the same import as the API's,
//! run in the foreground as the API role through the same tenant transaction, with a progress
//! bar on standard error and a summary table on standard output.

use std::{path::Path, time::Duration};

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};

use super::{
    report::{Outcome, Report},
    service::{self, ImportOptions, Progress},
};
use crate::{cache::Cache, config::Config, db::Db, scope::Actor, tenants::TenantResolver};

/// The most problems printed; the count is always complete.
const PRINTED_ERRORS: usize = 200;

struct Bar(ProgressBar);

impl Progress for Bar {
    fn validating(&self, total: u64) {
        self.0.set_length(total);
        self.0.set_position(0);
        self.0.set_message("validating");
    }

    fn validated(&self, done: u64) {
        self.0.set_position(done);
    }

    fn applying(&self, total: u64) {
        self.0.set_length(total);
        self.0.set_position(0);
        self.0.set_message("applying");
    }

    fn applied(&self, done: u64) {
        self.0.set_position(done);
    }
}

/// Imports `file` into `brand`; returns whether the file was valid.
pub async fn import_products(
    config: &Config,
    file: &Path,
    brand: &str,
    dry_run: bool,
) -> anyhow::Result<bool> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let db = Db::connect(&config.db).await?;
    let tenants = TenantResolver::new(db.clone(), config.tenant_cache_ttl);
    let scope = tenants
        .scope_for_slug(brand, Actor::System)
        .await
        .with_context(|| format!("brand {brand:?}"))?;

    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:>10} [{bar:40}] {pos}/{len} ({per_sec}, {elapsed_precise})",
        )
        .context("the progress bar template")?
        .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(100));
    let progress = Bar(bar);
    let source = file.file_name().map_or_else(
        || "import.csv".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    let started = std::time::Instant::now();
    let report = service::run(
        &db,
        &scope,
        &bytes,
        &ImportOptions {
            dry_run,
            source: &source,
        },
        &progress,
    )
    .await
    .context("importing")?;
    progress.0.finish_and_clear();
    let elapsed = started.elapsed();

    if report.changed_catalog()
        && let Some(url) = &config.redis_url
    {
        let cache = Cache::connect(url, config.cache_ttl, config.redis_timeout)?;
        for _ in 0..40 {
            if cache.is_connected() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if cache.is_connected() {
            cache.invalidate_catalog(&scope).await;
        } else {
            eprintln!(
                "note: Redis did not answer; cached storefront pages expire within CACHE_TTL_SECS"
            );
        }
    }
    print!("{}", render(&report, &source, brand, elapsed));
    Ok(report.outcome != Outcome::Invalid)
}

/// The summary table (and the problems, if any).
pub fn render(report: &Report, file: &str, brand: &str, elapsed: Duration) -> String {
    let s = &report.summary;
    let verdict = match report.outcome {
        Outcome::Applied => "applied",
        Outcome::DryRun => "dry run: nothing written",
        Outcome::Invalid => "invalid: nothing written",
    };
    let secs = elapsed.as_secs_f64();
    let mut out = format!("import of {file} into {brand}: {verdict} ({secs:.2} s)\n\n");
    let rows: [(&str, u64); 8] = [
        ("rows", s.rows),
        ("products created", s.products_created),
        ("products updated", s.products_updated),
        ("products unchanged", s.products_unchanged),
        ("variants created", s.variants_created),
        ("variants reactivated", s.variants_reactivated),
        ("variants deactivated", s.variants_deactivated),
        ("units received", s.units_received),
    ];
    out.push_str("| what | count |\n|---|---:|\n");
    for (what, n) in rows {
        out.push_str(&format!("| {what} | {n} |\n"));
    }
    if report.outcome != Outcome::Invalid && secs > 0.0 {
        out.push_str(&format!("\n{:.0} rows/s\n", s.rows as f64 / secs));
    }
    if !s.examples.is_empty() {
        out.push_str("\nexamples:\n");
        for e in &s.examples {
            let changes = if e.changes.is_empty() {
                String::new()
            } else {
                format!(" ({})", e.changes.join(", "))
            };
            out.push_str(&format!(
                "  line {:>6}  {:<6} {}{changes}\n",
                e.line, e.action, e.handle
            ));
        }
    }
    if !report.errors.is_empty() {
        out.push_str(&format!("\n{} problem(s):\n", report.errors.len()));
        for e in report.errors.iter().take(PRINTED_ERRORS) {
            out.push_str(&format!(
                "  line {:>6}  {:<18} {}\n",
                e.line,
                e.column.as_deref().unwrap_or("-"),
                e.message
            ));
        }
        if report.errors.len() > PRINTED_ERRORS {
            out.push_str(&format!(
                "  ... and {} more\n",
                report.errors.len() - PRINTED_ERRORS
            ));
        }
    }
    out
}
