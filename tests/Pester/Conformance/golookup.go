// DnsTools conformance client for Go's pure resolver: one net.Resolver{PreferGo: true}.LookupIPAddr
// (network "ip": A and AAAA), timed on CLOCK_MONOTONIC like the logging server. Built at test time
// with CGO_ENABLED=0; prints the same report as gai.c, with an rc mapped from Go's error.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"unsafe"
)

func monoNs() int64 {
	var ts syscall.Timespec
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 1 /* CLOCK_MONOTONIC */, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Sec*1000000000 + ts.Nsec
}

func main() {
	r := &net.Resolver{PreferGo: true}
	start := monoNs()
	addrs, err := r.LookupIPAddr(context.Background(), os.Args[1])
	end := monoNs()
	rc := 0
	var dnsErr *net.DNSError
	switch {
	case err == nil:
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		rc = -2
	case errors.As(err, &dnsErr) && (dnsErr.IsTimeout || dnsErr.IsTemporary):
		rc = -3
	default:
		rc = -4
	}
	v4, v6 := false, false
	for _, a := range addrs {
		if a.IP.To4() != nil {
			v4 = true
		} else {
			v6 = true
		}
	}
	families := ""
	if v4 {
		families = "A"
	}
	if v6 {
		if v4 {
			families += "+"
		}
		families += "AAAA"
	}
	fmt.Printf("START %d\nEND %d\nRC %d\nADDR %s\nERR %v\n", start, end, rc, families, err)
}
