/*
 * object.c - Git's tree and commit encodings: strict, bounded decoders and
 * the encoders the store writes with.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "mote/error.h"

const mote_store_hash st_empty_tree = {{0x4b, 0x82, 0x5d, 0xc6, 0x42, 0xcb, 0x6e,
                                        0xb9, 0xa0, 0x60, 0xe5, 0x4b, 0xf8, 0xd6,
                                        0x92, 0x88, 0xfb, 0xee, 0x49, 0x04}};

int st_entry_cmp(const char *a, size_t alen, int atree, const char *b, size_t blen, int btree)
{
    size_t m = alen < blen ? alen : blen;
    int c = memcmp(a, b, m);
    if (c)
        return c;
    unsigned ca = alen > m ? (unsigned char)a[m] : (atree ? '/' : 0);
    unsigned cb = blen > m ? (unsigned char)b[m] : (btree ? '/' : 0);
    return (int)ca - (int)cb;
}

static int parse_mode(const uint8_t *p, size_t n, uint32_t *mode)
{
    static const struct {
        const char *s;
        uint32_t m;
    } modes[] = {{"100644", ST_MODE_BLOB},
                 {"100755", ST_MODE_EXEC},
                 {"120000", ST_MODE_LINK},
                 {"40000", ST_MODE_TREE},
                 {"160000", ST_MODE_GITLINK}};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        size_t l = strlen(modes[i].s);
        if (l == n && memcmp(p, modes[i].s, l) == 0) {
            *mode = modes[i].m;
            return 0;
        }
    }
    return MOTE_EDECODE;
}

static long bsearch_kind(const st_tree *t, const char *name, size_t nl, int tree)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const st_entry *e = &t->e[mid];
        int c = st_entry_cmp(e->name, e->namelen, st_mode_is_tree(e->mode), name, nl, tree);
        if (c == 0)
            return (e->namelen == nl && st_mode_is_tree(e->mode) == tree) ? (long)mid : -1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static int tree_decode(uint8_t *raw, size_t len, int trusted, st_tree **out)
{
    if (len > MOTE_STORE_MAX_OBJECT)
        return MOTE_ELIMIT;
    /* count entries first: each needs at least "40000 x\0" + 20 bytes */
    size_t cap = len / 28 + 1;
    if (cap > MOTE_STORE_MAX_ENTRIES)
        cap = MOTE_STORE_MAX_ENTRIES;
    st_tree *t = calloc(1, sizeof *t);
    if (!t)
        return MOTE_ENOMEM;
    t->e = malloc(cap * sizeof *t->e);
    if (!t->e) {
        free(t);
        return MOTE_ENOMEM;
    }
    size_t off = 0;
    int rc = 0;
    while (off < len) {
        if (t->n >= cap) {
            rc = MOTE_ELIMIT;
            break;
        }
        const uint8_t *sp = memchr(raw + off, ' ', len - off < 8 ? len - off : 8);
        if (!sp) {
            rc = MOTE_EDECODE;
            break;
        }
        uint32_t mode;
        if ((rc = parse_mode(raw + off, (size_t)(sp - (raw + off)), &mode)) != 0)
            break;
        size_t noff = (size_t)(sp - raw) + 1;
        size_t maxn = len - noff;
        if (maxn > MOTE_STORE_MAX_NAME + 1)
            maxn = MOTE_STORE_MAX_NAME + 1;
        const uint8_t *nul = memchr(raw + noff, 0, maxn);
        if (!nul) {
            rc = MOTE_EDECODE;
            break;
        }
        size_t nlen = (size_t)(nul - (raw + noff));
        if (!trusted && !st_name_valid((const char *)raw + noff, nlen)) {
            rc = MOTE_EDECODE;
            break;
        }
        size_t idoff = noff + nlen + 1;
        if (len - idoff < MOTE_STORE_HASH_LEN) {
            rc = MOTE_EDECODE;
            break;
        }
        st_entry *e = &t->e[t->n];
        e->name = (const char *)raw + noff;
        e->namelen = (uint16_t)nlen;
        e->mode = mode;
        e->id = raw + idoff;
        if (!trusted && t->n > 0) {
            st_entry *p = &t->e[t->n - 1];
            if (st_entry_cmp(p->name, p->namelen, st_mode_is_tree(p->mode), e->name, e->namelen,
                             st_mode_is_tree(e->mode)) >= 0 ||
                (p->namelen == e->namelen && memcmp(p->name, e->name, e->namelen) == 0)) {
                rc = MOTE_EDECODE; /* unsorted or duplicate */
                break;
            }
        }
        t->n++;
        off = idoff + MOTE_STORE_HASH_LEN;
    }
    if (rc == 0 && !trusted) {
        /* a name may appear once as a tree and once as a blob with other
         * entries between them; reject such duplicates too */
        t->raw = raw;
        for (size_t i = 0; i < t->n; i++)
            if (!st_mode_is_tree(t->e[i].mode) &&
                bsearch_kind(t, t->e[i].name, t->e[i].namelen, 1) >= 0) {
                rc = MOTE_EDECODE;
                break;
            }
    }
    if (rc) {
        free(t->e);
        free(t);
        return rc;
    }
    t->raw = raw;
    t->len = len;
    t->refs = 1;
    *out = t;
    return 0;
}

int st_tree_decode(uint8_t *raw, size_t len, st_tree **out)
{
    return tree_decode(raw, len, 0, out);
}

int st_tree_decode_trusted(uint8_t *raw, size_t len, st_tree **out)
{
    return tree_decode(raw, len, 1, out);
}

void st_tree_unref(st_tree *t)
{
    if (!t || --t->refs > 0)
        return;
    free(t->raw);
    free(t->e);
    free(t->ck);
    free(t);
}

static size_t tree_header(size_t len, char hdr[32])
{
    memcpy(hdr, "tree ", 5);
    char num[24];
    size_t nl = 0, hl = 5;
    do {
        num[nl++] = (char)('0' + len % 10);
        len /= 10;
    } while (len);
    while (nl)
        hdr[hl++] = num[--nl];
    hdr[hl++] = 0;
    return hl;
}

void st_tree_id(st_tree *t, mote_store_hash *id)
{
    char hdr[32];
    size_t hl = tree_header(t->len, hdr);
    size_t total = hl + t->len, want = total / ST_CK;
    int record = 1;
    if (t->capck < want) {
        struct sha1_ctx *nc = realloc(t->ck, want * sizeof *nc);
        if (nc) {
            t->ck = nc;
            t->capck = want;
        } else
            record = 0; /* hash without keeping checkpoints */
    }
    st_sha1 c;
    size_t done;
    if (record && t->nck > 0 && t->nck <= want) {
        c.ctx = t->ck[t->nck - 1];
        done = t->nck * ST_CK;
    } else {
        st_sha1_init(&c);
        st_sha1_update(&c, hdr, hl);
        done = hl;
        t->nck = 0;
    }
    while (done < total) {
        size_t next = (done / ST_CK + 1) * ST_CK;
        if (next > total)
            next = total;
        st_sha1_update(&c, t->raw + (done - hl), next - done);
        done = next;
        if (record && done % ST_CK == 0)
            t->ck[done / ST_CK - 1] = c.ctx;
    }
    t->nck = record ? want : 0;
    st_sha1_final(&c, id->b);
    t->id = *id;
}

static size_t mode_len(uint32_t mode)
{
    return mode == ST_MODE_TREE ? 5 : 6;
}

int st_tree_can_set(const st_tree *t, size_t k, uint32_t mode)
{
    return t && k < t->n && mode && st_mode_is_tree(t->e[k].mode) == st_mode_is_tree(mode) &&
           mode_len(t->e[k].mode) == mode_len(mode);
}

void st_tree_set_entry(st_tree *t, size_t k, uint32_t mode, const mote_store_hash *id)
{
    st_entry *e = &t->e[k];
    const char *ms = mode == ST_MODE_TREE      ? "40000"
                     : mode == ST_MODE_EXEC    ? "100755"
                     : mode == ST_MODE_LINK    ? "120000"
                     : mode == ST_MODE_GITLINK ? "160000"
                                               : "100644";
    uint8_t *start = (uint8_t *)e->name - 1 - mode_len(mode);
    memcpy(start, ms, mode_len(mode));
    e->mode = mode;
    memcpy((uint8_t *)e->id, id->b, MOTE_STORE_HASH_LEN);
    /* checkpoints that end after the entry's start are stale */
    char hdr[32];
    size_t keep = (tree_header(t->len, hdr) + (size_t)(start - t->raw)) / ST_CK;
    if (t->nck > keep)
        t->nck = keep;
}

long st_tree_find_hint(const st_tree *t, const char *name, size_t namelen, int tree_first)
{
    if (!t)
        return -1;
    long i = bsearch_kind(t, name, namelen, tree_first);
    if (i >= 0)
        return i;
    return bsearch_kind(t, name, namelen, !tree_first);
}

long st_tree_find(const st_tree *t, const char *name, size_t namelen)
{
    if (!t)
        return -1;
    long i = bsearch_kind(t, name, namelen, 0);
    if (i >= 0)
        return i;
    return bsearch_kind(t, name, namelen, 1);
}

static int put_entry(mote_buf *out, uint32_t mode, const char *name, size_t nl, const uint8_t *id)
{
    const char *ms = mode == ST_MODE_TREE      ? "40000 "
                     : mode == ST_MODE_EXEC    ? "100755 "
                     : mode == ST_MODE_LINK    ? "120000 "
                     : mode == ST_MODE_GITLINK ? "160000 "
                                               : "100644 ";
    int rc = mote_buf_append(out, ms, strlen(ms));
    if (!rc)
        rc = mote_buf_append(out, name, nl);
    if (!rc)
        rc = mote_buf_append_byte(out, 0);
    if (!rc)
        rc = mote_buf_append(out, id, MOTE_STORE_HASH_LEN);
    return rc;
}

/* Byte offset where entry i starts in t->raw (entries are contiguous). */
static size_t entry_start(const st_tree *t, size_t i)
{
    return i == 0 ? 0 : (size_t)(t->e[i - 1].id + MOTE_STORE_HASH_LEN - t->raw);
}

/* Appends entries [a, b) of t, leaving out entry `skip`. */
static int copy_entries(const st_tree *t, size_t a, size_t b, long skip, mote_buf *out)
{
    if (skip >= (long)a && skip < (long)b) {
        int rc = copy_entries(t, a, (size_t)skip, -1, out);
        return rc ? rc : copy_entries(t, (size_t)skip + 1, b, -1, out);
    }
    if (a >= b)
        return 0;
    size_t s = entry_start(t, a), e = entry_start(t, b);
    return mote_buf_append(out, t->raw + s, e - s);
}

/* The first entry that sorts after (name, tree). */
static size_t lower_bound(const st_tree *t, const char *name, size_t namelen, int tree)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const st_entry *e = &t->e[mid];
        if (st_entry_cmp(e->name, e->namelen, st_mode_is_tree(e->mode), name, namelen, tree) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int st_tree_splice(const st_tree *t, const char *name, size_t namelen, uint32_t mode,
                   const mote_store_hash *id, mote_buf *out)
{
    if (!t || t->n == 0)
        return mode ? put_entry(out, mode, name, namelen, id->b) : 0;
    int tree = st_mode_is_tree(mode);
    long k = st_tree_find(t, name, namelen);
    int rc = mote_buf_reserve(out, t->len + namelen + 32);
    if (rc)
        return rc;
    if (!mode)
        return copy_entries(t, 0, t->n, k, out);
    size_t lo = lower_bound(t, name, namelen, tree);
    rc = copy_entries(t, 0, lo, k, out);
    if (!rc)
        rc = put_entry(out, mode, name, namelen, id->b);
    if (!rc)
        rc = copy_entries(t, lo, t->n, k, out);
    return rc;
}

/* st_tree_splice_tree when entry k keeps its name, kind and mode width:
 * the content is a copy with the mode and id of one entry rewritten (and
 * the checkpoints before it carried over). */
static int splice_replace(const st_tree *t, size_t k, uint32_t mode, const mote_store_hash *id,
                          st_tree **out)
{
    st_tree *nt = calloc(1, sizeof *nt);
    if (!nt)
        return MOTE_ENOMEM;
    nt->raw = malloc(t->len);
    nt->e = malloc(t->n * sizeof *nt->e);
    if (t->nck) {
        nt->ck = malloc(t->nck * sizeof *nt->ck);
        if (nt->ck) {
            memcpy(nt->ck, t->ck, t->nck * sizeof *nt->ck);
            nt->nck = nt->capck = t->nck;
        }
    }
    if (!nt->raw || !nt->e) {
        free(nt->raw);
        free(nt->e);
        free(nt->ck);
        free(nt);
        return MOTE_ENOMEM;
    }
    memcpy(nt->raw, t->raw, t->len);
    nt->len = t->len;
    nt->n = t->n;
    nt->refs = 1;
    for (size_t i = 0; i < t->n; i++) {
        nt->e[i] = t->e[i];
        nt->e[i].name = (const char *)nt->raw + ((const uint8_t *)t->e[i].name - t->raw);
        nt->e[i].id = nt->raw + (t->e[i].id - t->raw);
    }
    st_tree_set_entry(nt, k, mode, id);
    *out = nt;
    return 0;
}

int st_tree_splice_tree(const st_tree *t, const char *name, size_t namelen, uint32_t mode,
                        const mote_store_hash *id, st_tree **out)
{
    if (t && mode && t->n) {
        long k = st_tree_find(t, name, namelen);
        if (k >= 0 && st_tree_can_set(t, (size_t)k, mode))
            return splice_replace(t, (size_t)k, mode, id, out);
    }
    mote_buf b;
    mote_buf_init(&b, MOTE_STORE_MAX_OBJECT);
    int rc = st_tree_splice(t, name, namelen, mode, id, &b);
    size_t nold = t ? t->n : 0;
    long k = t ? st_tree_find(t, name, namelen) : -1;
    size_t n = nold + (mode ? 1 : 0) - (k >= 0 ? 1 : 0);
    st_tree *nt = rc ? NULL : calloc(1, sizeof *nt);
    if (nt)
        nt->e = malloc((n ? n : 1) * sizeof *nt->e);
    if (!nt || !nt->e) {
        free(nt);
        mote_buf_free(&b);
        return rc ? rc : MOTE_ENOMEM;
    }
    size_t len = 0;
    nt->raw = mote_buf_detach(&b, &len);
    nt->len = len;
    nt->refs = 1;
    /* entries: the old ones moved by their new offsets, the new one parsed */
    size_t lo = (t && mode) ? lower_bound(t, name, namelen, st_mode_is_tree(mode)) : 0;
    size_t off = 0, j = 0;
    for (size_t i = 0; i <= nold; i++) {
        if (mode && i == lo) {
            st_entry *e = &nt->e[j++];
            const uint8_t *sp = memchr(nt->raw + off, ' ', 8);
            size_t ml = (size_t)(sp - (nt->raw + off));
            e->mode = mode;
            e->name = (const char *)nt->raw + off + ml + 1;
            e->namelen = (uint16_t)namelen;
            e->id = (const uint8_t *)e->name + namelen + 1;
            off += ml + 1 + namelen + 1 + MOTE_STORE_HASH_LEN;
        }
        if (i == nold)
            break;
        if ((long)i == k)
            continue;
        size_t s = entry_start(t, i), end = entry_start(t, i + 1);
        st_entry *e = &nt->e[j++];
        *e = t->e[i];
        e->name = (const char *)nt->raw + off + ((const uint8_t *)t->e[i].name - (t->raw + s));
        e->id = nt->raw + off + (t->e[i].id - (t->raw + s));
        off += end - s;
    }
    nt->n = j;
    if (j != n || off != len) { /* cannot happen; refuse rather than trust */
        st_tree_unref(nt);
        return MOTE_EINVAL;
    }
    *out = nt;
    return 0;
}

/* ---- commits ---- */

void mote_store_commit_clear(mote_store_commit *c)
{
    if (!c)
        return;
    free(c->parents);
    free(c->author);
    free(c->message);
    memset(c, 0, sizeof *c);
}

static int parse_hexline(const uint8_t *p, size_t n, const char *key, mote_store_hash *h)
{
    size_t kl = strlen(key);
    char hex[MOTE_STORE_HEX_LEN + 1];
    if (n != kl + MOTE_STORE_HEX_LEN || memcmp(p, key, kl) != 0)
        return MOTE_EDECODE;
    memcpy(hex, p + kl, MOTE_STORE_HEX_LEN);
    hex[MOTE_STORE_HEX_LEN] = 0;
    for (int i = 0; i < MOTE_STORE_HEX_LEN; i++)
        if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
            return MOTE_EDECODE;
    return mote_store_hash_parse(hex, h);
}

/* "Name <email> 1234567890 +0000": *who gets "Name <email>", *date the
 * seconds. */
static int parse_ident(const uint8_t *p, size_t n, char **who, int64_t *date)
{
    const uint8_t *gt = NULL;
    for (size_t i = n; i > 0; i--)
        if (p[i - 1] == '>') {
            gt = p + i - 1;
            break;
        }
    if (!gt || !memchr(p, '<', (size_t)(gt - p)))
        return MOTE_EDECODE;
    size_t wl = (size_t)(gt - p) + 1;
    const uint8_t *q = gt + 1, *end = p + n;
    if (q >= end || *q != ' ')
        return MOTE_EDECODE;
    q++;
    int64_t v = 0;
    int neg = 0;
    if (q < end && *q == '-') {
        neg = 1;
        q++;
    }
    const uint8_t *ds = q;
    while (q < end && *q >= '0' && *q <= '9') {
        if (v > (INT64_MAX - 9) / 10)
            return MOTE_EDECODE;
        v = v * 10 + (*q - '0');
        q++;
    }
    if (q == ds)
        return MOTE_EDECODE;
    /* the zone: " +hhmm" or " -hhmm" (tolerate its absence, as git does) */
    if (q < end) {
        if (end - q != 6 || q[0] != ' ' || (q[1] != '+' && q[1] != '-'))
            return MOTE_EDECODE;
        for (int i = 2; i < 6; i++)
            if (q[i] < '0' || q[i] > '9')
                return MOTE_EDECODE;
    }
    *who = malloc(wl + 1);
    if (!*who)
        return MOTE_ENOMEM;
    memcpy(*who, p, wl);
    (*who)[wl] = 0;
    *date = neg ? -v : v;
    return 0;
}

int st_commit_decode(const uint8_t *raw, size_t len, mote_store_commit *out)
{
    memset(out, 0, sizeof *out);
    if (len > MOTE_STORE_MAX_OBJECT)
        return MOTE_ELIMIT;
    size_t off = 0;
    int state = 0; /* 0 tree, 1 parents, 2 committer, 3 other headers */
    int rc = 0;
    size_t pcap = 0;
    char *author = NULL;
    int64_t adate = 0;
    while (!rc) {
        const uint8_t *nl = memchr(raw + off, '\n', len - off);
        if (!nl) {
            rc = MOTE_EDECODE;
            break;
        }
        const uint8_t *p = raw + off;
        size_t n = (size_t)(nl - p);
        off += n + 1;
        if (n == 0) {
            if (state < 3)
                rc = MOTE_EDECODE;
            break;
        }
        if (state == 0) {
            rc = parse_hexline(p, n, "tree ", &out->tree);
            state = 1;
        } else if (state == 1 && n > 7 && memcmp(p, "parent ", 7) == 0) {
            if (out->nparents >= MOTE_STORE_MAX_PARENTS) {
                rc = MOTE_ELIMIT;
                break;
            }
            if (out->nparents == pcap) {
                size_t nc = pcap ? pcap * 2 : 2;
                mote_store_hash *np = realloc(out->parents, nc * sizeof *np);
                if (!np) {
                    rc = MOTE_ENOMEM;
                    break;
                }
                out->parents = np;
                pcap = nc;
            }
            rc = parse_hexline(p, n, "parent ", &out->parents[out->nparents]);
            if (!rc)
                out->nparents++;
        } else if (state == 1) {
            if (n < 7 || memcmp(p, "author ", 7) != 0) {
                rc = MOTE_EDECODE;
                break;
            }
            rc = parse_ident(p + 7, n - 7, &author, &adate);
            state = 2;
        } else if (state == 2) {
            if (n < 10 || memcmp(p, "committer ", 10) != 0) {
                rc = MOTE_EDECODE;
                break;
            }
            char *who = NULL;
            rc = parse_ident(p + 10, n - 10, &who, &out->date);
            free(who);
            state = 3;
        } else {
            /* other headers (encoding, gpgsig and its continuation lines) */
        }
    }
    if (!rc) {
        size_t ml = len - off;
        out->message = malloc(ml + 1);
        if (!out->message)
            rc = MOTE_ENOMEM;
        else {
            memcpy(out->message, raw + off, ml);
            out->message[ml] = 0;
        }
    }
    if (rc) {
        free(author);
        mote_store_commit_clear(out);
        return rc;
    }
    out->author = author;
    return 0;
}

int st_author_valid(const char *a)
{
    const char *lt = strchr(a, '<');
    if (!lt || lt == a || lt[-1] != ' ')
        return 0;
    const char *gt = strchr(lt, '>');
    if (!gt || gt[1] != 0)
        return 0;
    for (const char *p = a; *p; p++) {
        if (*p == '\n' || (*p == '<' && p != lt) || (*p == '>' && p != gt))
            return 0;
    }
    return 1;
}

int st_commit_encode(const mote_store_hash *tree, const mote_store_hash *parents, size_t np,
                     const char *author, int64_t date, const char *message, mote_buf *out)
{
    /* built by hand: this runs once per commit, and printf is a large
     * share of a memory commit's cost */
    size_t al = strlen(author);
    /* one allocation up front (a failure here shows again in an append) */
    (void)mote_buf_reserve(out, 48 + np * 48 + 2 * (al + 48) + (message ? strlen(message) + 1 : 0));
    int rc;
    char hex[MOTE_STORE_HEX_LEN + 1];
    mote_store_hash_hex(tree, hex);
    rc = mote_buf_append(out, "tree ", 5);
    if (!rc)
        rc = mote_buf_append(out, hex, MOTE_STORE_HEX_LEN);
    if (!rc)
        rc = mote_buf_append_byte(out, '\n');
    for (size_t i = 0; i < np && !rc; i++) {
        mote_store_hash_hex(&parents[i], hex);
        rc = mote_buf_append(out, "parent ", 7);
        if (!rc)
            rc = mote_buf_append(out, hex, MOTE_STORE_HEX_LEN);
        if (!rc)
            rc = mote_buf_append_byte(out, '\n');
    }
    /* " <date> +0000\n", the date in decimal as %lld prints it */
    char dl[40];
    size_t dn = sizeof dl;
    dl[--dn] = '\n';
    dn -= 6;
    memcpy(dl + dn, " +0000", 6);
    uint64_t v = date < 0 ? (uint64_t)0 - (uint64_t)date : (uint64_t)date;
    do {
        dl[--dn] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (date < 0)
        dl[--dn] = '-';
    dl[--dn] = ' ';
    for (int w = 0; w < 2 && !rc; w++) {
        rc = mote_buf_append(out, w ? "committer " : "author ", w ? 10 : 7);
        if (!rc)
            rc = mote_buf_append(out, author, al);
        if (!rc)
            rc = mote_buf_append(out, dl + dn, sizeof dl - dn);
    }
    if (!rc)
        rc = mote_buf_append_byte(out, '\n');
    if (!rc && message && *message) {
        size_t ml = strlen(message);
        rc = mote_buf_append(out, message, ml);
        if (!rc && message[ml - 1] != '\n')
            rc = mote_buf_append_byte(out, '\n');
    }
    return rc;
}
