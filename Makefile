# Tributary — every target installs what it needs from package.json (npm ci) first.
#   make            build handler zips and synthesize every stack (the main job; no AWS account needed)
#   make test       typecheck, unit + integration + synth/policy tests, then the offline terraform check tier
# The deploy lifecycle (docs/deploy.md): make synth CONFIG=<file> -> make check -> make plan -> review
# plans/summary.md -> make apply. Select stacks with STACKS='ams-*-na' (globs), REGION=us-east-1, CHANGED_SINCE=<ref>.
SHELL := /bin/bash
.DEFAULT_GOAL := all

# Tests and tools run on Node 22 (the Lambda runtime). An older machine Node gets node@22 from the npm registry.
NODE_MAJOR := $(shell node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
NODE22_DIR := $(CURDIR)/.tools/node22
ifeq ($(shell test "$(NODE_MAJOR)" -ge 22 2>/dev/null && echo yes),yes)
NODE_DEP :=
else
export PATH := $(NODE22_DIR)/node_modules/node/bin:$(PATH)
NODE_DEP := $(NODE22_DIR)/node_modules/node/bin/node
endif

export CHECKPOINT_DISABLE := 1
export npm_config_update_notifier := false
TSX := node_modules/.bin/tsx
# The synth program, bundled once by esbuild (cdktf and constructs stay external): no TypeScript loader at synth time.
SYNTH := dist/synth/main.mjs
SYNTH_BUNDLE_FLAGS := --bundle --platform=node --format=esm --target=node22 --external:cdktf --external:constructs \
	--log-level=warning --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
FULL_CONFIG := config/examples/full.json
FULL_OUT := cdktf.out.full
FARGATE_CONFIG := config/examples/fargate.json
FARGATE_OUT := cdktf.out.fargate
JOBS ?=

# Which environment: CONFIG=<config file> on any target (TRIBUTARY_CONFIG works too). When it is unset, every
# target uses the config cdktf.out was last synthesized from (remembered in cdktf.out/tributary-manifest.json), or
# config/default.json when there is none. plan/apply/deploy/destroy refuse when CONFIG names another config than
# the synthesized one, or when the output is stale.
CONFIG ?= $(TRIBUTARY_CONFIG)
OUTDIR ?= cdktf.out
REMEMBERED_CONFIG := $(shell node -e 'try { console.log(require(require("path").resolve(process.argv[1], "tributary-manifest.json")).config.path) } catch {}' '$(OUTDIR)' 2>/dev/null)
SYNTH_CONFIG := $(or $(CONFIG),$(REMEMBERED_CONFIG),config/default.json)
# Saved plans, their JSON and the review summary (plans/summary.md): what make apply applies.
PLANS ?= plans
# Stack selection: names or globs (STACK=<name> still works), the stacks' AWS region, or only the stacks whose
# synthesized output differs from a git ref's.
STACK ?=
STACKS ?= $(STACK)
REGION ?=
CHANGED_SINCE ?=
LIFECYCLE = $(TSX) scripts/lifecycle.ts --outdir $(OUTDIR) --plans $(PLANS) $(if $(CONFIG),--config $(CONFIG)) \
	$(if $(STACKS),--stacks '$(STACKS)') $(if $(REGION),--region $(REGION)) $(if $(CHANGED_SINCE),--changed-since $(CHANGED_SINCE)) \
	$(if $(JOBS),--jobs $(JOBS))

.PHONY: all install build synth typecheck test unit check plan apply deploy destroy bench clean distclean schema

all: synth

$(NODE22_DIR)/node_modules/node/bin/node:
	@echo "machine Node is v$(NODE_MAJOR); installing node@22 from the npm registry into .tools/node22"
	mkdir -p $(NODE22_DIR)
	cd $(NODE22_DIR) && echo '{"private":true}' > package.json && npm install --no-audit --no-fund --no-package-lock node@22

node_modules/.package-lock.json: package.json package-lock.json $(NODE_DEP)
	npm ci --no-audit --no-fund
	@touch $@

install: node_modules/.package-lock.json

build: install
	$(TSX) scripts/build-handlers.ts
	node_modules/.bin/esbuild main.ts $(SYNTH_BUNDLE_FLAGS) --outfile=$(SYNTH)

# Also moves local state left inside cdktf.out by older releases to state/<prefix>/, removes stack folders the
# config no longer has and writes cdktf.out/tributary-manifest.json.
synth: build
	TRIBUTARY_CONFIG=$(SYNTH_CONFIG) CDKTF_OUTDIR=$(OUTDIR) node $(SYNTH)

# config/schema.json (JSON Schema for editors) from the zod schema in config/schema.ts; a test fails when it is stale.
schema: install
	$(TSX) scripts/config-schema.ts

typecheck: install
	node_modules/.bin/tsc --noEmit -p tsconfig.json

unit: build
	node_modules/.bin/vitest run

# Every tier, run by scripts/test-run.ts: side by side where independent (the venvs install and the emulated apply
# waits on the provider's timers while typecheck, vitest, the policy report, the Terraform check and checkov use the
# cores), each tier's output printed in one piece in the order below; fails when any tier fails. The tiers:
#   tier-install, build, typecheck, tier-synth, tier-vitest, tier-policy-report, tier-tf-check, tier-venv-moto, tier-venv-checkov,
#   tier-emulated-apply, tier-checkov   (each also runs alone after make build; tiers after synth need tier-synth)
test: $(NODE_DEP)
	@node --experimental-strip-types scripts/test-run.ts

.PHONY: tier-install tier-synth tier-vitest tier-policy-report tier-tf-check tier-venv-moto tier-venv-checkov tier-emulated-apply tier-checkov
# The policy pack over the default, full and Fargate outputs (synthesized first): met / total per control,
# non-zero on an unsuppressed error-level finding. make test runs the same report as its policy-report tier.
.PHONY: policy-report
policy-report: build tier-synth
	$(MAKE) --no-print-directory tier-policy-report

tier-install: install
	@:
tier-synth:
	TRIBUTARY_CONFIG=config/default.json CDKTF_OUTDIR=cdktf.out node $(SYNTH)
	TRIBUTARY_CONFIG=$(FULL_CONFIG) CDKTF_OUTDIR=$(FULL_OUT) node $(SYNTH)
	TRIBUTARY_CONFIG=$(FARGATE_CONFIG) CDKTF_OUTDIR=$(FARGATE_OUT) node $(SYNTH)
tier-vitest:
	node_modules/.bin/vitest run
tier-policy-report:
	$(TSX) scripts/policy-report.ts
# Offline check tier: the default config (every AMS stack), the full example config (every pipeline) and the
# Fargate example (Buy with Prime on Fargate). A machine without Terraform (or without the aws provider, offline)
# gets a loud SKIPPED line from each Terraform tier instead of a failure; make check alone still fails there.
tier-tf-check:
	TF_CHECK_ALLOW_SKIP=1 $(TSX) scripts/tf-check.ts $(if $(JOBS),--jobs $(JOBS))
	TF_CHECK_ALLOW_SKIP=1 $(TSX) scripts/tf-check.ts --outdir $(FULL_OUT) $(if $(JOBS),--jobs $(JOBS))
	TF_CHECK_ALLOW_SKIP=1 $(TSX) scripts/tf-check.ts --outdir $(FARGATE_OUT) $(if $(JOBS),--jobs $(JOBS))
tier-venv-moto: .tools/venv-moto/.installed
	@:
tier-venv-checkov: .tools/venv-checkov/.installed
	@:
tier-emulated-apply:
	$(TSX) scripts/emulated-apply.ts $(EMULATE_TEST_TARGETS)
tier-checkov:
	$(TSX) scripts/checkov.ts --target cdktf.out --target $(FULL_OUT) --target $(FARGATE_OUT)

# Offline check tier, no AWS account needed: every stack planned (terraform init + plan, which validates) with dummy
# credentials as child modules of generated root modules, one provider per region, by scripts/tf-check.ts in a
# throwaway copy (cdktf.out is left as synth wrote it). Not a review plan: see make plan.
check: synth
	@set -euo pipefail; names=""; \
	if [ -n "$(STACKS)$(REGION)$(CHANGED_SINCE)" ]; then \
	  names="$$($(LIFECYCLE) select)"; \
	  if [ -z "$$names" ]; then echo "check: no stack selected (nothing changed since $(CHANGED_SINCE)?)"; exit 0; fi; \
	fi; \
	$(TSX) scripts/tf-check.ts --outdir $(OUTDIR) $(if $(JOBS),--jobs $(JOBS)) $$names

# The review plan: with your AWS credentials and the configured backend, terraform init + plan -out per selected
# stack into $(PLANS)/ (<stack>.tfplan, <stack>.plan.json), and one summary: $(PLANS)/summary.md and summary.json.
plan: install
	$(LIFECYCLE) plan

# Applies exactly the saved plans in $(PLANS)/, non-interactively; refuses a plan whose stack changed since.
apply: install
	$(LIFECYCLE) apply

# Without a saved plan: terraform init + interactive terraform apply per selected stack (STACKS or REGION needed).
deploy: install
	$(LIFECYCLE) deploy

destroy: install
	$(LIFECYCLE) destroy

bench: build
	$(TSX) scripts/bench.ts

# Build output only: local Terraform state (state/) is never deleted by clean or distclean.
clean:
	rm -rf dist cdktf.out $(FULL_OUT) $(FARGATE_OUT) bench-out $(PLANS)

distclean: clean
	rm -rf node_modules .tools

# Buy with Prime install app image (buyWithPrime.deployTarget "fargate"): bundles handlers/buy-with-prime/oauth/server.ts,
# builds a linux/arm64 image from docker/bwp-oauth.Dockerfile and pushes it to the stack's ECR repository with an
# immutable tag (then set buyWithPrime.fargate.imageTag to that tag and deploy). Needs a running Docker engine,
# the AWS CLI with credentials, and a deployed stack (or BWP_REPO=<repository URL>). docs/buy-with-prime.md.
#   make bwp-image [BWP_TAG=<tag>] [BWP_STACK=buy-with-prime-<region>] [BWP_REPO=<ecr repository url>]
BWP_TAG ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null)
BWP_STACK ?= $(notdir $(firstword $(wildcard cdktf.out/stacks/buy-with-prime-*)))
BWP_REPO ?=
BWP_IMAGE_DIR := dist/bwp-oauth-image

.PHONY: bwp-image bwp-docker-check
bwp-docker-check:
	@command -v docker >/dev/null 2>&1 || { echo "bwp-image: the docker command is not installed; run this target where Docker is available" >&2; exit 1; }
	@docker info >/dev/null 2>&1 || { echo "bwp-image: no Docker engine is reachable ('docker info' failed); start Docker or run this target on a machine where it runs" >&2; exit 1; }

bwp-image: bwp-docker-check install
	@test -n "$(BWP_TAG)" || { echo "bwp-image: set BWP_TAG=<image tag>" >&2; exit 2; }
	@test -n "$(BWP_REPO)" -o -n "$(BWP_STACK)" || { echo "bwp-image: no buy-with-prime stack in cdktf.out/stacks: enable buyWithPrime (deployTarget fargate), make synth and deploy it, or pass BWP_REPO=<ecr repository url>" >&2; exit 2; }
	mkdir -p $(BWP_IMAGE_DIR)
	node_modules/.bin/esbuild handlers/buy-with-prime/oauth/server.ts --bundle --platform=node --format=esm --target=node22 \
		--main-fields=module,main --minify --keep-names --legal-comments=none --log-level=warning \
		--banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" \
		--outfile=$(BWP_IMAGE_DIR)/server.mjs
	cp docker/bwp-oauth.Dockerfile $(BWP_IMAGE_DIR)/Dockerfile
	set -euo pipefail; \
	repo="$(BWP_REPO)"; \
	if [ -z "$$repo" ]; then repo=$$(cd cdktf.out/stacks/$(BWP_STACK) && terraform output -raw ecr_repository_url); fi; \
	region=$$(echo "$$repo" | cut -d. -f4); \
	docker build --platform linux/arm64 -t "$$repo:$(BWP_TAG)" $(BWP_IMAGE_DIR); \
	aws ecr get-login-password --region "$$region" | docker login --username AWS --password-stdin "$${repo%%/*}"; \
	docker push "$$repo:$(BWP_TAG)"; \
	echo "pushed $$repo:$(BWP_TAG): set buyWithPrime.fargate.imageTag to \"$(BWP_TAG)\" and deploy"

# Emulated apply and checkov (issue 15). Pinned Python tools in venvs under .tools/ (python3 with venv needed; without
# it these tiers print a loud SKIPPED banner and make test stays green for that reason only).
#   make emulate [CONFIG=<file>] [STACKS=a,b] [JOBS=n]   apply, re-plan (must be empty) and destroy every stack (or
#                                                         those named) against moto on 127.0.0.1; see scripts/emulate-lib.ts
#   make checkov [CONFIG=<file>]                          checkov over every synthesized stack; skips: policy/checkov-skips.json
EMULATE_OUT := .tools/emulate-synth
EMULATE_TEST_TARGETS := --jobs 6 --target cdktf.out:ams-sp-traffic-na \
	--target $(FULL_OUT):ams-sp-traffic-na,clickstream-us-east-1,client-events-us-east-1,buy-with-prime-us-east-1 \
	--target $(FARGATE_OUT):buy-with-prime-us-east-1
PY_VENVS := .tools/venv-moto/.installed .tools/venv-checkov/.installed

.PHONY: python-tools emulate checkov
python-tools: $(PY_VENVS)

.tools/venv-%/.installed: tools/requirements-%.txt
	@if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then \
		echo "!!!!! python3 with venv is not installed: the emulated-apply and checkov tiers will be SKIPPED (apt-get install python3-venv)"; \
		exit 0; fi; \
	set -e; rm -rf .tools/venv-$*; python3 -m venv .tools/venv-$*; \
	.tools/venv-$*/bin/pip install --quiet --disable-pip-version-check --no-deps --require-virtualenv -r $<; \
	.tools/venv-$*/bin/pip check; touch $@

emulate: build python-tools
	rm -rf $(EMULATE_OUT) && mkdir -p $(EMULATE_OUT)
	TRIBUTARY_CONFIG=$(or $(CONFIG),config/default.json) CDKTF_OUTDIR=$(EMULATE_OUT) node $(SYNTH)
	$(TSX) scripts/emulated-apply.ts --target $(EMULATE_OUT)$(if $(STACKS),:$(STACKS)) $(if $(JOBS),--jobs $(JOBS))

checkov: build python-tools
	rm -rf $(EMULATE_OUT) && mkdir -p $(EMULATE_OUT)
	TRIBUTARY_CONFIG=$(or $(CONFIG),config/default.json) CDKTF_OUTDIR=$(EMULATE_OUT) node $(SYNTH)
	$(TSX) scripts/checkov.ts --target $(EMULATE_OUT)
