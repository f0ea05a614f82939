/* SPDX-License-Identifier: MIT */
/*
 * Tests of the leak check's detectors, fed directly through the streaming
 * interface (leakcheck_new/member/feed/sync), without the redactor: the
 * formats of public secret-scanning rule sets are caught alone and after a
 * key in every assignment syntax; already-redacted values, masked pseudonyms
 * and ordinary values are not; the trigram prefilter sees a format at the
 * very end of a line and in a piece fed a byte at a time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "redact/redact.h"
#include "sha256.h"

/* Feeds one member (in pieces of `step` bytes, 0 = at once); returns the hits. */
static json_t *scan(const char *text, size_t step, int *ret_n)
{
        struct leakcheck *lc = NULL;
        json_t *hits = NULL;
        size_t len = strlen(text);

        assert_int_equal(leakcheck_new(&lc), 0);
        assert_int_equal(leakcheck_member(lc, "b/logs/app.log"), 0);
        if (step == 0)
                leakcheck_feed(lc, text, len);
        else
                for (size_t i = 0; i < len; i += step)
                        leakcheck_feed(lc, text + i, len - i < step ? len - i : step);
        *ret_n = leakcheck_sync(lc, &hits, NULL);
        assert_true(*ret_n >= 0);
        leakcheck_free(lc);
        return hits;
}

static bool line_hit(json_t *hits, int64_t line)
{
        size_t i;
        json_t *h;

        json_array_foreach(hits, i, h)
                if (json_integer_value(json_object_get(h, "line")) == line)
                        return true;
        return false;
}

/* Each line alone in a member must be a hit, by the named detector if one is
 * given; also one and two bytes further on (the prefilter reads byte pairs at
 * even offsets: each secret is then seen at both), and 100 further on (a
 * detector's regex starts a bounded reach before its first trigram: a reach
 * too short for a format misses it there). */
static void expect_each_caught(const char *const *lines, size_t n)
{
        static const int shifts[] = { 0, 1, 2, 100 };
        unsigned missed = 0;

        for (size_t i = 0; i < n; i += 2)
                for (size_t j = 0; j < ELEMENTSOF(shifts); j++) {
                        _cleanup_free_ char *line = NULL;
                        int k, shift = shifts[j];

                        assert_true(asprintf(&line, "%*s%s", shift, "", lines[i]) > 0);
                        json_t *hits = scan(line, 0, &k);
                        const char *d = json_string_value(
                                json_object_get(json_array_get(hits, 0), "detector"));

                        if (k < 1 || !line_hit(hits, 1) ||
                            (lines[i + 1] && strcmp(d, lines[i + 1]) != 0)) {
                                print_error("not caught as %s: row %zu of the table, shifted by "
                                            "%d (%s)\n",
                                            lines[i + 1] ?: "a secret", i / 2, shift,
                                            d ?: "no hit");
                                missed++;
                        }
                        json_decref(hits);
                }
        assert_int_equal(missed, 0);
}

static void test_formats_alone(void **state)
{
        /* line, detector (values generated for this test, none is real) */
        static const char *const lines[] = {
                "sent A3-K7QZ2M-4HD9XWPL2Q8-7KQ2D-MX8ZP-J2K4R ok",
                "vendor-token",
                "clickhouse 4b1d4SWNRN5HUgmqRKmrtiA7TB6hM35Ni6aMXWHFm2 key",
                "vendor-token",
                "CLOJARS_k2m9x7q4w8e5r1t6y3u0i2o9p7a4s1d8f5g2h6j3k0l7z4x1c8v5b2n9m6q3",
                "vendor-token",
                "duffel_test_SkgPQNEF7NvmepwkEG64wyPyX7FGnf5F33kGTer2mHY",
                "vendor-token",
                "EZAKjD662bzopjRQngbyJ24aACDhrCyYzdHSinvhDsg5vsGKVjFB6hY5zc",
                "vendor-token",
                "FLWSECK_TEST-7d3f9a1c5e8b2d4f6a0c9e7b1d3f5a8c-X",
                "vendor-token",
                "fio-u-nAD3gKz6zBvARFtfH8agG97JRSP26FLLKBD8Qti2anwxpchiTp69GgqcUkTUf8NB",
                "vendor-token",
                "runner GR1348941aB3dE5gH7jK9mN1pQ3sT registered",
                "gitlab-token",
                "Cookie: _gitlab_session=4f8a2c9e1b7d3f5a0c6e8b2d4f9a1c3e",
                "gitlab-token",
                "eyJrIjoiT0FjR3h4ZkR0WmN2NnhZS2E5dWJ0eFNUbm1Jd2pXRXIiLCJuIjoieCIsImlkIjoxfQ==",
                "vendor-token",
                "pat.ohECByKAFt9GiPuF2dLGta.Uf9hkv52bN96sd7SU88F7jWW.N2TZzxugy22sjbikb8Sa",
                "vendor-token",
                "key api_org_aBcDeFgHiJkLmNoPqRsTuVwXyZaBcDeFgH",
                "ai-key",
                "ico-Xq7Lp2Vk9Rm4Tz8Wn3Bc6dHy5Gf1Js7U",
                "vendor-token",
                "mc 4f8a2c9e1b7d3f5a0c6e8b2d4f9a1c3e-us14",
                "vendor-token",
                "mg key-4f8a2c9e1b7d3f5a0c6e8b2d4f9a1c3e",
                "vendor-token",
                "pk.y9m6wtVFTuGKJZ3vDP5oqmpuoDjB7xoHrv5JT3LsXDujxqoaF9vVFZfsqy7A.Dey6Khb3k75EdAHCa2JC3r",
                "vendor-token",
                "oc login with sha256~4S5pSr5MktFECmxaiwEMygPkn2yWWgQNhndnayt8m3N",
                "vendor-token",
                "tk-us-bvGP3qssVstXXsdNiiY3sPSY3QLYtK6SjeUVhRvGgouETUMA",
                "vendor-token",
                "sm_pat_Xq7Lp2Vk9Rm4Tz8W",
                "vendor-token",
                "shippo_live_4f8a2c9e1b7d3f5a0c6e8b2d4f9a1c3e5b7d9f0a",
                "vendor-token",
                "sq0csp-Xq7Lp2Vk9Rm4Tz8Wn3Bc6dHy5Gf1Js7Ud2Ea9Qi4Ok0Pl",
                "vendor-token",
                "twilio SK4f8a2c9e1b7d3f5a0c6e8b2d4f9a1c3e",
                "vendor-token",
                "Bearer AAAAAAAAAAAAAAAAAAAAAXq7Lp2Vk9Rm4Tz8Wn3Bc6dHy5Gf1Js7Ud2Ea9Qi4Ok0Pl3MwN6xR8yT1zS5aB7cD9eF"
                "2gH4jK6mN8pQ0rS2tU4vW6xY8zA0b",
                "vendor-token",
                "tfp_Uocdjjqdvb954Gue48kYghaLaa8mdqzSBpVUei8eunBnEaXZtTp8HYYKHev",
                "vendor-token",
                "AQVNXq7Lp2Vk9Rm4Tz8Wn3Bc6dHy5Gf1Js7Ud2E",
                "vendor-token",
                "PMAK-4f8a2c9e1b7d3f5a0c6e8b2d-4f8a2c9e1b7d3f5a0c6e8b2d4f9a1c3e5b",
                "vendor-token",
                "dt0c01.XQ7LP2VK9RM4TZ8WN3BC6DHY.4f8a2c9e1b7d3f5a0c6e8b2d4f9a1c3e5b7d9f0a4f8a2c9e1b7d3f5a0c6e8b2d",
                "vendor-token",
                "SG.xq7lp2vk9rm4tz8wn3bc6dhy5gf1js7ud2ea9qi4ok0pl3mwn6xr8yt1zs5ab7cd9",
                "vendor-token",
                "BUNDLE_GEMS__CONTRIBSYS__COM=4f8a2c9e:1b7d3f5a",
                "vendor-token",
                "eyXq7Lp2Vk9Rm4Tz8Wn3Bc.eyHy5Gf1Js7Ud2Ea9Qi4Ok.0Pl3MwN6xR8yT1",
                "jwt",
                /* its only sure trigram, ".ey", 43 bytes in: no bounded reach */
                "eyAiYWxnIjogIkhTMjU2IiwgInR5cCI6ICJKV1QiIH0.eyAic3ViIjogIjEyMzQ1Njc4OTAiIH0.c2ln",
                "jwt",
                "notion 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",
                "vendor-token",
                "octopus API-5MXM2ZPSCD35MNE54UYK6X6NY6",
                "vendor-token",
                "artifactory cmVmdGtu3YDqcMyxxwi9VPjomKpGcCA5WkLBvpcAriVPZZGc6sszQRnidoPbuU4j",
                "vendor-token",
                "EAAM9VT38MDKHqpqc5M4GfcW8frXgjdPQrSpxMsvDvntbEvL9NjcY6WgmHSUVFQ9zHGmeP2Kw9WAK35i7r9pGkXiTHiWTWqsf2FSYCWKvNCu7m6nNy",
                "vendor-token",
                "adobe p8e-vGNLMd9HxBbvPvZFkeW2Z6uiXd8Gmqjx",
                "vendor-token",
                "dropbox sl.nNTKSPPju3TjLEo6Kxp2wfzeWohr5B89DpZPWFK7pr66P72KK93GfJg68bEE2TR9a7kWgCgv9HGwEiteE6oEPpuYomoRjdjWsVgF28xFZuTPqiN9Xn9U98FrGfffSYuMcwJ8txY9qexf",
                "vendor-token",
                "ZXlKaGJHY2lPaUHjms9tCkkHSRpm23nwSCcCQb7jaZQUnimRaqJ4wX",
                "vendor-token",
                "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",
                "vendor-token",
                "origin v1.0-1e91125e5c3980c303cc1c18-3d9d52361e01cc842ac947199f88214f291c2bcaccdacd93e2a91f38c7d1b9ba986a107b769edc6e7d5da7f8a41f38495813619f502d7445e5b2fe42de953e16bb5de4c2413cf58da2",
                "vendor-token",
                "plaid access-sandbox-0250a01e-73ed-44d6-3801-799da4dbaa95",
                "vendor-token",
                "maxmind 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",
                "vendor-token",
                "https://acme.webhook.office.com/webhookb2/be63498a-41e2-b200-729d-9ad0b1c7a3b5@24d4415a-da16-459e-0eb2-1f4ca88b60c5/IncomingWebhook/x",
                "webhook-url",
                "https://discord.com/api/webhooks/102270157861735863/pamC7kc4gXTF29GzaANHoD6W6FEwk6sBcLUaYFkKqCiTLdt7kCmAvBcvwPkX",
                "webhook-url",
                "authress_b6rn0prr54.0149y.acc_yk00c1639abq65.eo73RWcs694sq75zX3hyhmEiuqLJgQSRRJVKLwCd",
                "vendor-token",
        };

        (void) state;
        expect_each_caught(lines, ELEMENTSOF(lines));
}

static void test_keyed_syntaxes(void **state)
{
        static const char *const lines[] = {
                "kucoin_TOKEN ::= \"c04204e4566814309b643b80\"",
                "high-entropy-secret",
                "etsy_TOKEN ?= \"olmh3nr16d5a2fe90ju3kn8v\"",
                "high-entropy-secret",
                "$algoliaToken .= \"ce649e3eb7ea1cabe5d68ba192a8ccc9\"",
                "high-entropy-secret",
                "  \"discordToken\" => \"250248786146568414\"",
                "high-entropy-secret",
                "System.setProperty(\"FLICKR_TOKEN\", \"hkds6cvdg7m6zkon1q3fp3aozgm0f8sx\")",
                "high-entropy-secret",
                "var nytimesToken string = \"43kcm08urslnbb10lql0tx77q5zlxl2e\"",
                "high-entropy-secret",
                "twitchToken := `oxhseeayad87ktyrhgvckdb8t6j6l3`",
                "high-entropy-secret",
                "{\"config.ini\": \"AIRTABLE_TOKEN=tt7ns26lrwbqcab69\\nBACKUP_ENABLED=true\"}",
                "high-entropy-secret",
                "herokuToken=5ddda358-9814-5987-36d8-51fad4f932c8",
                "high-entropy-secret",
                "sumo_token: suXxXtgD7bCrrQ",
                "high-entropy-secret",
                "signingKey: Zq8Xw2Lp5Vk9Rm4T",
                "high-entropy-secret",
                /* a property word before the secret word still names a secret */
                "encryption_key = 9fK2mQ7xLp4vR8tZ",
                "high-entropy-secret",
                /* the secret word's trigram furthest from its start: "key" */
                "PRIVATEKEY=Zq8Xw2Lp5Vk9Rm4T",
                "high-entropy-secret",
                "accesskey: 9fK2mQ7xLp4vR8tZ",
                "high-entropy-secret",
                "private_key=Zq8Xw2Lp5Vk9Rm4T",
                "high-entropy-secret",
                /* camelCase and capitalised words: their trigrams are listed too */
                "{\"Credentials\": \"Zq8Xw2Lp5Vk9Rm4T\", \"AuthType\": \"Basic\"}",
                "high-entropy-secret",
                "passWord=Zq8Xw2Lp5Vk9Rm4T",
                "high-entropy-secret",
                "passPhrase: 9fK2mQ7xLp4vR8tZ",
                "high-entropy-secret",
                "Creds = 9fK2mQ7xLp4vR8tZ",
                "high-entropy-secret",
        };

        (void) state;
        expect_each_caught(lines, ELEMENTSOF(lines));
}

/* Redacted values, masked pseudonyms and ordinary values pass. */
static void test_keep(void **state)
{
        static const char text[] =
                "password=[REDACTED:secret-key-value] user=user3 host=host12.domain4.example\n"
                "kucoin_TOKEN ::= \"[REDACTED:secret-key-value]\"\n"
                "System.setProperty(\"FLICKR_TOKEN\", \"[REDACTED:secret-call-argument]\")\n"
                "  \"discordToken\" => \"[REDACTED:secret-key-value]\"\n"
                "-----BEGIN RSA PRIVATE KEY-----\n[REDACTED:pem-private-key]\n"
                "request_id=7c9e6679-7425-40de-944b-e07fc1f90ae7 X-Request-Id: "
                "0f8fad5b-d9cb-469f-a165-70867728950e\n"
                "trace_id=4bf92f3577b34da6a3ce929d0e0e4736 session_id=9b1deb4d3b7d4bad9bdd2b0d7b3dcb6d\n"
                "sha256=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n"
                "commit 9fceb02d0ae598e95dc970b74767f19372d61af8 etag=d41d8cd98f00b204e9800998ecf8427e\n"
                "PWD=/home/admin ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx\n"
                "auth_method: client_secret_post auth_provider=GoogleOAuthProvider\n"
                "#password_encryption = scram-sha-256\t# scram-sha-256 or md5\n"
                "token_lifetime=3600s secret_algorithm = aes-256-gcm-siv\n"
                "token_endpoint=https://login.example.com/oauth2/token token_ttl=3600\n"
                "password_min_length=12 max_tokens=4096 secretName=app-tls sort_key=created_at\n"
                "key_file=/etc/myapp/tls/app.crt cache_key=user:4211:profile\n"
                "curl --user-agent test --x-user-id 42 request_test_id=17 live_reload=true\n"
                "image=docker.io/library/nginx@sha256:"
                "e4f2a5b7c9d1e3f5a7b9c1d3e5f7a9b1c3d5e7f9a1b3c5d7e9f1a3b5c7d9e1f3\n"
                "duplicate key value violates unique constraint \"orders_pkey\"\n"
                "Accepted publickey for deploy: RSA SHA256:ij6qg2qT8x+9h/4KN65TwFQCe7Smmm7aiJN1VMqCT+I\n"
                "2026-11-27T10:15:30.123Z version=2.14.3 nginx/1.22.1 pod=web-7d9f8c6b5d-x2k4q\n";
        json_t *hits;
        int n;

        (void) state;
        hits = scan(text, 0, &n);
        if (n != 0) {
                char *d = json_dumps(hits, 0);
                fail_msg("unexpected hits: %s", d);
        }
        json_decref(hits);
}

/* A format at the very end of a member (no newline) and fed a byte at a time. */
static void test_prefilter_edges(void **state)
{
        static const char text[] = "ordinary line\nends with key-4f8a2c9e1b7d3f5a0c6e8b2d4f9a1c3e";
        json_t *hits;
        int n;

        (void) state;
        hits = scan(text, 1, &n);
        assert_int_equal(n, 1);
        assert_true(line_hit(hits, 2));
        json_decref(hits);
        /* the same two first bytes, another third: not a trigram of any format */
        hits = scan("ke ky kez SKz SK! 4b2 t1x\n", 3, &n);
        assert_int_equal(n, 0);
        json_decref(hits);
}

/* Members whose bytes come between those of others (a member staged while
 * others are archived): each keeps its own lines, a secret split across the
 * pieces of one stream is still found, and a discarded member's hits go. */
static void test_streams(void **state)
{
        static const char token[] = "ghp_4f8a2c9e1b7d3f5a0c6e8b2d4f9a1c3e5b7d9f0a";
        struct leakcheck *lc = NULL;
        json_t *hits = NULL, *h;
        int a, c;
        size_t i;
        bool seen_a = false, seen_c = false;
        char hex[65], want[65], whole[256];

        (void) state;
        assert_int_equal(leakcheck_new(&lc), 0);
        a = leakcheck_open(lc, "b/logs/a.log", true);
        assert_true(a > 0);
        assert_int_equal(leakcheck_member(lc, "b/clean.txt"), 0);
        leakcheck_write(lc, a, "first line\nsecond ", strlen("first line\nsecond "));
        leakcheck_feed(lc, "all clean\nhere\n", strlen("all clean\nhere\n"));
        /* the token cut in two, with another member's bytes between */
        leakcheck_write(lc, a, "line\nthird gh", strlen("line\nthird gh"));
        c = leakcheck_open(lc, "b/logs/c.log", false);
        assert_true(c > 0 && c != a);
        leakcheck_write(lc, c, "x ", strlen("x "));
        leakcheck_write(lc, c, token, strlen(token));
        leakcheck_feed(lc, "still clean\n", strlen("still clean\n"));
        leakcheck_write(lc, a, token + 2, strlen(token) - 2);
        leakcheck_write(lc, a, "\n", strlen("\n"));
        leakcheck_write(lc, c, "\n", strlen("\n"));
        assert_int_equal(leakcheck_close(lc, a, false, hex), 0);
        snprintf(whole, sizeof(whole), "first line\nsecond line\nthird %s\n", token);
        sha256_hex(whole, strlen(whole), want);
        assert_string_equal(hex, want); /* the digest made on the check's thread */
        assert_int_equal(leakcheck_close(lc, c, true, NULL), 0); /* checked again elsewhere */
        assert_int_equal(leakcheck_member(lc, "b/d.txt"), 0);
        leakcheck_feed(lc, "nothing\n", strlen("nothing\n"));
        assert_int_equal(leakcheck_sync(lc, &hits, NULL), 1);
        json_array_foreach(hits, i, h) {
                const char *m = json_string_value(json_object_get(h, "member"));

                seen_a |= strcmp(m, "b/logs/a.log") == 0 &&
                          json_integer_value(json_object_get(h, "line")) == 3;
                seen_c |= strcmp(m, "b/logs/c.log") == 0;
        }
        assert_true(seen_a);
        assert_false(seen_c);
        json_decref(hits);
        leakcheck_free(lc);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_formats_alone), cmocka_unit_test(test_keyed_syntaxes),
                cmocka_unit_test(test_keep),          cmocka_unit_test(test_prefilter_edges),
                cmocka_unit_test(test_streams),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
