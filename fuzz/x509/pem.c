/* fuzz-pem: PEM bundles (or DER) into certificate lists and a trust store,
 * then the first certificate verified against the others. */
#include <stdint.h>
#include <stdlib.h>

#include "mote/x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mote_x509_certs l = {0};
    char why[200];
    mote_x509_certs_parse(&l, data, size, why, sizeof(why));
    int err = 0;
    mote_x509_store *s = mote_x509_store_new(&err);
    if (s) {
        size_t added = 0, dups = 0, bad = 0;
        mote_x509_store_add_pem(s, data, size, &added, &dups, &bad);
        if (l.n > 0) {
            mote_x509_verify_opts o;
            mote_x509_verify_opts_init(&o, mote_x509_cert_not_before(l.v[0]));
            mote_x509_verify_result res;
            mote_x509_verify(s, l.v[0], l.v + 1, l.n - 1, &o, &res);
            mote_x509_verify_result_clear(&res);
        }
        mote_x509_store_free(s);
    }
    mote_x509_certs_clear(&l);
    return 0;
}
