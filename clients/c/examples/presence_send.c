/*
 * presence_send: sends heartbeats (or a sign-out) for one user with the C client, over UDP.
 * What the end-to-end tests run against a real presence-ingest, and a handy probe by hand.
 * Exit 0 when every frame was sent, 1 when sending failed, 2 for a bad command line.
 */
#include "../presence.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage[] =
    "usage: presence_send --to IP:PORT --user ID [--device-key HEX | --master-key HEX] [--key-id N]\n"
    "                     [--offline] [--count N] [--seq N] [--corrupt-tag]\n"
    "  --to IP:PORT        the ingester's UDP address (numeric; IPv6 as [::1]:7700)\n"
    "  --user ID           user id, 1..18446744073709551615\n"
    "  --device-key HEX    sign with this 32-byte device key (64 hex digits)\n"
    "  --master-key HEX    sign with the device key derived from this master key (as a gateway does)\n"
    "  --key-id N          which master key the device key comes from (0..255, default 0)\n"
    "  --offline           send a sign-out instead of a heartbeat\n"
    "  --count N           frames to send, seq counting up (default 1)\n"
    "  --seq N             seq of the first frame (default 0)\n"
    "  --corrupt-tag       flip the last bit of each tag (the ingester must reject and count it)\n";

static int bad(const char *what, const char *value)
{
    fprintf(stderr, "presence_send: %s: '%s'\n%s", what, value ? value : "", usage);
    return 2;
}

static int parse_key(const char *hex, uint8_t key[PRESENCE_KEY_SIZE])
{
    size_t i;
    if (strlen(hex) != 2 * PRESENCE_KEY_SIZE)
        return 0;
    for (i = 0; i < PRESENCE_KEY_SIZE; i++) {
        unsigned byte;
        char pair[3] = { hex[2 * i], hex[2 * i + 1], '\0' };
        char *end;
        byte = (unsigned)strtoul(pair, &end, 16);
        if (*end != '\0')
            return 0;
        key[i] = (uint8_t)byte;
    }
    return 1;
}

static int parse_u64(const char *text, unsigned long long max, unsigned long long *value)
{
    char *end;
    if (text == NULL || *text < '0' || *text > '9')
        return 0;
    errno = 0;
    *value = strtoull(text, &end, 10);
    return errno == 0 && *end == '\0' && *value <= max;
}

/* "1.2.3.4:7700" or "[::1]:7700" into a numeric address and a port. */
static int parse_target(const char *text, char *ip, size_t ip_size, uint16_t *port)
{
    const char *colon = strrchr(text, ':');
    unsigned long long p;
    size_t len;
    if (colon == NULL || !parse_u64(colon + 1, 65535, &p) || p == 0)
        return 0;
    len = (size_t)(colon - text);
    if (len >= 2 && text[0] == '[' && text[len - 1] == ']') {
        text++;
        len -= 2;
    }
    if (len == 0 || len >= ip_size)
        return 0;
    memcpy(ip, text, len);
    ip[len] = '\0';
    *port = (uint16_t)p;
    return 1;
}

int main(int argc, char **argv)
{
    const char *target = NULL, *device_hex = NULL, *master_hex = NULL;
    unsigned long long user = 0, key_id = 0, count = 1, seq = 0;
    uint8_t key[PRESENCE_KEY_SIZE], frame[PRESENCE_MAX_ONE_RECORD_FRAME];
    char ip[64];
    uint16_t port;
    int offline = 0, corrupt = 0, fd, i, status;
    unsigned long long sent;
    presence_client device;

    for (i = 1; i < argc; i++) {
        const char *arg = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (strcmp(arg, "--offline") == 0) {
            offline = 1;
        } else if (strcmp(arg, "--corrupt-tag") == 0) {
            corrupt = 1;
        } else if (value == NULL) {
            return bad("missing value or unknown option", arg);
        } else if (strcmp(arg, "--to") == 0) {
            target = argv[++i];
        } else if (strcmp(arg, "--user") == 0) {
            if (!parse_u64(argv[++i], ~0ULL, &user) || user == 0)
                return bad("--user must be 1..18446744073709551615", value);
        } else if (strcmp(arg, "--device-key") == 0) {
            device_hex = argv[++i];
        } else if (strcmp(arg, "--master-key") == 0) {
            master_hex = argv[++i];
        } else if (strcmp(arg, "--key-id") == 0) {
            if (!parse_u64(argv[++i], 255, &key_id))
                return bad("--key-id must be 0..255", value);
        } else if (strcmp(arg, "--count") == 0) {
            if (!parse_u64(argv[++i], 1000000, &count) || count == 0)
                return bad("--count must be 1..1000000", value);
        } else if (strcmp(arg, "--seq") == 0) {
            if (!parse_u64(argv[++i], 65535, &seq))
                return bad("--seq must be 0..65535", value);
        } else {
            return bad("unknown option", arg);
        }
    }
    if (target == NULL || !parse_target(target, ip, sizeof ip, &port))
        return bad("--to must be IP:PORT with a numeric IP and a port 1..65535", target);
    if (user == 0)
        return bad("--user is required", NULL);
    if (device_hex != NULL && master_hex != NULL)
        return bad("give --device-key or --master-key, not both", NULL);
    if (device_hex != NULL && !parse_key(device_hex, key))
        return bad("--device-key must be 64 hex digits", device_hex);
    if (master_hex != NULL) {
        uint8_t master[PRESENCE_KEY_SIZE];
        if (!parse_key(master_hex, master))
            return bad("--master-key must be 64 hex digits", master_hex);
        presence_derive_device_key(master, (uint64_t)user, key);
    }
    if (corrupt && device_hex == NULL && master_hex == NULL)
        return bad("--corrupt-tag needs a key (an unsigned frame has no tag)", NULL);

    status = presence_client_init(&device, (uint64_t)user, device_hex || master_hex ? key : NULL,
                                  device_hex || master_hex ? (uint8_t)key_id : 0, presence_udp_send, &fd);
    if (status != PRESENCE_OK)
        return bad(presence_strerror(status), NULL);
    device.seq = (uint16_t)seq;
    if (presence_udp_open(&fd, ip, port) != PRESENCE_OK) {
        fprintf(stderr, "presence_send: cannot open a UDP socket to %s: %s\n", target, strerror(errno));
        return 1;
    }
    for (sent = 0; sent < count; sent++) {
        size_t len;
        status = presence_client_build(&device, offline ? PRESENCE_OFFLINE : PRESENCE_HEARTBEAT, (uint32_t)time(NULL),
                                       frame, sizeof frame, &len);
        if (status == PRESENCE_OK) {
            if (corrupt)
                frame[len - 1] ^= 1;
            status = presence_udp_send(&fd, frame, len) == 0 ? PRESENCE_OK : PRESENCE_ERR_SEND;
        }
        if (status != PRESENCE_OK) {
            fprintf(stderr, "presence_send: frame %llu: %s (%s)\n", sent + 1, presence_strerror(status), strerror(errno));
            break;
        }
    }
    presence_client_wipe(&device);
    presence_udp_close(fd);
    printf("sent %llu %s frame(s) for user %llu to %s (%s)\n", sent, offline ? "sign-out" : "heartbeat", user, target,
           device.is_signed ? (corrupt ? "signed, tag corrupted" : "signed") : "unsigned");
    return sent == count ? 0 : 1;
}
