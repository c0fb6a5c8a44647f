/* certs.h - test keys and self-signed certificates made with the openssl
 * command at run time (RSA keys are made once per run). */
#ifndef MOTE_TLS_TEST_CERTS_H
#define MOTE_TLS_TEST_CERTS_H

#include <stddef.h>

typedef struct tc_cert {
    char cert_path[512];
    char key_path[512];
    char *cert_pem;
    size_t cert_len;
    char *key_pem;
    size_t key_len;
} tc_cert;

/* Makes (once per directory) a temporary directory for the run. */
const char *tc_dir(void);

/* Generates a key of type "ed25519", "p256", "p384" or "rsa" and a
 * self-signed certificate for CN=name with subjectAltName DNS:name (plus
 * any extra "-addext" text), valid `days` days (negative: expired). Files
 * are named after `tag`. 0 on success. */
int tc_make(tc_cert *c, const char *tag, const char *keytype, const char *name, int days);

/* Removes the temporary directory. */
void tc_cleanup(void);

#endif
