# Shortcuts for the commands README.md and CONTRIBUTING.md describe.
# .ci/run is CI itself; these targets only name its parts.

.PHONY: test lint bench ci

# The README's test command (.ci/run runs the same).
test:
	go test -race ./...

# gofmt, go vet, staticcheck and the import rules, as .ci/run checks them.
lint:
	@unformatted="$$(gofmt -l .)"; if [ -n "$$unformatted" ]; then echo "gofmt: these files need formatting:"; echo "$$unformatted"; exit 1; fi
	go vet ./...
	go tool staticcheck ./...
	bash .ci/imports

# A smoke run of the benchmark (docs/performance.md); the full run is
# go run ./cmd/feedloom-bench -repeat 3 -json bench.json
bench:
	go run ./cmd/feedloom-bench -quick

# Everything CI does, installing what it needs.
ci:
	bash .ci/run
