/*
 * udp-sink: a minimal UDP receiver that counts what it gets, the bench scripts' reference for
 * what the machine can receive: recvmmsg in batches into fixed slots, nothing else per datagram
 * but a look at the Presence v1 header (docs/PROTOCOL.md) to count frames and records.
 *
 *   cc -O2 -o udp-sink bench/tools/udp-sink.c
 *   udp-sink HOST PORT SECONDS [BATCH=64]
 *
 * Binds HOST:PORT (loopback only), asks for a 64 MiB receive buffer (forced where allowed, as
 * presence-ingest does), receives for SECONDS, then prints one line:
 *   frames_received N frames_v1 N records N
 * where frames_v1 are those with the v1 magic, version and a length that matches their count.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

enum { SLOT = 2048, MAX_BATCH = 1024 };

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: udp-sink HOST PORT SECONDS [BATCH=64]\n");
        return 2;
    }
    struct sockaddr_in at = { .sin_family = AF_INET };
    long port = strtol(argv[2], NULL, 10), seconds = strtol(argv[3], NULL, 10), batch = argc > 4 ? strtol(argv[4], NULL, 10) : 64;
    if (inet_pton(AF_INET, argv[1], &at.sin_addr) != 1 || (ntohl(at.sin_addr.s_addr) >> 24) != 127 || port < 1 || port > 65535
        || seconds < 1 || batch < 1 || batch > MAX_BATCH) {
        fprintf(stderr, "udp-sink: need a loopback HOST, a PORT 1..65535, SECONDS >= 1 and BATCH 1..%d\n", MAX_BATCH);
        return 2;
    }
    at.sin_port = htons((uint16_t)port);

    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int bytes = 64 << 20;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes); /* capped at net.core.rmem_max */
    struct timeval wake = { 0, 100000 }; /* a blocked receive wakes to look at the clock */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wake, sizeof wake);
    if (bind(fd, (struct sockaddr *)&at, sizeof at) != 0) {
        perror("udp-sink: bind");
        return 1;
    }

    static uint8_t slots[MAX_BATCH][SLOT];
    static struct iovec iov[MAX_BATCH];
    static struct mmsghdr msgs[MAX_BATCH];
    for (long i = 0; i < batch; i++) {
        iov[i].iov_base = slots[i];
        iov[i].iov_len = SLOT;
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }

    unsigned long long received = 0, v1 = 0, records = 0;
    double end = now_s() + (double)seconds;
    while (now_s() < end) {
        int n = recvmmsg(fd, msgs, (unsigned)batch, MSG_WAITFORONE, NULL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                continue;
            perror("udp-sink: recvmmsg");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            const uint8_t *f = slots[i];
            unsigned len = msgs[i].msg_len;
            received++;
            if (len < 6 || f[0] != 'P' || f[1] != 'H' || f[2] != 1)
                continue;
            unsigned count = (unsigned)f[4] << 8 | f[5];
            unsigned size = (f[3] & 1) ? 32 : 16; /* flag bit 0: signed records carry a tag */
            if (count > 0 && len == 6 + count * size) {
                v1++;
                records += count;
            }
        }
    }
    printf("frames_received %llu frames_v1 %llu records %llu\n", received, v1, records);
    return 0;
}
