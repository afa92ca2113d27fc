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
	src/customer_profiles.o \
	src/query.o \
	src/model.o \
	src/apriori.o \
	src/behaviour.o \
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
	src/rfm.o \
	src/rfm_summary.o \
	src/segment_map.o \
	src/selftest.o \
	src/profile_store.o \
	src/progress.o \
	src/tags.o
DATA = $(wildcard $(EXTENSION)--*.sql)

REGRESS      = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --load-extension=$(EXTENSION)
# isolation tests (specs/ + expected/): models under concurrent retraining
ISOLATION      = $(patsubst specs/%.spec,%,$(sort $(wildcard specs/*.spec)))
ISOLATION_OPTS = --load-extension=$(EXTENSION)

PG_CPPFLAGS = -I$(srcdir)/src
LAPACK_LIBS ?= -llapack -lblas
SHLIB_LINK += $(LAPACK_LIBS) -lm

EXTRA_CLEAN = build

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Headers every object depends on
$(OBJS): src/profile.h src/prng.h
src/apriori.o src/apriori_scan.o src/baskets.o src/fpgrowth.o src/itemsets.o src/rules.o src/rules_model.o: src/itemsets.h src/apriori.h
$(filter src/clv_%.o,$(OBJS)): src/clv.h src/points.h
src/behaviour.o src/customer_profiles.o: src/behaviour.h
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
