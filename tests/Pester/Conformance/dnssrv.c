/* DnsTools conformance server: a scripted DNS server for 127.0.0.x:53 (UDP and TCP) that logs every
 * query (CLOCK_MONOTONIC ns, transport, server address, client port, id, name, type, action) and
 * answers per rules. For the real clients it runs inside a private network namespace and brings "lo"
 * up itself; for the probe (a user-space program that takes a port) it runs beside it on loopback,
 * on another port (ADDR:PORT), where "lo" is already up and is left alone.
 *
 * usage: dnssrv [--fork] RULES LOG READYFILE MAXSECONDS ADDR[:PORT]...
 *   --fork: once every socket listens, the server goes to the background and the command returns, with
 *   the server's pid written to READYFILE (a caller waits for the command, never sleeps); without it,
 *   READYFILE is created when the sockets listen.
 * Each query is stamped with the kernel's receive time (SO_TIMESTAMPNS, taken when the packet or TCP
 * segment arrived, converted to CLOCK_MONOTONIC), so the order of UDP and TCP queries is never guessed
 * from when this loop got round to reading them; the log line ends with the query's bytes after the id (hex).
 * Each reply is logged too, right after its system call: "R NS udp|tcp SERVER CLIENTPORT ID" (CLOCK_MONOTONIC),
 * so a client's reaction (reply sent -> its next query received) can be measured from the log.
 * RULES: one rule per line: SERVER|* TYPE|* PATTERN KIND DELAYMS SPECIFICITY PARALLEL(0|1)
 *   KIND: answer nxdomain nodata servfail refused none tc reset (TCP: RST once the query is read; UDP: no reply)
 *   The most specific matching rule wins (ties: first); a PARALLEL rule applies only to a UDP query
 *   that arrives within 1 ms of the previous query from the same client port to the same address,
 *   and then wins. No match: answer at once. Over TCP "tc" answers. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define MAXRULES 64
#define MAXADDR 4
#define MAXCONN 32
#define MAXPEND 256

struct rule { char server[64], type[8], pattern[256], kind[16]; long delay_ms; int spec, parallel; };
static struct rule rules[MAXRULES];
static int nrules;

struct pending { long long due; int fd; int tcp; struct sockaddr_in to; struct in_addr server; unsigned char buf[600]; int len; };
static struct pending pend[MAXPEND];
static int npend;

struct lastq { int port; unsigned addr; long long t; };
static struct lastq lastqs[256];
static int nlast;

static FILE *logf;
static long long realtime_minus_mono;
static int reset_connection; /* set by handle(): the TCP connection is to be reset */

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int glob_match(const char *p, const char *s)
{
    if (!*p) return !*s;
    if (*p == '*') {
        for (;; s++) {
            if (glob_match(p + 1, s)) return 1;
            if (!*s) return 0;
        }
    }
    return *s && tolower((unsigned char)*p) == tolower((unsigned char)*s) && glob_match(p + 1, s + 1);
}

static void load_rules(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[512];
    if (!f) return;
    while (nrules < MAXRULES && fgets(line, sizeof line, f)) {
        struct rule *r = &rules[nrules];
        if (sscanf(line, "%63s %7s %255s %15s %ld %d %d", r->server, r->type, r->pattern, r->kind, &r->delay_ms, &r->spec, &r->parallel) == 7)
            nrules++;
    }
    fclose(f);
}

/* Parses the question; returns the offset after it or -1. */
static int parse_question(const unsigned char *q, int len, char *name, int *qtype)
{
    int i = 12, o = 0;
    if (len < 17) return -1;
    while (i < len && q[i]) {
        int l = q[i];
        if (l > 63 || i + 1 + l >= len || o + l + 2 > 255) return -1;
        if (o) name[o++] = '.';
        memcpy(name + o, q + i + 1, l);
        o += l;
        i += 1 + l;
    }
    name[o] = 0;
    if (i + 5 > len) return -1;
    *qtype = (q[i + 1] << 8) | q[i + 2];
    return i + 5;
}

static const struct rule *decide(const char *server, int qtype, const char *name, int tcp, int parallel)
{
    const struct rule *best = NULL;
    const char *t = qtype == 1 ? "A" : qtype == 28 ? "AAAA" : "OTHER";
    int i;
    for (i = 0; i < nrules; i++) {
        const struct rule *r = &rules[i];
        if (strcmp(r->server, "*") && strcmp(r->server, server)) continue;
        if (strcmp(r->type, "*") && strcasecmp(r->type, t)) continue;
        if (!glob_match(r->pattern, name)) continue;
        if (r->parallel) {
            if (parallel && !tcp) return r;
            continue;
        }
        if (!best || r->spec > best->spec) best = r;
    }
    return best;
}

/* Builds the reply; returns its length, 0 for no reply. */
static int build_reply(const unsigned char *q, int qend, int qtype, const char *kind, int tcp, unsigned char *out)
{
    int rcode = 0, tc = 0, answer = 0, n;
    if (!strcmp(kind, "none")) return 0;
    if (!strcmp(kind, "nxdomain")) rcode = 3;
    else if (!strcmp(kind, "servfail")) rcode = 2;
    else if (!strcmp(kind, "refused")) rcode = 5;
    else if (!strcmp(kind, "nodata")) answer = 0;
    else if (!strcmp(kind, "tc")) { if (tcp) answer = 1; else tc = 1; }
    else answer = 1;
    if (qtype != 1 && qtype != 28) answer = 0;
    memcpy(out, q, qend);
    out[2] = 0x80 | (q[2] & 0x79) | (tc ? 0x02 : 0); /* QR, opcode, RD; TC */
    out[3] = 0x80 | rcode;                           /* RA */
    out[4] = 0; out[5] = 1;
    out[6] = 0; out[7] = answer ? 1 : 0;
    out[8] = out[9] = out[10] = out[11] = 0;
    n = qend;
    if (answer) {
        static const unsigned char a4[4] = { 10, 1, 2, 3 };
        static const unsigned char a6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
        int rdlen = qtype == 1 ? 4 : 16;
        out[n++] = 0xc0; out[n++] = 0x0c;
        out[n++] = 0; out[n++] = qtype;
        out[n++] = 0; out[n++] = 1;
        out[n++] = 0; out[n++] = 0; out[n++] = 0; out[n++] = 30;
        out[n++] = 0; out[n++] = rdlen;
        memcpy(out + n, qtype == 1 ? a4 : a6, rdlen);
        n += rdlen;
    }
    return n;
}

static int was_parallel(unsigned addr, int port, long long t)
{
    int i, par = 0;
    for (i = 0; i < nlast; i++) {
        if (lastqs[i].addr == addr && lastqs[i].port == port) {
            /* 1 ms: the kernel's race window. A libc sends the pair back to back (glibc with one sendmmsg,
               musl with two sendto calls: microseconds apart); the conntrack race that drops the second
               needs both packets in flight at once, so a pair further apart than this does not race.
               The probe must send its pairs as closely. Every rule delay that must not count as a pair (the
               answer before a sequential second query) is longer than this. */
            par = t - lastqs[i].t < 1000000LL;
            lastqs[i].t = t;
            return par;
        }
    }
    if (nlast < 256) { lastqs[nlast].addr = addr; lastqs[nlast].port = port; lastqs[nlast].t = t; nlast++; }
    return 0;
}

/* The kernel's receive time of the message just read (SO_TIMESTAMPNS, CLOCK_REALTIME) on CLOCK_MONOTONIC; now when absent. */
static long long received_at(struct msghdr *msg)
{
    struct cmsghdr *c;
    for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof ts);
            return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec - realtime_minus_mono;
        }
    }
    return now_ns();
}

static int recv_stamped(int fd, unsigned char *buf, int size, struct sockaddr_in *from, long long *t)
{
    char control[256];
    struct iovec iov = { buf, (size_t)size };
    struct msghdr msg;
    int len;
    memset(&msg, 0, sizeof msg);
    msg.msg_name = from;
    msg.msg_namelen = from ? sizeof *from : 0;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    len = recvmsg(fd, &msg, 0);
    *t = len > 0 ? received_at(&msg) : now_ns();
    return len;
}

static void handle(int fd, int tcp, unsigned server_addr, const unsigned char *q, int len, struct sockaddr_in *from, long long t)
{
    char name[256], server[64], hex[1200];
    int qtype, qend, rlen, parallel = 0, i;
    const struct rule *r;
    const char *kind;
    struct in_addr sa;
    unsigned char out[600];
    if (len < 12 || (qend = parse_question(q, len, name, &qtype)) < 0) return;
    sa.s_addr = server_addr;
    snprintf(server, sizeof server, "%s", inet_ntoa(sa));
    if (!tcp) parallel = was_parallel(server_addr, ntohs(from->sin_port), t);
    r = decide(server, qtype, name, tcp, parallel);
    kind = r ? r->kind : "answer";
    if (r && r->parallel) kind = "none";
    for (i = 2; i < len && i < 2 + 590; i++) snprintf(hex + 2 * (i - 2), 3, "%02x", q[i]);
    hex[2 * (i - 2)] = 0;
    fprintf(logf, "Q %lld %s %s %d %d %s %s %s %ld %s\n", t, tcp ? "tcp" : "udp", server, ntohs(from->sin_port),
        (q[0] << 8) | q[1], name, qtype == 1 ? "A" : qtype == 28 ? "AAAA" : "OTHER", r && r->parallel ? "race" : kind, r ? r->delay_ms : 0L, hex);
    fflush(logf);
    if (!strcmp(kind, "reset")) { if (tcp) reset_connection = 1; return; }
    rlen = build_reply(q, qend, qtype, kind, tcp, out);
    if (!rlen || npend >= MAXPEND) return;
    /* The delay counts from when the query arrived. */
    pend[npend].due = t + (r ? r->delay_ms : 0) * 1000000LL;
    pend[npend].fd = fd;
    pend[npend].tcp = tcp;
    pend[npend].to = *from;
    pend[npend].server = sa;
    memcpy(pend[npend].buf, out, rlen);
    pend[npend].len = rlen;
    npend++;
}

static void flush_due(void)
{
    long long t = now_ns();
    int i = 0;
    while (i < npend) {
        if (pend[i].due <= t) {
            if (pend[i].tcp) {
                unsigned char lenb[2] = { (unsigned char)(pend[i].len >> 8), (unsigned char)pend[i].len };
                if (write(pend[i].fd, lenb, 2) == 2 && write(pend[i].fd, pend[i].buf, pend[i].len) < 0) { /* client gone */ }
            } else {
                sendto(pend[i].fd, pend[i].buf, pend[i].len, 0, (struct sockaddr *)&pend[i].to, sizeof pend[i].to);
            }
            fprintf(logf, "R %lld %s %s %d %d\n", now_ns(), pend[i].tcp ? "tcp" : "udp", inet_ntoa(pend[i].server),
                ntohs(pend[i].to.sin_port), (pend[i].buf[0] << 8) | pend[i].buf[1]);
            fflush(logf);
            pend[i] = pend[--npend];
        } else i++;
    }
}

int main(int argc, char **argv)
{
    struct pollfd pfd[2 * MAXADDR + MAXCONN];
    unsigned pfd_addr[2 * MAXADDR + MAXCONN];
    int kind[2 * MAXADDR + MAXCONN]; /* 0 udp, 1 listen, 2 conn */
    int nfd = 0, i, s, one = 1;
    long long deadline;
    struct ifreq ifr;
    FILE *ready;
    int daemon_mode = 0;
    struct timespec rt, mt;
    if (argc > 1 && !strcmp(argv[1], "--fork")) { daemon_mode = 1; argv++; argc--; }
    if (argc < 6) { fprintf(stderr, "usage: dnssrv [--fork] RULES LOG READY MAXSECONDS ADDR...\n"); return 2; }
    clock_gettime(CLOCK_REALTIME, &rt);
    clock_gettime(CLOCK_MONOTONIC, &mt);
    realtime_minus_mono = ((long long)rt.tv_sec - mt.tv_sec) * 1000000000LL + (rt.tv_nsec - mt.tv_nsec);
    load_rules(argv[1]);
    logf = fopen(argv[2], "w");
    if (!logf) return 1;
    deadline = now_ns() + atoll(argv[4]) * 1000000000LL;

    /* Bring the namespace's loopback up (a new network namespace starts with lo down). */
    s = socket(AF_INET, SOCK_DGRAM, 0);
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) { ifr.ifr_flags |= IFF_UP; ioctl(s, SIOCSIFFLAGS, &ifr); }
    close(s);

    for (i = 5; i < argc && i < 5 + MAXADDR; i++) {
        struct sockaddr_in a;
        char host[64], *colon;
        int u, t, port = 53;
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        snprintf(host, sizeof host, "%s", argv[i]);
        if ((colon = strchr(host, ':'))) { *colon = 0; port = atoi(colon + 1); }
        if (port <= 0 || port > 65535) return 2;
        a.sin_port = htons((unsigned short)port);
        if (inet_pton(AF_INET, host, &a.sin_addr) != 1) return 2;
        u = socket(AF_INET, SOCK_DGRAM, 0);
        t = socket(AF_INET, SOCK_STREAM, 0);
        setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        setsockopt(u, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
        if (bind(u, (struct sockaddr *)&a, sizeof a) < 0 || bind(t, (struct sockaddr *)&a, sizeof a) < 0 || listen(t, 8) < 0) {
            fprintf(stderr, "bind %s: %s\n", argv[i], strerror(errno));
            return 1;
        }
        pfd[nfd].fd = u; pfd[nfd].events = POLLIN; pfd_addr[nfd] = a.sin_addr.s_addr; kind[nfd++] = 0;
        pfd[nfd].fd = t; pfd[nfd].events = POLLIN; pfd_addr[nfd] = a.sin_addr.s_addr; kind[nfd++] = 1;
    }
    if (daemon_mode) {
        pid_t child;
        fflush(logf);
        child = fork();
        if (child < 0) return 1;
        if (child > 0) {
            ready = fopen(argv[3], "w");
            if (ready) { fprintf(ready, "%d\n", (int)child); fclose(ready); }
            _exit(0);
        }
        setsid();
    } else {
        ready = fopen(argv[3], "w");
        if (ready) fclose(ready);
    }

    while (now_ns() < deadline) {
        long long next = deadline, t;
        int timeout_ms;
        for (i = 0; i < npend; i++) if (pend[i].due < next) next = pend[i].due;
        t = now_ns();
        timeout_ms = next > t ? (int)((next - t + 999999) / 1000000) : 0;
        if (timeout_ms > 100) timeout_ms = 100;
        if (poll(pfd, nfd, timeout_ms) > 0) {
            int n = nfd;
            for (i = 0; i < n; i++) {
                if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
                if (kind[i] == 0) {
                    unsigned char buf[4096];
                    struct sockaddr_in from;
                    long long t;
                    int len = recv_stamped(pfd[i].fd, buf, sizeof buf, &from, &t);
                    if (len > 0) handle(pfd[i].fd, 0, pfd_addr[i], buf, len, &from, t);
                } else if (kind[i] == 1) {
                    struct sockaddr_in from;
                    socklen_t fl = sizeof from;
                    int c = accept(pfd[i].fd, (struct sockaddr *)&from, &fl);
                    if (c >= 0) setsockopt(c, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
                    if (c >= 0 && nfd < 2 * MAXADDR + MAXCONN) {
                        pfd[nfd].fd = c; pfd[nfd].events = POLLIN; pfd[nfd].revents = 0; pfd_addr[nfd] = pfd_addr[i]; kind[nfd++] = 2;
                    } else if (c >= 0) close(c);
                } else {
                    /* One length-prefixed query per read is enough for the clients tested (queries are small). */
                    unsigned char buf[4096];
                    struct sockaddr_in from;
                    socklen_t fl = sizeof from;
                    long long t;
                    int len = recv_stamped(pfd[i].fd, buf, sizeof buf, NULL, &t), off = 0;
                    getpeername(pfd[i].fd, (struct sockaddr *)&from, &fl);
                    if (len <= 0) { close(pfd[i].fd); pfd[i].fd = -1; continue; }
                    reset_connection = 0;
                    while (off + 2 <= len) {
                        int ql = (buf[off] << 8) | buf[off + 1];
                        if (off + 2 + ql > len) break;
                        handle(pfd[i].fd, 1, pfd_addr[i], buf + off + 2, ql, &from, t);
                        off += 2 + ql;
                    }
                    if (reset_connection) {
                        /* close with SO_LINGER 0: the kernel sends RST, the client's read fails with ECONNRESET. */
                        struct linger lg = { 1, 0 };
                        int k;
                        setsockopt(pfd[i].fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
                        for (k = 0; k < npend; k++) if (pend[k].fd == pfd[i].fd) pend[k--] = pend[--npend];
                        close(pfd[i].fd);
                        pfd[i].fd = -1;
                    }
                }
            }
        }
        flush_due();
    }
    return 0;
}
