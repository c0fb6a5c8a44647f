/* certs.c - see certs.h. */
#include "certs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static char dir[256];

const char *tc_dir(void)
{
    if (!dir[0]) {
        snprintf(dir, sizeof(dir), "/tmp/mote-tls-test-XXXXXX");
        if (!mkdtemp(dir))
            return NULL;
    }
    return dir;
}

void tc_cleanup(void)
{
    if (dir[0]) {
        char cmd[400];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "cannot remove %s\n", dir);
        dir[0] = 0;
    }
}

int tc_make(tc_cert *c, const char *tag, const char *keytype, const char *name, int days)
{
    char cmd[2048];
    const char *d = tc_dir();
    if (!d)
        return -1;
    memset(c, 0, sizeof(*c));
    snprintf(c->key_path, sizeof(c->key_path), "%s/%s.key", d, tag);
    snprintf(c->cert_path, sizeof(c->cert_path), "%s/%s.crt", d, tag);
    const char *alg = "-algorithm ed25519";
    if (!strcmp(keytype, "p256"))
        alg = "-algorithm EC -pkeyopt ec_paramgen_curve:P-256";
    else if (!strcmp(keytype, "p384"))
        alg = "-algorithm EC -pkeyopt ec_paramgen_curve:P-384";
    else if (!strcmp(keytype, "rsa"))
        alg = "-algorithm RSA -pkeyopt rsa_keygen_bits:2048";
    if (access(c->key_path, R_OK) != 0) {
        snprintf(cmd, sizeof(cmd), "openssl genpkey %s -out '%s' 2>/dev/null", alg, c->key_path);
        if (system(cmd) != 0)
            return -1;
    }
    if (days >= 0)
        snprintf(cmd, sizeof(cmd),
                 "openssl req -x509 -new -key '%s' -out '%s' -days %d -subj '/CN=%s' "
                 "-addext 'subjectAltName=DNS:%s' 2>/dev/null",
                 c->key_path, c->cert_path, days ? days : 1, name, name);
    else
        snprintf(cmd, sizeof(cmd),
                 "openssl req -new -key '%s' -subj '/CN=%s' 2>/dev/null | "
                 "openssl x509 -req -signkey '%s' -out '%s' -days %d 2>/dev/null",
                 c->key_path, name, c->key_path, c->cert_path, days);
    if (system(cmd) != 0)
        return -1;
    c->cert_pem = (char *)tu_read_file(c->cert_path, &c->cert_len);
    c->key_pem = (char *)tu_read_file(c->key_path, &c->key_len);
    return c->cert_pem && c->key_pem ? 0 : -1;
}
