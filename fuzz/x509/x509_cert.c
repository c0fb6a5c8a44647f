/* fuzz-x509_cert: one DER certificate through the parser, the printer, name
 * matching and path validation with itself as trust anchor and peer. */
#include <stdint.h>
#include <stdlib.h>

#include "mote/x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int err = 0;
    char why[200];
    mote_x509_cert *c = mote_x509_cert_parse(data, size, &err, why, sizeof(why));
    if (!c)
        return 0;
    mote_buf out;
    mote_buf_init(&out, 1u << 22);
    mote_x509_cert_print(c, &out);
    mote_buf_reset(&out);
    mote_x509_name_print(mote_x509_cert_issuer(c), &out);
    mote_buf_free(&out);
    mote_x509_match_dns(c, "www.example.com");
    static const uint8_t ip[4] = {192, 0, 2, 1};
    mote_x509_match_ip(c, ip, sizeof(ip));
    mote_x509_store *s = mote_x509_store_new(&err);
    if (s) {
        mote_x509_store_add(s, c);
        for (int p = 1; p <= 2; p++) {
            mote_x509_verify_opts o;
            mote_x509_verify_opts_init(&o, mote_x509_cert_not_before(c));
            o.profile = (mote_x509_profile)p;
            o.dns_name = "www.example.com";
            mote_x509_verify_result res;
            mote_x509_verify(s, c, &c, 1, &o, &res);
            mote_x509_verify_result_clear(&res);
        }
        mote_x509_store_free(s);
    }
    mote_x509_cert_free(c);
    return 0;
}
