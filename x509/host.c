/*
 * host.c - peer names (RFC 6125 / RFC 9525): DNS names with the left-most
 * wildcard rule, IP addresses. No common-name fallback.
 */
#include <arpa/inet.h>
#include <string.h>

#include "x509_internal.h"

static int lower(int ch)
{
    return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

/* 1 if `name` is a syntactically valid DNS name in the preferred name
 * syntax (RFC 1034 3.5, relaxed to allow '_' as real certificates do):
 * labels of 1..63 letters, digits, '-' (not first or last) and '_', at most
 * 253 bytes, no trailing dot. With allow_wildcard the left-most label may
 * be exactly "*", followed by at least two labels (so "*.com" is refused:
 * without a public suffix list, a wildcard over a single label is taken as
 * one over a public suffix). */
int x509_dns_name_valid(mote_slice name, bool allow_wildcard)
{
    const uint8_t *p = name.ptr;
    size_t n = name.len;
    if (n == 0 || n > 253)
        return 0;
    size_t i = 0, labels = 0;
    int wildcard = 0;
    if (allow_wildcard && n >= 2 && p[0] == '*' && p[1] == '.') {
        wildcard = 1;
        i = 2;
    }
    while (i < n) {
        size_t start = i;
        while (i < n && p[i] != '.') {
            uint8_t ch = p[i];
            int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                     (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
            if (!ok)
                return 0;
            i++;
        }
        size_t len = i - start;
        if (len == 0 || len > 63 || p[start] == '-' || p[i - 1] == '-')
            return 0;
        labels++;
        if (i < n) {
            i++; /* the dot */
            if (i == n)
                return 0; /* trailing dot */
        }
    }
    if (wildcard && labels < 2)
        return 0;
    return labels > 0;
}

int x509_dns_match(mote_slice presented, mote_slice reference)
{
    const uint8_t *p = presented.ptr, *r = reference.ptr;
    size_t pn = presented.len, rn = reference.len;
    if (pn >= 2 && p[0] == '*' && p[1] == '.') {
        /* "*.example.com" matches "x.example.com": exactly one label. */
        size_t i = 0;
        while (i < rn && r[i] != '.')
            i++;
        if (i == 0 || i == rn)
            return 0;
        p++;
        pn--;
        r += i;
        rn -= i;
    }
    if (pn != rn)
        return 0;
    for (size_t i = 0; i < pn; i++)
        if (lower(p[i]) != lower(r[i]))
            return 0;
    return 1;
}

int mote_x509_match_dns(const mote_x509_cert *c, const char *name)
{
    mote_slice ref = mote_slice_str(name);
    if (ref.len && ref.ptr[ref.len - 1] == '.')
        ref.len--; /* an absolute name: the root label is implied */
    if (!x509_dns_name_valid(ref, false))
        return MOTE_EINVAL;
    const mote_x509_general_names *san = &c->x.san;
    for (size_t i = 0; i < san->n; i++) {
        const mote_x509_general_name *g = &san->v[i];
        if (g->type != MOTE_X509_GN_DNS)
            continue;
        if (!x509_dns_name_valid(g->value, true))
            continue; /* malformed presented names never match */
        if (x509_dns_match(g->value, ref))
            return 1;
    }
    return 0;
}

int mote_x509_match_ip(const mote_x509_cert *c, const uint8_t *ip, size_t ip_len)
{
    if (!ip || (ip_len != 4 && ip_len != 16))
        return MOTE_EINVAL;
    const mote_x509_general_names *san = &c->x.san;
    for (size_t i = 0; i < san->n; i++) {
        const mote_x509_general_name *g = &san->v[i];
        if (g->type == MOTE_X509_GN_IP && g->value.len == ip_len &&
            memcmp(g->value.ptr, ip, ip_len) == 0)
            return 1;
    }
    return 0;
}

int mote_x509_match_email(const mote_x509_cert *c, const char *addr)
{
    if (!addr)
        return MOTE_EINVAL;
    const char *at = strrchr(addr, '@');
    if (!at || at == addr || !x509_dns_name_valid(mote_slice_str(at + 1), false))
        return MOTE_EINVAL;
    size_t local = (size_t)(at - addr), len = strlen(addr);
    const mote_x509_general_names *san = &c->x.san;
    for (size_t i = 0; i < san->n; i++) {
        const mote_x509_general_name *g = &san->v[i];
        if (g->type != MOTE_X509_GN_EMAIL || g->value.len != len)
            continue;
        const uint8_t *v = g->value.ptr;
        if (memcmp(v, addr, local + 1) != 0)
            continue;
        size_t k = local + 1;
        while (k < len && lower(v[k]) == lower((unsigned char)addr[k]))
            k++;
        if (k == len)
            return 1;
    }
    return 0;
}

int mote_x509_parse_ip(const char *text, uint8_t out[16], size_t *len)
{
    if (!text)
        return MOTE_EINVAL;
    if (strchr(text, ':')) {
        if (inet_pton(AF_INET6, text, out) != 1)
            return MOTE_EINVAL;
        *len = 16;
        return 0;
    }
    if (inet_pton(AF_INET, text, out) != 1)
        return MOTE_EINVAL;
    *len = 4;
    return 0;
}
