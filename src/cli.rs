//! The command line: `serve`, `migrate`, `openapi`, `demo`.

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use crate::{
    config::Config,
    migrate, seed,
    startup::{Application, shutdown_signal},
    telemetry,
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
    /// Migrate, seed the three demo brands, and serve.
    Demo,
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Openapi = cli.command {
        println!("{}", crate::api::spec_json());
        return Ok(());
    }
    let config = Config::from_env()?;
    let _telemetry = telemetry::init(&config)?;
    match cli.command {
        Command::Openapi => unreachable!("handled above"),
        Command::Migrate => {
            let report = migrate::run(&config.db).await?;
            print_migrate_report(&config, &report);
        }
        Command::Serve => serve(config, None).await?,
        Command::Demo => {
            let report = migrate::run(&config.db).await?;
            print_migrate_report(&config, &report);
            serve(config, Some(Demo)).await?;
        }
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
}

async fn serve(config: Config, demo: Option<Demo>) -> anyhow::Result<()> {
    let app = Application::build(config.clone())
        .await
        .context("starting the API")?;
    if demo.is_some() {
        let state = app.state();
        let brands = seed::demo(&state.db, &state.tenants)
            .await
            .map_err(|e| anyhow::anyhow!("seeding the demo brands: {e:?}"))?;
        let base = format!("http://{}:{}", config.bind_addr.ip(), app.port());
        println!();
        println!("brandhouse demo is serving on {base}");
        println!("  brands: {}", brands.join(", "));
        println!("  API docs:   {base}/docs   (spec: {base}/openapi.json)");
        println!("  try:        curl -H 'X-Tenant-ID: fiber-x' {base}/v1/storefront/theme");
        println!("              curl -H 'X-Tenant-ID: suzume' {base}/v1/storefront/categories");
        println!("              curl -H 'Host: showstopper.localhost' {base}/v1/storefront/theme");
        println!("  stop with Ctrl-C");
        println!();
    }
    tracing::info!(port = app.port(), "serving");
    app.run_until_stopped(shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}
