//! profile's integration tests, as one test program: each file here is a module named after what
//! it tests, and `common/` holds the helpers they share. One program links the crate and the
//! test dependencies (headless_chrome, proptest) once instead of once per file, which is most
//! of a cold `cargo test`'s time (the layout of ripgrep's tests/). Run one file's tests with a
//! module-path filter: `cargo test --test it serve_http::`.

mod common;

mod browser;
mod build;
mod bundle;
mod ci_workflow;
mod cli;
mod content;
mod errors;
mod faults;
mod fuzz_regressions;
mod host_files;
mod hostile_http;
mod init;
mod languages;
mod live_reload;
mod media;
mod media_browser;
mod output_dir;
mod pages_workflow;
mod properties;
mod release_workflow;
mod report;
mod serve_cli;
mod serve_http;
mod speech;
mod static_hosts;
mod strip_audio;
mod strip_images;
mod trace_har;
mod windows_inputs;
