# cml — the front door. Everything goes through CMake in build/ (or
# build-asan/ with SANITIZE=1); `scripts/deps` installs whatever Debian
# packages are missing first, so a fresh machine needs nothing by hand.
#
#   make run            build, then every live lesson of courses/ on its real data
#   make tour           build, then the tour: every estimator on its real data
#   make test           build, then the whole CTest suite
#   make test SANITIZE=1  the same under AddressSanitizer + UBSan
#   make bench          cml vs the reference implementations -> BENCHMARKS.md
#   make install        library, headers, cml, cml.pc (PREFIX=/usr/local)

SANITIZE ?= 0
PREFIX ?= /usr/local
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CML_BLAS ?= blis

ifeq ($(SANITIZE),1)
BUILD ?= build-asan
CMAKE_FLAGS += -DCML_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
else
BUILD ?= build
CMAKE_FLAGS += -DCMAKE_BUILD_TYPE=Release
endif
# CI builds with -Werror (CI=true is set by the CI runner).
ifeq ($(CI),true)
CMAKE_FLAGS += -DCML_WERROR=ON
endif
CMAKE_FLAGS += -DCML_BLAS=$(CML_BLAS) -DCMAKE_INSTALL_PREFIX=$(PREFIX)

.PHONY: all deps build test run tour bench install format clean

all: build

deps:
	@scripts/deps

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

run: build
	$(BUILD)/cml course run --all --data-dir data --out out
	@echo "Plots: out/<topic>/*.png. Read the lessons: $(BUILD)/cml course list, $(BUILD)/cml course show ID."
	@echo "Web app: $(BUILD)/cml web, then open http://127.0.0.1:8080"

tour: build
	$(BUILD)/cml tour --data-dir data

bench: build
	@scripts/deps --bench
	bench/run $(BUILD)/cml

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan
