/*
 * policy.c - certificate policy processing, RFC 5280 sections 6.1.2 (a),
 * (d)-(f), 6.1.3 (d)-(f), 6.1.4 (a)-(b), (h)-(j) and 6.1.5 (a), (b), (g):
 * the valid_policy_tree, bounded in size.
 *
 * The trust anchor is input to the algorithm, not part of the path: its
 * own policy extensions are not processed.
 */
#include <stdlib.h>
#include <string.h>

#include "x509_internal.h"

int x509_policy_check(mote_x509_cert *const *path, size_t n, const mote_x509_verify_opts *o,
                      int *fail_depth, char *why, size_t why_len);

#define MAX_NODES    2048
#define MAX_EXP      8192
#define MAX_POLICIES 64 /* policies and mappings per certificate processed */

struct node {
    mote_slice policy; /* ptr NULL: anyPolicy */
    size_t exp_start, exp_n;
    int parent;
    int depth;
    int alive;
};

struct tree {
    struct node *nodes;
    size_t n, cap;
    mote_slice *exp;
    size_t n_exp, cap_exp;
    int null; /* the tree is NULL */
    int overflow;
};

static int is_any(mote_slice p)
{
    return p.ptr == NULL;
}

static int pol_eq(mote_slice a, mote_slice b)
{
    if (is_any(a) || is_any(b))
        return is_any(a) && is_any(b);
    return mote_slice_eq(a, b);
}

static int add_exp(struct tree *t, mote_slice p)
{
    if (t->n_exp == t->cap_exp) {
        if (t->cap_exp >= MAX_EXP) {
            t->overflow = 1;
            return -1;
        }
        size_t cap = t->cap_exp ? t->cap_exp * 2 : 64;
        mote_slice *e = realloc(t->exp, cap * sizeof(*e));
        if (!e) {
            t->overflow = 1;
            return -1;
        }
        t->exp = e;
        t->cap_exp = cap;
    }
    t->exp[t->n_exp++] = p;
    return 0;
}

static int add_node(struct tree *t, mote_slice policy, int parent, int depth)
{
    if (t->n == t->cap) {
        if (t->cap >= MAX_NODES) {
            t->overflow = 1;
            return -1;
        }
        size_t cap = t->cap ? t->cap * 2 : 32;
        struct node *v = realloc(t->nodes, cap * sizeof(*v));
        if (!v) {
            t->overflow = 1;
            return -1;
        }
        t->nodes = v;
        t->cap = cap;
    }
    struct node *nd = &t->nodes[t->n];
    nd->policy = policy;
    nd->parent = parent;
    nd->depth = depth;
    nd->alive = 1;
    nd->exp_start = t->n_exp;
    nd->exp_n = 1;
    if (add_exp(t, policy) != 0)
        return -1;
    return (int)t->n++;
}

static int has_child(const struct tree *t, int idx)
{
    for (size_t i = (size_t)idx + 1; i < t->n; i++)
        if (t->nodes[i].alive && t->nodes[i].parent == idx)
            return 1;
    return 0;
}

/* Deletes nodes above `depth` that have no children, repeatedly; makes the
 * tree NULL when nothing is left at `depth`. */
static void prune(struct tree *t, int depth)
{
    for (int d = depth - 1; d >= 0; d--)
        for (size_t i = 0; i < t->n; i++)
            if (t->nodes[i].alive && t->nodes[i].depth == d && !has_child(t, (int)i))
                t->nodes[i].alive = 0;
    int any = 0;
    for (size_t i = 0; i < t->n; i++)
        if (t->nodes[i].alive && t->nodes[i].depth == depth)
            any = 1;
    if (!any)
        t->null = 1;
}

static int exp_has(const struct tree *t, const struct node *nd, mote_slice p)
{
    for (size_t k = 0; k < nd->exp_n; k++)
        if (pol_eq(t->exp[nd->exp_start + k], p))
            return 1;
    return 0;
}

static void dec(int *v)
{
    if (*v > 0)
        (*v)--;
}

static void lower_to(int *v, int lim)
{
    if (lim >= 0 && lim < *v)
        *v = lim;
}

int x509_policy_check(mote_x509_cert *const *path, size_t n_all, const mote_x509_verify_opts *o,
                      int *fail_depth, char *why, size_t why_len)
{
    /* Certificates 1..n of RFC 5280 are path[n_all-2] .. path[0]. */
    int n = (int)n_all - 1;
    if (n < 1)
        return 0;
    mote_slice any_oid = mote_asn1_oid_bytes(MOTE_ASN1_OID_ANY_POLICY);
    struct tree t;
    memset(&t, 0, sizeof(t));
    int explicit_policy = o->explicit_policy ? 0 : n + 1;
    int inhibit_any = o->inhibit_any_policy ? 0 : n + 1;
    int policy_mapping = o->inhibit_policy_mapping ? 0 : n + 1;
    int rc = 0;
    add_node(&t, mote_slice_make(NULL, 0), -1, 0);

    for (int i = 1; i <= n && rc == 0; i++) {
        const mote_x509_cert *c = path[n - i];
        const mote_x509_exts *x = &c->x;
        int depth = n - i;
        if (x->n_policies > MAX_POLICIES || x->n_mappings > MAX_POLICIES) {
            rc = -1;
            *fail_depth = depth;
            x509_why(why, why_len, "more than %d policies or policy mappings", MAX_POLICIES);
            break;
        }
        /* 6.1.3 (d) */
        if (x->n_policies && !t.null) {
            int has_any = 0;
            for (size_t k = 0; k < x->n_policies; k++) {
                mote_slice p = x->policies[k].oid;
                if (mote_slice_eq(p, any_oid)) {
                    has_any = 1;
                    continue;
                }
                int matched = 0;
                size_t count = t.n;
                for (size_t j = 0; j < count; j++) {
                    struct node *nd = &t.nodes[j];
                    if (nd->alive && nd->depth == i - 1 && exp_has(&t, nd, p)) {
                        add_node(&t, p, (int)j, i);
                        matched = 1;
                    }
                }
                if (!matched) {
                    for (size_t j = 0; j < count; j++) {
                        struct node *nd = &t.nodes[j];
                        if (nd->alive && nd->depth == i - 1 && is_any(nd->policy))
                            add_node(&t, p, (int)j, i);
                    }
                }
            }
            if (has_any && (inhibit_any > 0 || (i < n && c->self_issued))) {
                size_t count = t.n;
                for (size_t j = 0; j < count; j++) {
                    if (!t.nodes[j].alive || t.nodes[j].depth != i - 1)
                        continue;
                    for (size_t k = 0; k < t.nodes[j].exp_n; k++) {
                        mote_slice e = t.exp[t.nodes[j].exp_start + k];
                        int exists = 0;
                        for (size_t m = j + 1; m < t.n; m++)
                            if (t.nodes[m].alive && t.nodes[m].parent == (int)j &&
                                pol_eq(t.nodes[m].policy, e))
                                exists = 1;
                        if (!exists)
                            add_node(&t, e, (int)j, i);
                    }
                }
            }
            prune(&t, i);
        } else {
            t.null = 1; /* (e) */
        }
        if (t.overflow) {
            rc = -1;
            *fail_depth = depth;
            x509_why(why, why_len, "policy tree larger than %d nodes", MAX_NODES);
            break;
        }
        if (explicit_policy == 0 && t.null) { /* (f) */
            rc = -1;
            *fail_depth = depth;
            x509_why(why, why_len, "no acceptable policy and an explicit policy is required");
            break;
        }
        if (i == n)
            break;
        /* 6.1.4 (a), (b) */
        for (size_t k = 0; k < x->n_mappings; k++) {
            if (mote_slice_eq(x->mappings[k].issuer_policy, any_oid) ||
                mote_slice_eq(x->mappings[k].subject_policy, any_oid)) {
                rc = -1;
                *fail_depth = depth;
                x509_why(why, why_len, "policyMappings maps anyPolicy (RFC 5280 6.1.4 (a))");
                break;
            }
        }
        if (rc)
            break;
        if (!t.null && x->n_mappings) {
            for (size_t k = 0; k < x->n_mappings; k++) {
                mote_slice idp = x->mappings[k].issuer_policy;
                int seen_earlier = 0;
                for (size_t q = 0; q < k; q++)
                    if (mote_slice_eq(x->mappings[q].issuer_policy, idp))
                        seen_earlier = 1;
                if (seen_earlier)
                    continue;
                if (policy_mapping > 0) {
                    int found = 0;
                    int any_node = -1;
                    for (size_t j = 0; j < t.n; j++) {
                        struct node *nd = &t.nodes[j];
                        if (!nd->alive || nd->depth != i)
                            continue;
                        if (is_any(nd->policy))
                            any_node = (int)j;
                        if (pol_eq(nd->policy, idp)) {
                            found = 1;
                            nd->exp_start = t.n_exp;
                            nd->exp_n = 0;
                            for (size_t q = 0; q < x->n_mappings; q++)
                                if (mote_slice_eq(x->mappings[q].issuer_policy, idp) &&
                                    add_exp(&t, x->mappings[q].subject_policy) == 0)
                                    t.nodes[j].exp_n++;
                        }
                    }
                    if (!found && any_node >= 0) {
                        int nn = add_node(&t, idp, t.nodes[any_node].parent, i);
                        if (nn >= 0) {
                            t.nodes[nn].exp_start = t.n_exp;
                            t.nodes[nn].exp_n = 0;
                            for (size_t q = 0; q < x->n_mappings; q++)
                                if (mote_slice_eq(x->mappings[q].issuer_policy, idp) &&
                                    add_exp(&t, x->mappings[q].subject_policy) == 0)
                                    t.nodes[nn].exp_n++;
                        }
                    }
                } else {
                    for (size_t j = 0; j < t.n; j++)
                        if (t.nodes[j].alive && t.nodes[j].depth == i &&
                            pol_eq(t.nodes[j].policy, idp))
                            t.nodes[j].alive = 0;
                    prune(&t, i);
                }
            }
            if (t.overflow) {
                rc = -1;
                *fail_depth = depth;
                x509_why(why, why_len, "policy tree larger than %d nodes", MAX_NODES);
                break;
            }
        }
        /* (h), (i), (j) */
        if (!c->self_issued) {
            dec(&explicit_policy);
            dec(&policy_mapping);
            dec(&inhibit_any);
        }
        lower_to(&explicit_policy, x->require_explicit_policy);
        lower_to(&policy_mapping, x->inhibit_policy_mapping);
        lower_to(&inhibit_any, x->inhibit_any_policy);
    }
    if (rc == 0) {
        /* 6.1.5 (a), (b) */
        const mote_x509_cert *leaf = path[0];
        dec(&explicit_policy);
        if (leaf->x.require_explicit_policy == 0)
            explicit_policy = 0;
        /* (g): intersection with the user-initial-policy-set. */
        if (!t.null && o->n_policies) {
            for (size_t j = 0; j < t.n; j++) {
                struct node *nd = &t.nodes[j];
                if (!nd->alive || nd->parent < 0 || is_any(nd->policy))
                    continue;
                if (!is_any(t.nodes[nd->parent].policy))
                    continue;
                int ok = 0;
                for (size_t q = 0; q < o->n_policies; q++)
                    if (mote_slice_eq(o->policies[q], nd->policy))
                        ok = 1;
                if (!ok) {
                    nd->alive = 0;
                    /* and its descendants */
                    for (size_t m = j + 1; m < t.n; m++)
                        if (t.nodes[m].alive && t.nodes[m].parent >= 0 &&
                            !t.nodes[t.nodes[m].parent].alive)
                            t.nodes[m].alive = 0;
                }
            }
            for (size_t j = 0; j < t.n; j++) {
                struct node *nd = &t.nodes[j];
                if (!nd->alive || nd->depth != n || !is_any(nd->policy))
                    continue;
                nd->alive = 0;
                for (size_t q = 0; q < o->n_policies; q++) {
                    int present = 0;
                    for (size_t m = 0; m < t.n; m++)
                        if (t.nodes[m].alive && t.nodes[m].depth == n &&
                            pol_eq(t.nodes[m].policy, o->policies[q]))
                            present = 1;
                    if (!present)
                        add_node(&t, o->policies[q], nd->parent, n);
                }
            }
            prune(&t, n);
        }
        if (t.overflow) {
            rc = -1;
            *fail_depth = 0;
            x509_why(why, why_len, "policy tree larger than %d nodes", MAX_NODES);
        } else if (explicit_policy == 0 && t.null) {
            rc = -1;
            *fail_depth = 0;
            x509_why(why, why_len,
                     "no acceptable policy and an explicit policy is required (6.1.5)");
        }
    }
    free(t.nodes);
    free(t.exp);
    return rc;
}
