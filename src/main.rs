//! The `profile` command line: parse arguments, call the library, print one line, exit.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Build a personal profile page (name, student ID, major, logo and a spoken
/// self-introduction) from site.toml and Markdown, and serve it.
#[derive(Parser)]
#[command(name = "profile", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the site into dist/ (replaced atomically; never a directory profile did not create)
    Build {
        /// The site's directory, holding site.toml
        #[arg(long, value_name = "DIR", default_value = ".")]
        root: PathBuf,
        /// Where to write the site [default: DIR/dist]
        #[arg(long, short, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Print nothing on success
        #[arg(long, short)]
        quiet: bool,
    },
    /// Check site.toml, content, theme and media without writing anything
    Check {
        /// The site's directory, holding site.toml
        #[arg(long, value_name = "DIR", default_value = ".")]
        root: PathBuf,
    },
    /// Create a new site in DIR (which must be new or empty) that builds at once
    Init {
        /// The directory to create
        dir: PathBuf,
        /// Also copy the built-in templates and stylesheet into DIR/theme/ for editing
        #[arg(long)]
        theme: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> profile::Result<()> {
    match command {
        Command::Build { root, out, quiet } => {
            let out = out.unwrap_or_else(|| profile::text::display_path(&root, "dist".as_ref()));
            let report = profile::build(&root, &out)?;
            if !quiet {
                println!("{report}");
            }
        }
        Command::Check { root } => {
            let (site, output) = profile::check(&root)?;
            let pages = output.page_count();
            println!(
                "OK: {} ({pages} pages, {} assets) has no errors",
                profile::text::display_path(&site.root, profile::config::CONFIG_FILE.as_ref())
                    .display(),
                output.len() - pages,
            );
        }
        Command::Init { dir, theme } => {
            profile::init::init(&dir, theme)?;
            println!(
                "Created a new site in {0}. Edit {0}/site.toml, then run: profile build --root {0}",
                dir.display()
            );
        }
    }
    Ok(())
}
