//! The command line: `serve`, `migrate`, `openapi`, `healthcheck`, `demo`, `staff`, `import`,
//! `reindex`, `brand`.

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use crate::{
    chat::service::{self as chat, Chat},
    config::Config,
    db::Db,
    identity::service as identity,
    migrate,
    scope::Actor,
    seed,
    startup::{Application, shutdown_signal},
    telemetry,
    tenants::TenantResolver,
};

#[derive(Debug, Parser)]
#[command(
    name = "brandhouse",
    version,
    about = "One backend, one database, many isolated brands"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API (configuration from the environment; see README).
    Serve,
    /// Create roles, run migrations and apply policies (idempotent).
    Migrate,
    /// Print the OpenAPI spec as JSON.
    Openapi,
    /// Probe a running server's readiness (`GET /readyz`); exits 0 when it answers 200. For
    /// container health checks: the runtime image has no curl.
    Healthcheck {
        /// The URL to probe; by default `/readyz` on 127.0.0.1 at the port of `BIND_ADDR`.
        #[arg(long)]
        url: Option<String>,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 3)]
        timeout_secs: u64,
    },
    /// Migrate, seed the three demo brands and their staff, and serve.
    Demo,
    /// Check that this binary can serve the console and the storefront: each app's page and
    /// every asset it references are present (embedded in release builds). Exits non-zero
    /// otherwise; needs no configuration.
    CheckWeb,
    /// Staff accounts.
    #[command(subcommand)]
    Staff(StaffCommand),
    /// Rebuild the assistant's product index for one brand.
    Reindex {
        #[arg(long)]
        brand: String,
    },
    /// Bulk imports.
    #[command(subcommand)]
    Import(ImportCommand),
    /// One brand's data as a whole.
    #[command(subcommand)]
    Brand(BrandCommand),
}

#[derive(Debug, Subcommand)]
pub enum BrandCommand {
    /// Write one brand's complete data (every brand-owned table, read through the brand's
    /// transaction, and its files) as a tar archive (README, "Brand export").
    Export {
        /// The brand's slug.
        #[arg(long)]
        brand: String,
        /// The archive to write.
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Remove one brand completely: every row of it in every table, its staff accounts that
    /// work for no other brand, its products in the index and its files; audited (README,
    /// "Brand deletion"). Company owner only: needs the administrative MIGRATION_DATABASE_URL
    /// and the owner's email and password (BRANDHOUSE_OWNER_PASSWORD or standard input).
    Delete {
        /// The brand's slug.
        #[arg(long)]
        brand: String,
        /// The slug again, to confirm; required unless `--dry-run`.
        #[arg(long)]
        confirm: Option<String>,
        /// The company owner's staff email (recorded in the audit trail).
        #[arg(long)]
        owner_email: String,
        /// Print what would be removed (rows per table, staff accounts, files) and change
        /// nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import products from a CSV file into a brand (README, "CSV import"): every row is
    /// validated first; then all of it is applied in one transaction, or none of it. Exits
    /// non-zero when the file has problems.
    Products {
        /// The CSV file.
        file: std::path::PathBuf,
        /// The brand's slug, e.g. fiber-x.
        #[arg(long)]
        brand: String,
        /// Report what would change without writing anything.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Create the company owner's account (the first account of a fresh installation). The
    /// password comes from BRANDHOUSE_OWNER_PASSWORD or, without it, from standard input.
    CreateOwner {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Owner")]
        name: String,
    },
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Openapi = cli.command {
        println!("{}", crate::startup::spec_json()?);
        return Ok(());
    }
    // Before reading the configuration: a probe needs none of it but the port, and must not
    // start telemetry or touch the database.
    if let Command::Healthcheck { url, timeout_secs } = &cli.command {
        return healthcheck(url.as_deref(), *timeout_secs).await;
    }
    if let Command::CheckWeb = cli.command {
        let report = crate::api::web::check_assets().map_err(|e| anyhow::anyhow!("{e}"))?;
        let source = if report.embedded {
            "embedded in this binary"
        } else {
            "read from web/dist at run time (debug build)"
        };
        for (app, assets) in &report.apps {
            println!("/{app}/: index.html and {} assets, {source}", assets.len());
        }
        return Ok(());
    }
    let config = Config::from_env()?;
    let _telemetry = telemetry::init(&config)?;
    match cli.command {
        Command::Openapi | Command::Healthcheck { .. } | Command::CheckWeb => {
            unreachable!("handled above")
        }
        Command::Migrate => {
            let report = migrate::run(&config.db).await?;
            print_migrate_report(&config, &report);
        }
        Command::Serve => serve(config, None).await?,
        Command::Reindex { brand } => {
            // Only what re-indexing uses: the pool (role checked), brand lookups, the index.
            // No listener: this runs beside a serving process.
            let db = Db::connect(&config.db).await?;
            let tenants = TenantResolver::new(db.clone(), config.tenant_cache_ttl);
            let index = crate::search::open_index(&config.search)
                .context("opening the product index (DATA_DIR or QDRANT_URL)")?;
            let service = Chat::new(config.chat.clone(), index, db, tenants.clone())?;
            let scope = tenants
                .scope_for_slug(&brand, Actor::System)
                .await
                .map_err(|e| anyhow::anyhow!("brand {brand:?}: {e}"))?;
            let n = chat::reindex(&service, &scope, None)
                .await
                .map_err(|e| anyhow::anyhow!("re-indexing {brand}: {e}"))?;
            println!("{brand}: {n} products indexed");
        }
        Command::Staff(StaffCommand::CreateOwner { email, name }) => {
            let password = owner_password(&email)?;
            let db = Db::connect(&config.db).await?;
            let id = identity::create_owner(&db, &email, &name, password.into())
                .await
                .map_err(|e| match e {
                    identity::StaffError::Invalid(errors) => anyhow::anyhow!(
                        "{}",
                        errors
                            .iter()
                            .map(|e| format!("{}: {}", e.field, e.message))
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                    other => anyhow::anyhow!("{other}"),
                })?;
            println!("owner account created: {email} ({id})");
        }
        Command::Import(ImportCommand::Products {
            file,
            brand,
            dry_run,
        }) => {
            let valid =
                crate::imports::cli::import_products(&config, &file, &brand, dry_run).await?;
            if !valid {
                anyhow::bail!("the file has problems; nothing was imported");
            }
        }
        Command::Brand(BrandCommand::Export { brand, out }) => {
            export_brand(&config, &brand, &out).await?
        }
        Command::Brand(BrandCommand::Delete {
            brand,
            confirm,
            owner_email,
            dry_run,
        }) => delete_brand(&config, &brand, confirm.as_deref(), &owner_email, dry_run).await?,
        Command::Demo => {
            let report = migrate::run(&config.db).await?;
            print_migrate_report(&config, &report);
            serve(config, Some(Demo)).await?;
        }
    }
    Ok(())
}

/// `brandhouse healthcheck`: GET the readiness URL; any answer but 200 is a failure.
async fn healthcheck(url: Option<&str>, timeout_secs: u64) -> anyhow::Result<()> {
    let url = match url {
        Some(url) => url.to_owned(),
        None => {
            // BIND_ADDR's default port, as `config` has it.
            let port = match std::env::var("BIND_ADDR") {
                Ok(v) if !v.trim().is_empty() => v
                    .trim()
                    .parse::<std::net::SocketAddr>()
                    .context("BIND_ADDR")?
                    .port(),
                _ => 8080,
            };
            format!("http://127.0.0.1:{port}/readyz")
        }
    };
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(timeout_secs.max(1)))
        .build()?;
    let response = client
        .get(&url)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    let status = response.status();
    if status != reqwest::StatusCode::OK {
        anyhow::bail!("GET {url}: {status}");
    }
    println!("{url}: ready");
    Ok(())
}

/// `brandhouse brand export`: the pool (role checked), the brand's scope, its files.
async fn export_brand(config: &Config, brand: &str, out: &std::path::Path) -> anyhow::Result<()> {
    let db = Db::connect(&config.db).await?;
    let tenants = TenantResolver::new(db.clone(), config.tenant_cache_ttl);
    let media = crate::media::MediaStore::from_settings(&config.storage)
        .context("opening object storage (DATA_DIR or S3_*)")?;
    let scope = tenants
        .scope_for_slug(brand, Actor::System)
        .await
        .map_err(|e| anyhow::anyhow!("brand {brand:?}: {e}"))?;
    let file = std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let report =
        crate::tenants::export::export_brand(&db, &media, &scope, std::io::BufWriter::new(file))
            .await?;
    let rows: usize = report.tables.iter().map(|(_, n)| n).sum();
    println!(
        "{brand}: {} tables, {rows} rows, {} files -> {} ({} credential columns left out: {})",
        report.tables.len(),
        report.files.len(),
        out.display(),
        report.left_out.len(),
        report
            .left_out
            .iter()
            .map(|(t, c)| format!("{t}.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

/// The owner's password: BRANDHOUSE_OWNER_PASSWORD, or one line on standard input.
fn owner_password(email: &str) -> anyhow::Result<String> {
    Ok(match std::env::var("BRANDHOUSE_OWNER_PASSWORD") {
        Ok(p) if !p.is_empty() => p,
        _ => {
            eprintln!("password for {email} (one line on standard input):");
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    })
}

/// `brandhouse brand delete`: refuses a confirmation that differs before touching anything,
/// proves the owner on the administrative connection, then deletes (`tenants::delete`).
async fn delete_brand(
    config: &Config,
    brand: &str,
    confirm: Option<&str>,
    owner_email: &str,
    dry_run: bool,
) -> anyhow::Result<()> {
    use crate::tenants::delete::{self, Outcome};
    if !dry_run && confirm != Some(brand) {
        anyhow::bail!(
            "--confirm must repeat the brand's slug ({brand:?}) to delete it; nothing was deleted"
        );
    }
    let mut client = crate::db::connect_once(&config.db.migration)
        .await
        .context("connecting with MIGRATION_DATABASE_URL")?;
    delete::check_admin(&client).await?;
    let password = owner_password(owner_email)?;
    let owner = delete::verify_owner(&client, owner_email, password.into()).await?;
    let media = crate::media::MediaStore::from_settings(&config.storage)
        .context("opening object storage (DATA_DIR or S3_*)")?;
    // The embedded index is locked while a server runs on the same DATA_DIR (see the module).
    let index = match crate::search::open_index(&config.search) {
        Ok(index) => Some(index),
        Err(e) => {
            eprintln!(
                "warning: the product index stays as it is ({e}); its entries of the brand are \
                 unreachable; run this again while the API is stopped to remove them"
            );
            None
        }
    };
    let outcome = delete::delete_brand(
        &mut client,
        &media,
        index.as_deref(),
        &owner,
        brand,
        dry_run,
    )
    .await?;
    let tables = |report: &delete::DeletionReport| {
        for (table, n) in &report.tables {
            println!("  {table:<24} {n}");
        }
    };
    match outcome {
        Outcome::DryRun(report) => {
            println!(
                "dry run: deleting {brand} ({}) would remove {} rows, {} staff accounts, {} files:",
                report.brand.id,
                report.rows(),
                report.staff_accounts,
                report.files
            );
            tables(&report);
        }
        Outcome::Deleted(report) => {
            println!(
                "{brand} ({}) deleted by {}: {} rows, {} staff accounts, {} files:",
                report.brand.id,
                owner.email,
                report.rows(),
                report.staff_accounts,
                report.files
            );
            tables(&report);
        }
        Outcome::Finished { brand: gone, files } if dry_run => println!(
            "dry run: {brand} ({}) is already deleted; {files} files are left to remove",
            gone.id
        ),
        Outcome::Finished { brand: gone, files } => println!(
            "{brand} ({}) was already deleted; {files} remaining files removed",
            gone.id
        ),
    }
    Ok(())
}

struct Demo;

fn print_migrate_report(config: &Config, report: &migrate::MigrateReport) {
    if report.created_database {
        eprintln!("created database {:?}", config.db.migration.dbname);
    }
    if report.applied.is_empty() {
        eprintln!("migrations: up to date");
    } else {
        eprintln!("migrations applied: {}", report.applied.join(", "));
    }
    eprintln!("policies applied: {} file(s)", report.policy_files);
    for role in &report.passwords_set {
        eprintln!("password set for role {role} (from its URL)");
    }
}

async fn serve(config: Config, demo: Option<Demo>) -> anyhow::Result<()> {
    let app = Application::build(config.clone())
        .await
        .context("starting the API")?;
    if demo.is_some() {
        let state = app.state();
        let seeded = seed::demo(&state.db, &state.tenants)
            .await
            .map_err(|e| anyhow::anyhow!("seeding the demo brands: {e:?}"))?;
        let brands = seeded.brands;
        if seeded.products_created > 0 {
            eprintln!("demo catalog: {} products created", seeded.products_created);
        }
        seed::demo_staff(&state.db, &state.tenants)
            .await
            .map_err(|e| anyhow::anyhow!("seeding the demo staff: {e:?}"))?;
        let orders = seed::demo_trade(&state.db, &state.tenants)
            .await
            .map_err(|e| anyhow::anyhow!("seeding the demo zones, stock and orders: {e:?}"))?;
        if orders > 0 {
            eprintln!("demo trade: stock in zones BER and RTM, {orders} orders in every state");
        }
        for slug in &brands {
            let scope = state
                .tenants
                .scope_for_slug(slug, Actor::System)
                .await
                .map_err(|e| anyhow::anyhow!("{slug}: {e}"))?;
            chat::reindex(&state.chat, &scope, None)
                .await
                .map_err(|e| anyhow::anyhow!("indexing {slug}: {e}"))?;
        }
        let base = format!("http://{}:{}", config.bind_addr.ip(), app.port());
        println!();
        println!("brandhouse demo is serving on {base}");
        println!("  brands: {}", brands.join(", "));
        println!("  API docs:   {base}/docs   (spec: {base}/openapi.json)");
        println!("  try:        curl -H 'X-Tenant-ID: fiber-x' {base}/v1/storefront/theme");
        println!("              curl -H 'X-Tenant-ID: suzume' {base}/v1/storefront/categories");
        println!(
            "              curl -H 'X-Tenant-ID: showstopper' '{base}/v1/storefront/products?limit=5&q=ceramic'"
        );
        println!("              curl -H 'Host: showstopper.localhost' {base}/v1/storefront/theme");
        let (owner, _, owner_password) = seed::DEMO_OWNER;
        println!("  staff (demo passwords):");
        println!("    owner          {owner:<24} {owner_password}");
        for (email, _, role, password) in seed::DEMO_STAFF {
            println!(
                "    {:<14} {email:<24} {password}   (Fiber X)",
                role.as_str()
            );
        }
        println!(
            "  sign in:    curl -X POST -H 'content-type: application/json' \\\n              -d '{{\"email\":\"{owner}\",\"password\":\"{owner_password}\"}}' {base}/v1/auth/login"
        );
        println!(
            "  then:       curl -H 'Authorization: Bearer <token>' -H 'X-Tenant-ID: fiber-x' {base}/v1/admin/staff"
        );
        println!("  stop with Ctrl-C");
        println!();
    }
    tracing::info!(port = app.port(), "serving");
    app.run_until_stopped(shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}
