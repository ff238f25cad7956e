# Build, test and run the lab. `make help` lists the targets.
GO ?= go

.PHONY: all build test race vet fmt-check run bench help
all: build

build: ## build the ./backprop binary
	$(GO) build -o backprop .

test: ## the grading suite (the README's test command)
	$(GO) test ./...

race: ## the suite once more under the race detector
	$(GO) test -race ./...

vet: ## go vet
	$(GO) vet ./...

fmt-check: ## fail if any file is not gofmt-formatted
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi

run: ## the main job: the XOR experiment
	$(GO) run . -exp xor

bench: ## benchmarks
	$(GO) test -run '^$$' -bench . -benchtime 1x ./...

help:
	@grep -E '^[a-z-]+:.*## ' Makefile | sed 's/:.*## /\t/'
