/* DnsTools conformance client: one getaddrinfo(name, AF_UNSPEC, SOCK_STREAM, flags 0) call,
 * timed on CLOCK_MONOTONIC (the clock the logging server stamps queries with).
 * Built at test time with gcc (glibc) and musl-gcc (musl). */
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static long long mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    struct addrinfo hints, *res = NULL, *p;
    int rc, v4 = 0, v6 = 0;
    long long start, end;
    if (argc < 2) return 2;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    start = mono_ns();
    rc = getaddrinfo(argv[1], NULL, &hints, &res);
    end = mono_ns();
    for (p = res; p; p = p->ai_next) {
        if (p->ai_family == AF_INET) v4 = 1;
        if (p->ai_family == AF_INET6) v6 = 1;
    }
    printf("START %lld\nEND %lld\nRC %d\nADDR %s%s%s\n", start, end, rc, v4 ? "A" : "", v4 && v6 ? "+" : "", v6 ? "AAAA" : "");
    if (res) freeaddrinfo(res);
    return 0;
}
