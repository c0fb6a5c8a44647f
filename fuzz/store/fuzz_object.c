/*
 * fuzz-store-object: Git tree and commit decoding, the first thing that
 * touches bytes read from a repository on disk or from a remote. The first
 * input byte picks the decoder; the rest is the object's content.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    if (data[0] & 1) {
        mote_store_commit c;
        if (st_commit_decode(p, n, &c) == 0) {
            /* a decoded commit is re-encodable */
            mote_buf b;
            mote_buf_init(&b, 0);
            if (st_author_valid(c.author))
                st_commit_encode(&c.tree, c.parents, c.nparents, c.author, c.date, c.message, &b);
            mote_buf_free(&b);
            mote_store_commit_clear(&c);
        }
    } else {
        uint8_t *raw = malloc(n ? n : 1);
        if (!raw)
            return 0;
        memcpy(raw, p, n);
        st_tree *t;
        if (st_tree_decode(raw, n, &t) == 0) {
            /* every entry is found by name, and re-encoding gives the input */
            mote_buf b;
            mote_buf_init(&b, 0);
            for (size_t i = 0; i < t->n; i++) {
                if (st_tree_find(t, t->e[i].name, t->e[i].namelen) != (long)i)
                    abort();
                mote_store_hash id;
                memcpy(id.b, t->e[i].id, MOTE_STORE_HASH_LEN);
                st_tree_splice(NULL, t->e[i].name, t->e[i].namelen, t->e[i].mode, &id, &b);
            }
            /* the entries st_tree_splice_tree computes are those a decoder
             * finds in its output: remove the first entry, re-add it as a
             * value and as a tree */
            for (int step = 0; step < 3 && t->n; step++) {
                mote_store_hash id;
                memcpy(id.b, t->e[0].id, MOTE_STORE_HASH_LEN);
                uint32_t mode = step == 0 ? 0 : step == 1 ? ST_MODE_BLOB : ST_MODE_TREE;
                st_tree *nt;
                if (st_tree_splice_tree(t, t->e[0].name, t->e[0].namelen, mode, &id, &nt) != 0)
                    continue;
                uint8_t *copy = malloc(nt->len ? nt->len : 1);
                if (copy) {
                    if (nt->len)
                        memcpy(copy, nt->raw, nt->len);
                    st_tree *d;
                    if (st_tree_decode_trusted(copy, nt->len, &d) != 0 || d->n != nt->n)
                        abort();
                    for (size_t i = 0; i < d->n; i++)
                        if (d->e[i].mode != nt->e[i].mode || d->e[i].namelen != nt->e[i].namelen ||
                            memcmp(d->e[i].name, nt->e[i].name, d->e[i].namelen) != 0 ||
                            memcmp(d->e[i].id, nt->e[i].id, MOTE_STORE_HASH_LEN) != 0)
                            abort();
                    st_tree_unref(d);
                }
                st_tree_unref(nt);
            }
            if (b.len != n || (n && memcmp(b.data, p, n) != 0)) {
                /* splicing entries one by one into an empty tree appends them;
                 * the result matches when the input was in Git order */
                abort();
            }
            mote_buf_free(&b);
            st_tree_unref(t);
        } else
            free(raw);
    }
    return 0;
}
