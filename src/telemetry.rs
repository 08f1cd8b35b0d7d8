//! Structured logs with `tracing`. `RUST_LOG` is honoured (default `info`); `PQRS_LOG_FORMAT` is
//! not a setting: use `RUST_LOG` for levels and `--log-json` on the CLI for JSON lines.

use tracing_subscriber::{fmt, EnvFilter};

/// Install the global subscriber once. Logs go to stderr so stdout stays for command output.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false);
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}
