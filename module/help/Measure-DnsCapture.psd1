@{
    Synopsis    = 'Groups a capture''s queries into lookups, infers the resolver that sent them and explains the delay.'
    Description = @'
Measure-DnsCapture takes the queries of Read-DnsCapture (or reads the files itself with -Path) and groups them per client into lookups: the search candidates of one name, asked one after the other, with their re-sends. For each lookup it infers the resolver from what only that resolver does on the wire (musl re-sends a query right after SERVFAIL with the same id and port; musl and glibc send A and AAAA together from one socket; Go sends them from separate sockets) and returns an ObservedLookup with the same diagnosis codes as Test-PodDnsLatency:

- DNS001 search-list amplification (queries to NXDOMAIN candidates before the real name);
- DNS002 SERVFAIL re-send storm (musl);
- DNS003 waiting for a SERVFAIL;
- DNS004 a lost query of a same-socket parallel pair (the conntrack race signature);
- DNS005 slow answers;
- DNS006 a truncated answer without TCP fallback;
- DNS007 no server gave a usable answer.

Each diagnosis carries its evidence (query numbers, ids, times) and the mitigations that apply to the inferred resolver.
'@
    Parameters  = @{
        Query       = 'Query objects from Read-DnsCapture, given as an argument (piped, they come through -InputObject).'
        Path        = 'Capture files to read directly (pcap, pcapng or tcpdump text); streams without holding the capture in memory. Wildcards are allowed; a pattern that matches no file is an error (use -LiteralPath for names with [ ] * ?).'
        LiteralPath = 'Capture files, taken literally: no wildcards, so a file named pod[1].pcap is that file. A missing file is an error naming it.'
        InputObject = 'The pipeline: query objects from Read-DnsCapture, tcpdump text lines, or capture files from Get-ChildItem (their path taken literally). Anything else is a binding error.'
        Client      = 'Only lookups of these clients (address or host name as in the capture; wildcards allowed).'
        MaxPendingQueries = 'Queries held at once while waiting for their answers (default 100000), and at most 1000 lookups gathered at once; beyond that the oldest query is settled as it stands and the quietest lookup is closed, so a huge or hostile capture takes linear time and bounded memory. Raise it for a capture of a very busy node.'
        MaxLineLength = 'Longest tcpdump text line read, in characters (default 65536); longer lines are skipped and counted in a warning.'
    }
    Outputs     = 'DnsTools.Core.Diagnosis.ObservedLookup'
    Examples    = @(
        @{
            Code    = 'Read-DnsCapture -Path ./pod.pcap | Measure-DnsCapture'
            Remarks = 'Per client: lookups, their duration, the resolver inferred and the diagnosis.'
        }
        @{
            Code    = '(Measure-DnsCapture -Path ./tcpdump.txt).Diagnoses | Format-List'
            Remarks = 'Every finding in full: explanation, evidence and mitigations.'
        }
    )
    Links       = @('Read-DnsCapture', 'about_DnsTools')
}
