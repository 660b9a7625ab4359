use server::config::{Config, Invocation, Parsed};
use std::process::ExitCode;

// Leptos makes many small allocations per page; mimalloc serves them much faster than glibc's
// malloc (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    // Read first, acted on after the log is set up from it (building the config may log).
    let arguments = match Config::from_args(std::env::args_os()) {
        Ok(Parsed::Help(text)) => {
            print!("{text}");
            return ExitCode::SUCCESS;
        }
        Ok(Parsed::Arguments(arguments)) => arguments,
        Err(message) => {
            eprintln!("rest-auth: {message}");
            return ExitCode::FAILURE;
        }
    };
    let _log = match server::logging::init(&arguments.log()) {
        Ok(guard) => guard,
        Err(message) => {
            eprintln!("rest-auth: {message}");
            return ExitCode::FAILURE;
        }
    };

    let result = match arguments.into_invocation() {
        Ok(Invocation::Run(config)) => server::run(*config, shutdown_signal())
            .await
            .map_err(|e| e.to_string()),
        Ok(Invocation::ResetTwoStep { config, username }) => {
            match server::reset_two_step(&config, &username).await {
                Ok(outcome) => {
                    println!("{outcome}");
                    Ok(())
                }
                Err(e) => Err(e.to_string()),
            }
        }
        Ok(Invocation::Provider { config, task }) => {
            server::provider_task(&config, task).await.map(|outcome| {
                println!("{outcome}");
            })
        }
        Err(e) => Err(e.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("rest-auth: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Ctrl-C or SIGTERM: stop accepting connections and let in-flight requests finish.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
