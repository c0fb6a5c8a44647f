/* fuzz-x509_csr: one DER PKCS#10 request through mote_x509_builder_from_csr
 * (structure, self-signature, extensionRequest). */
#include <stdint.h>
#include <stdlib.h>

#include "mote/x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int err = 0;
    mote_x509_builder *b = mote_x509_builder_new(&err);
    if (!b)
        return 0;
    mote_crypto_pubkey *key = NULL;
    mote_x509_builder_from_csr(b, data, size, &key);
    mote_crypto_pubkey_free(key);
    mote_x509_builder_free(b);
    return 0;
}
