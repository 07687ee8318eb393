/*
 * udp-blast: a minimal UDP sender of valid, unsigned Presence v1 frames (docs/PROTOCOL.md), the
 * bench scripts' reference load: what the machine's loopback can carry with nothing but a tight
 * sendmmsg loop, beside which presence-loadgen and presence-ingest are measured.
 *
 *   cc -O2 -o udp-blast bench/tools/udp-blast.c
 *   udp-blast HOST PORT SECONDS [RECORDS_PER_FRAME=1] [USERS=1000000] [BATCH=64] [FRAMES_PER_S=0]
 *
 * Sends for SECONDS, BATCH frames per sendmmsg call, as fast as it can or at most FRAMES_PER_S
 * (0: no cap). Record user ids cycle 1..USERS, so FRAMES_PER_S x RECORDS_PER_FRAME = USERS / 10
 * makes every user heartbeat every 10 s. The target must be a loopback address (127.0.0.0/8).
 * Prints one line: frames_sent N records_sent N frames_per_s N records_per_s N
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { HEADER = 6, RECORD = 16, MAX_RECORDS = 91, SLOT = HEADER + RECORD * MAX_RECORDS, MAX_BATCH = 1024 };

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void be(uint8_t *at, uint64_t value, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--, value >>= 8)
        at[i] = (uint8_t)value;
}

static long arg(int argc, char **argv, int i, long fallback, long lo, long hi, const char *name)
{
    if (argc <= i)
        return fallback;
    char *end;
    long v = strtol(argv[i], &end, 10);
    if (*end || v < lo || v > hi) {
        fprintf(stderr, "udp-blast: %s must be %ld..%ld, not '%s'\n", name, lo, hi, argv[i]);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: udp-blast HOST PORT SECONDS [RECORDS_PER_FRAME=1] [USERS=1000000] [BATCH=64] [FRAMES_PER_S=0]\n");
        return 2;
    }
    struct sockaddr_in to = { .sin_family = AF_INET };
    if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1 || (ntohl(to.sin_addr.s_addr) >> 24) != 127) {
        fprintf(stderr, "udp-blast: HOST must be a loopback address (127.0.0.0/8), not '%s'\n", argv[1]);
        return 2;
    }
    to.sin_port = htons((uint16_t)arg(argc, argv, 2, 0, 1, 65535, "PORT"));
    double seconds = (double)arg(argc, argv, 3, 0, 1, 3600, "SECONDS");
    int per_frame = (int)arg(argc, argv, 4, 1, 1, MAX_RECORDS, "RECORDS_PER_FRAME");
    uint64_t users = (uint64_t)arg(argc, argv, 5, 1000000, 1, 1L << 40, "USERS");
    int batch = (int)arg(argc, argv, 6, 64, 1, MAX_BATCH, "BATCH");
    double cap = (double)arg(argc, argv, 7, 0, 0, 100000000, "FRAMES_PER_S");

    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof to) != 0) {
        perror("udp-blast: socket/connect");
        return 1;
    }

    static uint8_t frames[MAX_BATCH][SLOT];
    static struct iovec iov[MAX_BATCH];
    static struct mmsghdr msgs[MAX_BATCH];
    size_t length = HEADER + (size_t)RECORD * per_frame;
    for (int i = 0; i < batch; i++) {
        uint8_t *f = frames[i];
        f[0] = 'P'; f[1] = 'H'; f[2] = 1; f[3] = 0;
        be(f + 4, (uint64_t)per_frame, 2);
        iov[i].iov_base = f;
        iov[i].iov_len = length;
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }

    uint64_t next_user = 0, sent = 0;
    uint16_t seq = 0;
    double start = now_s(), elapsed = 0;
    while ((elapsed = now_s() - start) < seconds) {
        int n = batch;
        if (cap > 0) {
            /* Never ahead of the cap: send only what is due by now, else sleep until one frame is. */
            double due = cap * elapsed - (double)sent;
            if (due < 1) {
                struct timespec pause = { 0, (long)((1 - due) / cap * 1e9) + 1 };
                nanosleep(&pause, NULL);
                continue;
            }
            if (due < n)
                n = (int)due;
        }
        uint32_t unix_s = (uint32_t)time(NULL);
        for (int i = 0; i < n; i++)
            for (int r = 0; r < per_frame; r++) {
                uint8_t *rec = frames[i] + HEADER + RECORD * r;
                be(rec, 1 + next_user++ % users, 8);
                be(rec + 8, unix_s, 4);
                be(rec + 12, seq, 2);
                rec[14] = 0; /* heartbeat */
                rec[15] = 0; /* unsigned: key id 0 */
            }
        seq++;
        int done = sendmmsg(fd, msgs, (unsigned)n, 0);
        if (done > 0)
            sent += (uint64_t)done;
        else if (done < 0 && errno != EAGAIN && errno != ENOBUFS && errno != ECONNREFUSED && errno != EINTR) {
            perror("udp-blast: sendmmsg");
            return 1;
        }
    }
    printf("frames_sent %llu records_sent %llu frames_per_s %.0f records_per_s %.0f\n",
           (unsigned long long)sent, (unsigned long long)sent * per_frame, sent / elapsed, sent * per_frame / elapsed);
    return 0;
}
