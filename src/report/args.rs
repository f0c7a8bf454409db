//! The options of `profile report` on the command line.

use std::path::PathBuf;

/// `profile report`'s options (flattened into the command line by `main.rs`).
#[derive(Debug, Clone, clap::Args)]
pub struct ReportArgs {
    /// A capture (pcap or pcapng from Wireshark, dumpcap, tshark or tcpdump) or a HAR file
    /// (from `profile serve --har` or a browser's developer tools)
    #[arg(value_name = "INPUT")]
    pub input: PathBuf,
    /// The HTML report to write [default: report.html beside INPUT]
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The report's language: zh-CN or en [default: the site's `lang` when run in a site,
    /// else en]
    #[arg(long, value_name = "LANG")]
    pub lang: Option<String>,
    /// Only the TCP streams to or from this server port [default: every stream that looks
    /// like HTTP]
    #[arg(long, value_name = "N")]
    pub port: Option<u16>,
    /// Also write the sequence diagram and the waterfall as DIR/sequence.svg and
    /// DIR/waterfall.svg
    #[arg(long, value_name = "DIR")]
    pub svg: Option<PathBuf>,
    /// Also write the sequence diagram as Mermaid text beside the report (report.mmd), for a
    /// Markdown report
    #[arg(long)]
    pub mermaid: bool,
    /// Also write the analysis as JSON to FILE (connections and exchanges; the schema is in
    /// the README)
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}
