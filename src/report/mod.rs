//! `profile report`: a Wireshark capture (pcap, pcapng) or a HAR turned into the lab report's
//! analysis of the HTTP exchange: connections, handshakes, requests, responses and teardowns,
//! explained with the RFC sections behind them.
//!
//! Reading produces a [`model::Analysis`]; the renderers turn it into HTML, SVG, Mermaid or
//! JSON without touching the disk.

pub mod args;
pub mod capture;
pub mod escape;
pub mod explain;
pub mod har;
pub mod html;
pub mod http1;
pub mod json;
pub mod labels;
pub mod mermaid;
pub mod model;
#[cfg(test)]
mod sample;
pub mod sniff;
pub mod svg;
pub mod tcp;
#[cfg(test)]
mod testcap;

use std::fs::File;
use std::io::{BufReader, IsTerminal, Read, Seek};
use std::path::{Path, PathBuf};

use crate::config::Lang;
use crate::{Error, Result};

use args::ReportArgs;
use model::Analysis;

/// Runs `profile report`: reads the input, writes the report and the outputs asked for, and
/// returns the line to print.
pub fn run(args: &ReportArgs) -> Result<String> {
    let lang = match &args.lang {
        Some(tag) => Lang::parse(tag).ok_or_else(|| {
            Error::new(format!("unknown report language {tag:?}")).hint("use zh-CN or en")
        })?,
        None => site_lang().unwrap_or(Lang::En),
    };
    let input = &args.input;
    let analysis = read(input, args.port)?;
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| crate::text::parent_dir(input).join("report.html"));
    let name = input
        .file_name()
        .unwrap_or(input.as_os_str())
        .to_string_lossy();
    write(&output, html::render(&analysis, lang, &name).as_bytes())?;
    let mut also = Vec::new();
    if let Some(json) = &args.json {
        write(json, json::to_json(&analysis).as_bytes())?;
        also.push(json.clone());
    }
    if args.mermaid {
        let mmd = output.with_extension("mmd");
        write(&mmd, mermaid::sequence(&analysis, lang).as_bytes())?;
        also.push(mmd);
    }
    if let Some(dir) = &args.svg {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, &e))?;
        for (file, svg) in [
            ("sequence.svg", svg::sequence(&analysis, lang)),
            ("waterfall.svg", svg::waterfall(&analysis, lang)),
        ] {
            let path = dir.join(file);
            write(&path, svg.as_bytes())?;
            also.push(path);
        }
    }
    Ok(summary(&analysis, &output, &also))
}

/// Reads a capture or a HAR into an [`Analysis`], telling the two apart by their bytes.
pub fn read(input: &Path, port: Option<u16>) -> Result<Analysis> {
    let mut file = File::open(input).map_err(|e| Error::io(input, &e))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut head = Vec::new();
    (&file)
        .take(sniff::SNIFF_LEN as u64)
        .read_to_end(&mut head)
        .and_then(|_| file.rewind())
        .map_err(|e| Error::io(input, &e))?;
    let format = sniff::recognise(&head).map_err(|looks_like| {
        Error::in_file(
            input,
            format!("not a capture or a HAR file: it looks like {looks_like}"),
        )
        .hint(
            "give a .pcap or .pcapng file saved by Wireshark, tshark or tcpdump, or a .har \
             file saved by the browser's developer tools or `profile serve --har`",
        )
    })?;
    match format {
        sniff::Format::Har => {
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes)
                .map_err(|e| Error::io(input, &e))?;
            let text = crate::text::decode(input, &bytes)?;
            har::analyse(&text).map_err(|e| Error::in_file(input, format!("not a valid HAR: {e}")))
        }
        sniff::Format::Pcap | sniff::Format::PcapNg => {
            let bar = progress_bar(size);
            let mut progress = |read: u64| bar.set_position(read);
            let options = capture::CaptureOptions { port };
            let analysis = capture::analyse(BufReader::new(file), &options, &mut progress)
                .map_err(|e| Error::in_file(input, format!("cannot read the capture: {e}")));
            bar.finish_and_clear();
            analysis
        }
    }
}

/// A progress bar over `size` bytes on standard error when it is a terminal; a hidden one
/// otherwise, so that a script or a test sees nothing but the result.
fn progress_bar(size: u64) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(size);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{wide_bar} {bytes}/{total_bytes} {bytes_per_sec} {eta}",
    ) {
        bar.set_style(style);
    }
    bar
}

/// The language of the site in the current directory (its default language's labels), when
/// there is one.
fn site_lang() -> Option<Lang> {
    let here = Path::new(".");
    here.join(crate::config::CONFIG_FILE)
        .is_file()
        .then(|| crate::config::load(here).ok())
        .flatten()
        .map(|config| config.lang.labels)
}

/// Writes one output file whole or not at all.
fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::fs_retry::replace_file(path, bytes)
        .map_err(|e| Error::io(path, &e).hint("check the output path"))
}

/// The line `profile report` prints: what was written and what it holds.
fn summary(analysis: &Analysis, output: &Path, also: &[PathBuf]) -> String {
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let (connections, exchanges) = (analysis.connections.len(), analysis.exchanges.len());
    let mut line = format!(
        "Wrote {}: {connections} TCP connection{}, {exchanges} HTTP exchange{}",
        output.display(),
        plural(connections),
        plural(exchanges),
    );
    let warnings = analysis.warnings.len();
    if warnings > 0 {
        line.push_str(&format!(
            ", {warnings} warning{} (see the report)",
            plural(warnings)
        ));
    }
    for path in also {
        line.push_str(&format!("; {}", path.display()));
    }
    line
}
