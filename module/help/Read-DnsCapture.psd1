@{
    Synopsis    = 'Reads DNS queries and their answers from a pcap or pcapng file, or from tcpdump''s text output.'
    Description = @'
Read-DnsCapture decodes DNS over UDP and TCP port 53 (IPv4 and IPv6; Ethernet, VLAN, Linux cooked capture v1 and v2, raw IP) from pcap and pcapng files, or reads the lines tcpdump prints (tcpdump -i any port 53, with or without -n). A file is recognised by its first bytes: a capture, otherwise text.

Each query becomes an ObservedQuery, the same object Test-PodDnsLatency returns, paired with its answer: time sent (from the start of the capture), source port, id, type, name, rcode, answer count, latency. A query sent again with the same id and port is a re-send (ResendAfterServfail right after a SERVFAIL, RetryAfterTimeout otherwise), not a new query. An answer whose query is missing from the capture is kept and marked "query not captured".

Large files are streamed: memory holds about 30 seconds of traffic (at most -MaxPendingQueries queries), and progress shows the bytes read. Truncated files, packets cut by the snap length, packets with damaged IP, UDP or TCP headers or impossible timestamps, non-DNS traffic on port 53, malformed messages, unknown link types and text lines over -MaxLineLength are skipped and counted in a warning; the rest of the file is still read.
'@
    Parameters  = @{
        Path        = 'Capture files: pcap, pcapng or tcpdump text. Wildcards are allowed; a pattern that matches no file is an error (use -LiteralPath for names with [ ] * ?). (Files from Get-ChildItem come through the pipeline as -InputObject.)'
        LiteralPath = 'Capture files, taken literally: no wildcards, so a file named pod[1].pcap is that file. A missing file is an error naming it.'
        InputObject = 'tcpdump text lines, for example from Get-Content or from tcpdump itself, or capture files piped from Get-ChildItem (their path taken literally). Anything else piped in is a binding error (never its text).'
        MaxPendingQueries = 'Queries held at once while waiting for their answers (default 100000); beyond that the oldest is settled as it stands (no answer yet), so a huge or hostile capture takes linear time and bounded memory. Raise it for a capture of a very busy node.'
        MaxLineLength = 'Longest tcpdump text line read, in characters (default 65536); longer lines are skipped and counted in a warning.'
    }
    Outputs     = 'DnsTools.Core.Diagnosis.ObservedQuery'
    Examples    = @(
        @{
            Code    = 'Read-DnsCapture -Path ./pod.pcap | Format-Table Index, Type, Name, Rcode, Latency'
            Remarks = 'Every query in a capture with its answer and latency (capture with: kubectl debug POD --image=nicolaka/netshoot -- tcpdump -i any -w /tmp/pod.pcap port 53).'
        }
        @{
            Code    = 'Get-Content ./tcpdump.txt | Read-DnsCapture | Format-Table'
            Remarks = 'tcpdump''s text output, pasted into a file, as query objects.'
        }
    )
    Links       = @('Measure-DnsCapture', 'about_DnsTools')
}
