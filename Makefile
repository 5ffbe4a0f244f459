# The README's two commands: `make demo` and `make test`. Both install what
# they need first (scripts/setup), so they work on a fresh Debian 12 machine.
.PHONY: all setup build build-asan build-tsan test test-default test-asan test-tsan demo bench fuzz soak format format-check clean

JOBS ?= $(shell nproc)

all: build

setup:
	@scripts/setup

build: setup
	@cmake --preset default >/dev/null
	@cmake --build --preset default -j $(JOBS)

build-asan: setup
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)

# Only the concurrent components' tests and the libraries they link (the
# `tsan_tests` target; docs/architecture.md says what it leaves out).
build-tsan: setup
	@cmake --preset tsan >/dev/null
	@cmake --build --preset tsan -j $(JOBS)

# Every test, twice: the optimised build, then the ASan+UBSan build; then the
# concurrent components' tests (label `tsan`) under ThreadSanitizer.
test: test-default test-asan test-tsan

test-default: build
	@ctest --preset default -j $(JOBS)

test-asan: build-asan
	@ctest --preset asan -j $(JOBS)

test-tsan: build-tsan
	@ctest --preset tsan -j $(JOBS)

# The main job: faults, retries, webhooks and a naive client, in one process
# (docs/demo.md).
# Builds the `idem` binary alone (no test, no benchmark).
demo: setup
	@cmake --preset default >/dev/null
	@cmake --build --preset default -j $(JOBS) --target idem_cli
	@./build/default/idem demo

# Opt-in: the benchmarks (figures and their commands are in README.md and
# docs/<component>.md). Not part of `make test`.
bench: build
	@./build/default/bench/idem_micro_bench
	@./build/default/bench/sandbox_load --seconds 3
	@./build/default/bench/client_vs_curl --queued 10000
	@./build/default/idem bench

# Opt-in: every fuzz target under libFuzzer (clang-14, ASan+UBSan) for
# FUZZ_SECONDS each (default 60); findings land in build/fuzz/findings/
# (docs/fuzzing.md). `make test` replays the corpora without clang.
FUZZ_SECONDS ?= 60
fuzz:
	@scripts/setup --fuzz
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS)
	@scripts/fuzz $(FUZZ_SECONDS)

# Opt-in: `idem chaos` at soak size (SOAK_OPS=100000 ops, SOAK_KILLS=200
# worker SIGKILLs, one sandbox restart) on a private PostgreSQL cluster that
# is restarted once mid-run; prints the verdict, fails unless exactly once
# (docs/chaos.md, "Soak"). Takes tens of minutes. Not part of `make test`.
soak: setup
	@cmake --preset default >/dev/null
	@cmake --build --preset default -j $(JOBS) --target idem
	@scripts/soak

format:
	@git ls-files '*.h' '*.cc' | xargs clang-format -i

format-check:
	@git ls-files '*.h' '*.cc' | xargs clang-format --dry-run --Werror

clean:
	@rm -rf build
