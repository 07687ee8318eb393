/* presence.c: see presence.h. C99, no heap, libc only. */
#if !defined(PRESENCE_NO_POSIX) && (defined(__unix__) || defined(__APPLE__))
/* socket, connect, inet_pton under -std=c99 (which hides POSIX otherwise); set before any header. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200112L
#endif
#endif

#include "presence.h"

#include <string.h>

#ifdef PRESENCE_HAVE_POSIX
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

/* ---- SHA-256 (FIPS 180-4) ---------------------------------------------------------------- */

static const uint32_t k_sha256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static uint32_t load32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static void store32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void store64(uint8_t *p, uint64_t v)
{
    store32(p, (uint32_t)(v >> 32));
    store32(p + 4, (uint32_t)v);
}

/* Clears secrets in a way the optimiser may not drop (a plain memset of a dead buffer can vanish). */
static void wipe(void *p, size_t n)
{
    volatile uint8_t *v = (volatile uint8_t *)p;
    while (n--)
        *v++ = 0;
}

static void sha256_compress(uint32_t state[8], const uint8_t block[64])
{
    uint32_t w[64], a, b, c, d, e, f, g, h, t1, t2;
    int i;
    for (i = 0; i < 16; i++)
        w[i] = load32(block + 4 * i);
    for (i = 16; i < 64; i++) {
        uint32_t s0 = ROR32(w[i - 15], 7) ^ ROR32(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR32(w[i - 2], 17) ^ ROR32(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = state[0]; b = state[1]; c = state[2]; d = state[3];
    e = state[4]; f = state[5]; g = state[6]; h = state[7];
    for (i = 0; i < 64; i++) {
        t1 = h + (ROR32(e, 6) ^ ROR32(e, 11) ^ ROR32(e, 25)) + ((e & f) ^ (~e & g)) + k_sha256[i] + w[i];
        t2 = (ROR32(a, 2) ^ ROR32(a, 13) ^ ROR32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g; g = f; f = e; e = d + t1;
        d = c; c = b; b = a; a = t1 + t2;
    }
    state[0] += a; state[1] += b; state[2] += c; state[3] += d;
    state[4] += e; state[5] += f; state[6] += g; state[7] += h;
    wipe(w, sizeof w);
}

void presence_sha256_init(presence_sha256_ctx *ctx)
{
    static const uint32_t iv[8] = {
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    };
    memcpy(ctx->state, iv, sizeof iv);
    ctx->bytes = 0;
    ctx->used = 0;
}

void presence_sha256_update(presence_sha256_ctx *ctx, const uint8_t *data, size_t len)
{
    ctx->bytes += len;
    while (len > 0) {
        size_t take = 64 - ctx->used;
        if (take > len)
            take = len;
        memcpy(ctx->block + ctx->used, data, take);
        ctx->used += take;
        data += take;
        len -= take;
        if (ctx->used == 64) {
            sha256_compress(ctx->state, ctx->block);
            ctx->used = 0;
        }
    }
}

void presence_sha256_final(presence_sha256_ctx *ctx, uint8_t digest[PRESENCE_SHA256_SIZE])
{
    uint64_t bits = ctx->bytes * 8;
    int i;
    ctx->block[ctx->used++] = 0x80;
    if (ctx->used > 56) {
        memset(ctx->block + ctx->used, 0, 64 - ctx->used);
        sha256_compress(ctx->state, ctx->block);
        ctx->used = 0;
    }
    memset(ctx->block + ctx->used, 0, 56 - ctx->used);
    store64(ctx->block + 56, bits);
    sha256_compress(ctx->state, ctx->block);
    for (i = 0; i < 8; i++)
        store32(digest + 4 * i, ctx->state[i]);
    wipe(ctx, sizeof *ctx);
}

/* ---- HMAC-SHA256 (RFC 2104) and HKDF (RFC 5869) ------------------------------------------- */

/* HMAC over the concatenation of up to three parts, so callers need no scratch buffer to join them. */
static void hmac3(const uint8_t *key, size_t key_len, const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
                  const uint8_t *c, size_t c_len, uint8_t mac[PRESENCE_SHA256_SIZE])
{
    uint8_t pad[64], inner[PRESENCE_SHA256_SIZE];
    presence_sha256_ctx ctx;
    size_t i;
    memset(pad, 0, sizeof pad);
    if (key_len > 64) {
        presence_sha256_init(&ctx);
        presence_sha256_update(&ctx, key, key_len);
        presence_sha256_final(&ctx, pad);
    } else if (key_len > 0) {
        memcpy(pad, key, key_len);
    }
    for (i = 0; i < 64; i++)
        pad[i] ^= 0x36;
    presence_sha256_init(&ctx);
    presence_sha256_update(&ctx, pad, 64);
    if (a_len > 0)
        presence_sha256_update(&ctx, a, a_len);
    if (b_len > 0)
        presence_sha256_update(&ctx, b, b_len);
    if (c_len > 0)
        presence_sha256_update(&ctx, c, c_len);
    presence_sha256_final(&ctx, inner);
    for (i = 0; i < 64; i++)
        pad[i] ^= 0x36 ^ 0x5c;
    presence_sha256_init(&ctx);
    presence_sha256_update(&ctx, pad, 64);
    presence_sha256_update(&ctx, inner, sizeof inner);
    presence_sha256_final(&ctx, mac);
    wipe(pad, sizeof pad);
    wipe(inner, sizeof inner);
}

void presence_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *message, size_t len,
                          uint8_t mac[PRESENCE_SHA256_SIZE])
{
    hmac3(key, key_len, message, len, NULL, 0, NULL, 0, mac);
}

int presence_hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
                         const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
    uint8_t prk[PRESENCE_SHA256_SIZE], t[PRESENCE_SHA256_SIZE];
    size_t t_len = 0, done = 0;
    uint8_t counter = 0;
    if (out_len > 255 * PRESENCE_SHA256_SIZE || (out == NULL && out_len > 0))
        return PRESENCE_ERR_ARGUMENT;
    hmac3(salt, salt_len, ikm, ikm_len, NULL, 0, NULL, 0, prk);
    while (done < out_len) {
        size_t take;
        counter++;
        /* T(i) = HMAC(PRK, T(i-1) || info || i), T(0) empty. */
        hmac3(prk, sizeof prk, t, t_len, info, info_len, &counter, 1, t);
        t_len = sizeof t;
        take = out_len - done < sizeof t ? out_len - done : sizeof t;
        memcpy(out + done, t, take);
        done += take;
    }
    wipe(prk, sizeof prk);
    wipe(t, sizeof t);
    return PRESENCE_OK;
}

int presence_equal_ct(const uint8_t *a, const uint8_t *b, size_t n)
{
    uint8_t diff = 0;
    size_t i;
    for (i = 0; i < n; i++)
        diff |= (uint8_t)(a[i] ^ b[i]);
    /* 1 when diff is 0, without a branch on the secret-dependent value. */
    return (int)(1 & ((diff - 1u) >> 8));
}

/* ---- Protocol ---------------------------------------------------------------------------- */

static const uint8_t k_salt[] = { 'p', 'r', 'e', 's', 'e', 'n', 'c', 'e', '/', 'v', '1' };

void presence_derive_device_key(const uint8_t master_key[PRESENCE_KEY_SIZE], uint64_t user_id,
                                uint8_t device_key[PRESENCE_KEY_SIZE])
{
    uint8_t info[8];
    store64(info, user_id);
    presence_hkdf_sha256(k_salt, sizeof k_salt, master_key, PRESENCE_KEY_SIZE, info, sizeof info, device_key,
                         PRESENCE_KEY_SIZE);
}

void presence_tag(const uint8_t device_key[PRESENCE_KEY_SIZE], const uint8_t header[PRESENCE_SIGNED_HEADER_SIZE],
                  const uint8_t record[PRESENCE_RECORD_SIZE], uint8_t tag[PRESENCE_TAG_SIZE])
{
    uint8_t mac[PRESENCE_SHA256_SIZE];
    hmac3(device_key, PRESENCE_KEY_SIZE, header, PRESENCE_SIGNED_HEADER_SIZE, record, PRESENCE_RECORD_SIZE, NULL, 0, mac);
    memcpy(tag, mac, PRESENCE_TAG_SIZE);
    wipe(mac, sizeof mac);
}

const char *presence_strerror(int status)
{
    switch (status) {
    case PRESENCE_OK: return "ok";
    case PRESENCE_ERR_ARGUMENT: return "bad argument (NULL pointer, or count not 1..65535)";
    case PRESENCE_ERR_BUFFER: return "buffer too small for the frame";
    case PRESENCE_ERR_SEND: return "the send function failed";
    case PRESENCE_ERR_SOCKET: return "cannot open the UDP socket (address must be numeric IPv4 or IPv6)";
    case PRESENCE_ERR_TOO_SHORT: return "frame shorter than its 6-byte header";
    case PRESENCE_ERR_BAD_MAGIC: return "bad magic (not \"PH\")";
    case PRESENCE_ERR_VERSION: return "unsupported version (not 1)";
    case PRESENCE_ERR_FLAGS: return "unknown flag bit";
    case PRESENCE_ERR_ZERO_COUNT: return "record count is 0";
    case PRESENCE_ERR_LENGTH: return "length is not 6 + count x record size";
    case PRESENCE_ERR_ZERO_USER: return "user id 0";
    case PRESENCE_ERR_KIND: return "kind is neither 0 (heartbeat) nor 1 (offline)";
    case PRESENCE_ERR_UNSIGNED_KEY_ID: return "unsigned record with a key id other than 0";
    case PRESENCE_ERR_SIGNED_ZERO_TIME: return "signed record with time 0";
    default: return "unknown status";
    }
}

/* The record rules of PROTOCOL.md, shared by the encoder (refuse to build) and the checker. */
static int record_rules(uint64_t user_id, uint32_t time, uint8_t kind, uint8_t key_id, int is_signed)
{
    if (user_id == 0)
        return PRESENCE_ERR_ZERO_USER;
    if (kind > PRESENCE_OFFLINE)
        return PRESENCE_ERR_KIND;
    if (is_signed) {
        if (time == 0)
            return PRESENCE_ERR_SIGNED_ZERO_TIME;
    } else if (key_id != 0) {
        return PRESENCE_ERR_UNSIGNED_KEY_ID;
    }
    return PRESENCE_OK;
}

static void write_record(uint8_t *p, const presence_record *r)
{
    store64(p, r->user_id);
    store32(p + 8, r->time);
    p[12] = (uint8_t)(r->seq >> 8);
    p[13] = (uint8_t)r->seq;
    p[14] = r->kind;
    p[15] = r->key_id;
}

/* one_key: every record with it; each_key: record i with each_key[i]; both NULL: unsigned. */
static int encode(uint8_t *out, size_t cap, const presence_record *records, size_t count, const uint8_t *one_key,
                  const uint8_t (*each_key)[PRESENCE_KEY_SIZE], size_t *out_len)
{
    int is_signed = one_key != NULL || each_key != NULL;
    size_t size, step = is_signed ? PRESENCE_SIGNED_RECORD_SIZE : PRESENCE_RECORD_SIZE, i;
    if (out == NULL || records == NULL || out_len == NULL || count == 0 || count > 0xFFFF)
        return PRESENCE_ERR_ARGUMENT;
    size = PRESENCE_FRAME_SIZE(count, is_signed);
    if (cap < size)
        return PRESENCE_ERR_BUFFER;
    for (i = 0; i < count; i++) {
        const presence_record *r = &records[i];
        int status = record_rules(r->user_id, r->time, r->kind, r->key_id, is_signed);
        if (status != PRESENCE_OK)
            return status;
    }
    out[0] = 0x50;
    out[1] = 0x48;
    out[2] = 0x01;
    out[3] = is_signed ? PRESENCE_FLAG_SIGNED : 0;
    out[4] = (uint8_t)(count >> 8);
    out[5] = (uint8_t)count;
    for (i = 0; i < count; i++) {
        uint8_t *slot = out + PRESENCE_HEADER_SIZE + i * step;
        write_record(slot, &records[i]);
        if (is_signed)
            presence_tag(one_key != NULL ? one_key : each_key[i], out, slot, slot + PRESENCE_RECORD_SIZE);
    }
    *out_len = size;
    return PRESENCE_OK;
}

int presence_encode(uint8_t *out, size_t cap, const presence_record *records, size_t count,
                    const uint8_t *device_key, size_t *out_len)
{
    return encode(out, cap, records, count, device_key, NULL, out_len);
}

int presence_encode_each(uint8_t *out, size_t cap, const presence_record *records, size_t count,
                         const uint8_t (*device_keys)[PRESENCE_KEY_SIZE], size_t *out_len)
{
    if (device_keys == NULL)
        return PRESENCE_ERR_ARGUMENT;
    return encode(out, cap, records, count, NULL, device_keys, out_len);
}

int presence_check(const uint8_t *frame, size_t len, size_t *count, int *is_signed)
{
    size_t n, i;
    int sig;
    if (frame == NULL && len > 0)
        return PRESENCE_ERR_ARGUMENT;
    if (len < PRESENCE_HEADER_SIZE)
        return PRESENCE_ERR_TOO_SHORT;
    if (frame[0] != 0x50 || frame[1] != 0x48)
        return PRESENCE_ERR_BAD_MAGIC;
    if (frame[2] != 0x01)
        return PRESENCE_ERR_VERSION;
    if ((frame[3] & ~PRESENCE_FLAG_SIGNED) != 0)
        return PRESENCE_ERR_FLAGS;
    n = ((size_t)frame[4] << 8) | frame[5];
    if (n == 0)
        return PRESENCE_ERR_ZERO_COUNT;
    sig = (frame[3] & PRESENCE_FLAG_SIGNED) != 0;
    if (len != PRESENCE_FRAME_SIZE(n, sig))
        return PRESENCE_ERR_LENGTH;
    for (i = 0; i < n; i++) {
        presence_record r;
        int status;
        presence_record_at(frame, i, &r);
        /* kind is checked as the raw byte: presence_record_at keeps it as it is. */
        status = record_rules(r.user_id, r.time, r.kind, r.key_id, sig);
        if (status != PRESENCE_OK)
            return status;
    }
    if (count != NULL)
        *count = n;
    if (is_signed != NULL)
        *is_signed = sig;
    return PRESENCE_OK;
}

void presence_record_at(const uint8_t *frame, size_t index, presence_record *record)
{
    size_t step = (frame[3] & PRESENCE_FLAG_SIGNED) ? PRESENCE_SIGNED_RECORD_SIZE : PRESENCE_RECORD_SIZE;
    const uint8_t *p = frame + PRESENCE_HEADER_SIZE + index * step;
    record->user_id = ((uint64_t)load32(p) << 32) | load32(p + 4);
    record->time = load32(p + 8);
    record->seq = (uint16_t)((p[12] << 8) | p[13]);
    record->kind = p[14];
    record->key_id = p[15];
}

int presence_verify(const uint8_t *frame, size_t index, const uint8_t device_key[PRESENCE_KEY_SIZE])
{
    uint8_t expected[PRESENCE_TAG_SIZE];
    const uint8_t *record = frame + PRESENCE_HEADER_SIZE + index * PRESENCE_SIGNED_RECORD_SIZE;
    int equal;
    if ((frame[3] & PRESENCE_FLAG_SIGNED) == 0)
        return 0;
    presence_tag(device_key, frame, record, expected);
    equal = presence_equal_ct(expected, record + PRESENCE_RECORD_SIZE, PRESENCE_TAG_SIZE);
    wipe(expected, sizeof expected);
    return equal;
}

/* ---- A device ---------------------------------------------------------------------------- */

int presence_client_init(presence_client *client, uint64_t user_id, const uint8_t *device_key, uint8_t key_id,
                         presence_send_fn send, void *send_context)
{
    if (client == NULL)
        return PRESENCE_ERR_ARGUMENT;
    if (user_id == 0)
        return PRESENCE_ERR_ZERO_USER;
    if (device_key == NULL && key_id != 0)
        return PRESENCE_ERR_UNSIGNED_KEY_ID;
    memset(client, 0, sizeof *client);
    client->user_id = user_id;
    client->key_id = key_id;
    client->is_signed = device_key != NULL;
    if (device_key != NULL)
        memcpy(client->device_key, device_key, PRESENCE_KEY_SIZE);
    client->send = send;
    client->send_context = send_context;
    return PRESENCE_OK;
}

int presence_client_build(presence_client *client, uint8_t kind, uint32_t unix_time, uint8_t *out, size_t cap,
                          size_t *out_len)
{
    presence_record r;
    int status;
    if (client == NULL)
        return PRESENCE_ERR_ARGUMENT;
    r.user_id = client->user_id;
    r.time = unix_time;
    r.seq = client->seq;
    r.kind = kind;
    r.key_id = client->key_id;
    status = presence_encode(out, cap, &r, 1, client->is_signed ? client->device_key : NULL, out_len);
    if (status == PRESENCE_OK)
        client->seq = (uint16_t)(client->seq + 1);
    return status;
}

int presence_client_send(presence_client *client, uint8_t kind, uint32_t unix_time)
{
    uint8_t frame[PRESENCE_MAX_ONE_RECORD_FRAME];
    size_t len;
    int status;
    if (client == NULL || client->send == NULL)
        return PRESENCE_ERR_ARGUMENT;
    status = presence_client_build(client, kind, unix_time, frame, sizeof frame, &len);
    if (status != PRESENCE_OK)
        return status;
    return client->send(client->send_context, frame, len) == 0 ? PRESENCE_OK : PRESENCE_ERR_SEND;
}

void presence_client_wipe(presence_client *client)
{
    if (client != NULL)
        wipe(client->device_key, sizeof client->device_key);
}

/* ---- POSIX UDP --------------------------------------------------------------------------- */
#ifdef PRESENCE_HAVE_POSIX

int presence_udp_open(int *fd, const char *ip, uint16_t port)
{
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
    const struct sockaddr *address;
    socklen_t address_len;
    int s, family;
    if (fd == NULL || ip == NULL)
        return PRESENCE_ERR_ARGUMENT;
    memset(&v4, 0, sizeof v4);
    memset(&v6, 0, sizeof v6);
    if (inet_pton(AF_INET, ip, &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        v4.sin_port = htons(port);
        family = AF_INET;
        address = (const struct sockaddr *)&v4;
        address_len = sizeof v4;
    } else if (inet_pton(AF_INET6, ip, &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons(port);
        family = AF_INET6;
        address = (const struct sockaddr *)&v6;
        address_len = sizeof v6;
    } else {
        return PRESENCE_ERR_SOCKET;
    }
    s = socket(family, SOCK_DGRAM, 0);
    if (s < 0)
        return PRESENCE_ERR_SOCKET;
    /* Connected, so each send names no address; the ingester never answers, so nothing is read. */
    if (connect(s, address, address_len) != 0) {
        close(s);
        return PRESENCE_ERR_SOCKET;
    }
    *fd = s;
    return PRESENCE_OK;
}

int presence_udp_send(void *context, const uint8_t *frame, size_t len)
{
    int fd = *(const int *)context;
    ssize_t sent = send(fd, frame, len, 0);
    /* A connected UDP socket reports an earlier datagram's ICMP "port unreachable" on the next
       send, which then is not sent; the report is consumed, so one retry sends this frame. */
    if (sent < 0 && errno == ECONNREFUSED)
        sent = send(fd, frame, len, 0);
    return sent == (ssize_t)len ? 0 : -1;
}

void presence_udp_close(int fd)
{
    if (fd >= 0)
        close(fd);
}

#endif
