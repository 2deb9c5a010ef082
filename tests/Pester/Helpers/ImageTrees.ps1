# Shared by the image tests: the merged tree as an independent tool saw it, and as Get-ImageFile
# returns it, in one comparable form ("path type size link"). Dot-source in BeforeAll; needs $Fx.

# The merged tree as umoci unpacked it, read with find: path, type (f/d/l), size of files, link text.
function script:ExpectedTree([string] $Tag) {
    & find (Join-Path $Fx "expected/$Tag") -mindepth 1 -printf '/%P\t%y\t%s\t%l\n' | ForEach-Object {
        $p, $y, $s, $l = $_ -split "`t"
        '{0} {1} {2} {3}' -f $p, $y, $(if ($y -eq 'f') { $s } else { '' }), $l
    } | Sort-Object -CaseSensitive
}

function script:ActualTree($files) {
    $files | Where-Object Path -ne '/' | ForEach-Object {
        $y = switch ($_.Type) { 'Directory' { 'd' } 'SymbolicLink' { 'l' } default { 'f' } }
        '{0} {1} {2} {3}' -f $_.Path, $y, $(if ($y -eq 'f') { $_.Size } else { '' }), $(if ($y -eq 'l') { $_.LinkTarget } else { '' })
    } | Sort-Object -CaseSensitive
}
