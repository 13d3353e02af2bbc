// What csoc keeps of access logs: a mergeable summary of a set of requests.
//
// One Aggregate summarises the requests of one environment in one minute (live ingestion), or of
// a whole file (`csoc logs report`). Aggregates merge: minutes into hours and days, environments
// into the fleet, one thread's share of a file into the report. Every part is either an exact
// counter or a mergeable sketch with a documented error, and every part is bounded: however many
// distinct users, addresses, paths, services or verbs arrive, an Aggregate stays within a few
// hundred kilobytes (kMax* below bound the exact maps; the sketches bound themselves).
//
// Error bounds (docs/logs.md has the reasoning):
//   - latency quantiles: within 1% relative error (DDSketch, alpha = 0.01);
//   - unique users, client IPs, downloaded objects: about 0.81% standard error (HyperLogLog++,
//     p = 14); exact for the few distinct values a sparse sketch holds;
//   - top-N tables: each count is at most `error` above the true count (Space-Saving), and any
//     value seen more than total/kTopCapacity times is in the table.
//
// Thread-compatible: one thread adds to an Aggregate; merging reads the other one.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "logs/cardinality_sketch.h"
#include "logs/quantile_sketch.h"
#include "logs/record.h"
#include "logs/top_k.h"

namespace csoc::logs {

inline constexpr size_t kTopCapacity = 128;  // Space-Saving counters per top-N table
inline constexpr size_t kMaxServices = 64;   // beyond this, services are counted as "other"
inline constexpr size_t kMaxVerbs = 16;      // beyond this, verbs are counted as "OTHER"
inline constexpr size_t kMaxProviders = 32;  // identity providers; beyond, "other"

struct ServiceStats {
  uint64_t requests = 0;
  uint64_t errors = 0;  // 5xx answers: the service failed
  uint64_t bytes = 0;
  QuantileSketch latency;
};

struct LoginStats {
  uint64_t attempts = 0;
  uint64_t failures = 0;  // answered 4xx or 5xx
};

// A small map from name to value, kept in a vector: the maps it serves hold a handful of names
// (verbs, services, identity providers) and are searched once per line, which a linear scan over
// a few entries does faster than hashing.
template <typename V>
class SmallMap {
 public:
  explicit SmallMap(size_t max_entries, std::string overflow_key)
      : max_(max_entries), overflow_(std::move(overflow_key)) {}
  // The value for `key`, created if new; once max_entries names exist, new names share the
  // overflow key's value.
  V& operator[](std::string_view key);
  const std::vector<std::pair<std::string, V>>& entries() const { return entries_; }
  std::vector<std::pair<std::string, V>>& entries() { return entries_; }

 private:
  size_t max_;
  std::string overflow_;
  std::vector<std::pair<std::string, V>> entries_;
};

class Aggregate {
 public:
  Aggregate();

  // Counts one successfully parsed request.
  void Add(const LogRecord& r);
  // Keeps only the k heaviest entries of each top-N table (a stored minute keeps fewer than an
  // hour: it is one of hundreds merged for a query). The Space-Saving bound still holds, with k.
  void TrimTopTables(size_t k);
  void Merge(const Aggregate& other);
  bool empty() const { return requests == 0; }

  // A compact binary form for the store (CBOR), and back. Deserialize refuses bytes that are not
  // an Aggregate of this or an earlier version, with a message naming what was wrong.
  std::string Serialize() const;
  static Status Deserialize(std::string_view bytes, Aggregate* out);

  uint64_t requests = 0;
  uint64_t bytes = 0;
  std::array<uint64_t, 6> by_class{};        // index 1..5: 1xx..5xx
  std::array<uint64_t, 500> by_status{};     // index status-100, for 100..599
  SmallMap<uint64_t> by_verb{kMaxVerbs, "OTHER"};
  SmallMap<ServiceStats> by_service{kMaxServices, "other"};
  QuantileSketch latency;   // seconds, over requests that carry a request time
  CardinalitySketch users;  // distinct signed-in users
  CardinalitySketch client_ips;
  TopK top_users{kTopCapacity};
  TopK top_ips{kTopCapacity};
  TopK top_paths{kTopCapacity};  // path without its query string
  TopK top_agents{kTopCapacity};
  SmallMap<LoginStats> logins{kMaxProviders, "other"};  // /user/login/<idp>
  uint64_t downloads = 0;          // successful download requests (fence and DRS access)
  uint64_t download_failures = 0;  // download requests answered 4xx/5xx
  uint64_t download_bytes = 0;
  CardinalitySketch downloaded_objects;
  TopK search_terms{kTopCapacity};  // values of search and filter query parameters, Faro events
};

// Which query parameters hold what a user searched or filtered for.
bool IsSearchParameter(std::string_view name);
// Decodes %XX and '+' in a query parameter value, lower-cases ASCII, trims, and cuts it to 100
// bytes; empty when nothing is left. `url_encoded` false: `raw` was decoded already (a Faro
// search term), so '+' and '%' are kept as typed.
std::string NormaliseSearchTerm(std::string_view raw, bool url_encoded = true);

}  // namespace csoc::logs
