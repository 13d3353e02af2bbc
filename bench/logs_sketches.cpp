// The cost of the access-log sketches (src/logs/) on the per-line path, with Google Benchmark:
// QuantileSketch::Add, CardinalitySketch::Add (sparse and dense), TopK::Add (Zipf-like keys, most
// already present, and all new), and the per-minute work of merging and serializing.
//
//   logs_sketches [--benchmark_filter=REGEX]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "logs/cardinality_sketch.h"
#include "logs/quantile_sketch.h"
#include "logs/top_k.h"

namespace {

using csoc::logs::CardinalitySketch;
using csoc::logs::QuantileSketch;
using csoc::logs::TopK;

constexpr size_t kInputs = 1 << 12;  // a power of two (inputs are picked with a mask), small enough to stay in cache

std::vector<double> Latencies() {
  std::mt19937_64 rng(1);
  std::lognormal_distribution<double> d(std::log(0.08), 1.0);
  std::vector<double> v(kInputs);
  for (double& x : v) x = d(rng);
  return v;
}

// Keys drawn from a Zipf-like distribution over `distinct` keys (weight of key i ~ 1 / i^1.1).
std::vector<std::string> ZipfKeys(int distinct, const std::string& prefix) {
  std::vector<double> weights(distinct);
  for (int i = 0; i < distinct; ++i) weights[i] = 1 / std::pow(i + 1, 1.1);
  std::discrete_distribution<int> d(weights.begin(), weights.end());
  std::mt19937_64 rng(2);
  std::vector<std::string> keys(kInputs);
  for (auto& k : keys) k = prefix + std::to_string(d(rng));
  return keys;
}

void BM_QuantileAdd(benchmark::State& state) {
  std::vector<double> values = Latencies();
  QuantileSketch sketch;
  size_t i = 0;
  for (auto _ : state) sketch.Add(values[i++ & (kInputs - 1)]);
  benchmark::DoNotOptimize(sketch.Count());
}
BENCHMARK(BM_QuantileAdd);

void BM_QuantileMergeAndSerialize(benchmark::State& state) {
  std::vector<double> values = Latencies();
  QuantileSketch minute;
  for (double v : values) minute.Add(v);
  for (auto _ : state) {
    QuantileSketch hour;
    hour.Merge(minute);
    benchmark::DoNotOptimize(hour.Serialize());
  }
}
BENCHMARK(BM_QuantileMergeAndSerialize);

// Values from a pool of state.range(0) distinct users: 20 stays sparse, 100k goes dense.
void BM_CardinalityAdd(benchmark::State& state) {
  std::vector<std::string> users(kInputs);
  std::mt19937_64 rng(3);
  for (auto& u : users) u = "user-" + std::to_string(rng() % static_cast<uint64_t>(state.range(0)));
  CardinalitySketch sketch;
  for (const auto& u : users) sketch.Add(u);  // warm: the steady state of a busy minute
  size_t i = 0;
  for (auto _ : state) sketch.Add(users[i++ & (kInputs - 1)]);
  state.SetLabel(sketch.is_sparse() ? "sparse" : "dense");
}
BENCHMARK(BM_CardinalityAdd)->Arg(20)->Arg(2000)->Arg(100'000);

void BM_CardinalityMergeDense(benchmark::State& state) {
  CardinalitySketch minute;
  for (int i = 0; i < 100'000; ++i) minute.Add("user-" + std::to_string(i));
  for (auto _ : state) {
    CardinalitySketch hour;
    hour.Merge(minute);
    benchmark::DoNotOptimize(hour.Estimate());
  }
}
BENCHMARK(BM_CardinalityMergeDense);

// Zipf-like paths over state.range(1) distinct keys into a summary of capacity state.range(0)
// (256/100: every key present, the common case for paths).
void BM_TopKAdd(benchmark::State& state) {
  std::vector<std::string> keys = ZipfKeys(static_cast<int>(state.range(1)), "/api/v1/items/");
  TopK summary(static_cast<size_t>(state.range(0)));
  for (const auto& k : keys) summary.Add(k);
  size_t i = 0;
  for (auto _ : state) summary.Add(keys[i++ & (kInputs - 1)]);
  benchmark::DoNotOptimize(summary.Total());
}
BENCHMARK(BM_TopKAdd)
    ->Args({256, 100})
    ->Args({64, 100})
    ->Args({64, 10'000})
    ->Args({256, 10'000})
    ->Args({256, 1'000'000});

// Every key new: each Add replaces the smallest entry.
void BM_TopKAddAllNew(benchmark::State& state) {
  std::vector<std::string> keys(kInputs);
  for (size_t i = 0; i < kInputs; ++i) keys[i] = "203.0.113." + std::to_string(i);
  TopK summary(static_cast<size_t>(state.range(0)));
  size_t i = 0;
  for (auto _ : state) summary.Add(keys[i++ & (kInputs - 1)]);
  benchmark::DoNotOptimize(summary.Total());
}
BENCHMARK(BM_TopKAddAllNew)->Arg(64)->Arg(256);

void BM_TopKMerge(benchmark::State& state) {
  std::vector<std::string> keys = ZipfKeys(10'000, "/p/");
  TopK a(256), b(256);
  for (size_t i = 0; i < keys.size(); ++i) (i % 2 ? a : b).Add(keys[i]);
  for (auto _ : state) {
    TopK merged = a;
    merged.Merge(b);
    benchmark::DoNotOptimize(merged.Total());
  }
}
BENCHMARK(BM_TopKMerge);

}  // namespace

BENCHMARK_MAIN();
