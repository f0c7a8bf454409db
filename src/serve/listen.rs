//! Binding the server's port, and saying what to do when that fails on each system.
//!
//! The default port stays 5000, the lab's, though two systems often refuse it: Windows reserves
//! port ranges for Hyper-V, WSL and Docker (binding one fails with error 10013, "access denied"),
//! and macOS Monterey and later run AirPlay Receiver on port 5000 (Flask's documentation warns of
//! both). [`explain`] is pure, so each system's advice is tested on every system.

use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, ToSocketAddrs};

use crate::error::{describe_io, Error, Result};

/// The systems whose advice differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum System {
    /// Windows: reserved port ranges, error 10013.
    Windows,
    /// macOS: AirPlay Receiver on port 5000.
    MacOs,
    /// Linux and the rest: ports below 1024 need root.
    Unix,
}

impl System {
    /// The system this program runs on.
    pub fn current() -> System {
        if cfg!(windows) {
            System::Windows
        } else if cfg!(target_os = "macos") {
            System::MacOs
        } else {
            System::Unix
        }
    }
}

/// Binds `host:port`, with a message that says what to do when that fails.
pub fn bind(host: &str, port: u16) -> Result<TcpListener> {
    let ip = host.parse::<IpAddr>();
    let shown = match ip {
        Ok(IpAddr::V6(ip)) => format!("[{ip}]:{port}"),
        _ => format!("{host}:{port}"),
    };
    let addrs: Vec<SocketAddr> = match ip {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => (host, port)
            .to_socket_addrs()
            .map(Iterator::collect)
            .unwrap_or_default(),
    };
    if addrs.is_empty() {
        return Err(Error::new(format!(
            "cannot listen on {shown}: `{host}` is not an IP address or a known host name"
        ))
        .hint("use --host 127.0.0.1, or --host 0.0.0.0 to serve your network"));
    }
    let mut last = None;
    for addr in &addrs {
        match TcpListener::bind(addr) {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some(e),
        }
    }
    let err = last.unwrap_or_else(|| std::io::Error::other("no address"));
    Err(explain(&err, &shown, port, System::current()))
}

/// The error for a failed bind of `shown` (`host:port`) on `system`: what happened and what to do.
pub fn explain(err: &std::io::Error, shown: &str, port: u16, system: System) -> Error {
    let other_port = if port == 8000 { 8080 } else { 8000 };
    let (why, hint) = match (err.kind(), system) {
        (ErrorKind::AddrInUse, System::MacOs) if port == 5000 => (
            "the address is already in use".to_string(),
            format!(
                "on macOS, AirPlay Receiver listens on port 5000: turn it off in System Settings › \
                 General › AirDrop & Handoff, or use --port {other_port}"
            ),
        ),
        (ErrorKind::AddrInUse, _) => (
            "the address is already in use".to_string(),
            format!("another server is running there; stop it or use --port {other_port}"),
        ),
        // WSAEACCES (10013): the port is in a range Windows keeps for Hyper-V, WSL or Docker,
        // or a firewall forbids it; administrator rights do not help with the first.
        (ErrorKind::PermissionDenied, System::Windows) => (
            "Windows refused the port (error 10013)".to_string(),
            format!(
                "it is probably reserved by Hyper-V, WSL or Docker; see the reserved ranges with \
                 `netsh interface ipv4 show excludedportrange protocol=tcp` and pick a port \
                 outside them, e.g. --port {other_port}"
            ),
        ),
        (ErrorKind::PermissionDenied, _) => (
            "permission denied".to_string(),
            "ports below 1024 need administrator rights; use --port 5000".to_string(),
        ),
        (ErrorKind::AddrNotAvailable, _) => (
            "no network interface has this address".to_string(),
            "use --host 127.0.0.1, or --host 0.0.0.0 to serve your network".to_string(),
        ),
        _ => (describe_io(err), format!("try --port {other_port}")),
    };
    Error::new(format!("cannot listen on {shown}: {why}")).hint(hint)
}

/// The URLs a person can open: the loopback one, and for a wildcard host one per network
/// address of this machine.
pub fn local_urls(addr: SocketAddr) -> Vec<String> {
    let url = |ip: IpAddr| match ip {
        IpAddr::V6(ip) => format!("http://[{ip}]:{}/", addr.port()),
        IpAddr::V4(ip) => format!("http://{ip}:{}/", addr.port()),
    };
    if !addr.ip().is_unspecified() {
        return vec![url(addr.ip())];
    }
    let mut urls = vec![url(IpAddr::V4(Ipv4Addr::LOCALHOST))];
    if let Ok(interfaces) = if_addrs::get_if_addrs() {
        let mut ips: Vec<IpAddr> = interfaces
            .iter()
            .map(|i| i.ip())
            .filter(|ip| !ip.is_loopback() && (ip.is_ipv4() || addr.is_ipv6()))
            .filter(|ip| !matches!(ip, IpAddr::V6(v6) if (v6.segments()[0] & 0xffc0) == 0xfe80))
            .collect();
        ips.sort();
        ips.dedup();
        urls.extend(ips.into_iter().map(url));
    }
    urls
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(kind: ErrorKind, port: u16, system: System) -> String {
        let shown = format!("127.0.0.1:{port}");
        explain(&kind.into(), &shown, port, system).to_string()
    }

    #[test]
    fn windows_reserved_ports_point_to_netsh_and_another_port() {
        // std maps WSAEACCES (10013) to PermissionDenied.
        let text = message(ErrorKind::PermissionDenied, 5000, System::Windows);
        assert!(text.contains("cannot listen on 127.0.0.1:5000"), "{text}");
        assert!(text.contains("10013"), "{text}");
        assert!(
            text.contains("netsh interface ipv4 show excludedportrange protocol=tcp"),
            "{text}"
        );
        assert!(text.contains("--port 8000"), "{text}");
        assert!(!text.contains("administrator"), "{text}");
    }

    #[test]
    fn macos_port_5000_names_airplay() {
        let text = message(ErrorKind::AddrInUse, 5000, System::MacOs);
        assert!(text.contains("AirPlay Receiver"), "{text}");
        assert!(text.contains("--port 8000"), "{text}");
        // Another port in use on macOS is just in use.
        let text = message(ErrorKind::AddrInUse, 8000, System::MacOs);
        assert!(!text.contains("AirPlay"), "{text}");
        assert!(text.contains("--port 8080"), "{text}");
    }

    #[test]
    fn in_use_elsewhere_says_stop_it_or_pick_another_port() {
        for system in [System::Windows, System::Unix] {
            let text = message(ErrorKind::AddrInUse, 5000, system);
            assert!(text.contains("already in use"), "{text}");
            assert!(!text.contains("AirPlay"), "{text}");
            assert!(text.contains("--port 8000"), "{text}");
        }
    }

    #[test]
    fn low_ports_on_unix_need_root() {
        let text = message(ErrorKind::PermissionDenied, 80, System::Unix);
        assert!(text.contains("below 1024"), "{text}");
    }

    #[test]
    fn every_message_is_one_line() {
        for kind in [
            ErrorKind::AddrInUse,
            ErrorKind::PermissionDenied,
            ErrorKind::AddrNotAvailable,
            ErrorKind::Other,
        ] {
            for system in [System::Windows, System::MacOs, System::Unix] {
                let text = message(kind, 5000, system);
                assert!(!text.contains('\n'), "{text}");
            }
        }
    }
}
