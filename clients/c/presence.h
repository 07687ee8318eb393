/*
 * presence.h: the Presence heartbeat protocol (docs/PROTOCOL.md, version 1) for devices.
 *
 * C99, one header and one source file, no heap allocation, nothing beyond libc (the POSIX UDP
 * helper at the bottom is compiled only where POSIX sockets exist). SHA-256, HMAC-SHA256 and
 * HKDF-SHA256 are included, so the library builds for microcontrollers as it is.
 *
 * Sending goes through a function the caller supplies (presence_send_fn): wrap lwIP's
 * sendto, Zephyr's zsock_send or ESP-IDF's sendto in it, or use presence_udp_send on Linux.
 * Nothing here is thread-safe; a presence_client belongs to one task.
 */
#ifndef PRESENCE_H
#define PRESENCE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PRESENCE_HEADER_SIZE 6
#define PRESENCE_SIGNED_HEADER_SIZE 4 /* magic, version, flags: what each tag covers */
#define PRESENCE_RECORD_SIZE 16
#define PRESENCE_TAG_SIZE 16
#define PRESENCE_SIGNED_RECORD_SIZE (PRESENCE_RECORD_SIZE + PRESENCE_TAG_SIZE)
#define PRESENCE_KEY_SIZE 32
#define PRESENCE_FLAG_SIGNED 0x01
/* One Ethernet payload: the largest frame the ingester accepts on UDP (91 unsigned or 45 signed records). */
#define PRESENCE_MAX_UDP_FRAME 1472
/* A frame of one signed record: what a device sends. */
#define PRESENCE_MAX_ONE_RECORD_FRAME (PRESENCE_HEADER_SIZE + PRESENCE_SIGNED_RECORD_SIZE)

/* Bytes of a frame of count records. */
#define PRESENCE_FRAME_SIZE(count, is_signed) \
    (PRESENCE_HEADER_SIZE + (size_t)(count) * ((is_signed) ? PRESENCE_SIGNED_RECORD_SIZE : PRESENCE_RECORD_SIZE))

enum presence_kind {
    PRESENCE_HEARTBEAT = 0, /* I am online */
    PRESENCE_OFFLINE = 1    /* I am signing out now */
};

/* Results: 0 is success, every error is negative. presence_strerror names each. */
enum presence_status {
    PRESENCE_OK = 0,
    PRESENCE_ERR_ARGUMENT = -1,       /* a NULL pointer, or count 0 or over 65535 */
    PRESENCE_ERR_BUFFER = -2,         /* the output buffer is too small for the frame */
    PRESENCE_ERR_SEND = -3,           /* the send function failed */
    PRESENCE_ERR_SOCKET = -4,         /* presence_udp_open: bad address or socket error */
    PRESENCE_ERR_TOO_SHORT = -10,     /* shorter than the 6-byte header */
    PRESENCE_ERR_BAD_MAGIC = -11,
    PRESENCE_ERR_VERSION = -12,       /* not version 1 */
    PRESENCE_ERR_FLAGS = -13,         /* a flag bit other than SIGNED */
    PRESENCE_ERR_ZERO_COUNT = -14,
    PRESENCE_ERR_LENGTH = -15,        /* length is not 6 + count x record size */
    PRESENCE_ERR_ZERO_USER = -16,     /* user id 0 */
    PRESENCE_ERR_KIND = -17,          /* kind other than 0 or 1 */
    PRESENCE_ERR_UNSIGNED_KEY_ID = -18, /* an unsigned record names a key id other than 0 */
    PRESENCE_ERR_SIGNED_ZERO_TIME = -19 /* a signed record with time 0 (unknown is allowed only unsigned) */
};

/* One record, decoded (PROTOCOL.md, "Record"). */
typedef struct presence_record {
    uint64_t user_id; /* not 0 */
    uint32_t time;    /* the device's clock, Unix seconds; 0 = unknown, allowed only unsigned */
    uint16_t seq;     /* the device's counter, wraps at 65535 */
    uint8_t kind;     /* enum presence_kind */
    uint8_t key_id;   /* 0 when unsigned; when signed, which master key the device key comes from */
} presence_record;

const char *presence_strerror(int status);

/* ---- Frames ------------------------------------------------------------------------------ */

/*
 * Writes a frame of count records into out (cap bytes); *out_len gets its length.
 * device_key NULL: unsigned. Otherwise every record is signed with that one 32-byte device key
 * (a device's own frames). A record that would make the frame malformed is refused with the
 * status saying why, and nothing is promised about out.
 */
int presence_encode(uint8_t *out, size_t cap, const presence_record *records, size_t count,
                    const uint8_t *device_key, size_t *out_len);

/* Like presence_encode, signed, record i with device_keys[i] (a gateway speaking for many devices). */
int presence_encode_each(uint8_t *out, size_t cap, const presence_record *records, size_t count,
                         const uint8_t (*device_keys)[PRESENCE_KEY_SIZE], size_t *out_len);

/*
 * Checks frame[0..len) by every rule of PROTOCOL.md: PRESENCE_OK, or why it is malformed.
 * On success *count and *is_signed (either may be NULL) describe it. Tags are not checked here.
 */
int presence_check(const uint8_t *frame, size_t len, size_t *count, int *is_signed);

/* Decodes record index of a frame that passed presence_check. */
void presence_record_at(const uint8_t *frame, size_t index, presence_record *record);

/* ---- Signing ----------------------------------------------------------------------------- */

/* device_key = HKDF-SHA256(ikm = master_key, salt = "presence/v1", info = user id big-endian, 32 bytes). */
void presence_derive_device_key(const uint8_t master_key[PRESENCE_KEY_SIZE], uint64_t user_id,
                                uint8_t device_key[PRESENCE_KEY_SIZE]);

/* tag = first 16 bytes of HMAC-SHA256(device_key, header[0..4] || record[0..16]). */
void presence_tag(const uint8_t device_key[PRESENCE_KEY_SIZE], const uint8_t header[PRESENCE_SIGNED_HEADER_SIZE],
                  const uint8_t record[PRESENCE_RECORD_SIZE], uint8_t tag[PRESENCE_TAG_SIZE]);

/* 1 when record index of a checked signed frame carries the right tag for device_key; compared in constant time. */
int presence_verify(const uint8_t *frame, size_t index, const uint8_t device_key[PRESENCE_KEY_SIZE]);

/* 1 when the n bytes at a and b are equal; the time taken does not depend on where they differ. */
int presence_equal_ct(const uint8_t *a, const uint8_t *b, size_t n);

/* The primitives, for callers that need them (e.g. to keep a key in secure storage). */
#define PRESENCE_SHA256_SIZE 32
typedef struct presence_sha256_ctx {
    uint32_t state[8];
    uint64_t bytes;
    uint8_t block[64];
    size_t used;
} presence_sha256_ctx;
void presence_sha256_init(presence_sha256_ctx *ctx);
void presence_sha256_update(presence_sha256_ctx *ctx, const uint8_t *data, size_t len);
void presence_sha256_final(presence_sha256_ctx *ctx, uint8_t digest[PRESENCE_SHA256_SIZE]);
void presence_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *message, size_t len,
                          uint8_t mac[PRESENCE_SHA256_SIZE]);
/* RFC 5869; out_len at most 255 x 32. Returns PRESENCE_ERR_ARGUMENT past that. */
int presence_hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
                         const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len);

/* ---- A device ---------------------------------------------------------------------------- */

/* Sends one datagram; returns 0 on success, anything else on failure. */
typedef int (*presence_send_fn)(void *context, const uint8_t *frame, size_t len);

/* One device's state: its id, its key, and the seq of its next record. */
typedef struct presence_client {
    uint64_t user_id;
    /*
     * The seq of the next record. A signed ingester drops a seq at or below the highest it has
     * seen minus 64 (it compares seqs modulo 65536): after a reboot, restore it from storage, or
     * start from unix_time / heartbeat interval, which only grows while the device heartbeats
     * at most once an interval.
     */
    uint16_t seq;
    uint8_t key_id;
    uint8_t is_signed;
    uint8_t device_key[PRESENCE_KEY_SIZE];
    presence_send_fn send;
    void *send_context;
} presence_client;

/*
 * device_key NULL: unsigned frames (key_id must then be 0). send may be NULL when the caller
 * only builds frames (presence_client_build). The key is copied; presence_client_wipe clears it.
 */
int presence_client_init(presence_client *client, uint64_t user_id, const uint8_t *device_key, uint8_t key_id,
                         presence_send_fn send, void *send_context);

/* Builds the device's next frame (one record of kind at unix_time) and advances seq. */
int presence_client_build(presence_client *client, uint8_t kind, uint32_t unix_time, uint8_t *out, size_t cap,
                          size_t *out_len);

/* Builds the next frame on the stack and sends it: PRESENCE_ERR_SEND when send fails (seq still advances). */
int presence_client_send(presence_client *client, uint8_t kind, uint32_t unix_time);

/* Clears the device key from the struct (e.g. before the memory is reused). */
void presence_client_wipe(presence_client *client);

/* ---- POSIX UDP (Linux, BSD, macOS) ------------------------------------------------------ */
#if !defined(PRESENCE_NO_POSIX) && (defined(__unix__) || defined(__APPLE__))
#define PRESENCE_HAVE_POSIX 1
/*
 * Opens a UDP socket connected to ip (numeric IPv4 or IPv6, no DNS: no heap) and port; *fd gets
 * it. Returns PRESENCE_OK or PRESENCE_ERR_SOCKET (errno says why).
 */
int presence_udp_open(int *fd, const char *ip, uint16_t port);
/* A presence_send_fn: context points to the int fd from presence_udp_open. 0 when the whole frame
   was handed to the kernel (UDP: not a promise of delivery). */
int presence_udp_send(void *context, const uint8_t *frame, size_t len);
void presence_udp_close(int fd);
#endif

#ifdef __cplusplus
}
#endif
#endif /* PRESENCE_H */
