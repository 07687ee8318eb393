/*
 * fuzz_test: round trips and mutations with a seeded generator (the seed is printed, and may be
 * given as the first argument to replay a run).
 *   - random valid records, unsigned and signed, encode -> check -> decode gives them back, and
 *     every tag verifies;
 *   - one flipped bit anywhere in a signed frame: the frame is refused, or a record decodes
 *     differently, or a tag fails (never a silent pass of the changed bytes);
 *   - random bytes and truncations never crash presence_check (ASan and UBSan watch), and what
 *     it accepts has the length its header promises;
 *   - the encoder refuses every record the protocol forbids, naming the rule;
 *   - SHA-256 and HKDF against their standards' published answers, and SHA-256 fed in pieces
 *     equals SHA-256 in one go.
 */
#include "../presence.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static uint64_t next(void)
{
    /* xorshift64*: deterministic for a seed, good enough to pick test cases. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

static uint64_t below(uint64_t n)
{
    return next() % n;
}

static void random_record(presence_record *r, int is_signed)
{
    r->user_id = below(4) == 0 ? UINT64_MAX - below(3) : 1 + below(UINT64_MAX - 1);
    r->time = is_signed ? 1 + (uint32_t)below(0xFFFFFFFEu) : (uint32_t)next();
    r->seq = (uint16_t)next();
    r->kind = (uint8_t)below(2);
    r->key_id = is_signed ? (uint8_t)next() : 0;
}

static int same_record(const presence_record *a, const presence_record *b)
{
    return a->user_id == b->user_id && a->time == b->time && a->seq == b->seq && a->kind == b->kind && a->key_id == b->key_id;
}

#define MAX_UNSIGNED ((PRESENCE_MAX_UDP_FRAME - PRESENCE_HEADER_SIZE) / PRESENCE_RECORD_SIZE)
#define MAX_SIGNED ((PRESENCE_MAX_UDP_FRAME - PRESENCE_HEADER_SIZE) / PRESENCE_SIGNED_RECORD_SIZE)

static void round_trips(int rounds)
{
    static presence_record records[MAX_UNSIGNED], got;
    static uint8_t keys[MAX_UNSIGNED][PRESENCE_KEY_SIZE];
    static uint8_t frame[PRESENCE_MAX_UDP_FRAME];
    int round, bad_round = -1, flips_caught = 0, flips = 0;
    for (round = 0; round < rounds; round++) {
        int is_signed = round % 2, ok = 1, status, checked_signed = -1;
        size_t count = 1 + (size_t)below(is_signed ? MAX_SIGNED : MAX_UNSIGNED), len = 0, n = 0, i, bit;
        for (i = 0; i < count; i++) {
            size_t b;
            random_record(&records[i], is_signed);
            for (b = 0; b < PRESENCE_KEY_SIZE; b++)
                keys[i][b] = (uint8_t)next();
        }
        status = is_signed ? presence_encode_each(frame, sizeof frame, records, count, (const uint8_t (*)[PRESENCE_KEY_SIZE])keys, &len)
                           : presence_encode(frame, sizeof frame, records, count, NULL, &len);
        ok &= status == PRESENCE_OK && len == PRESENCE_FRAME_SIZE(count, is_signed) && len <= PRESENCE_MAX_UDP_FRAME;
        ok &= presence_check(frame, len, &n, &checked_signed) == PRESENCE_OK && n == count && checked_signed == is_signed;
        for (i = 0; ok && i < count; i++) {
            presence_record_at(frame, i, &got);
            ok &= same_record(&got, &records[i]);
            if (is_signed)
                ok &= presence_verify(frame, i, keys[i]) == 1;
        }
        if (!ok && bad_round < 0)
            bad_round = round;

        if (is_signed && ok) {
            /* Flip one bit; the change must not pass unnoticed. */
            int caught;
            bit = (size_t)below(len * 8);
            frame[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            caught = presence_check(frame, len, &n, &checked_signed) != PRESENCE_OK || !checked_signed || n != count;
            for (i = 0; !caught && i < count; i++)
                caught = !presence_verify(frame, i, keys[i]);
            flips++;
            flips_caught += caught;
        }
    }
    check(bad_round < 0, "a round trip differed (run again with the printed seed)", "round trip: %d random frames, unsigned and signed", rounds);
    check(flips > 0 && flips_caught == flips, "a flipped bit went unnoticed", "one flipped bit in %d signed frames is always caught", flips);
}

static void random_bytes(int rounds)
{
    static uint8_t frame[PRESENCE_MAX_UDP_FRAME + 64];
    int round, wrong = 0, accepted = 0;
    for (round = 0; round < rounds; round++) {
        size_t len = (size_t)below(sizeof frame + 1), i, count = 0;
        int is_signed = 0;
        for (i = 0; i < len; i++)
            frame[i] = (uint8_t)next();
        if (len >= 6 && below(2) == 0) {
            /* A plausible header, so the checks past it are reached too. */
            frame[0] = 0x50;
            frame[1] = 0x48;
            frame[2] = 0x01;
            frame[3] = (uint8_t)below(2);
            count = (len - 6) / (frame[3] ? 32 : 16);
            if (below(4) != 0) {
                len = 6 + count * (frame[3] ? 32 : 16);
            }
            frame[4] = (uint8_t)(count >> 8);
            frame[5] = (uint8_t)count;
            for (i = 0; i < count && below(8) != 0; i++) {
                /* Mostly well-formed records: a valid kind, key id 0 when unsigned. */
                uint8_t *record = frame + 6 + i * (frame[3] ? 32 : 16);
                record[14] &= 1;
                if (!frame[3])
                    record[15] = 0;
            }
        }
        if (presence_check(frame, len, &count, &is_signed) == PRESENCE_OK) {
            accepted++;
            wrong += len != PRESENCE_FRAME_SIZE(count, is_signed) || count == 0;
        }
    }
    check(wrong == 0, "a frame was accepted with a length its header does not give", "random bytes: %d inputs checked without a crash (%d accepted)", rounds, accepted);
}

static void encoder_refuses(void)
{
    uint8_t frame[64], key[PRESENCE_KEY_SIZE] = { 1 };
    presence_record r = { 42, 1764270000u, 7, PRESENCE_HEARTBEAT, 0 };
    presence_client client;
    size_t len;

    r.user_id = 0;
    check(presence_encode(frame, sizeof frame, &r, 1, NULL, &len) == PRESENCE_ERR_ZERO_USER, "", "encode refuses user id 0");
    r.user_id = 42;
    r.kind = 2;
    check(presence_encode(frame, sizeof frame, &r, 1, NULL, &len) == PRESENCE_ERR_KIND, "", "encode refuses kind 2");
    r.kind = PRESENCE_OFFLINE;
    r.key_id = 3;
    check(presence_encode(frame, sizeof frame, &r, 1, NULL, &len) == PRESENCE_ERR_UNSIGNED_KEY_ID, "", "encode refuses an unsigned record with key id 3");
    r.time = 0;
    check(presence_encode(frame, sizeof frame, &r, 1, key, &len) == PRESENCE_ERR_SIGNED_ZERO_TIME, "", "encode refuses a signed record with time 0");
    r.time = 1;
    check(presence_encode(frame, 37, &r, 1, key, &len) == PRESENCE_ERR_BUFFER, "", "encode refuses a 37-byte buffer for a 38-byte frame");
    check(presence_encode(frame, sizeof frame, &r, 0, key, &len) == PRESENCE_ERR_ARGUMENT, "", "encode refuses count 0");
    check(presence_encode_each(frame, sizeof frame, &r, 1, NULL, &len) == PRESENCE_ERR_ARGUMENT, "", "encode_each refuses NULL keys");

    check(presence_client_init(&client, 0, NULL, 0, NULL, NULL) == PRESENCE_ERR_ZERO_USER, "", "client refuses user id 0");
    check(presence_client_init(&client, 5, NULL, 1, NULL, NULL) == PRESENCE_ERR_UNSIGNED_KEY_ID, "", "client refuses a key id without a key");
    presence_client_init(&client, 5, key, 9, NULL, NULL);
    client.seq = 0xFFFF;
    check(presence_client_build(&client, PRESENCE_HEARTBEAT, 100, frame, sizeof frame, &len) == PRESENCE_OK && client.seq == 0
              && frame[18] == 0xFF && frame[19] == 0xFF && frame[21] == 9 && presence_verify(frame, 0, key),
          "", "client: seq 65535 is sent, then wraps to 0; key id and tag are in the frame");
    check(presence_client_build(&client, PRESENCE_HEARTBEAT, 0, frame, sizeof frame, &len) == PRESENCE_ERR_SIGNED_ZERO_TIME && client.seq == 0,
          "", "client: a refused build leaves seq alone");
    check(presence_client_send(&client, PRESENCE_HEARTBEAT, 100) == PRESENCE_ERR_ARGUMENT, "", "client: send without a send function is refused");
    presence_client_wipe(&client);
    check(client.device_key[0] == 0, "", "client: wipe clears the key");
    check(presence_equal_ct(key, key, sizeof key) == 1 && presence_equal_ct(frame, key, 1) == 0, "", "equal_ct");
}

static void to_hex(const uint8_t *bytes, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;
    for (i = 0; i < len; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * len] = '\0';
}

static void primitives(void)
{
    /* FIPS 180-2 appendix B and RFC 5869 test case 1: published answers, not the protocol's vectors. */
    static const char *abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    static const char *two_blocks = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
    static const char *million_a = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    static const char *hkdf_okm = "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865";
    static uint8_t data[1000];
    uint8_t digest[32], okm[42], ikm[22], salt[13], info[10];
    char hex[100];
    presence_sha256_ctx ctx;
    int i, pieces_ok = 1;

    presence_sha256_init(&ctx);
    presence_sha256_update(&ctx, (const uint8_t *)"abc", 3);
    presence_sha256_final(&ctx, digest);
    to_hex(digest, 32, hex);
    check(strcmp(hex, abc) == 0, hex, "sha256(\"abc\")");

    presence_sha256_init(&ctx);
    presence_sha256_update(&ctx, (const uint8_t *)"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56);
    presence_sha256_final(&ctx, digest);
    to_hex(digest, 32, hex);
    check(strcmp(hex, two_blocks) == 0, hex, "sha256 of the 448-bit message");

    memset(data, 'a', sizeof data);
    presence_sha256_init(&ctx);
    for (i = 0; i < 1000; i++)
        presence_sha256_update(&ctx, data, sizeof data);
    presence_sha256_final(&ctx, digest);
    to_hex(digest, 32, hex);
    check(strcmp(hex, million_a) == 0, hex, "sha256 of a million 'a'");

    for (i = 0; i < 200; i++) {
        size_t len = (size_t)below(sizeof data), at = 0, b;
        uint8_t whole[32];
        for (b = 0; b < len; b++)
            data[b] = (uint8_t)next();
        presence_sha256_init(&ctx);
        presence_sha256_update(&ctx, data, len);
        presence_sha256_final(&ctx, whole);
        presence_sha256_init(&ctx);
        while (at < len) {
            size_t take = 1 + (size_t)below(len - at);
            presence_sha256_update(&ctx, data + at, take);
            at += take;
        }
        presence_sha256_final(&ctx, digest);
        pieces_ok &= memcmp(whole, digest, 32) == 0;
    }
    check(pieces_ok, "", "sha256 fed in random pieces equals sha256 in one go (200 inputs)");

    memset(ikm, 0x0b, sizeof ikm);
    for (i = 0; i < 13; i++)
        salt[i] = (uint8_t)i;
    for (i = 0; i < 10; i++)
        info[i] = (uint8_t)(0xf0 + i);
    check(presence_hkdf_sha256(salt, sizeof salt, ikm, sizeof ikm, info, sizeof info, okm, sizeof okm) == PRESENCE_OK, "", "hkdf: 42 bytes");
    to_hex(okm, sizeof okm, hex);
    check(strcmp(hex, hkdf_okm) == 0, hex, "hkdf: RFC 5869 test case 1");
    check(presence_hkdf_sha256(salt, sizeof salt, ikm, sizeof ikm, info, sizeof info, okm, 255 * 32 + 1) == PRESENCE_ERR_ARGUMENT,
          "", "hkdf refuses more than 255 blocks");
}

int main(int argc, char **argv)
{
    uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 0x5eed5eedULL;
    int rounds = argc > 2 ? atoi(argv[2]) : 4000;
    printf("# seed %llu, %d rounds\n", (unsigned long long)seed, rounds);
    rng_state = seed ? seed : 1;
    round_trips(rounds);
    random_bytes(rounds * 10);
    encoder_refuses();
    primitives();
    return check_summary("fuzz");
}
