# Installs a prebuilt `profile` on Windows, for people without a Rust toolchain. In PowerShell:
#
#   irm https://github.com/example/profile/releases/latest/download/profile-installer.ps1 | iex
#
# It picks the archive for this processor (profile-<target>.zip, built by
# .github/workflows/release.yml), checks it against the SHA-256 published beside it, unpacks
# profile.exe into %LOCALAPPDATA%\Programs\profile and adds that folder to the user's PATH.
# Nothing is installed unless the download matches its checksum.
#
# Environment:
#   PROFILE_INSTALL_BASE_URL  where the archives are (default: the latest GitHub release), for
#                             mirrors, a given version (.../releases/download/v0.1.0) and tests
#   PROFILE_INSTALL_DIR       where profile.exe goes (default: %LOCALAPPDATA%\Programs\profile)
#
# Windows PowerShell 5.1 (what Windows 10 and 11 come with) or PowerShell 7.

# The one place that names the GitHub repository (Cargo.toml's `repository`).
$ProfileRepository = 'example/profile'

# Everything is in a function called on the last line, so that a download cut short by the
# network (`irm ... | iex`) runs nothing, and so that its variables stay out of the caller's
# session.
function Install-Profile {
    $ErrorActionPreference = 'Stop'
    # Windows PowerShell 5.1 redraws its progress bar for every block it downloads, which makes
    # Invoke-WebRequest many times slower.
    $ProgressPreference = 'SilentlyContinue'
    # Windows PowerShell 5.1 may default to TLS 1.0, which GitHub refuses.
    [Net.ServicePointManager]::SecurityProtocol =
        [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12

    # A 32-bit PowerShell on 64-bit Windows sees "x86" here and the real one in ...W6432.
    $cpu = $env:PROCESSOR_ARCHITEW6432
    if (-not $cpu) { $cpu = $env:PROCESSOR_ARCHITECTURE }
    switch ($cpu) {
        'AMD64' { $arch = 'x86_64' }
        'ARM64' { $arch = 'aarch64' }
        default {
            throw "no prebuilt profile for the $cpu processor; build it from source: cargo install --locked --git https://github.com/$ProfileRepository profile"
        }
    }
    $target = "$arch-pc-windows-msvc"
    $archive = "profile-$target.zip"

    $base = $env:PROFILE_INSTALL_BASE_URL
    if (-not $base) { $base = "https://github.com/$ProfileRepository/releases/latest/download" }
    $base = $base.TrimEnd('/')
    $dir = $env:PROFILE_INSTALL_DIR
    if (-not $dir) { $dir = Join-Path $env:LOCALAPPDATA 'Programs\profile' }

    $tmp = Join-Path ([IO.Path]::GetTempPath()) ('profile-installer-' + [Guid]::NewGuid())
    New-Item -ItemType Directory -Path $tmp | Out-Null
    try {
        Write-Host "profile-installer: downloading $base/$archive"
        $zip = Join-Path $tmp $archive
        # -UseBasicParsing: 5.1 otherwise needs Internet Explorer's engine to parse the response.
        Invoke-WebRequest -UseBasicParsing -Uri "$base/$archive" -OutFile $zip
        Invoke-WebRequest -UseBasicParsing -Uri "$base/$archive.sha256" -OutFile "$zip.sha256"

        # The .sha256 file is what sha256sum writes: "<64 hex digits>  <file name>".
        $expected = ((Get-Content -Raw -LiteralPath "$zip.sha256").Trim() -split '\s+')[0].ToLowerInvariant()
        $actual = (Get-FileHash -Algorithm SHA256 -LiteralPath $zip).Hash.ToLowerInvariant()
        if ($expected -notmatch '^[0-9a-f]{64}$') {
            throw "$archive.sha256 holds no SHA-256; nothing installed"
        }
        if ($actual -ne $expected) {
            throw "checksum mismatch for $archive (expected $expected, got $actual); nothing installed"
        }

        Expand-Archive -LiteralPath $zip -DestinationPath $tmp -Force
        $exe = Join-Path $tmp "profile-$target\profile.exe"
        if (-not (Test-Path -LiteralPath $exe)) { throw "$archive holds no profile-$target\profile.exe" }
        # Refuses a program that does not start here (a damaged file) before it replaces a working
        # one. A program that cannot start at all throws; one that fails sets LASTEXITCODE.
        $version = & $exe --version
        if ($LASTEXITCODE -ne 0) { throw "the downloaded profile.exe does not run here; nothing installed" }
        New-Item -ItemType Directory -Force -Path $dir | Out-Null
        # Fails if profile.exe is running (Windows locks a running program): say so.
        try {
            Copy-Item -LiteralPath $exe -Destination (Join-Path $dir 'profile.exe') -Force
        } catch {
            throw "cannot replace $dir\profile.exe (is profile still running?): $($_.Exception.Message)"
        }
        Write-Host "profile-installer: installed $version to $dir\profile.exe"
    } finally {
        Remove-Item -Recurse -Force -LiteralPath $tmp -ErrorAction SilentlyContinue
    }

    # The user's PATH as stored (HKCU\Environment), with entries such as %USERPROFILE%\bin left
    # unexpanded: [Environment]::SetEnvironmentVariable would write them back expanded.
    $key = Get-Item -LiteralPath 'HKCU:\Environment'
    $userPath = $key.GetValue('Path', '', 'DoNotExpandEnvironmentNames')
    $entries = @($userPath -split ';' | Where-Object { $_ })
    if ($entries | Where-Object { $_.TrimEnd('\') -ieq $dir.TrimEnd('\') }) {
        Write-Host 'profile-installer: run: profile --help'
    } else {
        Set-ItemProperty -LiteralPath 'HKCU:\Environment' -Name 'Path' -Type ExpandString `
            -Value ((@($dir) + $entries) -join ';')
        # Setting any user variable through .NET broadcasts WM_SETTINGCHANGE, so that terminals
        # opened from now on see the new PATH; the registry write alone does not.
        $dummy = 'profile-installer-' + [Guid]::NewGuid()
        [Environment]::SetEnvironmentVariable($dummy, '1', 'User')
        [Environment]::SetEnvironmentVariable($dummy, [NullString]::Value, 'User')
        $env:Path = "$dir;$env:Path"
        Write-Host "profile-installer: added $dir to your PATH; open a new terminal, then run: profile --help"
    }
}

try {
    Install-Profile
} catch {
    # One line, not PowerShell's red error record.
    Write-Host "profile-installer: error: $($_.Exception.Message)" -ForegroundColor Red
    # Run as a file (powershell -File profile-installer.ps1), fail with a status. Under `irm | iex`
    # there is no file, and `exit` would close the user's PowerShell window.
    if ($PSCommandPath) { exit 1 }
    $global:LASTEXITCODE = 1
}
