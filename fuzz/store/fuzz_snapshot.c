/*
 * fuzz-store-snapshot: importing a snapshot (bytes from a file or a peer)
 * into a memory repository, then reading what it claims to hold: the
 * commit, its history and every path of its tree.
 */
#include <stdio.h>
#include <string.h>

#include "mote/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_cb(void *arg, const mote_store_commit *c)
{
    (void)c;
    (*(int *)arg)++;
    return 0;
}

static void walk(mote_store *s, const char *path, int depth)
{
    if (depth > 8)
        return;
    mote_store_entry *e;
    size_t n;
    if (mote_store_list(s, path, &e, &n) != 0)
        return;
    for (size_t i = 0; i < n && i < 64; i++) {
        char sub[1024];
        int k = snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "/" : "", e[i].name);
        if (k <= 0 || (size_t)k >= sizeof sub)
            continue;
        if (e[i].kind == MOTE_STORE_KIND_TREE)
            walk(s, sub, depth + 1);
        else {
            mote_buf b;
            mote_buf_init(&b, 0);
            mote_store_get(s, sub, &b);
            mote_buf_free(&b);
        }
    }
    mote_store_entries_free(e, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mote_store_config cfg = {0};
    cfg.max_walk = 1000;
    mote_store_repo *r = mote_store_mem_new(&cfg, NULL);
    if (!r)
        return 0;
    mote_store_hash c;
    if (mote_store_import(r, mote_slice_make(data, size), &c) == 0) {
        mote_store *s = mote_store_of_commit(r, &c, NULL);
        if (s) {
            int n = 0;
            mote_store_log(s, 100, count_cb, &n);
            walk(s, "", 0);
            mote_store_free(s);
        }
    }
    mote_store_repo_free(r);
    return 0;
}
