//! HTTP semantics the preview server needs and tiny_http leaves out: byte ranges (RFC 9110 §14),
//! conditional requests (§13) and the validators they compare against (§8.8).
//!
//! Everything here is a pure function of header values and validators: no sockets, no clock, no
//! file access, so each rule can be tested on its own and the server loop stays a plain sequence of
//! "evaluate, then write". Every function accepts any string without panicking, because header
//! values come straight from the network.
//!
//! Intended use for a GET (HEAD skips step 3, see [`evaluate_range`]):
//! 1. [`evaluate_preconditions`] → 412 or 304, or go on;
//! 2. [`if_range_allows`] → if false, ignore Range;
//! 3. [`evaluate_range`] → 200, 206 or 416.

use crate::coding::Encoding;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An inclusive byte range within a representation of known length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// Offset of the first byte sent.
    pub start: u64,
    /// Offset of the last byte sent (inclusive, as in `Content-Range`).
    pub end: u64,
}

impl ByteRange {
    /// Number of bytes in the range: the `Content-Length` of a 206.
    ///
    /// Never panics, even for a hand-built range with `end < start` (0) or `0..=u64::MAX`
    /// (saturates at `u64::MAX`, one short, since the true count does not fit in a u64).
    pub fn len(&self) -> u64 {
        if self.end < self.start {
            0
        } else {
            (self.end - self.start).saturating_add(1)
        }
    }

    /// Whether the range holds no bytes; never true for a range from [`evaluate_range`].
    pub fn is_empty(&self) -> bool {
        self.end < self.start
    }

    /// The `Content-Range` value of a 206 (§14.4), e.g. `bytes 0-99/1000`.
    pub fn content_range(&self, total: u64) -> String {
        format!("bytes {}-{}/{}", self.start, self.end, total)
    }
}

/// What to do with a Range header (RFC 9110 §14.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeOutcome {
    /// Send 200 with the whole representation. Chosen when there is no Range, an invalid one
    /// (ignored per §14.2), a unit other than `bytes`, several ranges (we send the whole
    /// representation rather than multipart/byteranges, which §14.2 allows: a server MAY ignore
    /// Range), or a non-zero suffix range of an empty representation (satisfiable per §14.1.1,
    /// yet a 206 cannot describe zero bytes, so the 200 carries the same empty content).
    Full,
    /// One satisfiable range: send 206 with `Content-Range` from [`ByteRange::content_range`].
    Partial(ByteRange),
    /// Syntactically valid but no range satisfiable: send 416 with `Content-Range: bytes */LEN`
    /// (§15.5.17).
    NotSatisfiable,
}

/// One `range-spec` of a `bytes` range-set (§14.1.2), before the length is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RangeSpec {
    /// `first-pos "-" [ last-pos ]`
    Int { first: u64, last: Option<u64> },
    /// `"-" suffix-length`
    Suffix(u64),
}

/// What one range-spec means against a representation of a given length (§14.1.1).
enum Applied {
    Satisfiable(ByteRange),
    /// Satisfiable, but covers zero bytes: only a non-zero suffix of an empty representation.
    SatisfiableEmpty,
    Unsatisfiable,
}

impl RangeSpec {
    fn apply(self, len: u64) -> Applied {
        match self {
            // §14.1.1: an int-range is satisfiable when first-pos < length; a last-pos at or past
            // the end is clamped to length - 1.
            RangeSpec::Int { first, last } => {
                if first >= len {
                    Applied::Unsatisfiable
                } else {
                    let end = last.map_or(len - 1, |l| l.min(len - 1));
                    Applied::Satisfiable(ByteRange { start: first, end })
                }
            }
            // §14.1.1: a suffix-range is satisfiable when suffix-length > 0, even for an empty
            // representation; a suffix longer than the representation selects all of it.
            RangeSpec::Suffix(0) => Applied::Unsatisfiable,
            RangeSpec::Suffix(_) if len == 0 => Applied::SatisfiableEmpty,
            RangeSpec::Suffix(n) => Applied::Satisfiable(ByteRange {
                start: len.saturating_sub(n),
                end: len - 1,
            }),
        }
    }
}

/// Decides between 200, 206 and 416 for a GET of a representation of `len` bytes.
///
/// `range_header` is the Range field value as received (None when absent). The server must not
/// call this for HEAD or other methods: §14.2 defines Range for GET only and says to ignore it
/// otherwise (send the 200 headers). Numbers too large for a u64 make the header invalid (200).
pub fn evaluate_range(range_header: Option<&str>, len: u64) -> RangeOutcome {
    let Some(value) = range_header else {
        return RangeOutcome::Full;
    };
    let Some(specs) = parse_bytes_range_set(value) else {
        return RangeOutcome::Full;
    };

    let mut count = 0usize;
    let mut first_range = None;
    let mut any_satisfiable = false;
    for spec in specs {
        // The iterator yields None for an invalid range-spec; one invalid spec makes the whole
        // ranges-specifier invalid, and §14.2 says to ignore an invalid Range.
        let Some(spec) = spec else {
            return RangeOutcome::Full;
        };
        count += 1;
        match spec.apply(len) {
            Applied::Satisfiable(r) => {
                any_satisfiable = true;
                first_range.get_or_insert(r);
            }
            Applied::SatisfiableEmpty => any_satisfiable = true,
            Applied::Unsatisfiable => {}
        }
    }

    if count == 0 {
        // `1#range-spec` needs at least one element: "bytes=" or "bytes=, ," is invalid.
        RangeOutcome::Full
    } else if !any_satisfiable {
        // §15.5.17: 416 only when *none* of the ranges is satisfiable, however many there are.
        RangeOutcome::NotSatisfiable
    } else if count > 1 {
        // Several ranges, at least one satisfiable: we do not build multipart/byteranges; §14.2
        // lets a server ignore Range, and a whole 200 is always a correct answer.
        RangeOutcome::Full
    } else {
        match first_range {
            Some(r) => RangeOutcome::Partial(r),
            None => RangeOutcome::Full, // the empty-representation suffix case
        }
    }
}

/// Parses `ranges-specifier = range-unit "=" range-set` (§14.1.1) when the unit is `bytes`.
///
/// Returns None when the value is not a bytes ranges-specifier at all; otherwise an iterator over
/// the non-empty list elements, each None if it is not a valid range-spec.
fn parse_bytes_range_set(value: &str) -> Option<impl Iterator<Item = Option<RangeSpec>> + '_> {
    let (unit, set) = trim_ows(value).split_once('=')?;
    // §14.1: range units are compared case-insensitively.
    if !unit.eq_ignore_ascii_case("bytes") {
        return None;
    }
    // §5.6.1: a list is elements separated by OWS "," OWS, and a recipient ignores empty
    // elements (so "bytes=0-1,,", "bytes=, 0-1" parse). OWS is not allowed inside a range-spec.
    Some(
        set.split(',')
            .map(trim_ows)
            .filter(|e| !e.is_empty())
            .map(parse_range_spec),
    )
}

fn parse_range_spec(spec: &str) -> Option<RangeSpec> {
    let (first, last) = spec.split_once('-')?;
    if first.is_empty() {
        return Some(RangeSpec::Suffix(parse_digits(last)?));
    }
    let first = parse_digits(first)?;
    let last = if last.is_empty() {
        None
    } else {
        Some(parse_digits(last)?)
    };
    // §14.1.1: an int-range whose last-pos is less than its first-pos is invalid.
    if last.is_some_and(|l| l < first) {
        return None;
    }
    Some(RangeSpec::Int { first, last })
}

/// `1*DIGIT` as a u64; None for anything else, including an overflow. (`u64::from_str` alone
/// would also accept a leading `+`, which the ABNF does not.)
fn parse_digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Strips OWS (spaces and horizontal tabs only, §5.6.3), which is not what `str::trim` strips.
fn trim_ows(s: &str) -> &str {
    s.trim_matches(|c| c == ' ' || c == '\t')
}

/// The validators of the representation being served.
#[derive(Debug, Clone, Copy)]
pub struct Validators<'a> {
    /// Strong entity tag, quoted, as sent in `ETag`: e.g. `"abc123"` (see [`etag_from_hash`]).
    pub etag: &'a str,
    /// The `Last-Modified` time; compared at whole-second resolution, as HTTP-dates have no more.
    pub last_modified: SystemTime,
}

/// The result of evaluating preconditions for a GET or HEAD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// No precondition stopped the request: go on to If-Range/Range and send 200 or 206.
    Proceed,
    /// 304 Not Modified, no content.
    NotModified,
    /// 412 Precondition Failed.
    Failed,
}

/// Headers the evaluation reads, as sent by the client (None when absent).
#[derive(Debug, Default, Clone, Copy)]
pub struct Conditionals<'a> {
    /// `If-Match` (§13.1.1).
    pub if_match: Option<&'a str>,
    /// `If-Unmodified-Since` (§13.1.4).
    pub if_unmodified_since: Option<&'a str>,
    /// `If-None-Match` (§13.1.2).
    pub if_none_match: Option<&'a str>,
    /// `If-Modified-Since` (§13.1.3).
    pub if_modified_since: Option<&'a str>,
}

/// Evaluates the preconditions of a GET or HEAD in the order of RFC 9110 §13.2.2.
///
/// Call it only for GET/HEAD of a representation that exists (§13.2.1: preconditions are ignored
/// when the response would otherwise be neither 2xx nor 412, e.g. a 404). A repeated header
/// should be passed as its field values joined with ", " (§5.3).
pub fn evaluate_preconditions(c: &Conditionals, v: &Validators) -> Precondition {
    let last_modified = whole_seconds(v.last_modified);

    // Step 1: If-Match, strong comparison; false → 412.
    // Step 2: only without If-Match, If-Unmodified-Since; false → 412 (invalid date ignored).
    if let Some(if_match) = c.if_match {
        if !if_match_true(if_match, v.etag) {
            return Precondition::Failed;
        }
    } else if let Some(date) = c.if_unmodified_since.and_then(parse_date) {
        // §13.1.4: true when the last modification is earlier than or equal to the date.
        if last_modified > date {
            return Precondition::Failed;
        }
    }

    // Step 3: If-None-Match, weak comparison; false → 304 for GET/HEAD.
    // Step 4: only without If-None-Match, If-Modified-Since; false → 304 (invalid date ignored).
    if let Some(if_none_match) = c.if_none_match {
        if !if_none_match_true(if_none_match, v.etag) {
            return Precondition::NotModified;
        }
    } else if let Some(date) = c.if_modified_since.and_then(parse_date) {
        // §13.1.3: false when the last modification is earlier than or equal to the date. RFC
        // 9110 no longer treats a date in the future as invalid, so it is simply compared.
        if last_modified <= date {
            return Precondition::NotModified;
        }
    }

    Precondition::Proceed
}

/// Whether a Range may be honoured given If-Range (§13.1.5): true when there is no If-Range, or it
/// matches (strong comparison of an entity tag, or an HTTP-date exactly equal to Last-Modified);
/// false otherwise (then serve the full 200).
///
/// A weak or malformed entity tag, an invalid date, or a list never matches. Only evaluate it
/// when the request has a Range (§13.1.5 says to ignore If-Range without one).
pub fn if_range_allows(if_range: Option<&str>, v: &Validators) -> bool {
    let Some(value) = if_range else {
        return true;
    };
    let value = trim_ows(value);
    // `If-Range = entity-tag / HTTP-date`: a DQUOTE or "W/" can only start an entity-tag.
    if value.starts_with('"') || value.starts_with("W/") {
        match (parse_single_etag(value), parse_single_etag(v.etag)) {
            (Some(theirs), Some(ours)) => theirs.strong_eq(&ours),
            _ => false,
        }
    } else {
        parse_date(value) == Some(whole_seconds(v.last_modified))
    }
}

/// Formats a time as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), for `Last-Modified` and
/// `Date`.
///
/// Times outside what an HTTP-date can express are clamped (before 1970 → the epoch, after
/// 9999 → its last second) rather than panicking as `httpdate::fmt_http_date` would.
pub fn http_date(t: SystemTime) -> String {
    // 253402300799 = 9999-12-31T23:59:59Z, the last second of a four-digit year.
    let latest = UNIX_EPOCH + Duration::from_secs(253_402_300_799);
    let t = t.clamp(UNIX_EPOCH, latest);
    let second = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    // Every response formats `Date` (now) and `Last-Modified` (mostly the build's time): the
    // last two seconds formatted on this thread are kept, so most requests format neither.
    thread_local! {
        static RECENT: std::cell::RefCell<[Option<(u64, String)>; 2]> =
            const { std::cell::RefCell::new([None, None]) };
    }
    RECENT.with(|recent| {
        let mut recent = recent.borrow_mut();
        if let Some((_, text)) = recent.iter().flatten().find(|(s, _)| *s == second) {
            return text.clone();
        }
        let text = httpdate::fmt_http_date(t);
        recent.swap(0, 1);
        recent[0] = Some((second, text.clone()));
        text
    })
}

/// A strong entity tag for `ETag` from content-hash bytes: the first 16 bytes (128 bits, plenty
/// to tell two versions of a file apart) as 32 lowercase hex digits in quotes, e.g.
/// `"0123456789abcdef0123456789abcdef"`. A shorter hash is used whole.
///
/// Strong because the hash covers every byte of the representation (§8.8.1).
pub fn etag_from_hash(hash: &[u8]) -> String {
    let hash = &hash[..hash.len().min(16)];
    let mut digits = [0; 32];
    let digits = &mut digits[..hash.len() * 2];
    // Cannot fail: `digits` is exactly twice as long as `hash`.
    let _ = hex::encode_to_slice(hash, digits);
    let mut tag = String::with_capacity(digits.len() + 2);
    tag.push('"');
    tag.extend(digits.iter().map(|&d| char::from(d)));
    tag.push('"');
    tag
}

/// Drops sub-second precision, because an HTTP-date has none: a file modified at 12:00:00.7 and
/// announced as `12:00:00` must count as "not modified since 12:00:00". A time before 1970 (a
/// file unpacked from an archive without dates) becomes 1970 itself, which an HTTP-date can say.
pub(crate) fn whole_seconds(t: SystemTime) -> SystemTime {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// Parses an HTTP-date in any of the three formats a recipient must accept (§5.6.7); None for
/// anything else, including a list of dates (§13.1.3, §13.1.4: then the field is ignored).
/// httpdate maps two-digit rfc850 years to 1970–2069, which meets §5.6.7's "not more than 50
/// years in the future" rule until 2019+50.
fn parse_date(value: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(trim_ows(value)).ok()
}

/// An entity-tag (§8.8.3): `[ W/ ] DQUOTE *etagc DQUOTE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct EntityTag<'a> {
    weak: bool,
    opaque: &'a [u8],
}

impl EntityTag<'_> {
    /// §8.8.3.2: strong comparison needs both tags strong and identical.
    fn strong_eq(&self, other: &EntityTag) -> bool {
        !self.weak && !other.weak && self.opaque == other.opaque
    }

    /// §8.8.3.2: weak comparison ignores the W/ marks.
    fn weak_eq(&self, other: &EntityTag) -> bool {
        self.opaque == other.opaque
    }
}

/// `etagc = %x21 / %x23-7E / obs-text`: visible characters except DQUOTE, plus bytes >= 0x80.
fn is_etagc(b: u8) -> bool {
    b == 0x21 || (0x23..=0x7e).contains(&b) || b >= 0x80
}

/// Parses one entity-tag starting at `b[i]`; returns it and the index just past it.
fn parse_etag_at(b: &[u8], mut i: usize) -> Option<(EntityTag<'_>, usize)> {
    // The weak indicator is case-sensitive (`%s"W/"`), so "w/" is malformed.
    let weak = b.get(i..i + 2) == Some(b"W/".as_slice());
    if weak {
        i += 2;
    }
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let start = i + 1;
    let mut j = start;
    while j < b.len() && is_etagc(b[j]) {
        j += 1;
    }
    if b.get(j) != Some(&b'"') {
        return None;
    }
    Some((
        EntityTag {
            weak,
            opaque: &b[start..j],
        },
        j + 1,
    ))
}

/// A whole field value that must be exactly one entity-tag (our own ETag, or If-Range).
fn parse_single_etag(value: &str) -> Option<EntityTag<'_>> {
    let b = trim_ows(value).as_bytes();
    match parse_etag_at(b, 0) {
        Some((tag, end)) if end == b.len() => Some(tag),
        _ => None,
    }
}

/// The value of If-Match or If-None-Match: `"*" / #entity-tag`.
enum TagList<'a> {
    Any,
    Tags(Vec<EntityTag<'a>>),
}

/// Parses `"*" / #entity-tag`; None if malformed. Commas inside a quoted tag belong to the tag,
/// which is why the list cannot just be split on ','.
fn parse_tag_list(value: &str) -> Option<TagList<'_>> {
    let value = trim_ows(value);
    if value == "*" {
        return Some(TagList::Any);
    }
    let b = value.as_bytes();
    let is_ows = |c: u8| c == b' ' || c == b'\t';
    let mut tags = Vec::new();
    let mut i = 0;
    loop {
        while i < b.len() && is_ows(b[i]) {
            i += 1;
        }
        if i == b.len() {
            break;
        }
        if b[i] == b',' {
            // An empty list element, which §5.6.1 tells recipients to ignore.
            i += 1;
            continue;
        }
        let (tag, next) = parse_etag_at(b, i)?;
        tags.push(tag);
        i = next;
        while i < b.len() && is_ows(b[i]) {
            i += 1;
        }
        match b.get(i) {
            None => break,
            Some(b',') => i += 1,
            Some(_) => return None, // two tags without a comma, or trailing junk
        }
    }
    Some(TagList::Tags(tags))
}

/// §13.1.1: `*` is true (the representation exists, or we would not be here); a list is true if
/// any tag matches ours by strong comparison; anything else, malformed values included, is false.
fn if_match_true(value: &str, our_etag: &str) -> bool {
    match parse_tag_list(value) {
        Some(TagList::Any) => true,
        Some(TagList::Tags(tags)) => match parse_single_etag(our_etag) {
            Some(ours) => tags.iter().any(|t| t.strong_eq(&ours)),
            None => false,
        },
        None => false,
    }
}

/// §13.1.2: `*` is false (the representation exists); a list is false if any tag matches ours by
/// weak comparison; otherwise true. A malformed value matches nothing, so it is true.
fn if_none_match_true(value: &str, our_etag: &str) -> bool {
    match parse_tag_list(value) {
        Some(TagList::Any) => false,
        Some(TagList::Tags(tags)) => match parse_single_etag(our_etag) {
            Some(ours) => !tags.iter().any(|t| t.weak_eq(&ours)),
            None => true,
        },
        None => true,
    }
}

/// The content coding to answer with (RFC 9110 §12.5.3), from the request's `Accept-Encoding`
/// and the precompressed copies `available` (best first). `None` means the file as it is.
///
/// The highest `q` wins; between equals, the earlier in `available` (Brotli before gzip, as it
/// is smaller). A coding the client gave `q=0` is never chosen, and `*` stands for every coding
/// the client did not name. No header at all means "as it is": RFC 9110 lets a server pick any
/// coding then, but old clients that send none may not decode any.
pub fn negotiate_encoding(
    accept_encoding: Option<&str>,
    available: &[Encoding],
) -> Option<Encoding> {
    let header = accept_encoding?;
    let mut named: Vec<(String, f32)> = Vec::new();
    for item in header.split(',') {
        let mut parts = item.split(';');
        let coding = trim_ows(parts.next().unwrap_or("")).to_ascii_lowercase();
        if coding.is_empty() {
            continue;
        }
        let mut q: f32 = 1.0;
        for param in parts {
            if let Some((name, value)) = param.split_once('=') {
                if trim_ows(name).eq_ignore_ascii_case("q") {
                    // A malformed weight makes the item meaningless: treat it as refused. The
                    // grammar allows one weight; if there are several, the lowest counts.
                    q = q.min(parse_qvalue(trim_ows(value)).unwrap_or(0.0));
                }
            }
        }
        named.push((coding, q));
    }
    // A coding named more than once (itself or as x-gzip) counts at its lowest weight, so an
    // explicit refusal (`q=0`) is never overridden by another element naming it.
    let lowest = |matches: &dyn Fn(&str) -> bool| -> Option<f32> {
        named
            .iter()
            .filter(|(c, _)| matches(c))
            .map(|(_, q)| *q)
            .reduce(f32::min)
    };
    let weight = |encoding: Encoding| -> f32 {
        let token = encoding.token();
        let alias = if encoding == Encoding::Gzip {
            "x-gzip"
        } else {
            token
        };
        lowest(&|c| c == token || c == alias)
            .or_else(|| lowest(&|c| c == "*"))
            .unwrap_or(0.0)
    };
    let mut best: Option<(Encoding, f32)> = None;
    for &encoding in available {
        let q = weight(encoding);
        if q > 0.0 && best.is_none_or(|(_, b)| q > b) {
            best = Some((encoding, q));
        }
    }
    best.map(|(encoding, _)| encoding)
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )` (RFC 9110 §12.4.2).
fn parse_qvalue(value: &str) -> Option<f32> {
    let (int, frac) = value.split_once('.').unwrap_or((value, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !(int == "0" || int == "1") || frac.len() > 3 || !digits(frac) {
        return None;
    }
    let q: f32 = value.parse().ok()?;
    (q <= 1.0).then_some(q)
}

#[cfg(test)]
mod tests {
    #[test]
    fn whole_seconds_drops_the_fraction_and_keeps_1970_as_the_floor() {
        use super::whole_seconds;
        let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_700);
        assert_eq!(
            whole_seconds(t),
            UNIX_EPOCH + Duration::from_secs(1_700_000_000)
        );
        // A file dated before 1970 gets a date an HTTP-date can say, not a panic in formatting.
        let before = UNIX_EPOCH - Duration::from_secs(5);
        assert_eq!(whole_seconds(before), UNIX_EPOCH);
        assert_eq!(
            httpdate::fmt_http_date(whole_seconds(before)),
            "Thu, 01 Jan 1970 00:00:00 GMT"
        );
    }

    use super::*;

    fn r(start: u64, end: u64) -> RangeOutcome {
        RangeOutcome::Partial(ByteRange { start, end })
    }

    fn range(h: &str, len: u64) -> RangeOutcome {
        evaluate_range(Some(h), len)
    }

    /// 1994-11-06 08:49:37 UTC, the RFC's example date.
    const RFC_SECS: u64 = 784_111_777;
    const RFC_DATE: &str = "Sun, 06 Nov 1994 08:49:37 GMT";
    const ETAG: &str = "\"abc123\"";

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn validators() -> Validators<'static> {
        Validators {
            etag: ETAG,
            last_modified: at(RFC_SECS),
        }
    }

    fn pre(c: Conditionals) -> Precondition {
        evaluate_preconditions(&c, &validators())
    }

    // ---- ByteRange ----

    #[test]
    fn byte_range_len_and_content_range() {
        let b = ByteRange { start: 0, end: 99 };
        assert_eq!(b.len(), 100);
        assert!(!b.is_empty());
        assert_eq!(b.content_range(1000), "bytes 0-99/1000");
        let one = ByteRange { start: 5, end: 5 };
        assert_eq!(one.len(), 1);
        assert_eq!(one.content_range(6), "bytes 5-5/6");
    }

    #[test]
    fn byte_range_len_never_panics() {
        assert_eq!(ByteRange { start: 9, end: 3 }.len(), 0);
        assert!(ByteRange { start: 9, end: 3 }.is_empty());
        assert_eq!(
            ByteRange {
                start: 0,
                end: u64::MAX
            }
            .len(),
            u64::MAX
        );
        assert_eq!(
            ByteRange {
                start: 1,
                end: u64::MAX
            }
            .len(),
            u64::MAX
        );
    }

    // ---- Range ----

    #[test]
    fn no_range_is_full() {
        assert_eq!(evaluate_range(None, 1000), RangeOutcome::Full);
        assert_eq!(evaluate_range(None, 0), RangeOutcome::Full);
    }

    #[test]
    fn int_ranges() {
        assert_eq!(range("bytes=0-99", 1000), r(0, 99));
        assert_eq!(range("bytes=0-0", 1000), r(0, 0));
        assert_eq!(range("bytes=999-999", 1000), r(999, 999));
        assert_eq!(range("bytes=100-", 1000), r(100, 999));
        assert_eq!(range("bytes=0-", 1000), r(0, 999));
        assert_eq!(range("bytes=0-", 1), r(0, 0));
    }

    #[test]
    fn last_pos_is_clamped() {
        assert_eq!(range("bytes=0-1000", 1000), r(0, 999));
        assert_eq!(range("bytes=500-99999999", 1000), r(500, 999));
        assert_eq!(range("bytes=0-18446744073709551615", 10), r(0, 9));
    }

    #[test]
    fn suffix_ranges() {
        assert_eq!(range("bytes=-1", 1000), r(999, 999));
        assert_eq!(range("bytes=-100", 1000), r(900, 999));
        assert_eq!(range("bytes=-1000", 1000), r(0, 999));
        assert_eq!(range("bytes=-5000", 1000), r(0, 999));
        assert_eq!(range("bytes=-0", 1000), RangeOutcome::NotSatisfiable);
        assert_eq!(range("bytes=-00", 1000), RangeOutcome::NotSatisfiable);
    }

    #[test]
    fn first_pos_past_end_is_not_satisfiable() {
        assert_eq!(range("bytes=1000-", 1000), RangeOutcome::NotSatisfiable);
        assert_eq!(range("bytes=1000-2000", 1000), RangeOutcome::NotSatisfiable);
        assert_eq!(range("bytes=5000-6000", 1000), RangeOutcome::NotSatisfiable);
    }

    #[test]
    fn invalid_ranges_are_ignored() {
        for h in [
            "bytes=5-4",
            "bytes=10-0",
            "bytes=",
            "bytes=,",
            "bytes= , ,",
            "bytes=-",
            "bytes=--5",
            "bytes=1--5",
            "bytes=a-b",
            "bytes=1-b",
            "bytes=+1-2",
            "bytes=1-+2",
            "bytes=-+2",
            "bytes=0x10-",
            "bytes=1.5-2",
            "bytes=0 -5",
            "bytes=0- 5",
            "bytes=0-5 6",
            "bytes=0-5;q=1",
            "bytes=٣-٥", // Arabic-Indic digits are not DIGIT
            "bytes 0-5",
            "bytes:0-5",
            "bytes",
            "=0-5",
            "",
            "   ",
            "0-5",
            "bytes=0-5,abc",
            "bytes=0-5,5-4",
            "bytes=0-1-2",
        ] {
            assert_eq!(range(h, 1000), RangeOutcome::Full, "{h:?}");
        }
    }

    #[test]
    fn other_units_are_ignored() {
        assert_eq!(range("items=0-5", 1000), RangeOutcome::Full);
        assert_eq!(range("byte=0-5", 1000), RangeOutcome::Full);
        assert_eq!(range("bytesx=0-5", 1000), RangeOutcome::Full);
        assert_eq!(range("none", 1000), RangeOutcome::Full);
    }

    #[test]
    fn unit_is_case_insensitive() {
        assert_eq!(range("BYTES=0-1", 10), r(0, 1));
        assert_eq!(range("Bytes=0-1", 10), r(0, 1));
        assert_eq!(range("bYtEs=-2", 10), r(8, 9));
    }

    #[test]
    fn whitespace_tolerance() {
        assert_eq!(range("  bytes=0-1  ", 10), r(0, 1));
        assert_eq!(range("\tbytes=0-1\t", 10), r(0, 1));
        assert_eq!(range("bytes=0-1 ,", 10), r(0, 1));
        assert_eq!(range("bytes= , 0-1", 10), r(0, 1));
        assert_eq!(range("bytes=0-1,,,", 10), r(0, 1));
        assert_eq!(range("bytes=0-1 , \t 2-3", 10), RangeOutcome::Full);
        // Not OWS: a vertical tab or newline is not stripped.
        assert_eq!(range("bytes=0-1\x0b", 10), RangeOutcome::Full);
    }

    #[test]
    fn overflowing_numbers_are_invalid() {
        assert_eq!(
            range("bytes=18446744073709551616-", 1000),
            RangeOutcome::Full
        );
        assert_eq!(
            range("bytes=0-18446744073709551616", 1000),
            RangeOutcome::Full
        );
        assert_eq!(
            range("bytes=-18446744073709551616", 1000),
            RangeOutcome::Full
        );
        let huge = format!("bytes=0-{}", "9".repeat(5000));
        assert_eq!(range(&huge, 1000), RangeOutcome::Full);
        // u64::MAX itself fits.
        assert_eq!(
            range("bytes=18446744073709551615-", 1000),
            RangeOutcome::NotSatisfiable
        );
        assert_eq!(range("bytes=-18446744073709551615", 1000), r(0, 999));
    }

    #[test]
    fn leading_zeros_are_digits() {
        assert_eq!(range("bytes=0010-0020", 1000), r(10, 20));
    }

    #[test]
    fn several_ranges_send_everything() {
        assert_eq!(range("bytes=0-1,3-4", 10), RangeOutcome::Full);
        assert_eq!(range("bytes=0-1, 0-1", 10), RangeOutcome::Full);
        assert_eq!(range("bytes=-1,0-", 10), RangeOutcome::Full);
        // One satisfiable among several: still the whole representation.
        assert_eq!(range("bytes=0-1,50-60", 10), RangeOutcome::Full);
    }

    #[test]
    fn several_unsatisfiable_ranges_are_416() {
        assert_eq!(range("bytes=10-,20-30", 10), RangeOutcome::NotSatisfiable);
        assert_eq!(range("bytes=-0, 50-", 10), RangeOutcome::NotSatisfiable);
    }

    #[test]
    fn empty_representation() {
        assert_eq!(range("bytes=0-", 0), RangeOutcome::NotSatisfiable);
        assert_eq!(range("bytes=0-0", 0), RangeOutcome::NotSatisfiable);
        assert_eq!(range("bytes=0-100", 0), RangeOutcome::NotSatisfiable);
        assert_eq!(range("bytes=-0", 0), RangeOutcome::NotSatisfiable);
        assert_eq!(range("bytes=5-,0-", 0), RangeOutcome::NotSatisfiable);
        // §14.1.1: a non-zero suffix is the one satisfiable form; nothing to put in a 206.
        assert_eq!(range("bytes=-5", 0), RangeOutcome::Full);
        assert_eq!(range("bytes=-5,0-", 0), RangeOutcome::Full);
        // Invalid is still ignored.
        assert_eq!(range("bytes=5-4", 0), RangeOutcome::Full);
        assert_eq!(range("bytes=x", 0), RangeOutcome::Full);
    }

    #[test]
    fn huge_representation() {
        assert_eq!(range("bytes=0-", u64::MAX), r(0, u64::MAX - 1));
        assert_eq!(range("bytes=-1", u64::MAX), r(u64::MAX - 1, u64::MAX - 1));
        assert_eq!(
            range("bytes=18446744073709551614-", u64::MAX),
            r(u64::MAX - 1, u64::MAX - 1)
        );
    }

    // ---- preconditions ----

    #[test]
    fn no_conditionals_proceed() {
        assert_eq!(pre(Conditionals::default()), Precondition::Proceed);
    }

    #[test]
    fn if_match() {
        let im = |v| {
            pre(Conditionals {
                if_match: Some(v),
                ..Default::default()
            })
        };
        assert_eq!(im("*"), Precondition::Proceed);
        assert_eq!(im(" * "), Precondition::Proceed);
        assert_eq!(im("\"abc123\""), Precondition::Proceed);
        assert_eq!(im("\"x\", \"abc123\""), Precondition::Proceed);
        assert_eq!(im("\"x\",\"abc123\","), Precondition::Proceed);
        // Strong comparison: a weak tag never matches.
        assert_eq!(im("W/\"abc123\""), Precondition::Failed);
        assert_eq!(im("\"abc\""), Precondition::Failed);
        assert_eq!(im("\"ABC123\""), Precondition::Failed);
        assert_eq!(im("abc123"), Precondition::Failed);
        assert_eq!(im(""), Precondition::Failed);
        assert_eq!(im("*, \"abc123\""), Precondition::Failed);
        assert_eq!(im("\"abc123\" \"x\""), Precondition::Failed);
    }

    #[test]
    fn if_unmodified_since() {
        let ius = |v| {
            pre(Conditionals {
                if_unmodified_since: Some(v),
                ..Default::default()
            })
        };
        assert_eq!(ius(RFC_DATE), Precondition::Proceed);
        assert_eq!(ius("Sun, 06 Nov 1994 08:49:38 GMT"), Precondition::Proceed);
        assert_eq!(ius("Sun, 06 Nov 1994 08:49:36 GMT"), Precondition::Failed);
        assert_eq!(ius("Thu, 01 Jan 1970 00:00:00 GMT"), Precondition::Failed);
        // Invalid dates and lists of dates are ignored.
        assert_eq!(ius("yesterday"), Precondition::Proceed);
        assert_eq!(ius("Sun, 06 Nov 1994 08:49:36 UTC"), Precondition::Proceed);
        assert_eq!(
            ius("Sun, 06 Nov 1994 08:49:36 GMT, Sun, 06 Nov 1994 08:49:36 GMT"),
            Precondition::Proceed
        );
    }

    #[test]
    fn if_match_suppresses_if_unmodified_since() {
        let c = Conditionals {
            if_match: Some("\"abc123\""),
            if_unmodified_since: Some("Thu, 01 Jan 1970 00:00:00 GMT"),
            ..Default::default()
        };
        assert_eq!(pre(c), Precondition::Proceed);
    }

    #[test]
    fn if_none_match() {
        let inm = |v| {
            pre(Conditionals {
                if_none_match: Some(v),
                ..Default::default()
            })
        };
        assert_eq!(inm("\"abc123\""), Precondition::NotModified);
        assert_eq!(inm("W/\"abc123\""), Precondition::NotModified);
        assert_eq!(inm("*"), Precondition::NotModified);
        assert_eq!(inm("\t*\t"), Precondition::NotModified);
        assert_eq!(inm("\"x\", \"abc123\""), Precondition::NotModified);
        assert_eq!(inm(" \"x\" ,\t W/\"abc123\" , "), Precondition::NotModified);
        assert_eq!(inm(",,\"abc123\""), Precondition::NotModified);
        assert_eq!(inm("\"x\""), Precondition::Proceed);
        assert_eq!(inm("\"abc1234\""), Precondition::Proceed);
        assert_eq!(inm("\"\""), Precondition::Proceed);
        assert_eq!(inm(""), Precondition::Proceed);
        // Malformed lists match nothing.
        assert_eq!(inm("abc123"), Precondition::Proceed);
        assert_eq!(inm("w/\"abc123\""), Precondition::Proceed);
        assert_eq!(inm("\"abc123"), Precondition::Proceed);
        assert_eq!(inm("\"abc123\" \"x\""), Precondition::Proceed);
        assert_eq!(inm("\"abc123\"x"), Precondition::Proceed);
        assert_eq!(inm("\"x\", garbage, \"abc123\""), Precondition::Proceed);
        assert_eq!(inm("*, \"abc123\""), Precondition::Proceed);
        assert_eq!(inm("\"a b\", \"abc123\""), Precondition::Proceed);
    }

    #[test]
    fn commas_inside_quoted_tags() {
        let v = Validators {
            etag: "\"a,b\"",
            last_modified: at(RFC_SECS),
        };
        let inm = |h| {
            evaluate_preconditions(
                &Conditionals {
                    if_none_match: Some(h),
                    ..Default::default()
                },
                &v,
            )
        };
        assert_eq!(inm("\"a,b\", \"c\""), Precondition::NotModified);
        assert_eq!(inm("\"c\", \"a,b\""), Precondition::NotModified);
        // Split naively on ',', these would look like tags "a and b" — they are not.
        assert_eq!(inm("\"a\", \"b\""), Precondition::Proceed);
        assert_eq!(inm("\"a,b,c\""), Precondition::Proceed);
        let im = |h| {
            evaluate_preconditions(
                &Conditionals {
                    if_match: Some(h),
                    ..Default::default()
                },
                &v,
            )
        };
        assert_eq!(im("\"c\",\"a,b\""), Precondition::Proceed);
        assert_eq!(im("\"a\",\"b\""), Precondition::Failed);
    }

    #[test]
    fn if_modified_since() {
        let ims = |v| {
            pre(Conditionals {
                if_modified_since: Some(v),
                ..Default::default()
            })
        };
        assert_eq!(ims(RFC_DATE), Precondition::NotModified);
        assert_eq!(
            ims("Sun, 06 Nov 1994 08:49:38 GMT"),
            Precondition::NotModified
        );
        assert_eq!(ims("Sun, 06 Nov 1994 08:49:36 GMT"), Precondition::Proceed);
        // The other two formats a recipient must accept (§5.6.7).
        assert_eq!(
            ims("Sunday, 06-Nov-94 08:49:37 GMT"),
            Precondition::NotModified
        );
        assert_eq!(ims("Sun Nov  6 08:49:37 1994"), Precondition::NotModified);
        // A future date is still a valid date.
        assert_eq!(
            ims("Fri, 31 Dec 9999 23:59:59 GMT"),
            Precondition::NotModified
        );
        // Invalid dates are ignored.
        for bad in [
            "",
            "0",
            "-1",
            "garbage",
            "Sun, 06 Nov 1994 08:49:37",
            "Mon, 06 Nov 1994 08:49:37 GMT", // wrong weekday
            "Sun, 31 Feb 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT; length=3",
            "Sun, 06 Nov 1994 08:49:37 ＧMT",
        ] {
            assert_eq!(ims(bad), Precondition::Proceed, "{bad:?}");
        }
        assert_eq!(
            ims("  Sun, 06 Nov 1994 08:49:37 GMT\t"),
            Precondition::NotModified
        );
    }

    #[test]
    fn if_none_match_suppresses_if_modified_since() {
        let c = Conditionals {
            if_none_match: Some("\"other\""),
            if_modified_since: Some(RFC_DATE),
            ..Default::default()
        };
        assert_eq!(pre(c), Precondition::Proceed);
        // Even an empty (valid, empty list) or malformed If-None-Match counts as present.
        for inm in ["", "garbage"] {
            let c = Conditionals {
                if_none_match: Some(inm),
                if_modified_since: Some(RFC_DATE),
                ..Default::default()
            };
            assert_eq!(pre(c), Precondition::Proceed, "{inm:?}");
        }
    }

    #[test]
    fn failure_412_takes_precedence_over_304() {
        let c = Conditionals {
            if_match: Some("\"nope\""),
            if_none_match: Some("\"abc123\""),
            ..Default::default()
        };
        assert_eq!(pre(c), Precondition::Failed);
        let c = Conditionals {
            if_unmodified_since: Some("Thu, 01 Jan 1970 00:00:00 GMT"),
            if_modified_since: Some(RFC_DATE),
            ..Default::default()
        };
        assert_eq!(pre(c), Precondition::Failed);
    }

    #[test]
    fn all_pass_then_304() {
        let c = Conditionals {
            if_match: Some("\"abc123\""),
            if_unmodified_since: Some("garbage"),
            if_none_match: Some("W/\"abc123\""),
            if_modified_since: Some("Thu, 01 Jan 1970 00:00:00 GMT"),
        };
        assert_eq!(pre(c), Precondition::NotModified);
        let c = Conditionals {
            if_match: Some("*"),
            if_unmodified_since: None,
            if_none_match: Some("\"zzz\""),
            if_modified_since: Some(RFC_DATE),
        };
        assert_eq!(pre(c), Precondition::Proceed);
    }

    #[test]
    fn sub_second_last_modified_is_truncated() {
        let v = Validators {
            etag: ETAG,
            last_modified: at(RFC_SECS) + Duration::from_millis(700),
        };
        let c = Conditionals {
            if_modified_since: Some(RFC_DATE),
            ..Default::default()
        };
        assert_eq!(evaluate_preconditions(&c, &v), Precondition::NotModified);
        let c = Conditionals {
            if_unmodified_since: Some(RFC_DATE),
            ..Default::default()
        };
        assert_eq!(evaluate_preconditions(&c, &v), Precondition::Proceed);
        assert!(if_range_allows(Some(RFC_DATE), &v));
    }

    #[test]
    fn malformed_own_etag_never_matches() {
        let v = Validators {
            etag: "abc123",
            last_modified: at(RFC_SECS),
        };
        let c = Conditionals {
            if_none_match: Some("\"abc123\""),
            ..Default::default()
        };
        assert_eq!(evaluate_preconditions(&c, &v), Precondition::Proceed);
        let c = Conditionals {
            if_match: Some("\"abc123\""),
            ..Default::default()
        };
        assert_eq!(evaluate_preconditions(&c, &v), Precondition::Failed);
        assert!(!if_range_allows(Some("\"abc123\""), &v));
    }

    #[test]
    fn obs_text_in_tags() {
        let v = Validators {
            etag: "\"é\"",
            last_modified: at(RFC_SECS),
        };
        let c = Conditionals {
            if_none_match: Some("\"é\""),
            ..Default::default()
        };
        assert_eq!(evaluate_preconditions(&c, &v), Precondition::NotModified);
    }

    // ---- If-Range ----

    #[test]
    fn if_range() {
        let v = validators();
        assert!(if_range_allows(None, &v));
        assert!(if_range_allows(Some("\"abc123\""), &v));
        assert!(if_range_allows(Some(" \"abc123\" "), &v));
        assert!(if_range_allows(Some(RFC_DATE), &v));
        assert!(if_range_allows(Some("Sunday, 06-Nov-94 08:49:37 GMT"), &v));
        for no in [
            "W/\"abc123\"",
            "\"abc\"",
            "\"abc123\", \"abc123\"",
            "\"abc123",
            "abc123",
            "*",
            "",
            "Sun, 06 Nov 1994 08:49:36 GMT",
            "Sun, 06 Nov 1994 08:49:38 GMT",
            "garbage",
        ] {
            assert!(!if_range_allows(Some(no), &v), "{no:?}");
        }
    }

    // ---- dates and tags ----

    #[test]
    fn http_date_formats_imf_fixdate() {
        assert_eq!(http_date(at(RFC_SECS)), RFC_DATE);
        assert_eq!(http_date(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            http_date(at(RFC_SECS) + Duration::from_millis(999)),
            RFC_DATE
        );
    }

    #[test]
    fn http_date_is_right_whichever_seconds_were_formatted_before() {
        let times = [
            RFC_SECS,
            0,
            RFC_SECS,
            RFC_SECS + 1,
            0,
            RFC_SECS + 1,
            RFC_SECS,
        ];
        for secs in times {
            let expected = httpdate::fmt_http_date(at(secs));
            assert_eq!(http_date(at(secs)), expected);
            assert_eq!(http_date(at(secs) + Duration::from_millis(500)), expected);
        }
    }

    #[test]
    fn http_date_clamps_instead_of_panicking() {
        assert_eq!(
            http_date(UNIX_EPOCH - Duration::from_secs(1)),
            "Thu, 01 Jan 1970 00:00:00 GMT"
        );
        assert_eq!(
            http_date(at(253_402_300_800)),
            "Fri, 31 Dec 9999 23:59:59 GMT"
        );
        if let Some(far) = UNIX_EPOCH.checked_add(Duration::from_secs(u64::MAX / 4)) {
            assert_eq!(http_date(far), "Fri, 31 Dec 9999 23:59:59 GMT");
        }
    }

    #[test]
    fn http_date_round_trips() {
        for secs in [0, 1, RFC_SECS, 951_782_400, 1_700_000_000, 253_402_300_799] {
            let s = http_date(at(secs));
            assert_eq!(parse_date(&s), Some(at(secs)), "{s}");
        }
    }

    #[test]
    fn etag_from_hash_is_quoted_hex() {
        let hash: Vec<u8> = (0u8..32).collect();
        let tag = etag_from_hash(&hash);
        assert_eq!(tag, "\"000102030405060708090a0b0c0d0e0f\"");
        assert_eq!(etag_from_hash(&[0xff, 0x0a]), "\"ff0a\"");
        assert_eq!(etag_from_hash(&[]), "\"\"");
        // Our own tags are strong and parse as such.
        let parsed = parse_single_etag(&tag).unwrap();
        assert!(!parsed.weak);
        assert_eq!(parsed.opaque.len(), 32);
    }

    #[test]
    fn entity_tag_comparisons_follow_the_rfc_table() {
        // §8.8.3.2's example table.
        let t = |s| parse_single_etag(s).unwrap();
        assert!(!t("W/\"1\"").strong_eq(&t("W/\"1\"")));
        assert!(t("W/\"1\"").weak_eq(&t("W/\"1\"")));
        assert!(!t("W/\"1\"").strong_eq(&t("W/\"2\"")));
        assert!(!t("W/\"1\"").weak_eq(&t("W/\"2\"")));
        assert!(!t("W/\"1\"").strong_eq(&t("\"1\"")));
        assert!(t("W/\"1\"").weak_eq(&t("\"1\"")));
        assert!(t("\"1\"").strong_eq(&t("\"1\"")));
        assert!(t("\"1\"").weak_eq(&t("\"1\"")));
    }

    // ---- no panics ----

    #[test]
    fn never_panics_on_weird_input() {
        let pieces = [
            "",
            " ",
            "\t",
            ",",
            "=",
            "-",
            "*",
            "\"",
            "W/",
            "w/",
            "bytes",
            "BYTES",
            "bytes=",
            "0",
            "1",
            "9",
            "99",
            "18446744073709551615",
            "18446744073709551616",
            "abc123",
            "\"abc123\"",
            "W/\"abc123\"",
            "\"a,b\"",
            "\u{0}",
            "\r\n",
            "\u{7f}",
            "é",
            "关",
            "\u{feff}",
            "GMT",
            "Sun, ",
            "06 Nov 1994 ",
            "08:49:37",
            RFC_DATE,
            "Sunday, ",
            "06-Nov-94",
            "Sun Nov  6 ",
            ";",
            "\\",
            "%",
            "9999",
        ];
        let lens = [0, 1, 2, 10, 1000, u64::MAX - 1, u64::MAX];
        let mut rng = fastrand::Rng::with_seed(0x9e37_79b9_7f4a_7c15);
        let v = validators();
        for _ in 0..30_000 {
            let n = (rng.u64(..) % 10) as usize;
            let s: String = (0..n).map(|_| pieces[rng.usize(..pieces.len())]).collect();
            for &len in &lens {
                match evaluate_range(Some(&s), len) {
                    RangeOutcome::Partial(b) => {
                        assert!(b.start <= b.end && b.end < len, "{s:?} {len} {b:?}");
                        assert!(!b.is_empty() && b.len() == b.end - b.start + 1);
                    }
                    RangeOutcome::Full | RangeOutcome::NotSatisfiable => {}
                }
            }
            let c = Conditionals {
                if_match: Some(&s),
                if_unmodified_since: Some(&s),
                if_none_match: Some(&s),
                if_modified_since: Some(&s),
            };
            let _ = evaluate_preconditions(&c, &v);
            let _ = evaluate_preconditions(
                &c,
                &Validators {
                    etag: &s,
                    last_modified: UNIX_EPOCH - Duration::from_secs(rng.u64(..) % 1000),
                },
            );
            let _ = if_range_allows(Some(&s), &v);
            let _ = etag_from_hash(s.as_bytes());
        }
        // Any single byte, and long runs of it, as a header value.
        for b in 0u8..=127 {
            let one = char::from(b).to_string();
            let many = one.repeat(10_000);
            for s in [
                &one,
                &many,
                &format!("bytes={many}"),
                &format!("bytes=0-{many}"),
            ] {
                let _ = evaluate_range(Some(s), 1000);
                let _ = if_range_allows(Some(s), &v);
                let c = Conditionals {
                    if_match: Some(s),
                    if_unmodified_since: Some(s),
                    if_none_match: Some(s),
                    if_modified_since: Some(s),
                };
                let _ = evaluate_preconditions(&c, &v);
            }
        }
        for secs in [0, 1, u64::MAX / 2, u64::MAX] {
            if let Some(t) = UNIX_EPOCH.checked_add(Duration::from_secs(secs)) {
                let _ = http_date(t);
            }
            if let Some(t) = UNIX_EPOCH.checked_sub(Duration::from_secs(secs)) {
                let _ = http_date(t);
            }
        }
    }

    #[test]
    fn encoding_negotiation() {
        use Encoding::{Brotli, Gzip};
        let both = [Brotli, Gzip];
        let pick = |header: Option<&str>| negotiate_encoding(header, &both);
        assert_eq!(pick(None), None);
        assert_eq!(pick(Some("")), None);
        assert_eq!(pick(Some("identity")), None);
        // What browsers send.
        assert_eq!(pick(Some("gzip, deflate, br, zstd")), Some(Brotli));
        assert_eq!(pick(Some("gzip, deflate")), Some(Gzip));
        assert_eq!(pick(Some("GZIP")), Some(Gzip));
        assert_eq!(pick(Some("x-gzip")), Some(Gzip));
        assert_eq!(pick(Some("br;q=0.5, gzip")), Some(Gzip));
        assert_eq!(pick(Some("br;q=0, gzip;q=0")), None);
        assert_eq!(pick(Some("br ; q=0.001")), Some(Brotli));
        assert_eq!(pick(Some("*")), Some(Brotli));
        assert_eq!(pick(Some("*;q=0.1, br;q=0")), Some(Gzip));
        assert_eq!(pick(Some("gzip;q=1.5, br;q=abc")), None);
        assert_eq!(negotiate_encoding(Some("br, gzip"), &[Gzip]), Some(Gzip));
        assert_eq!(negotiate_encoding(Some("br"), &[Gzip]), None);
        assert_eq!(negotiate_encoding(Some("br, gzip"), &[]), None);
    }

    /// Found by the property tests: a later `q=0` for a coding named earlier was ignored, since
    /// only the first element naming a coding counted.
    #[test]
    fn a_refusal_is_not_overridden_by_another_element() {
        use Encoding::{Brotli, Gzip};
        let both = [Brotli, Gzip];
        let pick = |header: &str| negotiate_encoding(Some(header), &both);
        assert_eq!(pick("gzip;q=1,gzip;q=0"), None);
        assert_eq!(pick("br;q=1,br;q=0,br"), None);
        assert_eq!(pick("br, br;q=0, gzip"), Some(Gzip));
        assert_eq!(pick("gzip, x-gzip;q=0"), None);
        assert_eq!(pick("x-gzip;q=0.5, gzip;q=0.2, br;q=0.3"), Some(Brotli));
        assert_eq!(pick("*, *;q=0, gzip"), Some(Gzip));
        // Several weights in one element (not allowed by the grammar): the lowest counts.
        assert_eq!(pick("gzip;q=0;q=1"), None);
        assert_eq!(pick("gzip;q=1;q=0.5, br;q=0.7"), Some(Brotli));
    }
}
