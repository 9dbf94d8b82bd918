// SPDX-License-Identifier: MIT
/*
 * test_util.c - the value parsers of the contract (durations, sizes,
 * booleans, signals, rates, names), word splitting and the string buffer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>

#include "util.h"

/* ---- durations ---- */

static void test_duration_units(void **state)
{
	static const struct {
		const char *in;
		uint64_t ms;
	} ok[] = {
		{"500ms", 500},
		{"0ms", 0},
		{"10s", 10000},
		{"1s", 1000},
		{"5m", 300000},
		{"1h", 3600000},
		{"2h", 7200000},
		{"10", 10000},
		{"0", 0},
		{"007s", 7000},
		{"1ms", 1},
		{"90m", 5400000},
		{"31536000000ms", 31536000000ULL},
	};
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		uint64_t ms = 12345;

		assert_int_equal(parse_duration(ok[i].in, &ms), 0);
		assert_true(ms == ok[i].ms);
	}
}

static void test_duration_rejects(void **state)
{
	static const char *const bad[] = {
		"",
		"10x",
		"-1",
		" 5s",
		"5s ",
		"5 s",
		"s",
		"ms",
		"1.5s",
		"+5s",
		"5S",
		"5MS",
		"5sec",
		"5d",
		"0x10",
		"5ms5",
		"5mss",
		"h1",
		"1e3",
		"5 ",
		"\t5s",
		"5\n",
		/* overflow of the digits themselves, and of the unit multiplication */
		"99999999999999999999",
		"18446744073709551616ms",
		"18446744073709551615s",
		"18446744073709551615",
		"5124095576030432h",
		/* beyond the bound of a year */
		"31536000001ms",
		"8761h",
		"525601m",
		"9223372036854775807ms",
		"99999999999h",
	};
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		uint64_t ms = 4242;

		if (parse_duration(bad[i], &ms) == 0)
			fail_msg("parse_duration(\"%s\") accepted (%llu)", bad[i],
				 (unsigned long long)ms);
		assert_true(ms == 4242); /* untouched on error */
	}
	assert_int_not_equal(parse_duration(NULL, &(uint64_t){0}), 0);
}

static void test_duration_largest(void **state)
{
	uint64_t ms;

	(void)state;
	/* DURATION_MAX_MS is 365 days, in every unit */
	assert_int_equal(parse_duration("8760h", &ms), 0);
	assert_true(ms == DURATION_MAX_MS);
	assert_int_equal(parse_duration("525600m", &ms), 0);
	assert_int_equal(parse_duration("31536000", &ms), 0);
	assert_int_equal(parse_duration("31536001", &ms), -ERANGE);
	assert_int_equal(parse_duration("8761h", &ms), -ERANGE);
}

/* ---- sizes ---- */

static void test_size_units(void **state)
{
	static const struct {
		const char *in;
		uint64_t bytes;
	} ok[] = {
		{"0", 0},
		{"1", 1},
		{"4096", 4096},
		{"1K", 1024},
		{"64K", 65536},
		{"1M", 1048576},
		{"512M", 512ULL << 20},
		{"1G", 1ULL << 30},
		{"2G", 2ULL << 30},
		{"1024G", 1ULL << 40},
		{"18446744073709551615", UINT64_MAX},
		{"17179869183G", 17179869183ULL << 30},
	};
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		uint64_t b = 777;

		assert_int_equal(parse_size(ok[i].in, &b), 0);
		assert_true(b == ok[i].bytes);
	}
}

static void test_size_rejects(void **state)
{
	/* The contract says K, M, G: lowercase and other suffixes are errors. */
	static const char *const bad[] = {
		"",
		"k",
		"K",
		"1k",
		"1m",
		"1g",
		"1KB",
		"1KiB",
		"1T",
		"1.5G",
		"-1",
		" 1K",
		"1K ",
		"1 K",
		"+1",
		"0x10",
		"1B",
		"G1",
		"1GG",
		"1e3",
		"18446744073709551616",
		"17179869184G",
		"18014398509481984K",
	};
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		uint64_t b = 99;

		if (parse_size(bad[i], &b) == 0)
			fail_msg("parse_size(\"%s\") accepted (%llu)", bad[i],
				 (unsigned long long)b);
		assert_true(b == 99);
	}
	assert_int_not_equal(parse_size(NULL, &(uint64_t){0}), 0);
}

static void test_size_overflow_is_erange(void **state)
{
	uint64_t b;

	(void)state;
	assert_int_equal(parse_size("17179869184G", &b), -ERANGE);
	assert_int_equal(parse_size("1x", &b), -EINVAL);
}

/* ---- booleans, integers ---- */

static void test_bool(void **state)
{
	static const char *const yes[] = {"yes", "true", "1"};
	static const char *const no[] = {"no", "false", "0"};
	static const char *const bad[] = {"",  "Yes", "YES",  "TRUE", "on", "off",  "y",
					  "n", "2",   " yes", "yes ", "01", "truee"};
	bool v;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		v = false;
		assert_int_equal(parse_bool(yes[i], &v), 0);
		assert_true(v);
	}
	for (size_t i = 0; i < ARRAY_SIZE(no); i++) {
		v = true;
		assert_int_equal(parse_bool(no[i], &v), 0);
		assert_false(v);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		v = true;
		if (parse_bool(bad[i], &v) == 0)
			fail_msg("parse_bool(\"%s\") accepted", bad[i]);
		assert_true(v);
	}
	assert_int_not_equal(parse_bool(NULL, &v), 0);
}

static void test_uint_int(void **state)
{
	uint64_t u;
	long l;

	(void)state;
	assert_int_equal(parse_uint("0", 10, &u), 0);
	assert_true(u == 0);
	assert_int_equal(parse_uint("10", 10, &u), 0);
	assert_true(u == 10);
	assert_int_equal(parse_uint("11", 10, &u), -ERANGE);
	assert_int_equal(parse_uint("", 10, &u), -EINVAL);
	assert_int_equal(parse_uint("-1", 10, &u), -EINVAL);
	assert_int_equal(parse_uint("1 ", 10, &u), -EINVAL);
	assert_int_equal(parse_int("-1000", -1000, 1000, &l), 0);
	assert_int_equal(l, -1000);
	assert_int_equal(parse_int("+7", -1000, 1000, &l), 0);
	assert_int_equal(l, 7);
	assert_int_equal(parse_int("-1001", -1000, 1000, &l), -ERANGE);
	assert_int_equal(parse_int("1001", -1000, 1000, &l), -ERANGE);
	assert_int_not_equal(parse_int("-", -1000, 1000, &l), 0);
	assert_int_not_equal(parse_int("--1", -1000, 1000, &l), 0);
}

/* ---- signals ---- */

static void test_signal_parse(void **state)
{
	static const struct {
		const char *in;
		int sig;
	} ok[] = {
		{"TERM", SIGTERM},    {"SIGTERM", SIGTERM},
		{"15", SIGTERM},      {"INT", SIGINT},
		{"SIGINT", SIGINT},   {"QUIT", SIGQUIT},
		{"KILL", SIGKILL},    {"9", SIGKILL},
		{"HUP", SIGHUP},      {"USR1", SIGUSR1},
		{"SIGUSR2", SIGUSR2}, {"PWR", SIGPWR},
		{"WINCH", SIGWINCH},  {"1", 1},
		{"64", 64},
	};
	static const char *const bad[] = {"",		"0",	 "65",	  "SIG", "term",  "sigterm",
					  "SIGSIGTERM", "TERM ", " TERM", "-15", "SIG15", "FOO"};
	int sig;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		sig = -1;
		assert_int_equal(parse_signal(ok[i].in, &sig), 0);
		assert_int_equal(sig, ok[i].sig);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		sig = -1;
		if (parse_signal(bad[i], &sig) == 0)
			fail_msg("parse_signal(\"%s\") accepted (%d)", bad[i], sig);
		assert_int_equal(sig, -1);
	}
}

static void test_signal_name(void **state)
{
	(void)state;
	assert_string_equal(signal_name(SIGTERM), "SIGTERM");
	assert_string_equal(signal_name(SIGKILL), "SIGKILL");
	assert_string_equal(signal_name(SIGSEGV), "SIGSEGV");
	assert_string_equal(signal_name(SIGHUP), "SIGHUP");
	assert_string_equal(signal_name(SIGPWR), "SIGPWR");
	assert_string_equal(signal_name(40), "SIG40");
	/* round trip: every name parse_signal knows maps back to itself */
	for (int s = 1; s < 32; s++) {
		int back = -1;

		assert_int_equal(parse_signal(signal_name(s), &back), 0);
		assert_int_equal(back, s);
	}
}

/* ---- rates ---- */

static void test_rate(void **state)
{
	static const char *const bad[] = {"",	    "5",     "/60s",	  "5/",	   "0/60s",
					  "5/0s",   "5/0",   "-1/60s",	  "5/60x", "5 /60s",
					  "5/ 60s", "a/60s", "100001/1s", "5/60s/"};
	unsigned n = 0;
	uint64_t ms = 0;

	(void)state;
	assert_int_equal(parse_rate("5/60s", &n, &ms), 0);
	assert_int_equal(n, 5);
	assert_true(ms == 60000);
	assert_int_equal(parse_rate("1/500ms", &n, &ms), 0);
	assert_int_equal(n, 1);
	assert_true(ms == 500);
	assert_int_equal(parse_rate("3/2m", &n, &ms), 0);
	assert_int_equal(n, 3);
	assert_true(ms == 120000);
	assert_int_equal(parse_rate("10/30", &n, &ms), 0); /* bare = seconds */
	assert_int_equal(n, 10);
	assert_true(ms == 30000);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		n = 77;
		if (parse_rate(bad[i], &n, &ms) == 0)
			fail_msg("parse_rate(\"%s\") accepted", bad[i]);
		assert_int_equal(n, 77);
	}
}

/* ---- names ---- */

static void test_valid_name(void **state)
{
	char n64[65], n65[66];

	(void)state;
	memset(n64, 'a', 64);
	n64[64] = '\0';
	memset(n65, 'a', 65);
	n65[65] = '\0';
	assert_true(valid_name("web"));
	assert_true(valid_name("a"));
	assert_true(valid_name("A-z_0.9"));
	assert_true(valid_name(n64));
	assert_false(valid_name(n65));
	assert_false(valid_name(""));
	assert_false(valid_name("a b"));
	assert_false(valid_name("a/b"));
	assert_false(valid_name("a:b"));
	assert_false(valid_name("caf\xc3\xa9"));
	assert_false(valid_name("a\n"));
	assert_false(valid_name("a]"));
}

/* ---- word splitting ---- */

static void expect_words(const char *in, const char *const *want, int nwant)
{
	char **v = NULL;
	int argc = -1;
	const char *err = "unset";

	if (split_words(in, &v, &argc, &err) != 0)
		fail_msg("split_words(\"%s\") failed: %s", in, err ? err : "?");
	assert_null(err);
	assert_non_null(v);
	if (argc != nwant)
		fail_msg("split_words(\"%s\"): %d words, want %d", in, argc, nwant);
	for (int i = 0; i < nwant; i++)
		if (strcmp(v[i], want[i]))
			fail_msg("split_words(\"%s\"): word %d is \"%s\", want \"%s\"", in, i, v[i],
				 want[i]);
	assert_null(v[nwant]);
	assert_int_equal(strv_len(v), nwant);
	free(v);
}

#define WORDS(in, ...)                                                                             \
	do {                                                                                       \
		static const char *const w_[] = {__VA_ARGS__};                                     \
		expect_words(in, w_, (int)ARRAY_SIZE(w_));                                         \
	} while (0)

static void test_split_plain(void **state)
{
	(void)state;
	WORDS("/bin/echo hello world", "/bin/echo", "hello", "world");
	WORDS("  a\t\tb  ", "a", "b");
	WORDS("x", "x");
	WORDS("a=b c=d", "a=b", "c=d");
	WORDS("a;b", "a;b"); /* no shell: ; is an ordinary character */
	WORDS("$HOME `x` *", "$HOME", "`x`", "*");
}

static void test_split_quotes(void **state)
{
	(void)state;
	WORDS("sh -c 'echo hi; exit 3'", "sh", "-c", "echo hi; exit 3");
	WORDS("'a b' c", "a b", "c");
	WORDS("''", "");
	WORDS("a '' b", "a", "", "b");
	WORDS("\"\"", "");
	WORDS("\"a b\"", "a b");
	WORDS("a\"b c\"d", "ab cd");
	WORDS("'x'\"y\"z", "xyz");
	WORDS("'it''s'", "its");
	WORDS("\"it's\"", "it's");
	WORDS("'say \"hi\"'", "say \"hi\"");
	/* inside single quotes a backslash is literal */
	WORDS("'a\\b'", "a\\b");
	WORDS("'a\\'", "a\\");
	/* inside double quotes only \" \\ \$ \` are escapes */
	WORDS("\"a\\\"b\"", "a\"b");
	WORDS("\"a\\\\b\"", "a\\b");
	WORDS("\"\\$x\"", "$x");
	WORDS("\"\\`x\"", "`x");
	WORDS("\"a\\nb\"", "a\\nb");
	WORDS("\"a\\'b\"", "a\\'b");
	WORDS("\"tab\there\"", "tab\there");
}

static void test_split_backslash(void **state)
{
	(void)state;
	WORDS("a\\ b", "a b");
	WORDS("\\'x\\'", "'x'");
	WORDS("\\\"", "\"");
	WORDS("\\\\", "\\");
	WORDS("a\\nb", "anb");
	WORDS("\\ ", " ");
	WORDS("a\\\tb", "a\tb");
}

static void test_split_empty(void **state)
{
	char **v = NULL;
	int argc = -1;
	const char *err = "unset";

	(void)state;
	assert_int_equal(split_words("", &v, &argc, &err), 0);
	assert_int_equal(argc, 0);
	assert_non_null(v);
	assert_null(v[0]);
	free(v);
	v = NULL;
	assert_int_equal(split_words(" \t  ", &v, &argc, &err), 0);
	assert_int_equal(argc, 0);
	assert_null(v[0]);
	free(v);
	/* argc may be NULL */
	v = NULL;
	assert_int_equal(split_words("a b", &v, NULL, &err), 0);
	assert_string_equal(v[1], "b");
	free(v);
}

static void expect_split_error(const char *in, const char *want_err)
{
	char **v = (char **)0x1;
	int argc = 99;
	const char *err = NULL;
	int r = split_words(in, &v, &argc, &err);

	if (r == 0)
		fail_msg("split_words(\"%s\") accepted", in);
	assert_int_equal(r, -EINVAL);
	assert_non_null(err);
	assert_string_equal(err, want_err);
	assert_ptr_equal(v, (char **)0x1); /* nothing handed out */
}

static void test_split_errors(void **state)
{
	(void)state;
	expect_split_error("'abc", "unterminated single quote");
	expect_split_error("a 'b c", "unterminated single quote");
	expect_split_error("'", "unterminated single quote");
	expect_split_error("\"abc", "unterminated double quote");
	expect_split_error("\"", "unterminated double quote");
	expect_split_error("\"a\\\"", "unterminated double quote");
	expect_split_error("abc\\", "trailing backslash");
	expect_split_error("\\", "trailing backslash");
}

/* Dense inputs exercise the single-allocation size bound (ASan checks it). */
static void test_split_dense(void **state)
{
	char in[4096], **v;
	const char *err;
	int argc;

	(void)state;
	for (size_t i = 0; i + 1 < sizeof(in); i += 2) {
		in[i] = 'x';
		in[i + 1] = ' ';
	}
	in[sizeof(in) - 1] = '\0';
	assert_int_equal(split_words(in, &v, &argc, &err), 0);
	assert_int_equal(argc, 2048);
	assert_string_equal(v[2047], "x");
	assert_null(v[2048]);
	free(v);

	/* '' '' '' ...: empty words */
	for (size_t i = 0; i + 2 < sizeof(in); i += 3) {
		in[i] = '\'';
		in[i + 1] = '\'';
		in[i + 2] = ' ';
	}
	in[4095] = '\0';
	in[4094] = ' ';
	assert_int_equal(split_words(in, &v, &argc, &err), 0);
	assert_int_equal(argc, 1365);
	assert_string_equal(v[0], "");
	assert_string_equal(v[1364], "");
	free(v);

	/* a single character */
	assert_int_equal(split_words("a", &v, &argc, &err), 0);
	assert_int_equal(argc, 1);
	assert_string_equal(v[0], "a");
	free(v);
}

/* ---- lists ---- */

static void test_split_list(void **state)
{
	char **v;
	int n = -1;

	(void)state;
	assert_int_equal(split_list("mount pid  ipc\tuts", &v, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(v[0], "mount");
	assert_string_equal(v[1], "pid");
	assert_string_equal(v[2], "ipc");
	assert_string_equal(v[3], "uts");
	assert_null(v[4]);
	assert_true(strv_contains(v, "ipc"));
	assert_false(strv_contains(v, "net"));
	free(v);

	assert_int_equal(split_list("", &v, &n), 0);
	assert_int_equal(n, 0);
	assert_null(v[0]);
	free(v);

	assert_int_equal(split_list("   ", &v, &n), 0);
	assert_int_equal(n, 0);
	free(v);

	/* no quoting in lists: quotes are literal */
	assert_int_equal(split_list("'a b'", &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0], "'a");
	assert_string_equal(v[1], "b'");
	free(v);

	assert_int_equal(split_list("a b c d e f g h", &v, NULL), 0);
	assert_int_equal(strv_len(v), 8);
	free(v);
	assert_int_equal(strv_len(NULL), 0);
	assert_false(strv_contains(NULL, "x"));
}

/* ---- strbuf and JSON ---- */

static void test_json_str(void **state)
{
	struct strbuf sb;

	(void)state;
	sb_init(&sb);
	sb_json_str(&sb, NULL);
	assert_string_equal(sb.buf, "null");
	sb_free(&sb);

	sb_json_str(&sb, "");
	assert_string_equal(sb.buf, "\"\"");
	sb_free(&sb);

	sb_json_str(&sb, "plain text");
	assert_string_equal(sb.buf, "\"plain text\"");
	sb_free(&sb);

	sb_json_str(&sb, "a\"b\\c\nd\re\tf");
	assert_string_equal(sb.buf, "\"a\\\"b\\\\c\\nd\\re\\tf\"");
	sb_free(&sb);

	sb_json_str(&sb, "\x01\x1f\x7f/");
	assert_string_equal(sb.buf, "\"\\u0001\\u001f\x7f/\"");
	sb_free(&sb);

	/* UTF-8 passes through unchanged */
	sb_json_str(&sb, "caf\xc3\xa9");
	assert_string_equal(sb.buf, "\"caf\xc3\xa9\"");
	assert_int_equal(sb.len, strlen(sb.buf));
	assert_false(sb.oom);
	sb_free(&sb);
}

static void test_strbuf(void **state)
{
	struct strbuf sb;
	char big[1000];

	(void)state;
	sb_init(&sb);
	assert_null(sb.buf);
	sb_puts(&sb, "a");
	sb_printf(&sb, "%d-%s", 42, "x");
	sb_add(&sb, "yz!", 2);
	assert_string_equal(sb.buf, "a42-xyz");
	assert_int_equal(sb.len, 7);
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (int i = 0; i < 10; i++)
		sb_puts(&sb, big);
	assert_int_equal(sb.len, 7 + 10 * 999);
	assert_int_equal(strlen(sb.buf), sb.len);
	assert_true(sb.cap > sb.len);
	sb_printf(&sb, "%s", big);
	assert_int_equal(sb.len, 7 + 11 * 999);
	assert_int_equal(sb.buf[sb.len], '\0');
	sb_free(&sb);
	assert_null(sb.buf);
	assert_int_equal(sb.len, 0);
}

static void test_strlcpy_n(void **state)
{
	char buf[8];

	(void)state;
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(strlcpy_n(buf, "abc", sizeof(buf)), 3);
	assert_string_equal(buf, "abc");
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(strlcpy_n(buf, "abcdefghijk", sizeof(buf)), 11);
	assert_string_equal(buf, "abcdefg");
	assert_int_equal(strlcpy_n(buf, "abcdefg", sizeof(buf)), 7);
	assert_string_equal(buf, "abcdefg");
	assert_int_equal(strlcpy_n(buf, "abcdefgh", sizeof(buf)), 8);
	assert_string_equal(buf, "abcdefg");
	assert_int_equal(strlcpy_n(buf, "", sizeof(buf)), 0);
	assert_string_equal(buf, "");
	buf[0] = 'Z';
	assert_int_equal(strlcpy_n(buf, "abc", 0), 3);
	assert_int_equal(buf[0], 'Z'); /* size 0 writes nothing */
	assert_int_equal(strlcpy_n(buf, "abc", 1), 3);
	assert_string_equal(buf, "");
}

static void test_nerr_set(void **state)
{
	struct nerr e;

	(void)state;
	assert_int_equal(nerr_set(&e, "user", ENOENT, "user '%s' not found", "bob"), -ENOENT);
	assert_string_equal(e.step, "user");
	assert_int_equal(e.err, ENOENT);
	assert_string_equal(e.what, "user 'bob' not found");
	assert_int_equal(nerr_set(&e, "x", 0, "no errno"), -EINVAL);
	assert_int_equal(e.err, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_units),
		cmocka_unit_test(test_duration_rejects),
		cmocka_unit_test(test_duration_largest),
		cmocka_unit_test(test_size_units),
		cmocka_unit_test(test_size_rejects),
		cmocka_unit_test(test_size_overflow_is_erange),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_uint_int),
		cmocka_unit_test(test_signal_parse),
		cmocka_unit_test(test_signal_name),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_valid_name),
		cmocka_unit_test(test_split_plain),
		cmocka_unit_test(test_split_quotes),
		cmocka_unit_test(test_split_backslash),
		cmocka_unit_test(test_split_empty),
		cmocka_unit_test(test_split_errors),
		cmocka_unit_test(test_split_dense),
		cmocka_unit_test(test_split_list),
		cmocka_unit_test(test_json_str),
		cmocka_unit_test(test_strbuf),
		cmocka_unit_test(test_strlcpy_n),
		cmocka_unit_test(test_nerr_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
