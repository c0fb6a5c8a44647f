/* test_core.c - libmote-core: bytes, buffers, reader, errors, ct, log,
 * time, fake clock, seeded rng, memkv. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_slice)
{
    mote_slice a = mote_slice_str("hello"), b = mote_slice_make("hello", 5), s;
    ck_assert(mote_slice_eq(a, b));
    ck_assert(!mote_slice_eq(a, mote_slice_str("hell")));
    ck_assert(mote_slice_eq(mote_slice_make(NULL, 0), mote_slice_str("")));
    ck_assert_int_eq(mote_slice_sub(a, 1, 3, &s), 0);
    ck_assert(mote_slice_eq(s, mote_slice_str("ell")));
    ck_assert_int_eq(mote_slice_sub(a, 5, 0, &s), 0);
    ck_assert_int_eq(mote_slice_sub(a, 6, 0, &s), MOTE_ERANGE);
    ck_assert_int_eq(mote_slice_sub(a, 2, 4, &s), MOTE_ERANGE);
    ck_assert_int_eq(mote_slice_sub(a, 1, SIZE_MAX, &s), MOTE_ERANGE);
}
END_TEST

START_TEST(test_buf_growth_and_limit)
{
    mote_buf b;
    mote_buf_init(&b, 10);
    ck_assert_int_eq(mote_buf_append(&b, "0123456789", 10), 0);
    ck_assert_int_eq(b.len, 10);
    ck_assert_int_eq(mote_buf_append_byte(&b, 'x'), MOTE_ELIMIT);
    ck_assert_int_eq(b.len, 10);
    mote_buf_consume(&b, 4);
    ck_assert_int_eq(b.len, 6);
    ck_assert_mem_eq(b.data, "456789", 6);
    ck_assert_int_eq(mote_buf_append_be16(&b, 0x0102), 0);
    ck_assert_int_eq(mote_buf_append_be16(&b, 0x0304), 0);
    ck_assert_int_eq(b.len, 10);
    ck_assert_int_eq(mote_buf_append_be16(&b, 1), MOTE_ELIMIT);
    int err = 0;
    ck_assert_ptr_null(mote_buf_extend(&b, 1, &err));
    ck_assert_int_eq(err, MOTE_ELIMIT);
    mote_buf_truncate(&b, 2);
    ck_assert_int_eq(b.len, 2);
    mote_buf_free(&b);
    ck_assert_int_eq(b.len, 0);
    ck_assert_ptr_null(b.data);

    mote_buf_init(&b, 0);
    for (int i = 0; i < 100000; i++)
        ck_assert_int_eq(mote_buf_append_be32(&b, (uint32_t)i), 0);
    ck_assert_int_eq(b.len, 400000);
    ck_assert_uint_eq(mote_load_be32(b.data + 4 * 77777), 77777);
    mote_buf_free(&b);
}
END_TEST

START_TEST(test_buf_ints_and_format)
{
    mote_buf b;
    mote_buf_init(&b, 0);
    ck_assert_int_eq(mote_buf_append_be24(&b, 0x010203), 0);
    ck_assert_int_eq(mote_buf_append_be24(&b, 0x1000000), MOTE_ERANGE);
    ck_assert_int_eq(mote_buf_append_be64(&b, 0x0405060708090a0bull), 0);
    static const uint8_t want[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    ck_assert_int_eq(b.len, sizeof want);
    ck_assert_mem_eq(b.data, want, sizeof want);
    mote_buf_reset(&b);
    ck_assert_int_eq(mote_buf_appendf(&b, "%s-%d", "x", 42), 0);
    ck_assert_int_eq(mote_buf_appendf(&b, "/%03d", 7), 0);
    ck_assert_str_eq((char *)b.data, "x-42/007");
    size_t n;
    uint8_t *p = mote_buf_detach(&b, &n);
    ck_assert_int_eq(n, 8);
    ck_assert_ptr_null(b.data);
    free(p);
    ck_assert_ptr_null(mote_buf_detach(&b, &n));
    ck_assert_int_eq(n, 0);
    /* Text that exactly fills the allocation still gets its NUL. */
    for (int i = 0; i < 300; i++) {
        ck_assert_int_eq(mote_buf_appendf(&b, "%c", 'a' + i % 26), 0);
        ck_assert_uint_eq(strlen((char *)b.data), b.len);
        ck_assert_uint_gt(b.cap, b.len);
    }
    mote_buf_free(&b);
}
END_TEST

START_TEST(test_buf_secret)
{
    mote_buf b;
    mote_buf_init_secret(&b, 0);
    ck_assert_int_eq(mote_buf_append(&b, "secret-key-material", 19), 0);
    /* Growing moves the bytes; contents stay intact. */
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(mote_buf_append_byte(&b, 'k'), 0);
    ck_assert_mem_eq(b.data, "secret-key-material", 19);
    uint8_t *mem = b.data;
    mote_buf_reset(&b);
    /* reset keeps the memory and wipes it */
    ck_assert_ptr_eq(b.data, mem);
    ck_assert(mote_ct_all_zero(b.data, b.cap));
    mote_buf_free(&b);
}
END_TEST

START_TEST(test_reader)
{
    static const uint8_t in[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                 0x09, 0x0a, 0x02, 0xaa, 0xbb, 0x00, 0x01, 0xcc};
    mote_reader r;
    mote_reader_init(&r, in, sizeof in);
    uint8_t u8;
    uint16_t u16;
    uint32_t u24, u32;
    mote_slice v;
    ck_assert_int_eq(mote_reader_u8(&r, &u8), 0);
    ck_assert_uint_eq(u8, 1);
    ck_assert_int_eq(mote_reader_u16(&r, &u16), 0);
    ck_assert_uint_eq(u16, 0x0203);
    ck_assert_int_eq(mote_reader_u24(&r, &u24), 0);
    ck_assert_uint_eq(u24, 0x040506);
    ck_assert_int_eq(mote_reader_u32(&r, &u32), 0);
    ck_assert_uint_eq(u32, 0x0708090a);
    ck_assert_int_eq(mote_reader_vec8(&r, &v), 0);
    ck_assert_int_eq(v.len, 2);
    ck_assert_uint_eq(v.ptr[1], 0xbb);
    ck_assert_int_eq(mote_reader_vec16(&r, &v), 0);
    ck_assert_int_eq(v.len, 1);
    ck_assert_int_eq(mote_reader_left(&r), 0);
    ck_assert_int_eq(mote_reader_finish(&r), 0);

    /* Short input: the error sticks and later reads fail. */
    mote_reader_init(&r, in, 3);
    ck_assert_int_eq(mote_reader_u32(&r, &u32), MOTE_EDECODE);
    ck_assert_uint_eq(u32, 0);
    ck_assert_int_eq(mote_reader_u8(&r, &u8), MOTE_EDECODE);
    ck_assert_int_eq(mote_reader_finish(&r), MOTE_EDECODE);

    /* A vector longer than what is left. */
    static const uint8_t bad[] = {0x00, 0x05, 0x01};
    mote_reader_init(&r, bad, sizeof bad);
    ck_assert_int_eq(mote_reader_vec16(&r, &v), MOTE_EDECODE);
    ck_assert_ptr_null(v.ptr);

    /* Trailing bytes make finish fail. */
    mote_reader_init(&r, in, 2);
    ck_assert_int_eq(mote_reader_u8(&r, &u8), 0);
    ck_assert_int_eq(mote_reader_finish(&r), MOTE_EDECODE);

    uint64_t u64;
    uint8_t dst[3];
    mote_reader_init(&r, in, 12);
    ck_assert_int_eq(mote_reader_u64(&r, &u64), 0);
    ck_assert(u64 == 0x0102030405060708ull);
    ck_assert_int_eq(mote_reader_skip(&r, 1), 0);
    ck_assert_int_eq(mote_reader_copy(&r, dst, 3), 0);
    ck_assert_uint_eq(dst[2], 0xaa);
    ck_assert_int_eq(mote_reader_vec24(&r, &v), MOTE_EDECODE);
}
END_TEST

START_TEST(test_errors)
{
    ck_assert_str_eq(mote_strerror(0), "success");
    ck_assert_str_eq(mote_strerror(MOTE_EDECODE), "malformed input");
    ck_assert_str_eq(mote_error_name(MOTE_ELIMIT), "MOTE_ELIMIT");
    ck_assert_str_eq(mote_strerror(-9999), "unknown error");
    ck_assert_str_eq(mote_error_name(12345), "MOTE_E?");
    /* Every code from EINVAL to EBUSY has a distinct description. */
    for (int a = MOTE_EBUSY; a < 0; a++) {
        ck_assert_str_ne(mote_strerror(a), "unknown error");
        for (int b = a + 1; b < 0; b++)
            ck_assert_str_ne(mote_strerror(a), mote_strerror(b));
    }
    ck_assert_ptr_nonnull(mote_version());
}
END_TEST

START_TEST(test_ct)
{
    uint8_t a[32], b[32];
    memset(a, 7, sizeof a);
    memset(b, 7, sizeof b);
    ck_assert_int_eq(mote_ct_equal(a, b, 32), 1);
    b[31] ^= 0x80;
    ck_assert_int_eq(mote_ct_equal(a, b, 32), 0);
    ck_assert_int_eq(mote_ct_equal(a, b, 31), 1);
    ck_assert_int_eq(mote_ct_equal(a, b, 0), 1);
    ck_assert_uint_eq(mote_ct_is_zero_u8(0), 0xff);
    ck_assert_uint_eq(mote_ct_is_zero_u8(1), 0);
    ck_assert_uint_eq(mote_ct_is_zero_u8(0x80), 0);
    ck_assert_int_eq(mote_ct_all_zero(a, 32), 0);
    mote_wipe(a, sizeof a);
    ck_assert_int_eq(mote_ct_all_zero(a, 32), 1);
    mote_ct_select(0x00, a, b, 32);
    ck_assert_int_eq(mote_ct_all_zero(a, 32), 1);
    mote_ct_select(0xff, a, b, 32);
    ck_assert_mem_eq(a, b, 32);
    mote_wipe(NULL, 10);
}
END_TEST

struct logrec {
    int n;
    int level;
    char comp[32];
    char msg[2048];
};

static void sink(void *ctx, int level, const char *comp, const char *msg)
{
    struct logrec *r = ctx;
    r->n++;
    r->level = level;
    snprintf(r->comp, sizeof r->comp, "%s", comp);
    snprintf(r->msg, sizeof r->msg, "%s", msg);
}

START_TEST(test_log)
{
    struct logrec rec = {0};
    mote_log log = {sink, &rec, MOTE_LOG_INFO};
    mote_logf(&log, MOTE_LOG_WARN, "net.tcp", "retransmit %d", 3);
    ck_assert_int_eq(rec.n, 1);
    ck_assert_int_eq(rec.level, MOTE_LOG_WARN);
    ck_assert_str_eq(rec.comp, "net.tcp");
    ck_assert_str_eq(rec.msg, "retransmit 3");
    mote_logf(&log, MOTE_LOG_DEBUG, "x", "dropped");
    ck_assert_int_eq(rec.n, 1);
    mote_logf(NULL, MOTE_LOG_ERROR, "x", "silent");
    char big[3000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    mote_logf(&log, MOTE_LOG_ERROR, NULL, "%s", big);
    ck_assert_int_eq(rec.n, 2);
    ck_assert_int_eq(strlen(rec.msg), 1023);
    ck_assert_str_eq(rec.comp, "");
    ck_assert_str_eq(mote_log_level_name(MOTE_LOG_TRACE), "trace");
    ck_assert_str_eq(mote_log_level_name(99), "?");
}
END_TEST

START_TEST(test_time_known)
{
    mote_civil c;
    int64_t s;
    /* 2000-03-01 after a leap day in a century leap year. */
    mote_civil y2k = {2000, 3, 1, 0, 0, 0};
    ck_assert_int_eq(mote_time_from_civil(&y2k, &s), 0);
    ck_assert(s == 951868800);
    mote_civil epoch = {1970, 1, 1, 0, 0, 0};
    ck_assert_int_eq(mote_time_from_civil(&epoch, &s), 0);
    ck_assert(s == 0);
    mote_civil t = {2049, 12, 31, 23, 59, 59};
    ck_assert_int_eq(mote_time_from_civil(&t, &s), 0);
    ck_assert(s == 2524607999);
    mote_civil before = {1950, 1, 1, 0, 0, 0};
    ck_assert_int_eq(mote_time_from_civil(&before, &s), 0);
    ck_assert(s == -631152000);
    ck_assert_int_eq(mote_time_to_civil(-631152000, &c), 0);
    ck_assert_int_eq(c.year, 1950);
    ck_assert_int_eq(c.month, 1);

    mote_civil bad1 = {2023, 2, 29, 0, 0, 0};
    ck_assert_int_eq(mote_time_from_civil(&bad1, &s), MOTE_ERANGE);
    mote_civil bad2 = {1900, 2, 29, 0, 0, 0};
    ck_assert_int_eq(mote_time_from_civil(&bad2, &s), MOTE_ERANGE);
    mote_civil ok = {2024, 2, 29, 0, 0, 0};
    ck_assert_int_eq(mote_time_from_civil(&ok, &s), 0);
    mote_civil bad3 = {2024, 1, 1, 24, 0, 0};
    ck_assert_int_eq(mote_time_from_civil(&bad3, &s), MOTE_ERANGE);
    mote_civil bad4 = {2024, 13, 1, 0, 0, 0};
    ck_assert_int_eq(mote_time_from_civil(&bad4, &s), MOTE_ERANGE);
    mote_civil bad5 = {2024, 1, 1, 0, 0, 60};
    ck_assert_int_eq(mote_time_from_civil(&bad5, &s), MOTE_ERANGE);
    ck_assert_int_eq(mote_days_in_month(2100, 2), 28);
    ck_assert_int_eq(mote_days_in_month(2400, 2), 29);
    ck_assert_int_eq(mote_days_in_month(2024, 0), 0);
    ck_assert_int_eq(mote_time_to_civil(253402300800LL, &c), MOTE_ERANGE);
}
END_TEST

START_TEST(test_time_roundtrip)
{
    /* Every day from year 0 to 9999, at a varying time of day. */
    int64_t s0;
    mote_civil first = {0, 1, 1, 0, 0, 0};
    ck_assert_int_eq(mote_time_from_civil(&first, &s0), 0);
    int64_t prev = s0 - 86400;
    for (int32_t y = 0; y <= 9999; y += (y < 1960 || y > 2100) ? 7 : 1) {
        for (int m = 1; m <= 12; m++) {
            for (int d = 1; d <= mote_days_in_month(y, m); d++) {
                mote_civil c = {y,
                                (uint8_t)m,
                                (uint8_t)d,
                                (uint8_t)(d % 24),
                                (uint8_t)(m * 4),
                                (uint8_t)(d + 20)};
                int64_t s;
                ck_assert_int_eq(mote_time_from_civil(&c, &s), 0);
                ck_assert(s > prev);
                prev = s;
                mote_civil back;
                ck_assert_int_eq(mote_time_to_civil(s, &back), 0);
                ck_assert(c.year == back.year && c.month == back.month && c.day == back.day &&
                          c.hour == back.hour && c.minute == back.minute &&
                          c.second == back.second);
            }
        }
    }
}
END_TEST

START_TEST(test_rfc3339)
{
    char out[32];
    int64_t s;
    ck_assert_int_eq(mote_time_format_rfc3339(1700000000, out, sizeof out), 0);
    ck_assert_str_eq(out, "2023-11-14T22:13:20Z");
    ck_assert_int_eq(mote_time_format_rfc3339(0, out, 20), MOTE_ENOSPC);
    ck_assert_int_eq(mote_time_parse_rfc3339("2023-11-14T22:13:20Z", &s), 0);
    ck_assert(s == 1700000000);
    ck_assert_int_eq(mote_time_parse_rfc3339("2023-11-14t22:13:20.123456z", &s), 0);
    ck_assert(s == 1700000000);
    ck_assert_int_eq(mote_time_parse_rfc3339("2023-11-15T00:13:20+02:00", &s), 0);
    ck_assert(s == 1700000000);
    ck_assert_int_eq(mote_time_parse_rfc3339("2023-11-14T21:13:20-01:00", &s), 0);
    ck_assert(s == 1700000000);
    const char *bad[] = {"",
                         "2023",
                         "2023-11-14T22:13:20",
                         "2023-11-14 22:13:20Z",
                         "2023-02-30T00:00:00Z",
                         "2023-11-14T22:13:20.Z",
                         "2023-11-14T22:13:20Zx",
                         "2023-11-14T22:13:20+2:00",
                         "2023-11-14T22:13:20+02:0",
                         "20a3-11-14T22:13:20Z",
                         "2023-11-14T22:13:60Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(mote_time_parse_rfc3339(bad[i], &s) == MOTE_EDECODE, "accepted '%s'", bad[i]);
}
END_TEST

struct firelog {
    int order[16];
    int n;
    mote_clock *clock;
    mote_timer *again;
    uint64_t seen_now[16];
};

static struct firelog *g_fl;

static void on_fire(void *arg)
{
    int id = (int)(intptr_t)arg;
    g_fl->seen_now[g_fl->n] = mote_clock_now(g_fl->clock);
    g_fl->order[g_fl->n++] = id;
    if (id == 2 && g_fl->again) /* timer 2 re-arms timer "again" 5 ns later */
        mote_timer_arm(g_fl->clock, g_fl->again, mote_clock_now(g_fl->clock) + 5);
}

static void self_free(void *arg)
{
    struct firelog *fl = g_fl;
    mote_timer **tp = arg;
    fl->order[fl->n++] = 99;
    mote_timer_free(fl->clock, *tp);
    *tp = NULL;
}

START_TEST(test_fakeclock)
{
    mote_time wall = {1700000000, 999999999};
    mote_fakeclock *fc = mote_fakeclock_new(1000, wall);
    ck_assert_ptr_nonnull(fc);
    struct firelog fl = {0};
    g_fl = &fl;
    mote_clock *c = mote_fakeclock_clock(fc);
    fl.clock = c;
    ck_assert(mote_clock_now(c) == 1000);
    mote_timer *t1 = mote_timer_new(c, on_fire, (void *)1);
    mote_timer *t2 = mote_timer_new(c, on_fire, (void *)2);
    mote_timer *t3 = mote_timer_new(c, on_fire, (void *)3);
    mote_timer *t4 = mote_timer_new(c, on_fire, (void *)4);
    fl.again = t4;
    mote_timer_arm(c, t1, 1050);
    mote_timer_arm(c, t2, 1020);
    mote_timer_arm(c, t3, 1020); /* same deadline, armed later: fires after t2 */
    uint64_t next;
    ck_assert_int_eq(mote_fakeclock_next(fc, &next), 0);
    ck_assert(next == 1020);
    ck_assert_int_eq(mote_fakeclock_advance(fc, 10), 0);
    ck_assert_int_eq(mote_fakeclock_advance(fc, 100), 4);
    ck_assert_int_eq(fl.n, 4);
    ck_assert_int_eq(fl.order[0], 2);
    ck_assert_int_eq(fl.order[1], 3);
    ck_assert_int_eq(fl.order[2], 4); /* armed by t2 for 1025 */
    ck_assert_int_eq(fl.order[3], 1);
    ck_assert(fl.seen_now[0] == 1020);
    ck_assert(fl.seen_now[2] == 1025);
    ck_assert(fl.seen_now[3] == 1050);
    ck_assert(mote_clock_now(c) == 1110);
    mote_time w = mote_clock_wall(c);
    ck_assert(w.sec == 1700000001);
    ck_assert_uint_eq(w.nsec, 109);
    ck_assert_int_eq(mote_fakeclock_next(fc, &next), MOTE_ENOTFOUND);

    /* Cancel, re-arm, run. */
    mote_timer_arm(c, t1, 2000);
    mote_timer_cancel(c, t1);
    mote_timer_arm(c, t3, 5000);
    ck_assert_int_eq(mote_fakeclock_run(fc, 4999, 10), 0);
    ck_assert_int_eq(mote_fakeclock_run(fc, 10000, 10), 1);
    ck_assert(mote_clock_now(c) == 5000);

    /* A timer may free itself from its own callback. */
    mote_timer *ts = NULL;
    ts = mote_timer_new(c, self_free, &ts);
    mote_timer_arm(c, ts, 5001);
    ck_assert_int_eq(mote_fakeclock_advance(fc, 1), 1);
    ck_assert_ptr_null(ts);
    mote_timer_free(c, t2);
    mote_fakeclock_free(fc); /* frees t1, t3, t4 */
}
END_TEST

START_TEST(test_seeded_rng)
{
    mote_seeded_rng a, b, c;
    mote_seeded_rng_init(&a, 42);
    mote_seeded_rng_init(&b, 42);
    mote_seeded_rng_init(&c, 43);
    uint8_t x[100], y[100], z[100];
    ck_assert_int_eq(mote_rng_fill(&a.rng, x, sizeof x), 0);
    ck_assert_int_eq(mote_rng_fill(&b.rng, y, sizeof y), 0);
    ck_assert_int_eq(mote_rng_fill(&c.rng, z, sizeof z), 0);
    ck_assert_mem_eq(x, y, sizeof x);
    ck_assert(memcmp(x, z, sizeof x) != 0);
    /* below() stays in range and hits every value of a small range. */
    int seen[7] = {0};
    for (int i = 0; i < 7000; i++) {
        uint64_t v = mote_seeded_rng_below(&a, 7);
        ck_assert(v < 7);
        seen[v]++;
    }
    for (int i = 0; i < 7; i++)
        ck_assert_int_gt(seen[i], 800);
    ck_assert(mote_seeded_rng_below(&a, 1) == 0);
}
END_TEST

static int collect(void *arg, const char *key)
{
    mote_buf *b = arg;
    mote_buf_appendf(b, "%s;", key);
    return strcmp(key, "stop") == 0 ? 7 : 0;
}

START_TEST(test_memkv)
{
    mote_memkv *m = mote_memkv_new();
    ck_assert_ptr_nonnull(m);
    mote_kv *kv = mote_memkv_kv(m);
    ck_assert_int_eq(mote_memkv_put(m, "www/index.html", "<h1>hi</h1>", 11), 0);
    ck_assert_int_eq(mote_memkv_put(m, "www/a.css", "body{}", 6), 0);
    ck_assert_int_eq(mote_memkv_put(m, "etc/conf", "", 0), 0);
    ck_assert_int_eq(mote_memkv_put(m, "www/a.css", "p{}", 3), 0);
    uint64_t size;
    ck_assert_int_eq(mote_kv_size(kv, "www/a.css", &size), 0);
    ck_assert(size == 3);
    ck_assert_int_eq(mote_kv_size(kv, "nope", &size), MOTE_ENOTFOUND);
    char buf[8];
    size_t got;
    ck_assert_int_eq(mote_kv_read(kv, "www/index.html", 4, buf, sizeof buf, &got), 0);
    ck_assert_int_eq(got, 7);
    ck_assert_mem_eq(buf, "hi</h1>", 7);
    ck_assert_int_eq(mote_kv_read(kv, "www/index.html", 11, buf, sizeof buf, &got), 0);
    ck_assert_int_eq(got, 0);
    ck_assert_int_eq(mote_kv_read(kv, "www/index.html", 1000, buf, sizeof buf, &got), 0);
    ck_assert_int_eq(mote_kv_read(kv, "x", 0, buf, sizeof buf, &got), MOTE_ENOTFOUND);
    mote_buf b;
    mote_buf_init(&b, 0);
    ck_assert_int_eq(mote_kv_list(kv, "www/", collect, &b), 0);
    ck_assert_str_eq((char *)b.data, "www/a.css;www/index.html;");
    mote_buf_reset(&b);
    ck_assert_int_eq(mote_kv_list(kv, "", collect, &b), 0);
    ck_assert_str_eq((char *)b.data, "etc/conf;www/a.css;www/index.html;");
    ck_assert_int_eq(mote_memkv_put(m, "stop", "", 0), 0);
    mote_buf_reset(&b);
    ck_assert_int_eq(mote_kv_list(kv, "", collect, &b), 7);
    ck_assert_str_eq((char *)b.data, "etc/conf;stop;");
    mote_buf_free(&b);
    mote_memkv_free(m);
}
END_TEST

static Suite *core_suite(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_slice);
    tcase_add_test(tc, test_buf_growth_and_limit);
    tcase_add_test(tc, test_buf_ints_and_format);
    tcase_add_test(tc, test_buf_secret);
    tcase_add_test(tc, test_reader);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_ct);
    tcase_add_test(tc, test_log);
    tcase_add_test(tc, test_time_known);
    tcase_add_test(tc, test_time_roundtrip);
    tcase_add_test(tc, test_rfc3339);
    tcase_add_test(tc, test_fakeclock);
    tcase_add_test(tc, test_seeded_rng);
    tcase_add_test(tc, test_memkv);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(core_suite());
}
