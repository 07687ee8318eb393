/*
 * vectors_test: every entry of docs/vectors.json (read at run time: the file is the single
 * source of the protocol's test vectors), byte for byte, against the C client.
 *   valid:       encode the records (signed ones with device keys derived from master_keys_hex)
 *                and compare with hex; check and decode hex back to the records.
 *   device_keys: derive and compare.
 *   invalid:     presence_check must refuse each.
 *   bad_tag:     the frame checks, and at least one record fails presence_verify.
 * Usage: vectors_test PATH/TO/vectors.json
 */
#include "../presence.h"
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- A tiny JSON reader: enough for vectors.json (objects, arrays, strings, numbers, literals). ---- */

enum json_type { J_NULL, J_BOOL, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT };

typedef struct json {
    enum json_type type;
    const char *text; /* strings: the raw characters between the quotes (no escapes in vectors.json) */
    size_t len;
    double number;
    int boolean;
    int first_child, next; /* indexes into the node pool, -1 for none */
    const char *key;       /* a member's name, inside an object */
    size_t key_len;
} json;

#define MAX_NODES 8192
static json nodes[MAX_NODES];
static int node_count;
static const char *src;
static const char *parse_error;

static void skip_space(void)
{
    while (*src == ' ' || *src == '\n' || *src == '\r' || *src == '\t')
        src++;
}

static int new_node(enum json_type type)
{
    if (node_count == MAX_NODES) {
        parse_error = "too many JSON nodes";
        return -1;
    }
    memset(&nodes[node_count], 0, sizeof nodes[0]);
    nodes[node_count].type = type;
    nodes[node_count].first_child = nodes[node_count].next = -1;
    return node_count++;
}

static int parse_string(const char **text, size_t *len)
{
    if (*src != '"') {
        parse_error = "expected a string";
        return 0;
    }
    *text = ++src;
    while (*src != '"') {
        if (*src == '\0') {
            parse_error = "unterminated string";
            return 0;
        }
        if (*src == '\\' && src[1] != '\0')
            src++;
        src++;
    }
    *len = (size_t)(src - *text);
    src++;
    return 1;
}

static int parse_value(void);

static int parse_container(enum json_type type, char close)
{
    int self = new_node(type), last = -1;
    if (self < 0)
        return -1;
    src++;
    skip_space();
    if (*src == close) {
        src++;
        return self;
    }
    for (;;) {
        const char *key = NULL;
        size_t key_len = 0;
        int child;
        skip_space();
        if (type == J_OBJECT) {
            if (!parse_string(&key, &key_len))
                return -1;
            skip_space();
            if (*src++ != ':') {
                parse_error = "expected ':'";
                return -1;
            }
        }
        child = parse_value();
        if (child < 0)
            return -1;
        nodes[child].key = key;
        nodes[child].key_len = key_len;
        if (last < 0)
            nodes[self].first_child = child;
        else
            nodes[last].next = child;
        last = child;
        skip_space();
        if (*src == ',') {
            src++;
            continue;
        }
        if (*src == close) {
            src++;
            return self;
        }
        parse_error = "expected ',' or the end of a container";
        return -1;
    }
}

static int parse_value(void)
{
    int n;
    skip_space();
    switch (*src) {
    case '{': return parse_container(J_OBJECT, '}');
    case '[': return parse_container(J_ARRAY, ']');
    case '"':
        n = new_node(J_STRING);
        if (n < 0 || !parse_string(&nodes[n].text, &nodes[n].len))
            return -1;
        return n;
    case 't': case 'f': case 'n':
        n = new_node(*src == 'n' ? J_NULL : J_BOOL);
        if (n < 0)
            return -1;
        nodes[n].boolean = *src == 't';
        src += strncmp(src, "false", 5) == 0 ? 5 : 4;
        return n;
    default: {
        char *end;
        n = new_node(J_NUMBER);
        if (n < 0)
            return -1;
        nodes[n].number = strtod(src, &end);
        if (end == src) {
            parse_error = "unexpected character";
            return -1;
        }
        src = end;
        return n;
    }
    }
}

static int get(int object, const char *key)
{
    int c;
    for (c = object < 0 ? -1 : nodes[object].first_child; c >= 0; c = nodes[c].next)
        if (nodes[c].key_len == strlen(key) && strncmp(nodes[c].key, key, nodes[c].key_len) == 0)
            return c;
    return -1;
}

/* A string member copied into a NUL-terminated buffer (empty when absent). */
static const char *str(int object, const char *key, char *buffer, size_t size)
{
    int n = get(object, key);
    size_t len = n >= 0 && nodes[n].type == J_STRING ? nodes[n].len : 0;
    if (len >= size)
        len = size - 1;
    memcpy(buffer, len > 0 ? nodes[n].text : "", len);
    buffer[len] = '\0';
    return buffer;
}

static double num(int object, const char *key)
{
    int n = get(object, key);
    return n >= 0 ? nodes[n].number : -1;
}

/* ---- Helpers ----------------------------------------------------------------------------- */

static int from_hex(const char *hex, uint8_t *out, size_t cap, size_t *len)
{
    size_t n = strlen(hex), i;
    if (n % 2 != 0 || n / 2 > cap)
        return 0;
    for (i = 0; i < n / 2; i++) {
        unsigned byte;
        if (sscanf(hex + 2 * i, "%2x", &byte) != 1)
            return 0;
        out[i] = (uint8_t)byte;
    }
    *len = n / 2;
    return 1;
}

static void to_hex(const uint8_t *bytes, size_t len, char *out)
{
    size_t i;
    for (i = 0; i < len; i++)
        sprintf(out + 2 * i, "%02x", bytes[i]);
    out[2 * len] = '\0';
}

static uint8_t master_keys[256][PRESENCE_KEY_SIZE];
static int have_master[256];

static int load_master_keys(int root)
{
    int k, loaded = 0;
    for (k = nodes[get(root, "master_keys_hex")].first_child; k >= 0; k = nodes[k].next) {
        char id[8], hex[80];
        size_t len;
        int key_id;
        memcpy(id, nodes[k].key, nodes[k].key_len < 7 ? nodes[k].key_len : 7);
        id[nodes[k].key_len < 7 ? nodes[k].key_len : 7] = '\0';
        key_id = atoi(id);
        memcpy(hex, nodes[k].text, nodes[k].len < 79 ? nodes[k].len : 79);
        hex[nodes[k].len < 79 ? nodes[k].len : 79] = '\0';
        if (key_id < 0 || key_id > 255 || !from_hex(hex, master_keys[key_id], PRESENCE_KEY_SIZE, &len) || len != PRESENCE_KEY_SIZE)
            return 0;
        have_master[key_id] = 1;
        loaded++;
    }
    return loaded;
}

static uint64_t parse_u64(const char *decimal)
{
    return (uint64_t)strtoull(decimal, NULL, 10);
}

/* ---- The sections ------------------------------------------------------------------------ */

#define MAX_RECORDS 128

static void valid_vector(int v)
{
    char name[128], hex[4096], got_hex[4096];
    uint8_t expected[2048], frame[2048];
    presence_record records[MAX_RECORDS];
    uint8_t keys[MAX_RECORDS][PRESENCE_KEY_SIZE];
    size_t expected_len, len = 0, count = 0, i;
    int is_signed = get(v, "signed") >= 0 && nodes[get(v, "signed")].boolean, checked_signed = -1, status, r, same = 1;
    str(v, "name", name, sizeof name);
    if (!check(from_hex(str(v, "hex", hex, sizeof hex), expected, sizeof expected, &expected_len), "hex unreadable", "valid: %s: hex", name))
        return;
    for (r = nodes[get(v, "records")].first_child; r >= 0 && count < MAX_RECORDS; r = nodes[r].next, count++) {
        char id[32];
        presence_record *rec = &records[count];
        rec->user_id = parse_u64(str(r, "user_id", id, sizeof id));
        rec->time = (uint32_t)num(r, "time");
        rec->seq = (uint16_t)num(r, "seq");
        rec->kind = (uint8_t)num(r, "kind");
        rec->key_id = (uint8_t)num(r, "key_id");
        if (is_signed) {
            if (!check(have_master[rec->key_id], "no such master key in master_keys_hex", "valid: %s: record %u key", name, (unsigned)count))
                return;
            presence_derive_device_key(master_keys[rec->key_id], rec->user_id, keys[count]);
        }
    }

    status = is_signed ? presence_encode_each(frame, sizeof frame, records, count, (const uint8_t (*)[PRESENCE_KEY_SIZE])keys, &len)
                       : presence_encode(frame, sizeof frame, records, count, NULL, &len);
    to_hex(frame, status == PRESENCE_OK ? len : 0, got_hex);
    check(status == PRESENCE_OK && len == expected_len && memcmp(frame, expected, len) == 0,
          status == PRESENCE_OK ? got_hex : presence_strerror(status), "valid: %s: encode", name);

    /* A device signs with its one key: every signed vector whose records share a key builds the same way. */
    if (is_signed) {
        int one_key = 1;
        for (i = 1; i < count; i++)
            one_key &= memcmp(keys[i], keys[0], PRESENCE_KEY_SIZE) == 0;
        if (one_key) {
            status = presence_encode(frame, sizeof frame, records, count, keys[0], &len);
            check(status == PRESENCE_OK && len == expected_len && memcmp(frame, expected, len) == 0,
                  presence_strerror(status), "valid: %s: encode with one device key", name);
        }
    }

    status = presence_check(expected, expected_len, &i, &checked_signed);
    if (!check(status == PRESENCE_OK && i == count && checked_signed == is_signed, presence_strerror(status), "valid: %s: check", name))
        return;
    for (i = 0; i < count; i++) {
        presence_record got;
        presence_record_at(expected, i, &got);
        same &= got.user_id == records[i].user_id && got.time == records[i].time && got.seq == records[i].seq
            && got.kind == records[i].kind && got.key_id == records[i].key_id;
        if (is_signed)
            same &= presence_verify(expected, i, keys[i]);
    }
    check(same, "a record decoded differently or its tag did not verify", "valid: %s: decode%s", name, is_signed ? " and verify" : "");
}

static void device_key_vector(int v)
{
    char user[32], hex[80], got[80];
    uint8_t expected[PRESENCE_KEY_SIZE], key[PRESENCE_KEY_SIZE];
    size_t len;
    int key_id = (int)num(v, "key_id");
    uint64_t user_id = parse_u64(str(v, "user_id", user, sizeof user));
    if (!check(key_id >= 0 && key_id < 256 && have_master[key_id] && from_hex(str(v, "hex", hex, sizeof hex), expected, sizeof expected, &len),
               "unreadable entry", "device_keys: key %d user %s: entry", key_id, user))
        return;
    presence_derive_device_key(master_keys[key_id], user_id, key);
    to_hex(key, sizeof key, got);
    check(len == PRESENCE_KEY_SIZE && memcmp(key, expected, len) == 0, got, "device_keys: key %d user %s", key_id, user);
}

static void invalid_vector(int v)
{
    char name[128], hex[4096], why[160];
    uint8_t frame[2048];
    size_t len;
    int status;
    str(v, "name", name, sizeof name);
    if (!check(from_hex(str(v, "hex", hex, sizeof hex), frame, sizeof frame, &len), "hex unreadable", "invalid: %s: hex", name))
        return;
    status = presence_check(len > 0 ? frame : NULL, len, NULL, NULL);
    sprintf(why, "accepted (status %d)", status);
    if (status != PRESENCE_OK)
        printf("# %s: %s\n", name, presence_strerror(status));
    check(status != PRESENCE_OK, why, "invalid: %s: refused", name);
}

static void bad_tag_vector(int v)
{
    char name[128], hex[4096];
    uint8_t frame[2048], key[PRESENCE_KEY_SIZE];
    size_t len, count = 0, i;
    int is_signed = 0, failed = 0, status;
    str(v, "name", name, sizeof name);
    if (!check(from_hex(str(v, "hex", hex, sizeof hex), frame, sizeof frame, &len), "hex unreadable", "bad_tag: %s: hex", name))
        return;
    status = presence_check(frame, len, &count, &is_signed);
    if (!check(status == PRESENCE_OK && is_signed, presence_strerror(status), "bad_tag: %s: well-formed and signed", name))
        return;
    for (i = 0; i < count; i++) {
        presence_record r;
        presence_record_at(frame, i, &r);
        if (!have_master[r.key_id]) {
            failed++;
            continue;
        }
        presence_derive_device_key(master_keys[r.key_id], r.user_id, key);
        failed += !presence_verify(frame, i, key);
    }
    check(failed > 0, "every tag verified", "bad_tag: %s: a record fails authentication", name);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    long size;
    char *text;
    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    text = malloc((size_t)size + 1);
    if (text != NULL && fread(text, 1, (size_t)size, f) != (size_t)size) {
        free(text);
        text = NULL;
    }
    if (text != NULL)
        text[size] = '\0';
    fclose(f);
    return text;
}

int main(int argc, char **argv)
{
    char *text;
    int root, v, result;
    const char *names[] = { "valid", "device_keys", "invalid", "bad_tag" };
    void (*runs[])(int) = { valid_vector, device_key_vector, invalid_vector, bad_tag_vector };
    size_t s;
    if (argc != 2) {
        fprintf(stderr, "usage: %s PATH/TO/docs/vectors.json\n", argv[0]);
        return 2;
    }
    text = read_file(argv[1]);
    if (text == NULL) {
        fprintf(stderr, "vectors_test: cannot read %s\n", argv[1]);
        return 2;
    }
    src = text;
    root = parse_value();
    if (root < 0 || nodes[root].type != J_OBJECT) {
        fprintf(stderr, "vectors_test: %s is not the vectors JSON: %s\n", argv[1], parse_error ? parse_error : "not an object");
        free(text);
        return 2;
    }
    check(load_master_keys(root) > 0, "no master_keys_hex", "master_keys_hex: read");
    for (s = 0; s < sizeof names / sizeof names[0]; s++) {
        int section = get(root, names[s]);
        if (!check(section >= 0 && nodes[section].type == J_ARRAY && nodes[section].first_child >= 0, "missing or empty", "section %s present", names[s]))
            continue;
        for (v = nodes[section].first_child; v >= 0; v = nodes[v].next)
            runs[s](v);
    }
    result = check_summary("vectors");
    free(text);
    return result;
}
