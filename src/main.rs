use clap::Parser;
use gatehouse::cli::{Cli, run};
use gatehouse::config::Settings;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("gatehouse: cannot load configuration: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    gatehouse::telemetry::init(&settings.log.format, &settings.log.level);
    match run(cli, settings).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gatehouse: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
