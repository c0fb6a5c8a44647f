/*
 * mote-store - the branchable store from the command line.
 *
 *   mote-store --root DIR [--branch B] [--mem] [-m MSG] COMMAND ...
 *
 * Output is stable and meant for scripts: one record per line, fields
 * separated by tabs. Errors go to stderr as "mote-store: CMD: reason" with
 * exit status 1 (2 for usage errors).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "mote/store.h"
#include "mote/store_uv.h"

static const char *cmdname = "?";

static int fail(int rc, const char *what)
{
    fprintf(stderr, "mote-store: %s: %s%s%s\n", cmdname, what ? what : "", what ? ": " : "",
            mote_strerror(rc));
    return 1;
}

static int usage(void)
{
    fprintf(stderr, "usage: mote-store --root DIR [--branch B] [--mem] [-m MESSAGE] COMMAND\n"
                    "commands:\n"
                    "  init                 create the repository (a bare Git repository)\n"
                    "  get PATH             print the value at PATH\n"
                    "  set PATH [VALUE]     set PATH to VALUE (or to stdin)\n"
                    "  rm PATH              remove PATH\n"
                    "  batch                read 'set<TAB>PATH<TAB>VALUE' and 'rm<TAB>PATH' lines\n"
                    "                       from stdin: a commit each, all written as one pack\n"
                    "                       and the branch moved once at the end (a bad line\n"
                    "                       moves nothing); prints the head\n"
                    "  ls [PATH]            list a tree: KIND<TAB>ID<TAB>NAME\n"
                    "  log [-n N]           history: ID<TAB>DATE<TAB>AUTHOR<TAB>SUBJECT\n"
                    "  branch [NAME | -d NAME]  list, create (at the current head) or delete\n"
                    "  merge FROM           merge branch FROM into the branch\n"
                    "  push REMOTE          push the branch to a Git remote (path or git:// URL)\n"
                    "  pull REMOTE          fetch the remote's branch and merge it\n"
                    "  watch [PATH] [-n N]  print changes: CHANGE<TAB>BRANCH<TAB>PATH (N events;\n"
                    "                       follows the refs with file-system events)\n"
                    "  snapshot             write a snapshot of the head to stdout\n"
                    "  import FILE          read a snapshot; print its commit id\n");
    return 2;
}

static void hex(const mote_store_hash *h, char out[41])
{
    mote_store_hash_hex(h, out);
}

static int read_all(FILE *f, mote_buf *b)
{
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) {
        int rc = mote_buf_append(b, tmp, n);
        if (rc)
            return rc;
    }
    return ferror(f) ? MOTE_EIO : 0;
}

static int print_commit(void *arg, const mote_store_commit *c)
{
    (void)arg;
    char h[41];
    hex(&c->id, h);
    const char *m = c->message;
    size_t sl = strcspn(m, "\n");
    printf("%s\t%lld\t%s\t%.*s\n", h, (long long)c->date, c->author, (int)sl, m);
    return 0;
}

static int print_branch(void *arg, const char *name, const mote_store_hash *head)
{
    (void)arg;
    char h[41];
    hex(head, h);
    printf("%s\t%s\n", name, h);
    return 0;
}

static void print_conflicts(const mote_store_conflicts *cf)
{
    for (size_t i = 0; i < cf->n; i++)
        printf("conflict\t%s\t%s\n", cf->items[i].path, cf->items[i].reason);
}

typedef struct watch_state {
    long left;
} watch_state;

static int on_change(void *arg, const char *branch, int change, const char *path,
                     const mote_store_hash *o, const mote_store_hash *n, const mote_store_hash *oh,
                     const mote_store_hash *nh)
{
    (void)o;
    (void)n;
    (void)oh;
    (void)nh;
    watch_state *w = arg;
    printf("%s\t%s\t%s\n",
           change == MOTE_STORE_ADDED     ? "added"
           : change == MOTE_STORE_REMOVED ? "removed"
                                          : "updated",
           branch, path);
    fflush(stdout);
    if (w->left > 0)
        w->left--;
    return 0;
}

/* ---- watch: libmote-store-uv notices other processes' ref updates
 * (file-system events on the refs, and a one-second timer as a safety
 * net); this loop only adds signals and the event count ---- */

typedef struct watch_loop_ctx {
    watch_state *ws;
    int status;
    uv_loop_t *loop;
} watch_loop_ctx;

static void on_polled(void *arg, int polled)
{
    watch_loop_ctx *c = arg;
    if (polled < 0) {
        c->status = fail(polled, NULL);
        uv_stop(c->loop);
    } else if (c->ws->left == 0)
        uv_stop(c->loop);
}

static void on_sig(uv_signal_t *s, int signum)
{
    (void)signum;
    uv_stop(((watch_loop_ctx *)s->data)->loop);
}

static int watch_loop(mote_store_repo *r, watch_state *ws)
{
    uv_loop_t loop;
    if (uv_loop_init(&loop) != 0)
        return fail(MOTE_EIO, "libuv");
    watch_loop_ctx c = {ws, 0, &loop};
    int rc;
    mote_store_uv *u = mote_store_watch_uv(r, &loop, 1000, on_polled, &c, &rc);
    if (!u) {
        uv_loop_close(&loop);
        return fail(rc, "watching the refs");
    }
    uv_signal_t sig[2];
    int signums[2] = {SIGINT, SIGTERM};
    for (int i = 0; i < 2; i++) {
        uv_signal_init(&loop, &sig[i]);
        sig[i].data = &c;
        uv_signal_start(&sig[i], on_sig, signums[i]);
    }
    if (ws->left != 0)
        uv_run(&loop, UV_RUN_DEFAULT);
    mote_store_uv_free(u);
    for (int i = 0; i < 2; i++)
        uv_close((uv_handle_t *)&sig[i], NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return c.status;
}

/* ---- batch: commands from stdin, one commit each, in one batch ---- */

#define BATCH_LINE_MAX (1u << 20) /* longest line accepted */

static int batch_line(mote_store *s, mote_store_info *info, const char *message, char *line,
                      char *msgbuf, size_t msglen)
{
    char *t1 = strchr(line, '\t');
    if (!t1)
        return MOTE_EINVAL;
    *t1 = 0;
    char *path = t1 + 1, *value = NULL;
    char *t2 = strchr(path, '\t');
    if (t2) {
        *t2 = 0;
        value = t2 + 1;
    }
    int set = strcmp(line, "set") == 0;
    if (!set && strcmp(line, "rm") != 0)
        return MOTE_EINVAL;
    if (set != (value != NULL))
        return MOTE_EINVAL;
    if (!message) {
        snprintf(msgbuf, msglen, "%s %s", set ? "set" : "remove", path);
        info->message = msgbuf;
    }
    return set ? mote_store_set(s, path, value, strlen(value), info, NULL)
               : mote_store_remove(s, path, info, NULL);
}

static int batch(mote_store_repo *r, mote_store *s, mote_store_info *info, const char *message)
{
    int rc = mote_store_batch_begin(r);
    if (rc)
        return fail(rc, NULL);
    char *line = malloc(BATCH_LINE_MAX + 2);
    char msgbuf[512], where[64];
    unsigned long n = 0;
    if (!line) {
        mote_store_batch_abort(r);
        return fail(MOTE_ENOMEM, NULL);
    }
    while (!rc && fgets(line, BATCH_LINE_MAX + 2, stdin)) {
        n++;
        size_t len = strlen(line);
        if (len && line[len - 1] == '\n')
            line[--len] = 0;
        else if (!feof(stdin))
            rc = MOTE_ELIMIT; /* longer than BATCH_LINE_MAX */
        if (!rc && len)
            rc = batch_line(s, info, message, line, msgbuf, sizeof msgbuf);
    }
    free(line);
    if (rc) {
        mote_store_batch_abort(r);
        snprintf(where, sizeof where, "line %lu", n);
        return fail(rc, where);
    }
    mote_store_conflicts cf = {0};
    rc = mote_store_batch_end(r, info, &cf);
    int status = 0;
    if (rc == MOTE_ECONFLICT) {
        print_conflicts(&cf);
        status = 1;
    } else if (rc)
        status = fail(rc, NULL);
    else {
        mote_store_hash c;
        char h[41];
        if (mote_store_head(s, &c) == 0) {
            mote_store_hash_hex(&c, h);
            printf("%s\n", h);
        }
    }
    mote_store_conflicts_clear(&cf);
    return status;
}

static int is_git_url(const char *s)
{
    return strstr(s, "://") != NULL;
}

int main(int argc, char **argv)
{
    const char *root = NULL, *branch = "main", *message = NULL;
    int mem = 0, i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--root") == 0 && i + 1 < argc)
            root = argv[++i];
        else if (strcmp(argv[i], "--branch") == 0 && i + 1 < argc)
            branch = argv[++i];
        else if (strcmp(argv[i], "-m") == 0 && i + 1 < argc)
            message = argv[++i];
        else if (strcmp(argv[i], "--mem") == 0)
            mem = 1;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return usage(), 0;
        else
            break;
    }
    if (i >= argc || (!root && !mem))
        return usage();
    cmdname = argv[i];
    const char *cmd = argv[i++];
    int nargs = argc - i;
    char **args = argv + i;

    const char *author = getenv("MOTE_STORE_AUTHOR");
    mote_store_info info = {author ? author : "mote <mote@localhost>", message,
                            (int64_t)time(NULL)};
    char msgbuf[512];

    int err = 0;
    mote_store_repo *r;
    if (mem)
        r = mote_store_mem_new(NULL, &err);
    else
        r = mote_store_git_open(root, strcmp(cmd, "init") == 0, NULL, &err);
    if (!r)
        return fail(err, root);
    mote_store *s = mote_store_of_branch(r, branch, &err);
    if (!s) {
        mote_store_repo_free(r);
        return fail(err, "branch");
    }
    int rc = 0, status = 0;
    char h[41];
    mote_store_hash c;
    if (strcmp(cmd, "init") == 0 && nargs == 0) {
        printf("initialized\t%s\n", mem ? "(memory)" : root);
    } else if (strcmp(cmd, "get") == 0 && nargs == 1) {
        mote_buf b;
        mote_buf_init(&b, 0);
        rc = mote_store_get(s, args[0], &b);
        if (!rc && b.len && fwrite(b.data, 1, b.len, stdout) != b.len)
            rc = MOTE_EIO;
        mote_buf_free(&b);
        if (rc)
            status = fail(rc, args[0]);
    } else if (strcmp(cmd, "set") == 0 && (nargs == 1 || nargs == 2)) {
        mote_buf b;
        mote_buf_init(&b, MOTE_STORE_MAX_OBJECT);
        if (nargs == 2)
            rc = mote_buf_append(&b, args[1], strlen(args[1]));
        else
            rc = read_all(stdin, &b);
        if (!message) {
            snprintf(msgbuf, sizeof msgbuf, "set %s", args[0]);
            info.message = msgbuf;
        }
        if (!rc)
            rc = mote_store_set(s, args[0], b.data, b.len, &info, &c);
        mote_buf_free(&b);
        if (rc)
            status = fail(rc, args[0]);
        else {
            hex(&c, h);
            printf("%s\n", h);
        }
    } else if (strcmp(cmd, "batch") == 0 && nargs == 0) {
        status = batch(r, s, &info, message);
    } else if (strcmp(cmd, "rm") == 0 && nargs == 1) {
        if (!message) {
            snprintf(msgbuf, sizeof msgbuf, "remove %s", args[0]);
            info.message = msgbuf;
        }
        rc = mote_store_remove(s, args[0], &info, &c);
        if (rc)
            status = fail(rc, args[0]);
        else {
            hex(&c, h);
            printf("%s\n", h);
        }
    } else if (strcmp(cmd, "ls") == 0 && nargs <= 1) {
        mote_store_entry *e;
        size_t n;
        rc = mote_store_list(s, nargs ? args[0] : "", &e, &n);
        if (rc)
            status = fail(rc, nargs ? args[0] : "/");
        for (size_t k = 0; !rc && k < n; k++) {
            hex(&e[k].id, h);
            printf("%s\t%s\t%s\n", e[k].kind == MOTE_STORE_KIND_TREE ? "tree" : "value", h,
                   e[k].name);
        }
        if (!rc)
            mote_store_entries_free(e, n);
    } else if (strcmp(cmd, "log") == 0 && (nargs == 0 || (nargs == 2 && !strcmp(args[0], "-n")))) {
        long n = nargs ? strtol(args[1], NULL, 10) : 0;
        if (n < 0)
            status = usage();
        else if ((rc = mote_store_log(s, (size_t)n, print_commit, NULL)) != 0)
            status = fail(rc, NULL);
    } else if (strcmp(cmd, "branch") == 0 && nargs == 0) {
        if ((rc = mote_store_branch_list(r, print_branch, NULL)) != 0)
            status = fail(rc, NULL);
    } else if (strcmp(cmd, "branch") == 0 && nargs == 2 && strcmp(args[0], "-d") == 0) {
        if ((rc = mote_store_branch_delete(r, args[1])) != 0)
            status = fail(rc, args[1]);
    } else if (strcmp(cmd, "branch") == 0 && nargs == 1) {
        if ((rc = mote_store_head(s, &c)) != 0 ||
            (rc = mote_store_branch_create(r, args[0], &c)) != 0)
            status = fail(rc, args[0]);
        else {
            hex(&c, h);
            printf("%s\t%s\n", args[0], h);
        }
    } else if (strcmp(cmd, "merge") == 0 && nargs == 1) {
        mote_store_conflicts cf = {0};
        if (!message) {
            snprintf(msgbuf, sizeof msgbuf, "merge %s into %s", args[0], branch);
            info.message = msgbuf;
        }
        rc = mote_store_merge_into(s, args[0], &info, &cf, &c);
        if (rc == MOTE_ECONFLICT) {
            print_conflicts(&cf);
            status = fail(rc, args[0]);
        } else if (rc)
            status = fail(rc, args[0]);
        else {
            hex(&c, h);
            printf("%s\n", h);
        }
        mote_store_conflicts_clear(&cf);
    } else if ((strcmp(cmd, "push") == 0 || strcmp(cmd, "pull") == 0) && nargs == 1) {
        int push = cmd[1] == 'u' && cmd[2] == 's';
        mote_store_conflicts cf = {0};
        if (!message) {
            snprintf(msgbuf, sizeof msgbuf, "merge %s of %s", branch, args[0]);
            info.message = msgbuf;
        }
        if (!mem) {
            /* a Git remote, through the Git protocol */
            if (push)
                rc = mote_store_git_push(r, args[0], branch, branch, 0);
            else {
                mote_store_hash head;
                rc = mote_store_git_fetch(r, args[0], branch, &head);
                if (!rc)
                    rc = mote_store_merge_commit(s, &head, 0, &info, &cf, &c);
            }
        } else if (is_git_url(args[0])) {
            rc = MOTE_EUNSUPPORTED;
        } else {
            /* memory store: sync objects with the repository at the path */
            mote_store_repo *remote = mote_store_git_open(args[0], 0, NULL, &rc);
            if (remote) {
                rc = push ? mote_store_push(s, remote, branch, 0)
                          : mote_store_pull(s, remote, branch, 0, &info, &cf);
                mote_store_repo_free(remote);
            }
        }
        print_conflicts(&cf);
        mote_store_conflicts_clear(&cf);
        if (rc)
            status = fail(rc, args[0]);
        else if (mote_store_head(s, &c) == 0) {
            hex(&c, h);
            printf("%s\n", h);
        }
    } else if (strcmp(cmd, "watch") == 0 && nargs <= 3) {
        const char *prefix = NULL;
        watch_state ws = {-1};
        for (int k = 0; k < nargs; k++) {
            if (strcmp(args[k], "-n") == 0 && k + 1 < nargs)
                ws.left = strtol(args[++k], NULL, 10);
            else
                prefix = args[k];
        }
        mote_store_watch *w = mote_store_watch_new(r, branch, prefix, on_change, &ws, &rc);
        if (!w)
            status = fail(rc, prefix);
        else if (!mote_store_git_dir(r)) {
            status = fail(MOTE_EUNSUPPORTED, "watch needs a Git repository");
            mote_store_watch_free(w);
        } else {
            status = watch_loop(r, &ws);
            mote_store_watch_free(w);
        }
    } else if (strcmp(cmd, "snapshot") == 0 && nargs == 0) {
        mote_buf b;
        mote_buf_init(&b, 0);
        if ((rc = mote_store_head(s, &c)) == 0)
            rc = mote_store_export(r, &c, &b);
        if (!rc && fwrite(b.data, 1, b.len, stdout) != b.len)
            rc = MOTE_EIO;
        mote_buf_free(&b);
        if (rc)
            status = fail(rc, NULL);
    } else if (strcmp(cmd, "import") == 0 && nargs == 1) {
        FILE *f = strcmp(args[0], "-") ? fopen(args[0], "rb") : stdin;
        mote_buf b;
        mote_buf_init(&b, 1u << 30);
        rc = f ? read_all(f, &b) : MOTE_ENOTFOUND;
        if (f && f != stdin)
            fclose(f);
        if (!rc)
            rc = mote_store_import(r, mote_buf_slice(&b), &c);
        mote_buf_free(&b);
        if (rc)
            status = fail(rc, args[0]);
        else {
            hex(&c, h);
            printf("%s\n", h);
        }
    } else {
        status = usage();
    }
    mote_store_free(s);
    mote_store_repo_free(r);
    return status;
}
