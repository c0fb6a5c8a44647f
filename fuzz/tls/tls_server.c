/* fuzz-tls_server: bytes from a hostile client into a mote TLS server
 * (record layer, ClientHello and every extension parser, HRR, client
 * Certificate / CertificateVerify / Finished, post-handshake messages).
 * Deterministic: fixed rng, fixed certificate. The first input byte picks
 * the client-auth mode and how the rest is split into feed calls (odd
 * steps read application data only when feed stalls). */
#include "fuzz_tls.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_write_seeds("tls_server-session");
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
    mote_tls_config *cfg = fz_server_config(&rng, mode % 3);
    mote_tls *t = mote_tls_server_new(cfg, NULL);
    size_t step = (mode >> 2) ? (size_t)(mode >> 2) * 7 : size;
    int lazy = (mode >> 2) % 2; /* odd steps: read only when feed stalls */
    for (size_t off = 0; off < size;) {
        size_t n = size - off < step ? size - off : step, used = 0;
        int rc = mote_tls_feed(t, data + off, n, &used);
        fz_after_feed(t, lazy, used);
        if (rc)
            break;
        off += used;
    }
    if (mote_tls_state(t) == MOTE_TLS_OPEN) {
        mote_tls_write(t, "reply", 5);
        mote_tls_key_update(t, 1);
        mote_tls_close(t);
    }
    fz_drain(t);
    mote_tls_free(t);
    mote_tls_config_free(cfg);
    return 0;
}
