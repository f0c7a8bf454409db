//! The options of `profile serve` on the command line, and the [`ServeConfig`] they make.

use std::path::PathBuf;

use super::{log, trace, ServeConfig};

/// `profile serve`'s options (flattened into the command line by `main.rs`).
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// The site's directory, holding site.toml
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub root: PathBuf,
    /// Where the build is also written [default: DIR/dist]
    #[arg(long, short, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The address to listen on; 0.0.0.0 serves every device on your network
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub host: String,
    /// The port to listen on; 0 takes a free one
    #[arg(long, short, value_name = "N", default_value_t = 5000)]
    pub port: u16,
    /// Open the page in the default browser
    #[arg(long)]
    pub open: bool,
    /// No access log
    #[arg(long, short)]
    pub quiet: bool,
    /// Send pages exactly as dist/ holds them, without the live-reload script (sources are
    /// still watched and rebuilt; reload the page yourself)
    #[arg(long)]
    pub no_reload: bool,
    /// Print every exchange: connection, request line and headers, status line and headers
    /// as sent, body size and timings
    #[arg(long)]
    pub trace: bool,
    /// Record every exchange in FILE as HAR 1.2 (devtools and other HTTP tools read it)
    #[arg(long, value_name = "FILE")]
    pub har: Option<PathBuf>,
    /// Show Cookie and Authorization values in the trace and HAR instead of masking them
    #[arg(long)]
    pub trace_secrets: bool,
    /// Also trace the server's own live-reload requests
    #[arg(long)]
    pub trace_internal: bool,
}

impl ServeArgs {
    /// The server's settings: [`ServeConfig::new`]'s defaults with these options applied.
    pub fn config(&self) -> ServeConfig {
        let mut config = ServeConfig::new(&self.root);
        if let Some(out) = &self.out {
            config.out = out.clone();
        }
        config.host = self.host.clone();
        config.port = self.port;
        config.quiet = self.quiet;
        config.live_reload = !self.no_reload;
        config.trace = trace::TraceOptions {
            print: self.trace,
            secrets: self.trace_secrets,
            internal: self.trace_internal,
            har: self.har.clone(),
            colour: log::use_colour(std::io::IsTerminal::is_terminal(&std::io::stdout())),
        };
        config
    }
}
