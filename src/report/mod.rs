//! `profile report`: a Wireshark capture (pcap, pcapng) or a HAR turned into the lab report's
//! analysis of the HTTP exchange: connections, handshakes, requests, responses and teardowns,
//! explained with the RFC sections behind them.
//!
//! Reading produces a [`model::Analysis`]; the renderers turn it into HTML, SVG, Mermaid or
//! JSON without touching the disk.

pub mod escape;
pub mod explain;
pub mod har;
pub mod html;
pub mod json;
pub mod labels;
pub mod mermaid;
pub mod model;
#[cfg(test)]
mod sample;
pub mod svg;
