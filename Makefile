# brandhouse: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
CARGO ?= cargo
# The audit runs against a scratch database migrated from scratch by `make test`.
AUDIT_DB ?= brandhouse_audit
ADMIN_URL ?= postgres://postgres@127.0.0.1:5432
# host:port of ADMIN_URL, for the runtime roles' URLs (CI's PostgreSQL is a service host).
PG_HOST_PORT = $(lastword $(subst @, ,$(ADMIN_URL)))

.PHONY: demo test services validate-config ts-client ts-client-write fmt-check clippy unit audit fuzz \
	openapi bench clean-test-dbs web web-test release-smoke

## Build the web console and storefront, start the services, migrate, seed the three demo brands
## and serve on 127.0.0.1:8080 (the console at /console/, each brand's shop at
## http://<slug>.localhost:8080/shop/).
demo: services web
	REDIS_URL=$${REDIS_URL-redis://127.0.0.1:6379} $(CARGO) run -- demo

## Everything CI checks: formatting, lints, the TypeScript client, the web frontends (built and
## tested in a real browser), the whole test suite, the policy audit, and the OpenAPI fuzzer.
test: services fmt-check clippy validate-config ts-client web clean-test-dbs unit web-test audit fuzz

services:
	@scripts/ensure-services.sh

## compose.yaml and .gitlab-ci.yml against their official JSON schemas.
validate-config:
	@scripts/validate-config.sh

## The TypeScript client (clients/typescript): its generated types match openapi/openapi.json,
## and the package, its examples and tests pass `tsc --strict`.
ts-client:
	@scripts/ts-client.sh

## Regenerate the TypeScript client's types from openapi/openapi.json (then commit them).
ts-client-write:
	@scripts/ts-client.sh --write

## The console and the storefront (web/): npm ci, tsc --strict, vite build into web/dist, which
## the binary serves at /console/ and /shop/ (embedded in release builds).
web:
	@scripts/web.sh

## The browser tests: headless Debian chromium (installed with apt when missing) driven by
## playwright-core against `brandhouse demo` on a throwaway database. Screenshots in
## web/test-output/ (WEB_TEST_OUT).
web-test: web
	ADMIN_URL=$(ADMIN_URL) CARGO=$(CARGO) scripts/web-test.sh

## The browser tests against the release binary, whose assets are embedded at build time
## (`brandhouse check-web` first). Slower (a release build): CI's `release-smoke` job.
release-smoke: web
	ADMIN_URL=$(ADMIN_URL) CARGO=$(CARGO) WEB_TEST_PROFILE=release scripts/web-test.sh

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --all-targets -- -D warnings

unit:
	$(CARGO) test --all-targets

## Migrate a fresh database and run policies/audit.sql (the isolation contract) and
## policies/distributable.sql (Citus's refusal rules, docs/SCALING.md) against it; then the
## schema built in the order Citus accepts (scripts/citus-migrate.sh, with stand-ins for Citus's
## placement functions) must equal the usual one.
audit:
	@psql "$(ADMIN_URL)/postgres" -X -q -c "drop database if exists $(AUDIT_DB) with (force)"
	MIGRATION_DATABASE_URL=$(ADMIN_URL)/$(AUDIT_DB) \
	  DATABASE_URL=postgres://brandhouse_api@$(PG_HOST_PORT)/$(AUDIT_DB) \
	  ANALYTICS_DATABASE_URL=postgres://brandhouse_analytics@$(PG_HOST_PORT)/$(AUDIT_DB) \
	  $(CARGO) run --quiet -- migrate
	psql "$(ADMIN_URL)/$(AUDIT_DB)" -X -v ON_ERROR_STOP=1 -f policies/audit.sql
	psql "$(ADMIN_URL)/$(AUDIT_DB)" -X -v ON_ERROR_STOP=1 -f policies/distributable.sql
	@psql "$(ADMIN_URL)/postgres" -X -q -c "drop database if exists $(AUDIT_DB) with (force)"
	@psql "$(ADMIN_URL)/postgres" -X -q -c "drop database if exists $(AUDIT_DB)_citus with (force)" \
	  -c "create database $(AUDIT_DB)_citus"
	ADMIN_URL=$(ADMIN_URL) BRANDHOUSE="$(CARGO) run --quiet --" scripts/citus-migrate.sh $(AUDIT_DB)_citus --stub
	@psql "$(ADMIN_URL)/postgres" -X -q -c "drop database if exists $(AUDIT_DB)_citus with (force)"

## schemathesis (pinned, installed into .venv-fuzz/) over every operation of the committed spec,
## against `brandhouse demo` on a throwaway database: no 5xx, responses as the spec says.
## Bounded: FUZZ_SEED, FUZZ_EXAMPLES (see scripts/fuzz.sh).
fuzz:
	ADMIN_URL=$(ADMIN_URL) CARGO=$(CARGO) scripts/fuzz.sh

## Regenerate the committed OpenAPI spec and the TypeScript client's types made from it.
openapi:
	$(CARGO) run --quiet -- openapi > openapi/openapi.json
	@scripts/ts-client.sh --write

## Remove databases left by interrupted test runs (templates are rebuilt when sql/ changes).
clean-test-dbs:
	@psql "$(ADMIN_URL)/postgres" -X -At -c "select datname from pg_database where datname like 'bh_test_%'" \
	  | while read -r db; do psql "$(ADMIN_URL)/postgres" -X -q -c "drop database if exists \"$$db\" with (force)"; done

## Run every benchmark (loopback only); results in bench/results/.
bench:
	bash bench/run.sh
