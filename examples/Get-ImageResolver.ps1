<#
.SYNOPSIS
    Which resolver does a container image ship? musl (Alpine) or glibc, and the resolv.conf and
    nsswitch.conf baked into it — read from the image without running it.
.EXAMPLE
    ./examples/Get-ImageResolver.ps1 -Image docker-archive:./app.tar
.EXAMPLE
    Get-ChildItem ./images/*.tar | ForEach-Object { ./examples/Get-ImageResolver.ps1 -Image $_.FullName }
#>
param(
    [Parameter(Mandatory)] [string] $Image,
    [string] $ModuleManifest
)
$ErrorActionPreference = 'Stop'
if ($ModuleManifest) { Import-Module $ModuleManifest } else { Import-Module DnsTools }

# The dynamic loaders and libc files that tell the libcs apart, for the common architectures.
$markers = [ordered]@{
    '/lib/ld-musl-x86_64.so.1'                = 'musl'
    '/lib/ld-musl-aarch64.so.1'               = 'musl'
    '/lib64/ld-linux-x86-64.so.2'             = 'glibc'
    '/lib/ld-linux-aarch64.so.1'              = 'glibc'
    '/lib/x86_64-linux-gnu/libc.so.6'         = 'glibc'
    '/lib/aarch64-linux-gnu/libc.so.6'        = 'glibc'
    '/usr/lib64/libc.so.6'                    = 'glibc'
}
$config = '/etc/resolv.conf', '/etc/nsswitch.conf', '/etc/os-release'

# One read of the image answers every path; the ones it lacks are simply not there.
$found = Get-ImageFile -Image $Image -Path (@($markers.Keys) + $config) -MaxContentBytes 1MB -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
$byPath = @{}
foreach ($f in $found) { $byPath[$f.Path] = $f }
# The text of a file the image has, else nothing (so the script also runs under Set-StrictMode -Version Latest).
function ContentOf([string] $Path) { if ($byPath.ContainsKey($Path)) { $byPath[$Path].Content } }

$libc = @($markers.Keys | Where-Object { $byPath.ContainsKey($_) -and -not $byPath[$_].IsDangling } | ForEach-Object { $markers[$_] } | Select-Object -Unique)
$osRelease = ContentOf '/etc/os-release'
[pscustomobject]@{
    Image        = $Image
    Libc         = if ($libc.Count -eq 1) { $libc[0] } elseif ($libc.Count -gt 1) { $libc -join '+' } else { 'none found (static or distroless?)' }
    Evidence     = @($markers.Keys | Where-Object { $byPath.ContainsKey($_) } | ForEach-Object { $f = $byPath[$_]; if ($f.LinkTarget) { "$_ -> $($f.LinkTarget)" } else { $_ } })
    OS           = if ($osRelease -match '(?m)^PRETTY_NAME="?([^"\n]*)') { $Matches[1] } else { $null }
    ResolvConf   = ContentOf '/etc/resolv.conf'
    ResolvConfIs = if (-not $byPath.ContainsKey('/etc/resolv.conf')) { 'absent (the runtime provides it)' } elseif ($byPath['/etc/resolv.conf'].IsDangling) { "a dangling link to $($byPath['/etc/resolv.conf'].LinkTarget)" } elseif ($byPath['/etc/resolv.conf'].LinkTarget) { "a link to $($byPath['/etc/resolv.conf'].ResolvedPath)" } else { 'a file' }
    NsSwitch     = if ((ContentOf '/etc/nsswitch.conf') -match '(?m)^hosts:\s*(.*)$') { $Matches[1].Trim() } else { $null }
}
