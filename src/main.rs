//! The `profile` command line: parse arguments, call the library, print one line, exit.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

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
    /// Build, then pack dist/ into one reproducible archive and print its size and SHA-256
    Bundle {
        /// The site's directory, holding site.toml
        #[arg(long, value_name = "DIR", default_value = ".")]
        root: PathBuf,
        /// Where the build is written first [default: DIR/dist]
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// The kind of archive [default: from the -o name, else zip]
        #[arg(long, value_enum, value_name = "FORMAT")]
        format: Option<ArchiveFormat>,
        /// The archive to write [default: DIR/dist.zip or DIR/dist.tar.gz]
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Replace FILE even if it is not an archive made by profile bundle
        #[arg(long)]
        force: bool,
        /// Print nothing on success
        #[arg(long, short)]
        quiet: bool,
    },
    /// Build, then serve the site on http://127.0.0.1:5000/ with an access log
    Serve {
        #[command(flatten)]
        args: profile::serve::args::ServeArgs,
    },
    /// Explain the HTTP in a Wireshark capture (pcap, pcapng) or a HAR file: one HTML report
    /// with the connections, a sequence diagram, a waterfall, each exchange and the lab's
    /// questions answered
    Report {
        #[command(flatten)]
        args: profile::report::args::ReportArgs,
    },
    /// Check site.toml, content, theme and media without writing anything
    Check {
        /// The site's directory, holding site.toml
        #[arg(long, value_name = "DIR", default_value = ".")]
        root: PathBuf,
    },
    /// Create a new site in DIR (which must be new or empty) that builds at once
    ///
    /// On a terminal, without any of the options below but --theme, it asks for your language,
    /// name, student ID, major, school, photo and recording (Enter keeps the value shown).
    /// With any of them, or when input is not a terminal, it asks nothing: what is not given
    /// is the sample's.
    Init {
        /// The directory to create
        dir: PathBuf,
        /// Also copy the built-in templates and stylesheet into DIR/theme/ for editing
        #[arg(long)]
        theme: bool,
        #[command(flatten)]
        about_you: profile::init::Flags,
    },
}

/// The archive formats `bundle` writes, as spelled on the command line.
#[derive(Clone, Copy, ValueEnum)]
enum ArchiveFormat {
    /// A zip archive (what Netlify Drop and most upload forms take)
    Zip,
    /// A gzip-compressed tar archive (for `tar xzf` on a server)
    #[value(name = "tar.gz", alias = "tgz")]
    TarGz,
}

impl From<ArchiveFormat> for profile::bundle::Format {
    fn from(format: ArchiveFormat) -> Self {
        match format {
            ArchiveFormat::Zip => profile::bundle::Format::Zip,
            ArchiveFormat::TarGz => profile::bundle::Format::TarGz,
        }
    }
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
        Command::Bundle {
            root,
            out,
            format,
            output,
            force,
            quiet,
        } => {
            let out = out.unwrap_or_else(|| profile::text::display_path(&root, "dist".as_ref()));
            let format = profile::bundle::infer_format(output.as_deref(), format.map(Into::into))?;
            let file = output.unwrap_or_else(|| {
                let name = format!("dist.{}", format.extension());
                profile::text::display_path(&root, name.as_ref())
            });
            let report = profile::bundle::bundle(&root, &out, &file, format, force)?;
            if !quiet {
                println!("{report}");
            }
        }
        Command::Serve { args } => serve(&args.config(), args.open)?,
        Command::Report { args } => println!("{}", profile::report::run(&args)?),
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
        Command::Init {
            dir,
            theme,
            about_you,
        } => {
            println!("{}", profile::init::run(&dir, &about_you, theme)?);
        }
    }
    Ok(())
}

fn serve(config: &profile::serve::ServeConfig, open: bool) -> profile::Result<()> {
    // Installed before anything is printed, so that a Ctrl-C after "Press Ctrl-C" always lands
    // here. Ending the process at once is safe: a response cut short shows as one to the client
    // (fewer bytes than its Content-Length), and dist/ is only ever replaced by a rename (a
    // staging directory left behind is removed by the next build).
    let _ = ctrlc::set_handler(|| {
        println!("\nStopped.");
        std::process::exit(0);
    });
    let server = profile::serve::start(config)?;
    let addr = server.addr();
    println!("{}", server.report);
    if addr.ip().is_unspecified() {
        println!(
            "Warning: serving every device on your network (--host {}); anyone there can open this page.",
            config.host
        );
    }
    let urls = profile::serve::listen::local_urls(addr);
    for url in &urls {
        println!(" * Running on {url}");
    }
    println!("Press Ctrl-C to stop.");
    if open {
        if let Err(e) = opener::open_browser(&urls[0]) {
            eprintln!(
                "warning: could not open a browser ({e}); open {} yourself",
                urls[0]
            );
        }
    }
    server.wait();
    Ok(())
}
