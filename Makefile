# trawl: the two commands a new user runs are `make run` and `make test`.
SHELL := /bin/bash
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
SHARED ?= ../shared
JOBS ?= 2

.PHONY: all bootstrap build ui image image-test run test unit asan-test fuzz-build fuzz-smoke integration ui-test hostile oracle bench fixtures format clean

all: build

bootstrap:
	@scripts/bootstrap.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: bootstrap $(BUILD)/build.ninja
	ninja -C $(BUILD) -j $(JOBS)

# The dashboard (React + TypeScript + Vite) into ui/dist, which trawl serves.
ui: bootstrap
	cd ui && { [ -d node_modules ] && [ node_modules -nt package.json ] || npm install --no-audit --no-fund; } && npm run build

# Live capture on every interface with the API on http://localhost:8899 (root or
# CAP_NET_RAW is needed to capture; sudo is used when not root).
run: build ui
	@if [ "$$(id -u)" -eq 0 ]; then $(BUILD)/trawl capture --data-dir trawl-data; \
	else echo "make run: live capture needs CAP_NET_RAW: running trawl capture with sudo"; \
	sudo $(BUILD)/trawl capture --data-dir trawl-data; fi

unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

$(ASAN_BUILD)/build.ninja:
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTRAWL_SANITIZE=ON

# Unit tests and every capture (the project's and ../shared's) under ASan+UBSan.
asan-test: bootstrap $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS)
	scripts/run_captures.sh $(ASAN_BUILD)/trawl $(SHARED)

$(FUZZ_BUILD)/build.ninja:
	CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTRAWL_FUZZ=ON

fuzz-build: bootstrap $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD) -j $(JOBS)

# A short run of every fuzz target, seeded from the captures.
fuzz-smoke: fuzz-build
	scripts/fuzz.sh $(FUZZ_BUILD) $(SHARED) 20

integration: build ui
	tests/integration/run.sh $(BUILD)/trawl

# The dashboard in Debian's chromium (playwright-core) against a real trawl.
ui-test: build ui
	cd ui && npx vitest run && node tests/e2e.mjs ../$(BUILD)/trawl

# Clients and traffic that try to crash the worker, read it from other origins,
# lose what it stored, or grow its memory (docs/security.md).
hostile: build ui
	tests/hostile/run.sh $(BUILD)/trawl

oracle: build
	@if [ -d $(SHARED)/pcaps ]; then scripts/oracle.sh $(BUILD)/trawl $(SHARED); \
	else echo "oracle: $(SHARED)/pcaps not found, skipped"; fi

# The container image (deploy/Dockerfile) on a Debian 12 base made with debootstrap.
image: build ui
	scripts/image.sh $(BUILD)

image-test: image
	tests/deploy/image_test.sh

test: build unit asan-test fuzz-smoke integration ui-test hostile oracle image-test
	@echo "make test: all suites passed"
	@echo "suites: 9 passed, 0 failed"

bench: build
	bench/run.sh $(BUILD)/trawl

# Re-record fixtures/demo.pcap from real servers (nginx, dnsmasq) in namespaces.
fixtures: build
	tests/integration/make_demo_capture.sh fixtures/demo.pcap

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
