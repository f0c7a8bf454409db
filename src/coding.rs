//! Content codings (RFC 9110 §8.4.1) that static hosts serve precompressed files in: their
//! tokens, file suffixes and MIME types. A leaf: it imports nothing of profile, so that both
//! the output model and the pure HTTP layer can name a coding without depending on each other.

/// A content coding that static hosts serve precompressed files in (RFC 9110 §8.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Brotli (`br`, RFC 7932): the smaller of the two for text.
    Brotli,
    /// gzip (RFC 1952): understood by every client.
    Gzip,
}

impl Encoding {
    /// Both, best first.
    pub const ALL: [Encoding; 2] = [Encoding::Brotli, Encoding::Gzip];

    /// The `Content-Encoding` token.
    pub fn token(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Gzip => "gzip",
        }
    }

    /// The file name suffix nginx's `gzip_static` and `brotli_static` look for.
    pub fn suffix(self) -> &'static str {
        match self {
            Encoding::Brotli => ".br",
            Encoding::Gzip => ".gz",
        }
    }

    /// The MIME type of the compressed file when asked for by its own name.
    pub fn mime(self) -> &'static str {
        match self {
            Encoding::Brotli => "application/x-br",
            Encoding::Gzip => "application/gzip",
        }
    }
}
