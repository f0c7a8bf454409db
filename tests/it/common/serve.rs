//! A `profile serve` running in the test process on a scratch site.

use std::net::SocketAddr;
use std::path::PathBuf;

use profile::serve::{self, RunningServer, ServeConfig};

use super::http::{self, Response};
use super::Site;

/// A running server on a scratch site (127.0.0.1, a free port, no access log), stopped when
/// dropped. Test modules add their own helpers in `impl Served` blocks of their own, under names
/// no other module uses: all the blocks are one type's methods in one test program.
pub struct Served {
    /// The site being served.
    pub site: Site,
    /// `None` once stopped.
    pub server: Option<RunningServer>,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl Served {
    /// Serves `site` with the defaults of `profile serve`.
    pub fn start(site: Site) -> Served {
        Served::start_with(site, |_| {})
    }

    /// Serves `site`, with `adjust` changing the configuration first.
    pub fn start_with(site: Site, adjust: impl FnOnce(&mut ServeConfig)) -> Served {
        let mut config = ServeConfig::new(site.root());
        config.host = "127.0.0.1".into();
        config.port = 0;
        config.quiet = true;
        adjust(&mut config);
        let server = serve::start(&config).unwrap_or_else(|e| panic!("serve::start: {e}"));
        let addr = server.addr();
        assert!(addr.ip().is_loopback(), "{addr}");
        assert_ne!(addr.port(), 0);
        Served {
            site,
            server: Some(server),
            addr,
        }
    }

    /// The site's output directory.
    pub fn dist(&self) -> PathBuf {
        self.site.dist()
    }

    /// `GET target` on a connection of its own.
    pub fn get(&self, target: &str) -> Response {
        http::get(self.addr, target)
    }

    /// `GET target` with extra request headers, on a connection of its own.
    pub fn get_with(&self, target: &str, headers: &[(&str, &str)]) -> Response {
        http::get_with(self.addr, target, headers)
    }

    /// Stops the server but keeps the site's directory (removing it would wake the watcher).
    pub fn stop_server(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop();
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.stop_server();
        // notify closes its directory handles on a thread of its own after the watcher is
        // dropped, and Wine, unlike Windows, cannot delete a folder while a handle holds it
        // (no POSIX delete semantics): std's remove_dir_all then spins for ever. Under Wine the
        // served site's temporary folder is left in the Wine prefix instead.
        if super::under_wine() {
            self.site.leave_on_disk();
        }
    }
}
