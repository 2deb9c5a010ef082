/* DnsTools real-build conformance: runs a client inside a chroot and times it on CLOCK_MONOTONIC (the
 * clock the logging server stamps queries with), for clients that cannot time themselves (the static
 * busybox applets). Prints START, END and EXIT (the exit status) on stdout; the client's own output goes
 * to OUTFILE. Built statically at test time, so it needs nothing inside the chroot.
 * usage: runtimed ROOT OUTFILE PROGRAM [ARG]... */
#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    long long start, end;
    int status = 0, out;
    pid_t pid;
    if (argc < 4) return 2;
    out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0) return 2;
    start = mono_ns();
    pid = fork();
    if (pid == 0) {
        dup2(out, 1);
        dup2(out, 2);
        if (chroot(argv[1]) != 0 || chdir("/") != 0) _exit(126);
        execv(argv[3], argv + 3);
        _exit(127);
    }
    if (pid < 0) return 2;
    waitpid(pid, &status, 0);
    end = mono_ns();
    printf("START %lld\nEND %lld\nEXIT %d\n", start, end, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return 0;
}
