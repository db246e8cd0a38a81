use clap::Parser;
use gatehouse::cli::{Cli, Command, run};
use gatehouse::config::Settings;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let mut settings = match Settings::load(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("gatehouse: cannot load configuration: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let level = match cli.command {
        Command::Serve => settings.log.level.clone(),
        _ => gatehouse::telemetry::cli_level(&settings.log.level),
    };
    let format = gatehouse::telemetry::init(&settings.log.format, &level);
    settings.log.format = format.as_str().to_owned();
    match run(cli, settings).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gatehouse: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
