@{
    Synopsis    = 'Reads resolv.conf text or files into ResolvConf objects, with what musl, glibc and Go each make of them.'
    Description = @'
ConvertFrom-ResolvConf parses resolv.conf the way the resolvers do and returns a DnsTools.Core.ResolvConf.ResolvConf object. Every line is kept verbatim (Lines), so nothing is lost: ConvertTo-ResolvConf gives the same text back.

The Nameservers, Search, Domain and Options properties say what the file says. The Musl, Glibc and Go properties say what each resolver makes of it, from its own source: musl reads only ndots, timeout and attempts (capped at 15, 60 and 10) and ignores every other option; glibc caps ndots, timeout and attempts at 15, 30 and 5 and reads its option table; Go caps ndots at 15 and treats single-request-reopen as single-request. The Resolvers property lists all three side by side.

Malformed lines (a nameserver with a port, an unknown keyword, a number option without a number, a line musl skips because it is too long) are reported as warnings that name the source and line number; they never stop the parse.
'@
    Parameters  = @{
        LiteralPath = 'resolv.conf files, taken literally: no wildcards, so a file named resolv[1].conf is that file. A missing file is an error naming it.'
        InputObject = 'resolv.conf text: pipe Get-Content (line by line) or Get-Content -Raw (one string); all text is read as one file. Files piped from Get-ChildItem are read each on its own, their path taken literally. Anything else piped in is a binding error (never its text).'
        Path        = 'Path of one or more resolv.conf files. Wildcards are allowed; a pattern that matches no file is an error (use -LiteralPath for names with [ ] * ?). Each file gives one object. (Files from Get-ChildItem come through the pipeline as -InputObject.)'
    }
    Outputs     = 'DnsTools.Core.ResolvConf.ResolvConf'
    Examples    = @(
        @{
            Code    = @'
"search default.svc.cluster.local svc.cluster.local cluster.local`nnameserver 10.96.0.10`noptions ndots:5 single-request-reopen" |
    ConvertFrom-ResolvConf | Select-Object -ExpandProperty Resolvers
'@
            Remarks = 'Shows what musl, glibc and Go each make of a pod''s resolv.conf: musl ignores single-request-reopen, glibc and Go act on it.'
        }
        @{
            Code    = 'ConvertFrom-ResolvConf -Path ./pod-resolv.conf -Verbose'
            Remarks = 'Reads a file saved from a pod (kubectl exec POD -- cat /etc/resolv.conf > pod-resolv.conf); warnings name the lines the resolvers ignore.'
        }
        @{
            Code    = '(Get-Content ./pod-resolv.conf | ConvertFrom-ResolvConf).Musl.Ndots'
            Remarks = 'The ndots value musl uses for the file.'
        }
    )
    Links       = @('ConvertTo-ResolvConf', 'New-PodResolvConf', 'about_DnsTools')
}
