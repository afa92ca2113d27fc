# Makefile for the profile extension (PGXS)

EXTENSION  = profile
MODULE_big = profile
OBJS = \
	src/profile.o \
	src/check.o \
	src/clv_bgnbd.o \
	src/clv_cycle.o \
	src/clv_gammagamma.o \
	src/clv_model.o \
	src/clv_optim.o \
	src/clv_predict.o \
	src/clv_summary.o \
	src/cohorts.o \
	src/customer_profiles.o \
	src/query.o \
	src/model.o \
	src/apriori.o \
	src/behaviour.o \
	src/behaviour_fold.o \
	src/apriori_scan.o \
	src/baskets.o \
	src/fpgrowth.o \
	src/itemsets.o \
	src/quantile.o \
	src/rules.o \
	src/rules_model.o \
	src/kmeans.o \
	src/kmeans_agg.o \
	src/kmeans_model.o \
	src/kmeans_scan.o \
	src/linalg.o \
	src/metrics.o \
	src/pca.o \
	src/points.o \
	src/privacy.o \
	src/rfm.o \
	src/rfm_summary.o \
	src/segment_dynamics.o \
	src/segment_map.o \
	src/selftest.o \
	src/profile_store.o \
	src/progress.o \
	src/tags.o
# $(srcdir): the scripts and tests are found from a VPATH build directory
# too (Debian's pg_buildext builds in build-15/)
DATA = $(notdir $(wildcard $(srcdir)/$(EXTENSION)--*.sql))

REGRESS      = $(patsubst $(srcdir)/sql/%.sql,%,$(sort $(wildcard $(srcdir)/sql/*.sql)))
REGRESS_OPTS = --load-extension=$(EXTENSION)
# isolation tests (specs/ + expected/): models under concurrent retraining
ISOLATION      = $(patsubst $(srcdir)/specs/%.spec,%,$(sort $(wildcard $(srcdir)/specs/*.spec)))
ISOLATION_OPTS = --load-extension=$(EXTENSION)

PG_CPPFLAGS = -I$(srcdir)/src
LAPACK_LIBS ?= -llapack -lblas
SHLIB_LINK += $(LAPACK_LIBS) -lm

EXTRA_CLEAN = build

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# A VPATH build writes its objects to src/ of the build directory
ifdef VPATH
$(shell mkdir -p src)
endif

# Headers every object depends on
$(OBJS): src/profile.h src/prng.h
src/apriori.o src/apriori_scan.o src/baskets.o src/fpgrowth.o src/itemsets.o src/rules.o src/rules_model.o: src/itemsets.h src/apriori.h
$(filter src/clv_%.o,$(OBJS)): src/clv.h src/points.h
src/behaviour.o src/behaviour_fold.o src/customer_profiles.o: src/behaviour.h
src/customer_profiles.o src/tags.o: src/tags.h
src/customer_profiles.o src/profile_store.o: src/customer_profiles.h

# The retail data generator used by the demo, the tests and the benchmarks
build/retailgen: scripts/retailgen.c src/prng.h
	@mkdir -p build
	$(CC) -O2 -Wall -Wextra -o $@ scripts/retailgen.c -lm

# pgTAP tests (the server must be running, the extension installed)
prove:
	pg_prove --ext .sql test/

.PHONY: prove

# PGXN release archive: profile-VERSION.zip (VERSION from META.json) of the
# committed tree (git archive HEAD), every file under profile-VERSION/
EXTVERSION = $(shell sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' $(srcdir)/META.json | head -n 1)
DISTFILE ?= $(EXTENSION)-$(EXTVERSION).zip

dist:
	git -C $(srcdir) archive --format=zip --prefix=$(EXTENSION)-$(EXTVERSION)/ -o $(abspath $(DISTFILE)) HEAD

.PHONY: dist
