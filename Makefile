# Build, test and run the lab. `make help` lists the targets.
GO ?= go
# numpy comes from Debian's python3-numpy, which only the system Python sees.
PYTHON ?= /usr/bin/python3
# Paths (OUT, SUBMISSION, MNIST_DIR) reach the recipes as typed, whether
# given on the command line or in the environment: $(call shq,OUT) is the
# raw value of OUT (make expands nothing in it), quoted for the shell, so
# that a space, a quote, a backtick or $(...) in a path is only a path.
shq = '$(subst ','\'',$(value $(1)))'
# A path given on the command line would also be expanded by make when it
# exports it into the recipes' environment ($(shell ...) in it would run):
# the grader's and the handout's paths are not exported, only passed.
unexport OUT SUBMISSION SUBMISSIONS GRADEBOOK RESULTS
.PHONY: all build build-purego test test-purego race vet fmt-check run bench bench-numpy bench-compare bench-runs agree compare-builds help
all: build

build: ## build the ./backprop binary (assembly kernels on amd64, chosen by CPU at start-up)
	$(GO) build -o backprop .

build-purego: ## build the ./backprop binary with the portable kernels only
	$(GO) build -tags purego -o backprop .

test: ## the grading suite (the README's test command)
	$(GO) test ./...

test-purego: ## the suite with the portable kernels only
	$(GO) test -tags purego ./...

race: ## the suite once more under the race detector
	$(GO) test -race ./...

vet: ## go vet
	$(GO) vet ./...

fmt-check: ## fail if any file is not gofmt-formatted
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi

run: ## the main job: the XOR experiment
	$(GO) run . -exp xor

bench: ## benchmarks, with every kernel set this CPU runs
	$(GO) test -run '^$$' -bench . -benchtime 3x ./...

bench-numpy: ## numpy on the eight product shapes of BenchmarkProduct, for comparison (needs python3-numpy; NUMPY_CORETYPE=Haswell: OpenBLAS's AVX2 kernels)
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=2 $${NUMPY_CORETYPE:+OPENBLAS_CORETYPE=$$NUMPY_CORETYPE} $(PYTHON) bench/numpy_matmul.py

bench-compare: ## Go (every kernel set) against numpy: the eight products and the MNIST epoch, median of 5 rounds (NUMPY_CORETYPE=Haswell: OpenBLAS's AVX2 kernels)
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(PYTHON) bench/compare.py 5

bench-runs: ## whole MNIST runs (default, purego, Go 1.22 builds) against numpy's in turns, median ratio (needs MNIST_DIR; EPOCHS=5 ROUNDS=3 BUILDS=default,purego,go1.22; BACKPROP_KERNELS=avx2 passed on)
	dir=$(call shq,MNIST_DIR) epochs=$(call shq,EPOCHS) rounds=$(call shq,ROUNDS); env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(PYTHON) bench/runs.py "$${dir:?set MNIST_DIR to the folder with the MNIST files}" "$${epochs:-5}" "$${rounds:-3}"

agree: ## the lab's experiments against its numpy recipe, number by number (needs python3-numpy, $$REF_NUMPY; MNIST with MNIST_DIR)
	dir=$(call shq,MNIST_DIR); env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=2 $(PYTHON) bench/agree.py $${dir:+"$$dir"}

compare-builds: ## the assembly and portable kernels train the same 3-epoch MNIST curve (needs MNIST_DIR)
	dir=$(call shq,MNIST_DIR); .ci/compare-builds "$${dir:?set MNIST_DIR to the folder with the MNIST files}" 3

help:
	@grep -E '^[a-z-]+:.*## ' Makefile | sed 's/:.*## /\t/'

# The student version (README, "For instructors"); it has no such target.
.PHONY: handout
handout: ## write the student version into OUT, a new or empty directory: make handout OUT=../backprop-lab
	@if [ -z $(call shq,OUT) ]; then echo "usage: make handout OUT=DIR (a new or empty directory, outside this one)"; exit 2; fi
	$(GO) test -count=1 -run '^TestHandout$$' -handout $(call shq,OUT)

# The lab's parts, in points, for one submission or a class.
.PHONY: grade grade-class
grade: ## score the lab in points: the code here, or a student's files: make grade SUBMISSION=DIR [RESULTS=results.json]
	@sub=$(call shq,SUBMISSION); results=$(call shq,RESULTS); [ -n "$$sub" ] || sub=.; \
	printf 'grading %s: the tests of each method in a process of their own...\n' "$$sub" >&2; \
	report=$$(mktemp) && log=$$(mktemp) && \
	if $(GO) test -count=1 -timeout 0 -run '^TestGrade$$' . -grade "$$sub" -grade.report "$$report" $${results:+-grade.results "$$results"} >"$$log" 2>&1 && [ -s "$$report" ]; \
	then cat "$$report"; rm -f "$$report" "$$log"; \
	else cat "$$log"; rm -f "$$report" "$$log"; exit 1; fi

grade-class: ## grade every subdirectory of SUBMISSIONS: make grade-class SUBMISSIONS=DIR GRADEBOOK=FILE.csv (tables in DIR/<name>/grade.txt)
	@subs=$(call shq,SUBMISSIONS); book=$(call shq,GRADEBOOK); \
	if [ -z "$$subs" ] || [ -z "$$book" ]; then echo "usage: make grade-class SUBMISSIONS=DIR GRADEBOOK=FILE.csv"; exit 2; fi; \
	$(GO) test -count=1 -timeout 0 -run '^TestGrade$$' -grade.class "$$subs" -grade.gradebook "$$book"
