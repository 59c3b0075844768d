# The README's commands. `make run` and `make test` set up a fresh Debian 12 machine
# themselves (scripts/install-deps is idempotent and quick when all is installed).
BUILD   ?= build
JOBS    ?= $(shell nproc)
CMAKE_FLAGS ?=
KINO    := $(BUILD)/apps/kino/kino

.PHONY: all deps configure build run demo test test-asan bench clean

all: build

deps:
	@bash scripts/install-deps

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

configure: $(BUILD)/CMakeCache.txt

build: deps configure
	cmake --build $(BUILD) -j $(JOBS)

# The main job: the studio server on http://127.0.0.1:8080 with its data in ./kino-data.
run: build
	$(KINO) serve --host 127.0.0.1 --port 8080 --data kino-data

# Renders a demo timeline made from generated media and prints where the MP4 is.
demo: build
	$(KINO) demo --out $(BUILD)/demo

# The browser tests' npm packages (playwright-core), installed from the lock file when
# node_modules is missing or older than it.
WEB_TEST_DEPS := tests/web/node_modules/.installed

$(WEB_TEST_DEPS): tests/web/package-lock.json tests/web/package.json
	cd tests/web && npm ci --no-audit --no-fund
	touch $@

test: build $(WEB_TEST_DEPS)
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

# Core, media, timeline, render, scenes, agent, store, service and http tests under
# AddressSanitizer + UBSan, in their own tree.
test-asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DKINO_SANITIZE=address,undefined \
	  -DKINO_WITH_TORCH=OFF -DKINO_BUILD_BENCH=OFF -DKINO_NATIVE=OFF
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS) \
	  -L 'media|timeline|render|core|agent|service|http|scenes'

bench: build
	bash bench/run

clean:
	rm -rf $(BUILD) build-asan
