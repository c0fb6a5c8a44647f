/* fuzz-tls_client: bytes from a hostile server into a mote TLS client
 * (record layer, ServerHello / HelloRetryRequest, EncryptedExtensions,
 * CertificateRequest, Certificate, CertificateVerify, Finished,
 * NewSessionTicket, KeyUpdate, alerts). Deterministic: fixed rng, so the
 * ClientHello and its session id are the same for every input. The first
 * input byte says how the rest is split into feed calls (low 7 bits) and
 * whether the client speaks only TLS 1.2 (top bit); odd steps read
 * application data only when feed stalls. */
#include "fuzz_tls.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_write_seeds("tls_client-session");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mote_seeded_rng rng;
    uint8_t mode = size ? data[0] : 0;
    if (size) {
        data++;
        size--;
    }
    mote_tls_config *cfg = fz_client_config(&rng);
    if (mode & 0x80) /* TLS 1.2 only (else a 1.2 answer carries the downgrade sentinel) */
        mote_tls_config_set_versions(cfg, MOTE_TLS_VERSION_12, MOTE_TLS_VERSION_12);
    mote_tls *t = mote_tls_client_new(cfg, "fuzz.test", NULL);
    size_t step = (mode & 0x7f) ? (size_t)(mode & 0x7f) * 5 : size;
    fz_drain(t);
    int lazy = (mode & 0x7f) % 2; /* odd steps: read only when feed stalls */
    for (size_t off = 0; off < size;) {
        size_t n = size - off < step ? size - off : step, used = 0;
        int rc = mote_tls_feed(t, data + off, n, &used);
        fz_after_feed(t, lazy, used);
        if (rc)
            break;
        off += used;
    }
    if (mote_tls_state(t) == MOTE_TLS_OPEN) {
        mote_tls_write(t, "hello", 5);
        mote_tls_key_update(t, 0);
        mote_tls_close(t);
    }
    fz_drain(t);
    mote_tls_free(t);
    mote_tls_config_free(cfg);
    return 0;
}
