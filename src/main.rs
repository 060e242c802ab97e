//! The `brandhouse` binary: parse the command line and dispatch.

use clap::Parser as _;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Several crates bring TLS backends; rustls then cannot choose a default crypto provider
    // and would panic at the first HTTPS call (Graph API, LLM, S3). Choose one, once.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let cli = brandhouse::cli::Cli::parse();
    match brandhouse::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
