# gridutils build. See README.md; the design is doc/design.md.
#   make                 all binaries into build/bin/
#   make test            install deps, build, unit tests (plain and SAN=1), BATS
#   make CUDA=0|1|auto   CUDA backend: never, required, when nvcc is found
#   make SAN=1           ASan+UBSan build under build/san/
#   make fuzz            each libFuzzer target FUZZ_SECONDS (240) under build/fuzz/
#   make bench           the bench/ programs, and bench/board.sh (grid-board vs curl)
#   make install PREFIX=/usr/local DESTDIR=

VERSION   := 0.1.0
PREFIX    ?= /usr/local
DESTDIR   ?=
CUDA      ?= auto
SAN       ?= 0

CXX       ?= g++
NVCC_PATH := $(firstword $(shell command -v nvcc 2>/dev/null) $(wildcard /usr/local/cuda/bin/nvcc))

ifeq ($(CUDA),1)
  ifeq ($(NVCC_PATH),)
    $(error CUDA=1 but nvcc was found neither on PATH nor under /usr/local/cuda/bin)
  endif
  WITH_CUDA := 1
else ifeq ($(CUDA),auto)
  WITH_CUDA := $(if $(NVCC_PATH),1,0)
else ifeq ($(CUDA),0)
  WITH_CUDA := 0
else
  $(error CUDA must be auto, 0 or 1, not '$(CUDA)')
endif

ifeq ($(SAN),1)
  B := build/san
else
  B := build
endif
# Objects differ between CUDA and non-CUDA builds; keep them apart so
# switching CUDA= never links a stale object.
O := $(B)/obj-cuda$(WITH_CUDA)

# -ffp-contract=off everywhere: the exact kernels' bits must not depend on
# whether the compiler fuses a*b+c; every fma we want is written out.
CPPFLAGS  += -Ilib -DGRID_VERSION='"$(VERSION)"' -DGRID_CUDA=$(WITH_CUDA) -DJSON_DIAGNOSTICS=1
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)

ifeq ($(SAN),1)
  # -O0: the sanitizers at -O2 cost minutes a file on our JSON-heavy
  # sources; the numeric kernels get -O2 back below, or their tests crawl.
  OPT ?= -O0 -g1
else
  OPT ?= -O2 -g
endif
CXXFLAGS  ?= $(OPT)
CXXFLAGS  += -std=c++17 -Wall -Wextra -Werror -ffp-contract=off -fno-fast-math -pthread -MMD -MP
# GCC 12 reports -Warray-bounds false positives inside nlohmann::json's
# array construction, in whichever units inline it far enough (which
# changes with what else a unit includes); the sanitizer build is what
# catches real out-of-bounds accesses.
CXXFLAGS  += -Wno-array-bounds
LDLIBS    += -lsimdjson -lsodium -lcrypto -lcurl -lsqlite3 -lpng -larchive -lxml2 -ldl -pthread

# The training loops (bias, relu, loss, optimizer) vectorize at -O3: a
# quarter more fast-mode steps/s; the micro-batch sums, 2.5 times the adds/s. Exact bits do not move: with
# -ffp-contract=off and no -fassociative-math GCC keeps every FP operation
# and reduction in source order (tests/job-run.bats pins the hashes).
# -fno-math-errno lets sqrt vectorize: it drops errno, never a result bit.
ifneq ($(SAN),1)
  $(O)/lib/compute/gemm.o $(O)/lib/compute/mlp.o $(O)/lib/compute/mlp_layers.o $(O)/lib/compute/mlp_optimizer.o $(O)/lib/compute/mlp_state.o \
    $(O)/lib/compute/micro_batch_sum.o: CXXFLAGS += -O3 -fno-math-errno
endif

# libxml2's headers live in a folder of their own; only the one unit that
# reads XML needs them.
$(O)/lib/core/xml_records.o build/fuzz/obj/lib/core/xml_records.o: CPPFLAGS += $(shell pkg-config --cflags libxml-2.0 2>/dev/null || echo -I/usr/include/libxml2)

ifeq ($(SAN),1)
  CXXFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  LDFLAGS  += -fsanitize=address,undefined
  $(O)/lib/compute/exact_gemm.o $(O)/lib/compute/exact_gemm_kernels.o $(O)/lib/compute/seeded_matrix.o $(O)/lib/compute/philox.o $(O)/lib/compute/synthetic_data.o: CXXFLAGS += -O2
endif

ifeq ($(WITH_CUDA),1)
  CUDA_HOME := $(patsubst %/bin/nvcc,%,$(NVCC_PATH))
  CUDA_LIB  := $(firstword $(wildcard $(CUDA_HOME)/lib64) $(CUDA_HOME)/lib)
  # A100, RTX 30, RTX 40, H100/H200 as SASS, plus PTX for newer cards.
  CUDA_ARCH := -gencode arch=compute_80,code=sm_80 -gencode arch=compute_86,code=sm_86 \
               -gencode arch=compute_89,code=sm_89 -gencode arch=compute_90,code=sm_90 \
               -gencode arch=compute_90,code=compute_90
  # Exact mode: no fused multiply-add unless written, IEEE division and
  # square root, subnormals kept.
  # The backend library and the tools agree on the types that cross between
  # them: both carry a hash of the headers that define those (cuda_backend.h).
  CUDA_BUILD := $(shell cat lib/compute/cuda_backend.h lib/compute/device_cuda.h lib/compute/gpu_bench_cuda.h \
                  lib/compute/exact_math.h lib/core/device_error.h lib/compute/mlp_cuda.h lib/compute/mlp.h \
                  lib/compute/mlp_math.h lib/compute/gemm.h lib/compute/nccl_cuda.h | sha256sum | cut -c1-16)
  CUDA_BUILD_DEF := -DGRID_CUDA_BUILD='"$(VERSION)-$(CUDA_BUILD)"'
  CPPFLAGS  += $(CUDA_BUILD_DEF)
  NVCCFLAGS := -ccbin $(CXX) $(CUDA_BUILD_DEF) -O3 -std=c++17 $(CUDA_ARCH) --fmad=false --ftz=false --prec-div=true \
               --prec-sqrt=true -Xcompiler -Wall,-Wextra,-Werror,-ffp-contract=off,-fPIC -Ilib \
               -DGRID_CUDA=1 -MMD -MP -Wno-deprecated-gpu-targets
  CPPFLAGS  += -I$(CUDA_HOME)/include
  # The tools link none of CUDA's libraries: the kernels are a library of
  # their own, loaded on first use (lib/compute/cuda_backend.h). -Bsymbolic: its
  # functions share their names with the tools' trampolines.
  CU_SRC    := $(wildcard lib/cuda/*.cu)
  CUDA_SO   := $(B)/lib/gridutils/libgridutils-cuda.so
  CUDA_SO_LIBS := -L$(CUDA_LIB) -Wl,-rpath,$(CUDA_LIB) -Wl,-Bsymbolic -Wl,--no-undefined \
                  -lcublasLt -lcublas -lnccl -lcudart -pthread
else
  CU_SRC    :=
  CUDA_SO   :=
endif

TOOLS     := $(patsubst cmd/%.cc,%,$(wildcard cmd/*.cc))
LIB_SRC   := $(wildcard lib/*/*.cc)
LIB_OBJ   := $(LIB_SRC:%.cc=$(O)/%.o)
CU_OBJ    := $(CU_SRC:%.cu=$(O)/%.o)
TEST_SRC  := $(wildcard tests/unit/*.cc)
TEST_OBJ  := $(TEST_SRC:%.cc=$(O)/%.o)
BENCH_SRC := $(wildcard bench/*.cc)
BINS      := $(TOOLS:%=$(B)/bin/%)
BENCHES   := $(BENCH_SRC:bench/%.cc=$(B)/bench/%)
UNIT      := $(B)/test/unit_tests

# Test code is compiled without optimization (the library under test keeps
# its own flags): GCC's -O2 over the GoogleTest bodies was a quarter of make
# test's compile time. -O0 saves about 130 CPU-seconds of compiling (47
# test files) for about 15 more of running them.
$(TEST_OBJ): CXXFLAGS += -O0
# The test units' common headers (tests/unit/unit_headers.h), precompiled
# with the test units' own flags, a third of each one's compile time. GCC
# takes the .gch beside the header -include names, and reads the header
# itself (same code, slower) wherever the flags differ.
UNIT_PCH  := $(O)/pch/unit_headers.h
$(UNIT_PCH).gch: CXXFLAGS += -O0
$(UNIT_PCH).gch: tests/unit/unit_headers.h
	@mkdir -p $(@D)
	cp $< $(UNIT_PCH)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -MF $(UNIT_PCH).d -MT $@ -x c++-header $(UNIT_PCH) -o $@
$(TEST_OBJ): $(UNIT_PCH).gch
$(TEST_OBJ): private CPPFLAGS += -include $(UNIT_PCH)
LIBGRID   := $(O)/libgrid.a
COMPLETIONS := $(foreach t,$(TOOLS),$(B)/completions/$(t).bash $(B)/completions/$(t).zsh $(B)/completions/$(t).fish)

.PHONY: all test unit gpu-test bench demo demo-render install uninstall clean man fuzz fuzz-targets
# Keep objects: they are intermediates of pattern chains, which make would
# otherwise delete and then rebuild every time.
.SECONDARY:
all: $(BINS) $(CUDA_SO) $(COMPLETIONS)

$(O)/%.o: %.cc
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@

$(O)/%.o: %.cu
	@mkdir -p $(@D)
	$(NVCC_PATH) $(NVCCFLAGS) -c $< -o $@

# The render kind's Python files are linked in by .incbin, which -MMD
# does not see.
$(O)/lib/jobs/kind_render_scripts.o: lib/jobs/kind_render_driver.py examples/render/make_scene.py

$(LIBGRID): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(CUDA_SO): $(CU_OBJ)
	@mkdir -p $(@D)
	$(CXX) -shared $(CXXFLAGS) $(LDFLAGS) $^ -o $@ $(CUDA_SO_LIBS)

# build/bin, build/test and build/bench are shared by both CUDA modes: a
# file holding the mode, rewritten (so newer) when it changes, relinks them.
MODE_STAMP := $(B)/.cuda-mode
$(shell mkdir -p $(B) && { [ "$$(cat $(MODE_STAMP) 2>/dev/null)" = $(WITH_CUDA) ] || echo $(WITH_CUDA) >$(MODE_STAMP); })

$(B)/bin/%: $(O)/cmd/%.o $(LIBGRID) $(MODE_STAMP) | $(CUDA_SO)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) $(filter %.o %.a,$^) -o $@ $(LDLIBS)

# The backend is a run-time need of the unit, GPU and bench binaries too.
$(UNIT): $(TEST_OBJ) $(LIBGRID) $(MODE_STAMP) | $(CUDA_SO)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) $(filter %.o %.a,$^) -o $@ -lgtest -lgtest_main $(LDLIBS)

$(B)/bench/%: $(O)/bench/%.o $(LIBGRID) $(MODE_STAMP) | $(CUDA_SO)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) $(filter %.o %.a,$^) -o $@ $(LDLIBS)

# Each tool writes its own completion scripts from its flag definitions
# (the hidden --completion SHELL).
$(B)/completions/%.bash: $(B)/bin/%
	@mkdir -p $(@D)
	$< --completion bash >$@.tmp && mv $@.tmp $@
$(B)/completions/%.zsh: $(B)/bin/%
	@mkdir -p $(@D)
	$< --completion zsh >$@.tmp && mv $@.tmp $@
$(B)/completions/%.fish: $(B)/bin/%
	@mkdir -p $(@D)
	$< --completion fish >$@.tmp && mv $@.tmp $@

unit: $(UNIT)

# GPU tests: built here to prove they compile; run only where a GPU answers
# (they skip themselves otherwise).
GPU_TEST_SRC := $(wildcard tests/gpu/*.cc)
GPU_TEST_OBJ := $(GPU_TEST_SRC:%.cc=$(O)/%.o)
GPU_UNIT     := $(B)/test/gpu_tests
$(GPU_UNIT): $(GPU_TEST_OBJ) $(LIBGRID) $(MODE_STAMP) | $(CUDA_SO)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) $(filter %.o %.a,$^) -o $@ -lgtest -lgtest_main $(LDLIBS)
gpu-test: $(GPU_UNIT)
	@test "$(WITH_CUDA)" = 1 || { echo "gpu-test needs CUDA=1 (nvcc)" >&2; exit 2; }
	$(GPU_UNIT)

test:
	./scripts/install-deps
	$(MAKE) -j$(JOBS) test-builds
	./scripts/run-tests

# make test's builds, two makes side by side under one job server (-j from
# test): where one waits on its last link or nvcc compile, the other's
# compiles take the free core; one after the other, each end left it idle.
# The sanitizer build leaves CUDA out: no GPU code runs here, and nvcc
# builds of every .cu again would only cost time. The fuzz targets link the
# plain libgrid.a, so the plain make builds them. The plain build has no
# debug info (-g0): GCC's code is the same at every -g level, full debug
# info made each compile a third slower and line tables cost 7% more (the
# SAN=1 build keeps them, for its reports). An OPT given to make test
# still wins.
.PHONY: test-builds test-build-plain test-build-san
TEST_OPT ?= -O2 -g0
test-builds: test-build-plain test-build-san
test-build-plain:
	+$(MAKE) OPT='$(if $(filter command line environment,$(origin OPT)),$(OPT),$(TEST_OPT))' all unit $(if $(filter 1,$(WITH_CUDA)),$(GPU_UNIT)) fuzz-targets
test-build-san:
	+$(MAKE) SAN=1 CUDA=0 unit

# Fuzz targets, tests/fuzz/targets/NAME.cc -> build/fuzz/bin/NAME: clang's
# libFuzzer with ASan and UBSan. Only the parsers a stranger's bytes reach
# are compiled again, with coverage and sanitizers; what else a target calls
# comes from the plain libgrid.a, whose objects of the same names the linker
# then leaves out (build them without SAN=1: GCC's ASan is not clang's).
# make test runs each target about 10 s (tests/fuzz-targets.bats); make
# fuzz runs each FUZZ_SECONDS.
FUZZ_CXX     ?= clang++
FUZZ_SECONDS ?= 240
FUZZ_O       := build/fuzz/obj
FUZZ_FLAGS   := -std=c++17 -O1 -g -DGRID_JSON_EVERY_UNIT -ffp-contract=off -fno-omit-frame-pointer -fsanitize=address,undefined \
                -fno-sanitize-recover=undefined -MMD -MP
FUZZ_SRC     := lib/core/jsonl.cc lib/core/json_parse.cc lib/core/canonical_json.cc lib/core/message.cc lib/core/merkle.cc \
                lib/core/fields.cc lib/market/need_expr.cc lib/market/lease_pricing.cc lib/compute/npy.cc \
                lib/compute/csv_matrix.cc lib/jobs/job_spec.cc $(wildcard lib/jobs/kind_*_spec.cc) lib/jobs/data_spec.cc
# The board servers' listings (PROPFIND, ListObjectsV2) and what is read
# out of them.
FUZZ_SRC     += lib/core/xml_records.cc lib/core/net.cc
FUZZ_LIB_OBJ := $(FUZZ_SRC:%.cc=$(FUZZ_O)/%.o)
FUZZ_TARGETS := $(patsubst tests/fuzz/targets/%.cc,build/fuzz/bin/%,$(wildcard tests/fuzz/targets/*.cc))

$(FUZZ_O)/%.o: %.cc
	@mkdir -p $(@D)
	$(FUZZ_CXX) $(CPPFLAGS) -Itests/fuzz/targets $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
build/fuzz/bin/%: $(FUZZ_O)/tests/fuzz/targets/%.o $(FUZZ_LIB_OBJ) $(LIBGRID)
	@mkdir -p $(@D)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer $^ -o $@ $(LDLIBS)
fuzz-targets: $(FUZZ_TARGETS)
fuzz: fuzz-targets
	PATH="$(CURDIR)/build/bin:$$PATH" FUZZ_SECONDS=$(FUZZ_SECONDS) bats tests/fuzz-targets.bats

# Sub-makes with -j: a fresh machine builds in half the time on two cores.
bench:
	$(MAKE) -j$(JOBS) all $(BENCHES)
	./scripts/run-bench $(BENCHES) $(wildcard bench/*.sh)

# The README's first command on a fresh machine: it installs what it needs.
demo:
	./scripts/install-deps
	$(MAKE) -j$(JOBS) all
	./scripts/demo

# A render job through the market (Blender renders for minutes on a small
# machine: not part of make demo's three).
demo-render:
	./scripts/install-deps
	$(MAKE) -j$(JOBS) all
	./scripts/demo-render

MAN_PAGES := $(patsubst man/%.scd,build/man/%,$(wildcard man/*.scd))
man: $(MAN_PAGES)
build/man/%: man/%.scd
	@mkdir -p $(@D)
	scdoc < $< > $@

# examples/ goes to PREFIX/share/gridutils/examples, which the README's
# commands name as $EXAMPLES; a reinstall leaves no stale example behind.
install: all man
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
	  $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
	  $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	$(if $(CUDA_SO),install -d $(DESTDIR)$(PREFIX)/lib/gridutils && \
	  install -m 755 $(CUDA_SO) $(DESTDIR)$(PREFIX)/lib/gridutils/)
	install -m 644 $(MAN_PAGES) $(DESTDIR)$(PREFIX)/share/man/man1/
	rm -rf $(DESTDIR)$(PREFIX)/share/gridutils/examples
	install -d $(DESTDIR)$(PREFIX)/share/gridutils
	cp -R examples $(DESTDIR)$(PREFIX)/share/gridutils/examples
	# The crontab cron runs as it is: it must name this PREFIX's examples and tools.
	sed -i -e 's|^EXAMPLES=.*|EXAMPLES=$(PREFIX)/share/gridutils/examples|' \
	  -e 's|^PATH=/usr/local/bin:|PATH=$(PREFIX)/bin:|' $(DESTDIR)$(PREFIX)/share/gridutils/examples/cron/crontab
	for t in $(TOOLS); do \
	  install -m 644 $(B)/completions/$$t.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/$$t && \
	  install -m 644 $(B)/completions/$$t.zsh $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_$$t && \
	  install -m 644 $(B)/completions/$$t.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/$$t.fish || exit 1; \
	done

uninstall:
	for t in $(TOOLS); do \
	  rm -f $(DESTDIR)$(PREFIX)/bin/$$t $(DESTDIR)$(PREFIX)/share/man/man1/$$t.1 \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions/$$t \
	    $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_$$t \
	    $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/$$t.fish; \
	done
	rm -f $(DESTDIR)$(PREFIX)/lib/gridutils/libgridutils-cuda.so
	rm -rf $(DESTDIR)$(PREFIX)/share/gridutils/examples
	rmdir $(DESTDIR)$(PREFIX)/share/gridutils 2>/dev/null || true
	rmdir $(DESTDIR)$(PREFIX)/lib/gridutils 2>/dev/null || true

clean:
	rm -rf build

-include $(FUZZ_LIB_OBJ:.o=.d) $(FUZZ_TARGETS:build/fuzz/bin/%=$(FUZZ_O)/tests/fuzz/targets/%.d)
-include $(LIB_OBJ:.o=.d) $(CU_OBJ:.o=.d) $(UNIT_PCH).d $(TEST_OBJ:.o=.d) $(GPU_TEST_OBJ:.o=.d) $(TOOLS:%=$(O)/cmd/%.d) $(BENCH_SRC:%.cc=$(O)/%.d)
