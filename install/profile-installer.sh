#!/bin/sh
# Installs a prebuilt `profile` on macOS or Linux, for people without a Rust toolchain:
#
#   curl --proto '=https' --tlsv1.2 -LsSf https://github.com/example/profile/releases/latest/download/profile-installer.sh | sh
#
# It picks the archive for this system (profile-<target>.tar.gz, built by
# .github/workflows/release.yml), checks it against the SHA-256 published beside it, and copies the
# binary into ~/.local/bin. Nothing is installed unless every step succeeds.
#
# Environment:
#   PROFILE_INSTALL_BASE_URL  where the archives are (default: the latest GitHub release), for
#                             mirrors, a given version (.../releases/download/v0.1.0) and tests
#   PROFILE_INSTALL_DIR       where the binary goes (default: ~/.local/bin)
#
# POSIX sh (dash, busybox ash, bash, zsh); needs curl or wget, tar, and sha256sum or shasum.
# tests/it/release_workflow.rs runs it against a local server.

# Everything is in a function called on the last line, so that a download cut short by the
# network (`curl ... | sh`) runs nothing at all.

set -eu

# The one place that names the GitHub repository (Cargo.toml's `repository`).
REPOSITORY="example/profile"

say() {
    printf 'profile-installer: %s\n' "$*"
}

fail() {
    printf 'profile-installer: error: %s\n' "$*" >&2
    exit 1
}

# The Rust target triple of the archive that runs here.
detect_target() {
    os=$(uname -s) || fail "cannot run uname"
    arch=$(uname -m) || fail "cannot run uname"
    case "$arch" in
        x86_64 | amd64) arch=x86_64 ;;
        aarch64 | arm64) arch=aarch64 ;;
        *) fail "no prebuilt profile for the $arch processor; build it from source: cargo install --locked --git https://github.com/$REPOSITORY profile" ;;
    esac
    case "$os" in
        Linux)
            # Fully static musl binaries: they run on any distribution, glibc or musl (Alpine).
            echo "$arch-unknown-linux-musl"
            ;;
        Darwin)
            # A shell under Rosetta reports x86_64 on Apple silicon; the native binary is better.
            if [ "$arch" = x86_64 ] && [ "$(sysctl -n sysctl.proc_translated 2>/dev/null)" = 1 ]; then
                arch=aarch64
            fi
            echo "$arch-apple-darwin"
            ;;
        MINGW* | MSYS* | CYGWIN* | Windows_NT)
            fail "on Windows, run in PowerShell: irm https://github.com/$REPOSITORY/releases/latest/download/profile-installer.ps1 | iex"
            ;;
        *) fail "no prebuilt profile for $os; build it from source: cargo install --locked --git https://github.com/$REPOSITORY profile" ;;
    esac
}

# download URL FILE
download() {
    if command -v curl >/dev/null 2>&1; then
        # Only HTTPS (TLS 1.2 or newer) when the source is HTTPS: a redirect may not downgrade it.
        case "$1" in
            https://*) curl --proto '=https' --tlsv1.2 --fail --silent --show-error --location \
                --retry 3 --output "$2" "$1" ;;
            *) curl --fail --silent --show-error --location --retry 3 --output "$2" "$1" ;;
        esac
    elif command -v wget >/dev/null 2>&1; then
        wget --quiet --tries=3 --output-document="$2" "$1"
    else
        fail "neither curl nor wget is installed; install one of them and try again"
    fi
}

# The SHA-256 of a file, in lowercase hex.
sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d ' ' -f 1
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 "$1" | cut -d ' ' -f 1
    else
        fail "neither sha256sum nor shasum is installed, so the download cannot be checked"
    fi
}

main() {
    base="${PROFILE_INSTALL_BASE_URL:-https://github.com/$REPOSITORY/releases/latest/download}"
    base="${base%/}"
    dir="${PROFILE_INSTALL_DIR:-${HOME:?is not set; set PROFILE_INSTALL_DIR to where profile should go}/.local/bin}"

    target=$(detect_target)
    archive="profile-$target.tar.gz"

    tmp=$(mktemp -d 2>/dev/null || mktemp -d -t profile-installer) || fail "cannot create a temporary directory"
    # Removed however the script ends (the EXIT trap also runs after `exit 1` in fail).
    trap 'rm -rf "$tmp"' EXIT
    trap 'exit 130' INT TERM

    say "downloading $base/$archive"
    download "$base/$archive" "$tmp/$archive" || fail "could not download $base/$archive"
    download "$base/$archive.sha256" "$tmp/$archive.sha256" || fail "could not download $base/$archive.sha256"

    # The .sha256 file is what sha256sum writes: "<64 hex digits>  <file name>".
    expected=$(cut -d ' ' -f 1 <"$tmp/$archive.sha256" | head -n 1 | tr 'A-F' 'a-f')
    actual=$(sha256_of "$tmp/$archive")
    case "$expected" in
        *[!0-9a-f]* | "") fail "$archive.sha256 holds no SHA-256; nothing installed" ;;
    esac
    [ "${#expected}" -eq 64 ] || fail "$archive.sha256 holds no SHA-256; nothing installed"
    [ "$actual" = "$expected" ] ||
        fail "checksum mismatch for $archive (expected $expected, got $actual); nothing installed"

    tar -xzf "$tmp/$archive" -C "$tmp" || fail "could not unpack $archive"
    binary="$tmp/profile-$target/profile"
    [ -f "$binary" ] || fail "$archive holds no profile-$target/profile"
    chmod 755 "$binary"
    # Refuses a binary that does not start here (a wrong architecture, a damaged file) before it
    # replaces a working one.
    version=$("$binary" --version 2>/dev/null) || fail "the downloaded profile does not run on this system; nothing installed"

    mkdir -p "$dir" || fail "cannot create $dir"
    # Copied beside the destination, then renamed over it: an older profile is replaced in one
    # step, even while it runs.
    cp "$binary" "$dir/.profile.tmp.$$" || fail "cannot write to $dir"
    mv -f "$dir/.profile.tmp.$$" "$dir/profile" || { rm -f "$dir/.profile.tmp.$$"; fail "cannot write $dir/profile"; }
    say "installed $version to $dir/profile"

    case ":${PATH:-}:" in
        *":$dir:"*) say "run: profile --help" ;;
        *)
            say "$dir is not on your PATH; add it with this line in ~/.profile (or ~/.zshrc, ~/.bashrc), then open a new terminal:"
            say "  export PATH=\"$dir:\$PATH\""
            ;;
    esac
}

main "$@"
