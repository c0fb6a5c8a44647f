/*
 * merge.c - three-way tree merges and the built-in mergeable value types:
 * bytes, counters, last-writer-wins registers, sets and JSON-like objects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "mote/error.h"

static int why_set(mote_buf *why, const char *msg)
{
    if (why)
        return mote_buf_appendf(why, "%s", msg);
    return 0;
}

static int same(const mote_slice *a, const mote_slice *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->ptr, b->ptr, a->len) == 0);
}

int mote_store_merge_bytes(void *ctx, const char *path, const mote_slice *ancestor, mote_slice ours,
                           mote_slice theirs, mote_buf *out, mote_buf *why)
{
    (void)ctx;
    (void)path;
    if (same(&ours, &theirs))
        return mote_buf_append(out, ours.ptr, ours.len);
    if (ancestor && same(ancestor, &ours))
        return mote_buf_append(out, theirs.ptr, theirs.len);
    if (ancestor && same(ancestor, &theirs))
        return mote_buf_append(out, ours.ptr, ours.len);
    why_set(why, "both sides changed the value differently");
    return MOTE_ECONFLICT;
}

/* ---- counters ---- */

static int parse_i64(mote_slice s, int64_t *v)
{
    size_t n = s.len;
    if (n && s.ptr[n - 1] == '\n')
        n--;
    size_t i = 0;
    int neg = 0;
    if (n == 0)
        return MOTE_EDECODE;
    if (s.ptr[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i == n || n - i > 19)
        return MOTE_EDECODE;
    uint64_t acc = 0;
    for (; i < n; i++) {
        if (s.ptr[i] < '0' || s.ptr[i] > '9')
            return MOTE_EDECODE;
        acc = acc * 10 + (uint64_t)(s.ptr[i] - '0');
    }
    if (neg ? acc > (uint64_t)INT64_MAX + 1 : acc > (uint64_t)INT64_MAX)
        return MOTE_EDECODE;
    *v = neg ? (int64_t)(0 - acc) : (int64_t)acc;
    return 0;
}

int mote_store_merge_counter(void *ctx, const char *path, const mote_slice *ancestor,
                             mote_slice ours, mote_slice theirs, mote_buf *out, mote_buf *why)
{
    (void)ctx;
    (void)path;
    int64_t a = 0, o, t, res;
    if ((ancestor && parse_i64(*ancestor, &a)) || parse_i64(ours, &o) || parse_i64(theirs, &t)) {
        why_set(why, "counter: not a decimal 64-bit integer");
        return MOTE_ECONFLICT;
    }
    if (__builtin_sub_overflow(o, a, &res) || __builtin_add_overflow(res, t, &res)) {
        why_set(why, "counter: overflow");
        return MOTE_ECONFLICT;
    }
    return mote_buf_appendf(out, "%lld", (long long)res);
}

/* ---- last writer wins ---- */

int mote_store_merge_lww(void *ctx, const char *path, const mote_slice *ancestor, mote_slice ours,
                         mote_slice theirs, mote_buf *out, mote_buf *why)
{
    (void)ctx;
    (void)path;
    (void)ancestor;
    const uint8_t *so = memchr(ours.ptr, ' ', ours.len);
    const uint8_t *st = memchr(theirs.ptr, ' ', theirs.len);
    int64_t to, tt;
    if (!so || !st || parse_i64(mote_slice_make(ours.ptr, (size_t)(so - ours.ptr)), &to) ||
        parse_i64(mote_slice_make(theirs.ptr, (size_t)(st - theirs.ptr)), &tt)) {
        why_set(why, "lww: not \"<timestamp> <value>\"");
        return MOTE_ECONFLICT;
    }
    int pick_ours;
    if (to != tt)
        pick_ours = to > tt;
    else {
        size_t m = ours.len < theirs.len ? ours.len : theirs.len;
        int c = memcmp(ours.ptr, theirs.ptr, m);
        pick_ours = c ? c > 0 : ours.len >= theirs.len;
    }
    return pick_ours ? mote_buf_append(out, ours.ptr, ours.len)
                     : mote_buf_append(out, theirs.ptr, theirs.len);
}

/* ---- sets ---- */

typedef struct elems {
    mote_slice *e;
    size_t n;
} elems;

static int slice_cmp(const void *a, const void *b)
{
    const mote_slice *x = a, *y = b;
    size_t m = x->len < y->len ? x->len : y->len;
    int c = m ? memcmp(x->ptr, y->ptr, m) : 0;
    if (c)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

static int split_set(mote_slice s, elems *out)
{
    size_t cap = 0;
    out->e = NULL;
    out->n = 0;
    for (size_t i = 0; i < s.len; i++)
        if (s.ptr[i] == '\n')
            cap++;
    cap++;
    out->e = malloc(cap * sizeof *out->e);
    if (!out->e)
        return MOTE_ENOMEM;
    size_t start = 0;
    for (size_t i = 0; i <= s.len; i++) {
        if (i == s.len || s.ptr[i] == '\n') {
            if (i > start)
                out->e[out->n++] = mote_slice_make(s.ptr + start, i - start);
            start = i + 1;
        }
    }
    qsort(out->e, out->n, sizeof *out->e, slice_cmp);
    size_t k = 0;
    for (size_t i = 0; i < out->n; i++)
        if (k == 0 || slice_cmp(&out->e[k - 1], &out->e[i]) != 0)
            out->e[k++] = out->e[i];
    out->n = k;
    return 0;
}

static int has_elem(const elems *s, const mote_slice *x)
{
    return s->n && bsearch(x, s->e, s->n, sizeof *s->e, slice_cmp) != NULL;
}

int mote_store_merge_set(void *ctx, const char *path, const mote_slice *ancestor, mote_slice ours,
                         mote_slice theirs, mote_buf *out, mote_buf *why)
{
    (void)ctx;
    (void)path;
    (void)why;
    elems a = {0}, o = {0}, t = {0}, all = {0};
    int rc = split_set(ancestor ? *ancestor : mote_slice_make(NULL, 0), &a);
    if (!rc)
        rc = split_set(ours, &o);
    if (!rc)
        rc = split_set(theirs, &t);
    if (!rc) {
        all.e = malloc((o.n + t.n + 1) * sizeof *all.e);
        if (!all.e)
            rc = MOTE_ENOMEM;
    }
    if (!rc) {
        for (size_t i = 0; i < o.n; i++) {
            int in_t = has_elem(&t, &o.e[i]), in_a = has_elem(&a, &o.e[i]);
            if (in_t || !in_a)
                all.e[all.n++] = o.e[i];
        }
        for (size_t i = 0; i < t.n; i++)
            if (!has_elem(&o, &t.e[i]) && !has_elem(&a, &t.e[i]))
                all.e[all.n++] = t.e[i];
        qsort(all.e, all.n, sizeof *all.e, slice_cmp);
        for (size_t i = 0; i < all.n && !rc; i++) {
            rc = mote_buf_append(out, all.e[i].ptr, all.e[i].len);
            if (!rc)
                rc = mote_buf_append_byte(out, '\n');
        }
    }
    free(a.e);
    free(o.e);
    free(t.e);
    free(all.e);
    return rc;
}

/* ---- JSON ---- */

#define JSON_MAX_DEPTH 64
#define JSON_MAX_INPUT (4u << 20)

enum { J_NULL, J_TRUE, J_FALSE, J_NUM, J_STR, J_ARR, J_OBJ };

typedef struct jv jv;
struct jv {
    int type;
    char *s; /* J_NUM: the number text; J_STR: decoded bytes */
    size_t slen;
    jv **items; /* J_ARR values; J_OBJ values */
    char **keys;
    size_t *klens;
    size_t n;
};

static void jv_free(jv *v)
{
    if (!v)
        return;
    free(v->s);
    for (size_t i = 0; i < v->n; i++) {
        jv_free(v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->klens);
    free(v);
}

typedef struct jp {
    const uint8_t *p;
    size_t len, off;
} jp;

static void ws(jp *j)
{
    while (j->off < j->len && (j->p[j->off] == ' ' || j->p[j->off] == '\t' ||
                               j->p[j->off] == '\n' || j->p[j->off] == '\r'))
        j->off++;
}

static int hex4(jp *j, unsigned *v)
{
    if (j->len - j->off < 4)
        return MOTE_EDECODE;
    *v = 0;
    for (int i = 0; i < 4; i++) {
        int c = j->p[j->off + (size_t)i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return MOTE_EDECODE;
        *v = *v << 4 | (unsigned)d;
    }
    j->off += 4;
    return 0;
}

static int put_utf8(mote_buf *b, unsigned cp)
{
    uint8_t u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (uint8_t)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (uint8_t)(0xc0 | cp >> 6);
        u[1] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (uint8_t)(0xe0 | cp >> 12);
        u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (uint8_t)(0xf0 | cp >> 18);
        u[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 4;
    }
    return mote_buf_append(b, u, n);
}

static int parse_string(jp *j, char **out, size_t *olen)
{
    mote_buf b;
    mote_buf_init(&b, JSON_MAX_INPUT);
    int rc = 0;
    j->off++; /* the quote */
    for (;;) {
        if (j->off >= j->len) {
            rc = MOTE_EDECODE;
            break;
        }
        uint8_t c = j->p[j->off++];
        if (c == '"')
            break;
        if (c < 0x20) {
            rc = MOTE_EDECODE;
            break;
        }
        if (c != '\\') {
            if ((rc = mote_buf_append_byte(&b, c)) != 0)
                break;
            continue;
        }
        if (j->off >= j->len) {
            rc = MOTE_EDECODE;
            break;
        }
        c = j->p[j->off++];
        const char *simple = strchr("\"\\/bfnrt", c);
        if (c && simple) {
            static const char map[] = "\"\\/\b\f\n\r\t";
            rc = mote_buf_append_byte(&b, (uint8_t)map[simple - "\"\\/bfnrt"]);
        } else if (c == 'u') {
            unsigned cp, lo;
            if ((rc = hex4(j, &cp)) != 0)
                break;
            if (cp >= 0xd800 && cp < 0xdc00) {
                if (j->len - j->off < 2 || j->p[j->off] != '\\' || j->p[j->off + 1] != 'u') {
                    rc = MOTE_EDECODE;
                    break;
                }
                j->off += 2;
                if ((rc = hex4(j, &lo)) != 0)
                    break;
                if (lo < 0xdc00 || lo >= 0xe000) {
                    rc = MOTE_EDECODE;
                    break;
                }
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            } else if (cp >= 0xdc00 && cp < 0xe000) {
                rc = MOTE_EDECODE;
                break;
            }
            rc = put_utf8(&b, cp);
        } else
            rc = MOTE_EDECODE;
        if (rc)
            break;
    }
    if (!rc)
        rc = mote_buf_append_byte(&b, 0);
    if (rc) {
        mote_buf_free(&b);
        return rc;
    }
    size_t l;
    *out = (char *)mote_buf_detach(&b, &l);
    *olen = l - 1;
    return 0;
}

static int parse_number(jp *j, jv *v)
{
    size_t s = j->off;
    const uint8_t *p = j->p;
    if (j->off < j->len && p[j->off] == '-')
        j->off++;
    if (j->off >= j->len)
        return MOTE_EDECODE;
    if (p[j->off] == '0')
        j->off++;
    else if (p[j->off] >= '1' && p[j->off] <= '9')
        while (j->off < j->len && p[j->off] >= '0' && p[j->off] <= '9')
            j->off++;
    else
        return MOTE_EDECODE;
    if (j->off < j->len && p[j->off] == '.') {
        j->off++;
        size_t d = j->off;
        while (j->off < j->len && p[j->off] >= '0' && p[j->off] <= '9')
            j->off++;
        if (j->off == d)
            return MOTE_EDECODE;
    }
    if (j->off < j->len && (p[j->off] == 'e' || p[j->off] == 'E')) {
        j->off++;
        if (j->off < j->len && (p[j->off] == '+' || p[j->off] == '-'))
            j->off++;
        size_t d = j->off;
        while (j->off < j->len && p[j->off] >= '0' && p[j->off] <= '9')
            j->off++;
        if (j->off == d)
            return MOTE_EDECODE;
    }
    v->slen = j->off - s;
    v->s = malloc(v->slen + 1);
    if (!v->s)
        return MOTE_ENOMEM;
    memcpy(v->s, p + s, v->slen);
    v->s[v->slen] = 0;
    return 0;
}

static int key_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    size_t m = al < bl ? al : bl;
    int c = m ? memcmp(a, b, m) : 0;
    if (c)
        return c;
    return al < bl ? -1 : al > bl;
}

static int grow_items(jv *v, size_t *cap, int obj)
{
    if (v->n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 4;
    jv **ni = realloc(v->items, nc * sizeof *ni);
    if (!ni)
        return MOTE_ENOMEM;
    v->items = ni;
    if (obj) {
        char **nk = realloc(v->keys, nc * sizeof *nk);
        if (!nk)
            return MOTE_ENOMEM;
        v->keys = nk;
        size_t *nl = realloc(v->klens, nc * sizeof *nl);
        if (!nl)
            return MOTE_ENOMEM;
        v->klens = nl;
    }
    *cap = nc;
    return 0;
}

static int parse_value(jp *j, int depth, jv **out)
{
    if (depth > JSON_MAX_DEPTH)
        return MOTE_ELIMIT;
    ws(j);
    if (j->off >= j->len)
        return MOTE_EDECODE;
    jv *v = calloc(1, sizeof *v);
    if (!v)
        return MOTE_ENOMEM;
    int rc = 0;
    uint8_t c = j->p[j->off];
    size_t cap = 0;
    if (c == '{') {
        v->type = J_OBJ;
        j->off++;
        ws(j);
        if (j->off < j->len && j->p[j->off] == '}')
            j->off++;
        else
            for (;;) {
                ws(j);
                if (j->off >= j->len || j->p[j->off] != '"') {
                    rc = MOTE_EDECODE;
                    break;
                }
                if ((rc = grow_items(v, &cap, 1)) != 0)
                    break;
                char *k;
                size_t kl;
                if ((rc = parse_string(j, &k, &kl)) != 0)
                    break;
                ws(j);
                if (j->off >= j->len || j->p[j->off] != ':') {
                    free(k);
                    rc = MOTE_EDECODE;
                    break;
                }
                j->off++;
                jv *item;
                if ((rc = parse_value(j, depth + 1, &item)) != 0) {
                    free(k);
                    break;
                }
                v->keys[v->n] = k;
                v->klens[v->n] = kl;
                v->items[v->n++] = item;
                ws(j);
                if (j->off < j->len && j->p[j->off] == ',') {
                    j->off++;
                    continue;
                }
                if (j->off < j->len && j->p[j->off] == '}') {
                    j->off++;
                    break;
                }
                rc = MOTE_EDECODE;
                break;
            }
        /* sort keys (insertion sort on index array is fine: bounded input) */
        if (!rc && v->n > 1) {
            size_t *ix = malloc(v->n * sizeof *ix);
            jv **ni = malloc(v->n * sizeof *ni);
            char **nk = malloc(v->n * sizeof *nk);
            size_t *nl = malloc(v->n * sizeof *nl);
            if (!ix || !ni || !nk || !nl)
                rc = MOTE_ENOMEM;
            for (size_t i = 0; !rc && i < v->n; i++)
                ix[i] = i;
            /* merge sort would be nicer; use qsort with a context-free trick */
            for (size_t w = 1; !rc && w < v->n; w *= 2) {
                size_t *tmp = malloc(v->n * sizeof *tmp);
                if (!tmp) {
                    rc = MOTE_ENOMEM;
                    break;
                }
                for (size_t lo = 0; lo < v->n; lo += 2 * w) {
                    size_t mid = lo + w < v->n ? lo + w : v->n;
                    size_t hi = lo + 2 * w < v->n ? lo + 2 * w : v->n;
                    size_t a = lo, b = mid, k = lo;
                    while (a < mid && b < hi) {
                        if (key_cmp(v->keys[ix[a]], v->klens[ix[a]], v->keys[ix[b]],
                                    v->klens[ix[b]]) <= 0)
                            tmp[k++] = ix[a++];
                        else
                            tmp[k++] = ix[b++];
                    }
                    while (a < mid)
                        tmp[k++] = ix[a++];
                    while (b < hi)
                        tmp[k++] = ix[b++];
                }
                memcpy(ix, tmp, v->n * sizeof *ix);
                free(tmp);
            }
            if (!rc) {
                for (size_t i = 0; i < v->n; i++) {
                    ni[i] = v->items[ix[i]];
                    nk[i] = v->keys[ix[i]];
                    nl[i] = v->klens[ix[i]];
                }
                memcpy(v->items, ni, v->n * sizeof *ni);
                memcpy(v->keys, nk, v->n * sizeof *nk);
                memcpy(v->klens, nl, v->n * sizeof *nl);
                for (size_t i = 1; i < v->n; i++)
                    if (key_cmp(v->keys[i - 1], v->klens[i - 1], v->keys[i], v->klens[i]) == 0)
                        rc = MOTE_EDECODE; /* duplicate key */
            }
            free(ix);
            free(ni);
            free(nk);
            free(nl);
        }
    } else if (c == '[') {
        v->type = J_ARR;
        j->off++;
        ws(j);
        if (j->off < j->len && j->p[j->off] == ']')
            j->off++;
        else
            for (;;) {
                if ((rc = grow_items(v, &cap, 0)) != 0)
                    break;
                jv *item;
                if ((rc = parse_value(j, depth + 1, &item)) != 0)
                    break;
                v->items[v->n++] = item;
                ws(j);
                if (j->off < j->len && j->p[j->off] == ',') {
                    j->off++;
                    continue;
                }
                if (j->off < j->len && j->p[j->off] == ']') {
                    j->off++;
                    break;
                }
                rc = MOTE_EDECODE;
                break;
            }
    } else if (c == '"') {
        v->type = J_STR;
        rc = parse_string(j, &v->s, &v->slen);
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        v->type = J_NUM;
        rc = parse_number(j, v);
    } else if (j->len - j->off >= 4 && memcmp(j->p + j->off, "true", 4) == 0) {
        v->type = J_TRUE;
        j->off += 4;
    } else if (j->len - j->off >= 5 && memcmp(j->p + j->off, "false", 5) == 0) {
        v->type = J_FALSE;
        j->off += 5;
    } else if (j->len - j->off >= 4 && memcmp(j->p + j->off, "null", 4) == 0) {
        v->type = J_NULL;
        j->off += 4;
    } else
        rc = MOTE_EDECODE;
    if (rc) {
        jv_free(v);
        return rc;
    }
    *out = v;
    return 0;
}

static int json_parse(mote_slice s, jv **out)
{
    if (s.len > JSON_MAX_INPUT)
        return MOTE_ELIMIT;
    jp j = {s.ptr, s.len, 0};
    int rc = parse_value(&j, 0, out);
    if (rc)
        return rc;
    ws(&j);
    if (j.off != j.len) {
        jv_free(*out);
        *out = NULL;
        return MOTE_EDECODE;
    }
    return 0;
}

static int put_str(mote_buf *b, const char *s, size_t n)
{
    int rc = mote_buf_append_byte(b, '"');
    for (size_t i = 0; i < n && !rc; i++) {
        uint8_t c = (uint8_t)s[i];
        if (c == '"' || c == '\\') {
            uint8_t e[2] = {'\\', c};
            rc = mote_buf_append(b, e, 2);
        } else if (c == '\n')
            rc = mote_buf_append(b, "\\n", 2);
        else if (c < 0x20)
            rc = mote_buf_appendf(b, "\\u%04x", c);
        else
            rc = mote_buf_append_byte(b, c);
    }
    if (!rc)
        rc = mote_buf_append_byte(b, '"');
    return rc;
}

static int jv_write(const jv *v, mote_buf *b)
{
    int rc = 0;
    switch (v->type) {
    case J_NULL:
        return mote_buf_append(b, "null", 4);
    case J_TRUE:
        return mote_buf_append(b, "true", 4);
    case J_FALSE:
        return mote_buf_append(b, "false", 5);
    case J_NUM:
        return mote_buf_append(b, v->s, v->slen);
    case J_STR:
        return put_str(b, v->s, v->slen);
    case J_ARR:
        rc = mote_buf_append_byte(b, '[');
        for (size_t i = 0; i < v->n && !rc; i++) {
            if (i)
                rc = mote_buf_append_byte(b, ',');
            if (!rc)
                rc = jv_write(v->items[i], b);
        }
        return rc ? rc : mote_buf_append_byte(b, ']');
    default:
        rc = mote_buf_append_byte(b, '{');
        for (size_t i = 0; i < v->n && !rc; i++) {
            if (i)
                rc = mote_buf_append_byte(b, ',');
            if (!rc)
                rc = put_str(b, v->keys[i], v->klens[i]);
            if (!rc)
                rc = mote_buf_append_byte(b, ':');
            if (!rc)
                rc = jv_write(v->items[i], b);
        }
        return rc ? rc : mote_buf_append_byte(b, '}');
    }
}

int mote_store_json_canon(mote_slice text, mote_buf *out)
{
    jv *v;
    int rc = json_parse(text, &v);
    if (rc)
        return rc;
    rc = jv_write(v, out);
    jv_free(v);
    return rc;
}

static int jv_eq(const jv *a, const jv *b)
{
    if (!a || !b)
        return a == b;
    if (a->type != b->type || a->n != b->n)
        return 0;
    if (a->type == J_NUM || a->type == J_STR)
        return a->slen == b->slen && memcmp(a->s, b->s, a->slen) == 0;
    for (size_t i = 0; i < a->n; i++) {
        if (a->keys && key_cmp(a->keys[i], a->klens[i], b->keys[i], b->klens[i]) != 0)
            return 0;
        if (!jv_eq(a->items[i], b->items[i]))
            return 0;
    }
    return 1;
}

static const jv *obj_get(const jv *o, const char *k, size_t kl)
{
    if (!o || o->type != J_OBJ)
        return NULL;
    size_t lo = 0, hi = o->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = key_cmp(o->keys[mid], o->klens[mid], k, kl);
        if (c == 0)
            return o->items[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Writes the merge of (a, o, t) into b; *absent when the key goes away.
 * Conflicts are reported in why with the key path. */
static int jv_merge(const jv *a, const jv *o, const jv *t, mote_buf *b, int *absent, mote_buf *why,
                    mote_buf *kp, int depth)
{
    *absent = 0;
    if (depth > JSON_MAX_DEPTH)
        return MOTE_ELIMIT;
    const jv *pick = NULL;
    int decided = 1;
    if (jv_eq(o, t))
        pick = o;
    else if (a && jv_eq(a, o))
        pick = t;
    else if (a && jv_eq(a, t))
        pick = o;
    else if (!a && !o)
        pick = t;
    else if (!a && !t)
        pick = o;
    else
        decided = 0;
    if (decided) {
        if (!pick) {
            *absent = 1;
            return 0;
        }
        return jv_write(pick, b);
    }
    if (o && t && o->type == J_OBJ && t->type == J_OBJ) {
        const jv *ao = a && a->type == J_OBJ ? a : NULL;
        int rc = mote_buf_append_byte(b, '{');
        int first = 1, conflict = 0;
        size_t i = 0, k = 0;
        while (!rc && (i < o->n || k < t->n)) {
            const char *key;
            size_t kl;
            if (k >= t->n ||
                (i < o->n && key_cmp(o->keys[i], o->klens[i], t->keys[k], t->klens[k]) <= 0)) {
                key = o->keys[i];
                kl = o->klens[i];
            } else {
                key = t->keys[k];
                kl = t->klens[k];
            }
            const jv *ov = obj_get(o, key, kl), *tv = obj_get(t, key, kl);
            if (ov)
                i++;
            if (tv)
                k++;
            size_t mark = b->len, kmark = kp->len;
            if (!first)
                rc = mote_buf_append_byte(b, ',');
            if (!rc)
                rc = put_str(b, key, kl);
            if (!rc)
                rc = mote_buf_append_byte(b, ':');
            if (!rc)
                rc = mote_buf_appendf(kp, "/%.*s", (int)(kl > 200 ? 200 : kl), key);
            int ab = 0;
            if (!rc)
                rc = jv_merge(obj_get(ao, key, kl), ov, tv, b, &ab, why, kp, depth + 1);
            mote_buf_truncate(kp, kmark);
            if (rc == MOTE_ECONFLICT) {
                conflict = 1;
                rc = 0;
                ab = 1;
            }
            if (ab)
                mote_buf_truncate(b, mark);
            else
                first = 0;
        }
        if (!rc)
            rc = mote_buf_append_byte(b, '}');
        return rc ? rc : conflict ? MOTE_ECONFLICT : 0;
    }
    if (why)
        mote_buf_appendf(why, "%sjson: both sides changed %.*s differently", why->len ? "; " : "",
                         (int)(kp->len ? kp->len : 1), kp->len ? (const char *)kp->data : "/");
    return MOTE_ECONFLICT;
}

int mote_store_merge_json(void *ctx, const char *path, const mote_slice *ancestor, mote_slice ours,
                          mote_slice theirs, mote_buf *out, mote_buf *why)
{
    (void)ctx;
    (void)path;
    jv *a = NULL, *o = NULL, *t = NULL;
    int rc = 0;
    if (ancestor && (rc = json_parse(*ancestor, &a)) != 0)
        a = NULL; /* an unparsable ancestor counts as absent */
    rc = json_parse(ours, &o);
    if (!rc)
        rc = json_parse(theirs, &t);
    if (rc) {
        jv_free(a);
        jv_free(o);
        jv_free(t);
        why_set(why, "json: a side is not valid JSON");
        return MOTE_ECONFLICT;
    }
    mote_buf kp;
    mote_buf_init(&kp, 1u << 16);
    int absent = 0;
    size_t before = out->len;
    rc = jv_merge(a, o, t, out, &absent, why, &kp, 0);
    if (rc)
        mote_buf_truncate(out, before);
    else if (absent) {
        mote_buf_truncate(out, before);
        rc = mote_buf_append(out, "null", 4);
    }
    mote_buf_free(&kp);
    jv_free(a);
    jv_free(o);
    jv_free(t);
    return rc;
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && memcmp(s + a - b, suf, b) == 0;
}

int mote_store_merge_auto(void *ctx, const char *path, const mote_slice *ancestor, mote_slice ours,
                          mote_slice theirs, mote_buf *out, mote_buf *why)
{
    if (ends_with(path, ".counter"))
        return mote_store_merge_counter(ctx, path, ancestor, ours, theirs, out, why);
    if (ends_with(path, ".lww"))
        return mote_store_merge_lww(ctx, path, ancestor, ours, theirs, out, why);
    if (ends_with(path, ".set"))
        return mote_store_merge_set(ctx, path, ancestor, ours, theirs, out, why);
    if (ends_with(path, ".json"))
        return mote_store_merge_json(ctx, path, ancestor, ours, theirs, out, why);
    return mote_store_merge_bytes(ctx, path, ancestor, ours, theirs, out, why);
}

/* ---- conflicts ---- */

void mote_store_conflicts_clear(mote_store_conflicts *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->items[i].path);
        free(c->items[i].reason);
        free(c->items[i].ancestor.data);
        free(c->items[i].ours.data);
        free(c->items[i].theirs.data);
    }
    free(c->items);
    c->items = NULL;
    c->n = 0;
}

/* ---- tree merges ---- */

typedef struct side {
    int present;
    uint32_t mode;
    mote_store_hash id;
} side;

static int side_eq(const side *a, const side *b)
{
    if (!a->present || !b->present)
        return a->present == b->present;
    return st_mode_is_tree(a->mode) == st_mode_is_tree(b->mode) &&
           mote_store_hash_eq(&a->id, &b->id);
}

static int version_of(mote_store_repo *r, const side *s, mote_store_version *v)
{
    memset(v, 0, sizeof *v);
    if (!s->present)
        return 0;
    v->present = 1;
    if (st_mode_is_tree(s->mode)) {
        v->is_tree = 1;
        v->data = malloc(MOTE_STORE_HEX_LEN + 1);
        if (!v->data)
            return MOTE_ENOMEM;
        mote_store_hash_hex(&s->id, (char *)v->data);
        v->len = MOTE_STORE_HEX_LEN;
        return 0;
    }
    mote_buf b;
    mote_buf_init(&b, MOTE_STORE_MAX_OBJECT);
    int rc = st_read_obj(r, &s->id, MOTE_STORE_BLOB, &b);
    if (rc) {
        mote_buf_free(&b);
        return rc;
    }
    v->data = mote_buf_detach(&b, &v->len);
    return 0;
}

static int add_conflict(mote_store_repo *r, mote_store_conflicts *c, const char *path,
                        const char *reason, const side *a, const side *o, const side *t)
{
    if (!c)
        return 0;
    mote_store_conflict *ni = realloc(c->items, (c->n + 1) * sizeof *ni);
    if (!ni)
        return MOTE_ENOMEM;
    c->items = ni;
    mote_store_conflict *x = &c->items[c->n];
    memset(x, 0, sizeof *x);
    c->n++;
    x->path = strdup(path[0] ? path : "/");
    x->reason = strdup(reason);
    if (!x->path || !x->reason)
        return MOTE_ENOMEM;
    int rc = version_of(r, a, &x->ancestor);
    if (!rc)
        rc = version_of(r, o, &x->ours);
    if (!rc)
        rc = version_of(r, t, &x->theirs);
    return rc;
}

typedef struct ment {
    const char *name;
    size_t nl;
    uint32_t mode;
    mote_store_hash id;
} ment;

static int ment_cmp(const void *x, const void *y)
{
    const ment *a = x, *b = y;
    return st_entry_cmp(a->name, a->nl, st_mode_is_tree(a->mode), b->name, b->nl,
                        st_mode_is_tree(b->mode));
}

static int name_cmp(const void *x, const void *y)
{
    const st_entry *a = *(st_entry *const *)x, *b = *(st_entry *const *)y;
    size_t m = a->namelen < b->namelen ? a->namelen : b->namelen;
    int c = memcmp(a->name, b->name, m);
    if (c)
        return c;
    return (int)a->namelen - (int)b->namelen;
}

static side side_at(const st_tree *t, const char *name, size_t nl)
{
    side s = {0, 0, {{0}}};
    long k = st_tree_find(t, name, nl);
    if (k >= 0 && t->e[k].mode != ST_MODE_GITLINK) {
        s.present = 1;
        s.mode = t->e[k].mode;
        memcpy(s.id.b, t->e[k].id, MOTE_STORE_HASH_LEN);
    }
    return s;
}

static int merge_node(mote_store_repo *r, mote_buf *path, const side *a, const side *o,
                      const side *t, side *res, mote_store_conflicts *cf, int *nconf, int depth);

static int merge_dirs(mote_store_repo *r, mote_buf *path, const side *a, const side *o,
                      const side *t, side *res, mote_store_conflicts *cf, int *nconf, int depth)
{
    st_tree *ta = NULL, *to = NULL, *tt = NULL;
    int rc = 0;
    if (a->present && st_mode_is_tree(a->mode))
        rc = st_read_tree(r, &a->id, &ta);
    if (!rc && o->present)
        rc = st_read_tree(r, &o->id, &to);
    if (!rc && t->present)
        rc = st_read_tree(r, &t->id, &tt);
    st_entry **names = NULL;
    ment *out = NULL;
    size_t nn = 0, no = 0;
    if (!rc) {
        size_t total = (ta ? ta->n : 0) + (to ? to->n : 0) + (tt ? tt->n : 0);
        names = malloc((total + 1) * sizeof *names);
        out = malloc((total + 1) * sizeof *out);
        if (!names || !out)
            rc = MOTE_ENOMEM;
        st_tree *all[3] = {ta, to, tt};
        for (int k = 0; !rc && k < 3; k++)
            for (size_t i = 0; all[k] && i < all[k]->n; i++)
                names[nn++] = &all[k]->e[i];
    }
    if (!rc)
        qsort(names, nn, sizeof *names, name_cmp);
    size_t plen = path->len;
    for (size_t i = 0; !rc && i < nn; i++) {
        if (i && name_cmp(&names[i - 1], &names[i]) == 0)
            continue;
        const char *nm = names[i]->name;
        size_t nl = names[i]->namelen;
        side sa = ta ? side_at(ta, nm, nl) : (side){0, 0, {{0}}};
        side so = to ? side_at(to, nm, nl) : (side){0, 0, {{0}}};
        side sT = tt ? side_at(tt, nm, nl) : (side){0, 0, {{0}}};
        side sr;
        if ((rc = mote_buf_appendf(path, "%s%.*s", plen ? "/" : "", (int)nl, nm)) != 0)
            break;
        rc = merge_node(r, path, &sa, &so, &sT, &sr, cf, nconf, depth + 1);
        mote_buf_truncate(path, plen);
        if (path->data)
            path->data[plen] = 0;
        if (!rc && sr.present) {
            out[no].name = nm;
            out[no].nl = nl;
            out[no].mode = sr.mode;
            out[no].id = sr.id;
            no++;
        }
    }
    if (!rc && no > MOTE_STORE_MAX_ENTRIES)
        rc = MOTE_ELIMIT;
    if (!rc) {
        qsort(out, no, sizeof *out, ment_cmp);
        if (no == 0)
            res->present = 0;
        else {
            mote_buf b;
            mote_buf_init(&b, MOTE_STORE_MAX_OBJECT);
            for (size_t i = 0; !rc && i < no; i++) {
                mote_store_hash id = out[i].id;
                rc = st_tree_splice(NULL, out[i].name, out[i].nl, out[i].mode, &id, &b);
            }
            if (!rc)
                rc = st_write_tree(r, &b, &res->id);
            mote_buf_free(&b);
            res->present = 1;
            res->mode = ST_MODE_TREE;
        }
    }
    free(names);
    free(out);
    st_tree_unref(ta);
    st_tree_unref(to);
    st_tree_unref(tt);
    return rc;
}

static int merge_node(mote_store_repo *r, mote_buf *path, const side *a, const side *o,
                      const side *t, side *res, mote_store_conflicts *cf, int *nconf, int depth)
{
    if (depth > (int)MOTE_STORE_MAX_DEPTH)
        return MOTE_ELIMIT;
    if (side_eq(o, t)) {
        *res = *o;
        return 0;
    }
    if (side_eq(a, o)) {
        *res = *t;
        return 0;
    }
    if (side_eq(a, t)) {
        *res = *o;
        return 0;
    }
    const char *p = path->data ? (const char *)path->data : "";
    int otree = o->present && st_mode_is_tree(o->mode);
    int ttree = t->present && st_mode_is_tree(t->mode);
    int atree = a->present && st_mode_is_tree(a->mode);
    /* trees merge as maps: a tree removed on one side is a removal of each
     * of its values, merged one by one against the other side's changes */
    if ((otree || !o->present) && (ttree || !t->present) && (atree || !a->present))
        return merge_dirs(r, path, a, o, t, res, cf, nconf, depth);
    res->present = 0;
    const char *reason = NULL;
    if (!o->present || !t->present)
        reason = "removed on one side, changed on the other";
    else if (otree != ttree)
        reason = "a value on one side, a tree on the other";
    if (reason) {
        (*nconf)++;
        return add_conflict(r, cf, p, reason, a, o, t);
    }
    /* two values */
    mote_buf ab, ob, tb, out, why;
    mote_buf_init(&ab, MOTE_STORE_MAX_OBJECT);
    mote_buf_init(&ob, MOTE_STORE_MAX_OBJECT);
    mote_buf_init(&tb, MOTE_STORE_MAX_OBJECT);
    mote_buf_init(&out, MOTE_STORE_MAX_OBJECT);
    mote_buf_init(&why, 4096);
    int has_a = a->present && !st_mode_is_tree(a->mode);
    int rc = 0;
    if (has_a)
        rc = st_read_obj(r, &a->id, MOTE_STORE_BLOB, &ab);
    if (!rc)
        rc = st_read_obj(r, &o->id, MOTE_STORE_BLOB, &ob);
    if (!rc)
        rc = st_read_obj(r, &t->id, MOTE_STORE_BLOB, &tb);
    if (!rc) {
        mote_slice as = mote_buf_slice(&ab);
        rc = r->cfg.merge(r->cfg.merge_ctx, p, has_a ? &as : NULL, mote_buf_slice(&ob),
                          mote_buf_slice(&tb), &out, &why);
        if (rc == MOTE_ECONFLICT) {
            (*nconf)++;
            mote_buf_append_byte(&why, 0);
            rc = add_conflict(r, cf, p, why.len > 1 ? (const char *)why.data : "values conflict", a,
                              o, t);
        } else if (!rc) {
            rc = st_write_obj(r, MOTE_STORE_BLOB, out.data ? out.data : (const uint8_t *)"",
                              out.len, &res->id);
            res->present = 1;
            res->mode = o->mode;
        }
    }
    mote_buf_free(&ab);
    mote_buf_free(&ob);
    mote_buf_free(&tb);
    mote_buf_free(&out);
    mote_buf_free(&why);
    return rc;
}

int mote_store_merge_trees(mote_store_repo *r, const mote_store_hash *ancestor,
                           const mote_store_hash *ours, const mote_store_hash *theirs,
                           mote_store_hash *out, mote_store_conflicts *conflicts)
{
    if (!r || !ours || !theirs || !out)
        return MOTE_EINVAL;
    side a = {ancestor != NULL, ST_MODE_TREE, {{0}}};
    if (ancestor)
        a.id = *ancestor;
    side o = {1, ST_MODE_TREE, *ours}, t = {1, ST_MODE_TREE, *theirs}, res;
    mote_buf path;
    mote_buf_init(&path, MOTE_STORE_MAX_PATH + 512);
    int nconf = 0;
    int rc = merge_node(r, &path, &a, &o, &t, &res, conflicts, &nconf, 0);
    mote_buf_free(&path);
    if (rc)
        return rc;
    if (nconf)
        return MOTE_ECONFLICT;
    *out = res.present ? res.id : st_empty_tree;
    return 0;
}
