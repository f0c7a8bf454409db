//! Removing what a file says about its owner (location, camera, names, software, dates) before
//! it is published. Pure: bytes in, bytes out; no file system.
pub mod audio;
pub mod image;
pub mod svg;

/// Bumped whenever stripping the same file would give other bytes: part of the published
/// files' hashes, so that browsers and hosts do not keep an older copy.
pub const VERSION: u32 = 1;

/// What kinds of private metadata a file carried.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    /// A GPS position (EXIF GPS IFD, XMP `exif:GPS*`, ...).
    pub location: bool,
    /// Camera or device make and model, lens, serial number.
    pub camera: bool,
    /// Anything else removed: owner, artist, copyright, software, dates, comments, thumbnails.
    pub other: bool,
}

impl Found {
    /// As text for a cache: `l`, `c` and `o` for each kind found (empty for none).
    pub fn to_fact(self) -> String {
        [(self.location, 'l'), (self.camera, 'c'), (self.other, 'o')]
            .iter()
            .filter(|(found, _)| *found)
            .map(|(_, letter)| letter)
            .collect()
    }

    /// Back from [`Found::to_fact`].
    pub fn from_fact(text: &str) -> Found {
        Found {
            location: text.contains('l'),
            camera: text.contains('c'),
            other: text.contains('o'),
        }
    }

    /// Whether anything at all was found.
    pub fn any(self) -> bool {
        self.location || self.camera || self.other
    }
    /// Both findings together.
    pub fn union(self, other: Found) -> Found {
        Found {
            location: self.location || other.location,
            camera: self.camera || other.camera,
            other: self.other || other.other,
        }
    }
}

/// A file with its private metadata removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stripped {
    /// The file to publish.
    pub bytes: Vec<u8>,
    /// What was removed.
    pub found: Found,
}
