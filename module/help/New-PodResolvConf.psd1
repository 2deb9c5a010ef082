@{
    Synopsis    = 'Forms the resolv.conf kubelet gives a pod, from its namespace, dnsPolicy and dnsConfig.'
    Description = @'
New-PodResolvConf follows kubelet (pkg/kubelet/network/dns/dns.go):

- ClusterFirst: the cluster DNS addresses are the only nameservers; the search list is <namespace>.svc.<domain>, svc.<domain>, <domain>, then the node's search domains; options are ndots:5. Without -ClusterDns kubelet falls back to Default, with a warning.
- ClusterFirst with -HostNetwork acts as Default; ClusterFirstWithHostNet stays ClusterFirst.
- Default: the node's resolv.conf (-HostResolvConf), as kubelet reads it: nameservers, the last search line, options.
- None: nothing but -DnsConfig.

-DnsConfig is then appended: nameservers and searches added with duplicates removed, options merged by name (the pod's value wins). Finally the limits apply: at most 3 nameservers, at most 32 search paths and 2048 characters (6 and 256 with -LegacySearchLimits, before Kubernetes 1.28); kubelet's warnings are written as warnings.

The result is a ResolvConf object, as from ConvertFrom-ResolvConf.
'@
    Parameters  = @{
        Spec               = 'Bound from the pipeline, not typed: the spec of a pod from `kubectl get pod NAME -o json | ConvertFrom-Json`. Its dnsPolicy, hostNetwork and dnsConfig are used where the command line does not give -DnsPolicy, -HostNetwork or -DnsConfig.'
        Metadata           = 'Bound from the pipeline, not typed: the metadata of that pod; its namespace is used unless -Namespace is given.'
        Namespace          = 'The pod''s namespace. Default: default.'
        ClusterDomain      = 'kubelet --cluster-domain. Default: cluster.local.'
        ClusterDns         = 'kubelet --cluster-dns: the cluster DNS Service addresses (IP addresses).'
        DnsPolicy          = 'The pod''s spec.dnsPolicy: ClusterFirst (default), ClusterFirstWithHostNet, Default or None.'
        HostNetwork        = 'The pod runs with spec.hostNetwork: true.'
        HostResolvConf     = 'The node''s resolv.conf (kubelet --resolv-conf): a ResolvConf object, a path or the text. Without it, kubelet''s behaviour for an empty --resolv-conf is modelled; this machine''s own resolv.conf is never read.'
        DnsConfig          = 'The pod''s spec.dnsConfig: the object ConvertFrom-Json reads from kubectl''s JSON ((kubectl get pod NAME -o json | ConvertFrom-Json).spec.dnsConfig), or a hashtable @{ nameservers = ...; searches = ...; options = ''name:value'', @{ name = ...; value = ... } }.'
        LegacySearchLimits = 'Use the search-list limits of Kubernetes before 1.28 (6 paths, 256 characters).'
    }
    Outputs     = 'DnsTools.Core.ResolvConf.ResolvConf'
    Examples    = @(
        @{
            Code    = @'
$pod = '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"api","namespace":"payments"},"spec":{"dnsPolicy":"ClusterFirst","dnsConfig":{"searches":["corp.example"],"options":[{"name":"ndots","value":"2"}]},"containers":[{"name":"api","image":"registry.example/api:1.4"}]}}' | ConvertFrom-Json
$pod | New-PodResolvConf -ClusterDns 10.96.0.10 -HostResolvConf "nameserver 10.0.0.2"
'@
            Remarks = 'A pod as kubectl prints it (kubectl get pod api -n payments -o json | ConvertFrom-Json gives the same object): its namespace, dnsPolicy, hostNetwork and dnsConfig are bound from the pod; options ndots:2 and the corp.example search path come from its dnsConfig.'
        }
        @{
            Code    = 'New-PodResolvConf -Namespace tke-test -ClusterDns 10.96.0.10 | ConvertTo-ResolvConf'
            Remarks = 'The resolv.conf of the incident report''s pods: three cluster search domains and ndots:5.'
        }
        @{
            Code    = @'
$node = "nameserver 192.0.2.53`nsearch corp.example`noptions timeout:2"
New-PodResolvConf -Namespace web -ClusterDns 10.96.0.10 -HostResolvConf $node -DnsConfig @{
    options = @{ name = 'ndots'; value = '2' }, 'single-request-reopen'
}
'@
            Remarks = 'A ClusterFirst pod on a node whose resolv.conf searches corp.example, with a dnsConfig that lowers ndots and adds single-request-reopen.'
        }
        @{
            Code    = 'New-PodResolvConf -DnsPolicy None -DnsConfig @{ nameservers = ''10.0.0.10''; searches = ''corp.example'' }'
            Remarks = 'dnsPolicy None: the resolv.conf holds only what dnsConfig says.'
        }
    )
    Links       = @('ConvertFrom-ResolvConf', 'ConvertTo-ResolvConf', 'about_DnsTools')
}
