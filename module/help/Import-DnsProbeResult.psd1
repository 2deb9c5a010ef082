@{
    Synopsis    = 'Reads dnstools-probe JSON (jsonl or json) back into the lookup and summary objects Test-PodDnsLatency produces.'
    Description = @'
dnstools-probe runs the replay of Test-PodDnsLatency (and the capture analysis of Measure-DnsCapture) where PowerShell does not run: in a pod's own network namespace (kubectl debug), on a node, in CI. With --format jsonl it writes one result a line; Import-DnsProbeResult turns those lines back into the same objects the cmdlets produce — ObservedLookup (one lookup, with its queries and diagnosis) and DnsProbeSummary (--count above 1: p50/p95/p99 and every lookup; as jsonl each lookup's own line comes first, written as it completed, so filter on the type to keep only summaries) — so the module's table views, Format-List of the diagnosis and any script written against the cmdlets work on results gathered from a cluster.

It reads lines from the pipeline (Get-Content, kubectl logs) or files with -Path; --format json arrays are read too. A line that is not a probe result is an error naming the line, and the other lines are still read. Query plans (dnstools-probe plan) are computed, not measured: run Get-ResolverQueryPlan instead.
'@
    Parameters  = @{
        InputObject = 'Lines of dnstools-probe --format jsonl (or json) output; blank lines are skipped.'
        Path        = 'Files of dnstools-probe output, jsonl or json; wildcards allowed.'
    }
    Outputs     = 'DnsTools.Core.Diagnosis.ObservedLookup, DnsTools.Core.Probe.DnsProbeSummary'
    Examples    = @(
        @{
            Code    = 'Get-Content ./shop.jsonl | Import-DnsProbeResult | Format-Table'
            Remarks = 'The results of `kubectl debug ... -- dnstools-probe ... --format jsonl > shop.jsonl`, in the module''s views: resolver, mitigation, result, time, diagnosis.'
        }
        @{
            Code    = '(Import-DnsProbeResult -Path ./shop.jsonl | Where-Object ResolverSpec -eq ''musl-1.2.3'' | Select-Object -First 1).Diagnoses | Format-List'
            Remarks = 'Why musl took 5 s in that pod: each diagnosis with its evidence and the mitigations that apply to musl.'
        }
    )
    Links       = @('Test-PodDnsLatency', 'Measure-DnsCapture', 'about_DnsTools')
}
