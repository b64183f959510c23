/* Tar-split: what of a layer's tar is not the content of its regular files
 * (headers, pax records, padding, the end blocks), kept beside the unpacked
 * layer so that the tar can be made again byte for byte from it and the
 * files, for save and push, instead of keeping the whole tar (docker and
 * podman do the same, with tar-split.json.gz).
 *
 * The builder sees the uncompressed stream as the unpacker reads it and
 * parses the tar structure on its own (512-byte headers, sizes in octal,
 * base-256 or pax records); libarchive unpacks the same bytes.  The
 * payload of a plain regular file is left out of the record, to be read
 * back from the file the unpacker made; the unpacker names that file
 * (img_tarsplit_file) and the two must agree on the entry (its index and
 * name) and its size.  Anything else, or any doubt (a sparse file, an
 * entry that replaced an earlier one, a name the two read differently), and
 * the record is not usable: the caller keeps the whole tar instead.
 *
 * The file: "PIERTS1\n", the tar's size (u64 LE), then records, each a
 * kind byte: 'R' u32 length and that many bytes of the tar; 'F' u64
 * length, u16 name length and the name of the file in the layer holding
 * those bytes; 'E' the end. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/buf.h"
#include "../lib/file.h"
#include "tarsplit.h"

#define BLOCK 512
#define FLUSH_AT (1u << 20)
/* Held back behind a file the unpacker has not named yet: it names each
 * one as it reaches it, a read block or so behind this parser. */
#define PENDING_MAX (64u << 20)
#define META_MAX (1u << 20) /* a pax header or GNU long name parsed */
#define RAW_RECORD_MAX (1u << 30)

enum state {
    S_HEADER,  /* collecting a 512-byte header */
    S_META,    /* a pax header or GNU long name/link: kept and parsed */
    S_RAW,     /* payload kept as it is */
    S_FILE,    /* a regular file's content: left out */
    S_PAD,     /* padding to the next block */
    S_EXT,     /* old GNU sparse extension headers */
    S_TRAILER, /* after the end blocks: kept as it is */
};

struct file_ref {
    uint64_t entry, len;
    char *name;
    size_t pos; /* where its record goes in pend */
};

struct img_tarsplit {
    int fd;
    bool bad; /* not usable: the caller keeps the whole tar */
    int errnum;
    struct buf out, pend;
    /* the open raw record of out or pend, whose length grows */
    struct buf *raw_in;
    size_t raw_at;
    struct file_ref *q;
    size_t nq, capq;
    uint64_t written; /* bytes written to fd */

    enum state st;
    unsigned char hdr[BLOCK];
    size_t hlen;
    uint64_t left; /* of the current payload */
    size_t pad;
    int zero_blocks;
    uint64_t entries;
    /* a pax header or long name being read, and what they said */
    char meta_type;
    struct buf meta;
    bool pax_size_set, pax_sparse;
    uint64_t pax_size;
    char *pax_path, *long_name;
};

static void set_bad(struct img_tarsplit *ts)
{
    ts->bad = true;
}

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static int flush(struct img_tarsplit *ts)
{
    if (ts->out.failed) {
        ts->errnum = ENOMEM;
        return -1;
    }
    if (ts->out.len > 0 && pier_write_all(ts->fd, ts->out.data, ts->out.len) < 0) {
        ts->errnum = errno;
        return -1;
    }
    ts->written += ts->out.len;
    ts->out.len = 0;
    if (ts->raw_in == &ts->out)
        ts->raw_in = NULL;
    return 0;
}

/* Bytes of the tar kept as they are: into the open raw record when there
 * is one at the end of where records go now. */
static void raw(struct img_tarsplit *ts, const void *p, size_t n)
{
    if (n == 0 || ts->bad)
        return;
    struct buf *b = ts->nq > 0 ? &ts->pend : &ts->out;
    if (ts->raw_in != b) {
        unsigned char head[5] = {'R'};
        ts->raw_at = b->len + 1;
        buf_put(b, head, sizeof head);
        ts->raw_in = b;
    }
    buf_put(b, p, n);
    if (b->failed) {
        set_bad(ts);
        return;
    }
    uint32_t len = (uint32_t)(b->len - ts->raw_at - 4);
    put_u32((unsigned char *)b->data + ts->raw_at, len);
    if (len > RAW_RECORD_MAX)
        ts->raw_in = NULL;
    if (b == &ts->pend && b->len > PENDING_MAX)
        set_bad(ts);
    if (b == &ts->out && b->len >= FLUSH_AT && flush(ts) < 0)
        set_bad(ts);
}

static void file_record(struct buf *b, uint64_t len, const char *name)
{
    size_t n = strlen(name);
    unsigned char head[11] = {'F'};
    put_u64(head + 1, len);
    head[9] = (unsigned char)(n & 0xff);
    head[10] = (unsigned char)(n >> 8);
    buf_put(b, head, sizeof head);
    buf_put(b, name, n);
}

/* A regular file's payload, left out until the unpacker names its file. */
static void file_payload(struct img_tarsplit *ts, uint64_t len, const char *name)
{
    if (ts->nq == ts->capq) {
        size_t cap = ts->capq ? 2 * ts->capq : 16;
        struct file_ref *q = realloc(ts->q, cap * sizeof *q);
        if (q == NULL) {
            set_bad(ts);
            return;
        }
        ts->q = q;
        ts->capq = cap;
    }
    char *copy = strdup(name);
    if (copy == NULL) {
        set_bad(ts);
        return;
    }
    ts->q[ts->nq++] =
        (struct file_ref){.entry = ts->entries, .len = len, .name = copy, .pos = ts->pend.len};
    ts->raw_in = NULL;
}

void img_tarsplit_file(struct img_tarsplit *ts, uint64_t entry, const char *name, const char *path,
                       int64_t size)
{
    if (ts == NULL || ts->bad)
        return;
    /* The parser kept this entry's payload: nothing to name. */
    if (ts->nq == 0 || ts->q[0].entry > entry)
        return;
    struct file_ref *f = &ts->q[0];
    if (f->entry != entry || f->len != (uint64_t)size || strcmp(f->name, name) != 0 ||
        strlen(path) > UINT16_MAX) {
        set_bad(ts);
        return;
    }
    /* What came before it goes out, then its record. */
    if (f->pos > 0)
        buf_put(&ts->out, ts->pend.data, f->pos);
    file_record(&ts->out, f->len, path);
    size_t pos = f->pos;
    buf_consume(&ts->pend, pos);
    free(f->name);
    memmove(ts->q, ts->q + 1, (ts->nq - 1) * sizeof *ts->q);
    ts->nq--;
    for (size_t i = 0; i < ts->nq; i++)
        ts->q[i].pos -= pos;
    ts->raw_in = NULL;
    if (ts->nq == 0) {
        /* the raw bytes after the last file go out as they are */
        if (ts->pend.len > 0)
            buf_put(&ts->out, ts->pend.data, ts->pend.len);
        buf_consume(&ts->pend, ts->pend.len);
    }
    if (ts->out.len >= FLUSH_AT && flush(ts) < 0)
        set_bad(ts);
}

void img_tarsplit_doubt(struct img_tarsplit *ts)
{
    if (ts != NULL)
        set_bad(ts);
}

/* ---- the tar's structure ---- */

static bool parse_octal(const unsigned char *p, size_t n, uint64_t *out)
{
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\0'))
        i++;
    uint64_t v = 0;
    bool any = false;
    for (; i < n && p[i] >= '0' && p[i] <= '7'; i++) {
        if (v >> 60)
            return false;
        v = v * 8 + (uint64_t)(p[i] - '0');
        any = true;
    }
    for (; i < n; i++)
        if (p[i] != ' ' && p[i] != '\0')
            return false;
    *out = any ? v : 0;
    return true;
}

static bool parse_size(const unsigned char *p, uint64_t *out)
{
    if (p[0] & 0x80) { /* base-256, big-endian */
        if (p[0] != 0x80)
            return false;
        uint64_t v = 0;
        for (int i = 1; i < 12; i++) {
            if (v >> 56)
                return false;
            v = (v << 8) | p[i];
        }
        *out = v;
        return true;
    }
    return parse_octal(p, 12, out);
}

static char *field(const unsigned char *p, size_t n)
{
    size_t len = strnlen((const char *)p, n);
    char *s = malloc(len + 1);
    if (s != NULL) {
        memcpy(s, p, len);
        s[len] = '\0';
    }
    return s;
}

/* pax records: "LEN KEY=VALUE\n" */
static void parse_pax(struct img_tarsplit *ts, bool global)
{
    const char *p = ts->meta.data, *end = p + ts->meta.len;
    while (p < end) {
        char *sp;
        unsigned long len = strtoul(p, &sp, 10);
        if (sp == p || *sp != ' ' || len == 0 || len > (unsigned long)(end - p)) {
            set_bad(ts);
            return;
        }
        const char *key = sp + 1, *rec_end = p + len;
        const char *eq = memchr(key, '=', (size_t)(rec_end - key));
        if (eq == NULL || rec_end[-1] != '\n') {
            set_bad(ts);
            return;
        }
        size_t klen = (size_t)(eq - key);
        const char *val = eq + 1;
        size_t vlen = (size_t)(rec_end - 1 - val);
        if (klen == 4 && memcmp(key, "size", 4) == 0) {
            if (global) {
                set_bad(ts);
                return;
            } else {
                char num[32];
                char *e;
                if (vlen == 0 || vlen >= sizeof num) {
                    set_bad(ts);
                    return;
                }
                memcpy(num, val, vlen);
                num[vlen] = '\0';
                ts->pax_size = strtoull(num, &e, 10);
                if (*e != '\0') {
                    set_bad(ts);
                    return;
                }
                ts->pax_size_set = true;
            }
        } else if ((klen > 11 && memcmp(key, "GNU.sparse.", 11) == 0) ||
                   (klen == 15 && memcmp(key, "SCHILY.realsize", 15) == 0) ||
                   (klen == 15 && memcmp(key, "SCHILY.filetype", 15) == 0)) {
            ts->pax_sparse = true;
        } else if (klen == 4 && memcmp(key, "path", 4) == 0 && !global) {
            free(ts->pax_path);
            ts->pax_path = strndup(val, vlen);
            if (ts->pax_path == NULL)
                set_bad(ts);
        } else if (global && klen == 4 && memcmp(key, "path", 4) == 0) {
            set_bad(ts);
        }
        p = rec_end;
    }
}

static void meta_done(struct img_tarsplit *ts)
{
    if (ts->meta.failed) {
        set_bad(ts);
    } else if (ts->meta_type == 'x' || ts->meta_type == 'g') {
        parse_pax(ts, ts->meta_type == 'g');
    } else if (ts->meta_type == 'L') {
        free(ts->long_name);
        ts->long_name =
            field((const unsigned char *)(ts->meta.data ? ts->meta.data : ""), ts->meta.len);
        if (ts->long_name == NULL)
            set_bad(ts);
    }
    buf_consume(&ts->meta, ts->meta.len);
}

static void entry_done(struct img_tarsplit *ts)
{
    ts->pax_size_set = ts->pax_sparse = false;
    free(ts->pax_path);
    free(ts->long_name);
    ts->pax_path = ts->long_name = NULL;
}

static bool all_zero(const unsigned char *p)
{
    for (size_t i = 0; i < BLOCK; i++)
        if (p[i])
            return false;
    return true;
}

/* The entry's name as libarchive reads it: pax path, GNU long name, or
 * the ustar prefix and name. */
static char *entry_name(struct img_tarsplit *ts)
{
    if (ts->pax_path != NULL)
        return strdup(ts->pax_path);
    if (ts->long_name != NULL)
        return strdup(ts->long_name);
    char *name = field(ts->hdr, 100);
    if (name == NULL || memcmp(ts->hdr + 257, "ustar\0", 6) != 0 || ts->hdr[345] == '\0')
        return name;
    char *prefix = field(ts->hdr + 345, 155), *joined = NULL;
    if (prefix != NULL && asprintf(&joined, "%s/%s", prefix, name) < 0)
        joined = NULL;
    free(prefix);
    free(name);
    return joined;
}

static void header(struct img_tarsplit *ts)
{
    raw(ts, ts->hdr, BLOCK);
    if (all_zero(ts->hdr)) {
        if (++ts->zero_blocks >= 2)
            ts->st = S_TRAILER;
        return;
    }
    ts->zero_blocks = 0;
    char type = (char)ts->hdr[156];
    uint64_t size;
    if (!parse_size(ts->hdr + 124, &size)) {
        set_bad(ts);
        return;
    }
    if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
        ts->meta_type = type;
        ts->left = size;
        ts->pad = (size_t)((BLOCK - size % BLOCK) % BLOCK);
        ts->st = size > 0 ? S_META : ts->pad > 0 ? S_PAD : S_HEADER;
        if (size == 0)
            meta_done(ts);
        return;
    }
    if (ts->pax_size_set)
        size = ts->pax_size;
    ts->entries++;
    ts->left = size;
    ts->pad = (size_t)((BLOCK - size % BLOCK) % BLOCK);
    ts->st = S_RAW;
    if (type == 'S') {
        /* its payload is kept whole; extension headers may follow */
        if (ts->hdr[482] != 0)
            ts->st = S_EXT;
    } else if ((type == '0' || type == '\0' || type == '7') && size > 0 && !ts->pax_sparse) {
        char *name = entry_name(ts);
        if (name == NULL) {
            set_bad(ts);
        } else {
            size_t n = strlen(name);
            const char *base = strrchr(name, '/');
            base = base ? base + 1 : name;
            /* a directory in old tars; a whiteout the unpacker makes no file of */
            if (n > 0 && name[n - 1] != '/' && strncmp(base, ".wh.", 4) != 0) {
                file_payload(ts, size, name);
                ts->st = S_FILE;
            }
            free(name);
        }
    }
    entry_done(ts);
    if (ts->st != S_EXT && ts->left == 0)
        ts->st = ts->pad > 0 ? S_PAD : S_HEADER;
}

void img_tarsplit_feed(struct img_tarsplit *ts, const void *data, size_t len)
{
    const unsigned char *p = data;
    while (len > 0 && ts != NULL && !ts->bad) {
        size_t n;
        switch (ts->st) {
        case S_HEADER:
        case S_EXT:
            n = BLOCK - ts->hlen < len ? BLOCK - ts->hlen : len;
            memcpy(ts->hdr + ts->hlen, p, n);
            ts->hlen += n;
            if (ts->hlen == BLOCK) {
                ts->hlen = 0;
                if (ts->st == S_HEADER) {
                    header(ts);
                } else {
                    raw(ts, ts->hdr, BLOCK);
                    if (ts->hdr[504] == 0)
                        ts->st = ts->left > 0 ? S_RAW : ts->pad > 0 ? S_PAD : S_HEADER;
                }
            }
            break;
        case S_META:
        case S_RAW:
        case S_FILE:
            n = ts->left < len ? (size_t)ts->left : len;
            /* a file's content is read back from the file */
            if (ts->st != S_FILE)
                raw(ts, p, n);
            if (ts->st == S_META && ts->meta.len + n <= META_MAX)
                buf_put(&ts->meta, p, n);
            else if (ts->st == S_META)
                ts->meta.failed = true;
            ts->left -= n;
            if (ts->left == 0) {
                if (ts->st == S_META)
                    meta_done(ts);
                ts->st = ts->pad > 0 ? S_PAD : S_HEADER;
            }
            break;
        case S_PAD:
            n = ts->pad < len ? ts->pad : len;
            raw(ts, p, n);
            ts->pad -= n;
            if (ts->pad == 0)
                ts->st = S_HEADER;
            break;
        case S_TRAILER:
        default:
            n = len;
            raw(ts, p, n);
            break;
        }
        p += n;
        len -= n;
    }
}

int img_tarsplit_new(int fd, struct img_tarsplit **out, pier_err_t *err)
{
    struct img_tarsplit *ts = calloc(1, sizeof *ts);
    if (ts == NULL)
        return pier_error(err, ENOMEM, "tar-split");
    ts->fd = fd;
    ts->out = (struct buf)BUF_INIT;
    ts->pend = (struct buf)BUF_INIT;
    ts->meta = (struct buf)BUF_INIT;
    ts->meta.max = META_MAX + 1;
    unsigned char head[16] = "PIERTS1\n";
    buf_put(&ts->out, head, sizeof head);
    *out = ts;
    return 0;
}

int img_tarsplit_finish(struct img_tarsplit *ts, uint64_t tar_size, pier_err_t *err)
{
    /* a file the unpacker never named; a tar that ended inside an entry */
    if (ts->nq > 0 || (ts->st != S_HEADER && ts->st != S_TRAILER) || ts->hlen != 0)
        set_bad(ts);
    if (ts->bad)
        return 0;
    buf_putc(&ts->out, 'E');
    if (flush(ts) < 0)
        return pier_error(err, ts->errnum, "write the layer's tar-split");
    unsigned char size[8];
    put_u64(size, tar_size);
    if (pwrite(ts->fd, size, sizeof size, 8) != (ssize_t)sizeof size)
        return pier_error(err, errno, "write the layer's tar-split");
    return 1;
}

void img_tarsplit_free(struct img_tarsplit *ts)
{
    if (ts == NULL)
        return;
    for (size_t i = 0; i < ts->nq; i++)
        free(ts->q[i].name);
    free(ts->q);
    buf_free(&ts->out);
    buf_free(&ts->pend);
    buf_free(&ts->meta);
    entry_done(ts);
    free(ts);
}
