@{
    Synopsis    = 'Writes a ResolvConf object as resolv.conf text.'
    Description = @'
ConvertTo-ResolvConf returns the text of a ResolvConf object. A parsed file comes back exactly as it was read, comments and unknown lines included; a formed one (New-PodResolvConf) is written the way the container runtime writes a pod's /etc/resolv.conf: search, nameserver lines, options.
'@
    Parameters  = @{
        InputObject = 'The ResolvConf object to write, from ConvertFrom-ResolvConf or New-PodResolvConf.'
    }
    Outputs     = 'System.String'
    Examples    = @(
        @{
            Code    = 'New-PodResolvConf -Namespace shop -ClusterDns 10.96.0.10 | ConvertTo-ResolvConf'
            Remarks = 'The text of the resolv.conf a ClusterFirst pod in namespace "shop" gets.'
        }
        @{
            Code    = 'New-PodResolvConf -Namespace shop -ClusterDns 10.96.0.10 -DnsConfig @{ options = @{ name = ''ndots''; value = ''2'' } } | ConvertTo-ResolvConf | Set-Content ./ndots2-resolv.conf'
            Remarks = 'Writes the resolv.conf of a pod whose dnsConfig lowers ndots to 2, to a file.'
        }
    )
    Links       = @('ConvertFrom-ResolvConf', 'New-PodResolvConf')
}
