# The two set-up commands: `make run` (gateway on the embedded default) and
# `make check` (unit tests, fuzz-corpus replays, e2e labs). Both install
# missing Debian packages first when run as root.
BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan

.PHONY: all run check deps asan check-asan tsan check-tsan fuzzers bench format clean

all: deps
	@test -f $(BUILD)/build.ninja || meson setup $(BUILD)
	ninja -C $(BUILD)

deps:
	@scripts/install-deps

run: all
	$(BUILD)/p2sgw

check: all
	tests/run-all.sh $(BUILD)

# Address and undefined-behaviour sanitizers over the unit tests and replays.
asan: deps
	@test -f $(ASAN_BUILD)/build.ninja || meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
	ninja -C $(ASAN_BUILD)

# Unit tests, replays and every lab with the sanitizer build of the daemon:
# a report in any log fails the run.
check-asan: asan
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 tests/run-all.sh $(ASAN_BUILD)

# The thread sanitizer over the data-plane threads: the ring's unit test,
# the workers lab (two real OpenVPN clients on two threads), the
# workers-tcp lab (OpenVPN over TCP moved to the workers), the
# ikev2-workers lab (two strongSwan clients, ESP on the workers) and the
# sstp-workers lab (two sstpc clients, their calls on the workers); a report
# in the gateway's log fails the lab.
tsan: deps
	@test -f $(TSAN_BUILD)/build.ninja || meson setup $(TSAN_BUILD) -Db_sanitize=thread -Db_lundef=false
	ninja -C $(TSAN_BUILD)

check-tsan: tsan
	$(TSAN_BUILD)/tests/unit/test_ring
	$(TSAN_BUILD)/tests/unit/test_dplane
	@# A report prints "FAIL: sanitizer" at the lab's cleanup, after its exit
	@# status is decided: the FAIL lines decide here. 50 loadgen sessions in
	@# workers-tcp's mass case (150 in make check) keep CI short.
	@for lab in workers workers-tcp ikev2-workers sstp-workers; do \
		TSAN_OPTIONS="halt_on_error=0 second_deadlock_stack=1" WTCP_MASS=50 bash tests/e2e/$$lab.sh $(TSAN_BUILD) \
			>$(TSAN_BUILD)/tsan-$$lab.log 2>&1; r=$$?; cat $(TSAN_BUILD)/tsan-$$lab.log; \
		if [ $$r != 0 ] || grep -q '^FAIL' $(TSAN_BUILD)/tsan-$$lab.log; then exit 1; fi; \
	done

# libFuzzer harnesses, for running fuzz campaigns (clang).
fuzzers: deps
	@test -f build-fuzz/build.ninja || CC=clang meson setup build-fuzz -Dfuzzers=true -Db_lundef=false
	ninja -C build-fuzz

bench: all
	bench/openvpn-throughput $(BUILD)
	bench/ikev2-throughput $(BUILD)
	bench/session-scale $(BUILD)
	bench/workers $(BUILD)
	bench/ikev2-workers $(BUILD)

format:
	clang-format -i $$(git ls-files 'src/*.[ch]' 'tests/unit/*.[ch]' 'fuzz/*.[ch]' 'bench/*.[ch]')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) build-fuzz
