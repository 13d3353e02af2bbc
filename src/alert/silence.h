// Silences: "do not notify about alerts whose labels match these matchers between these times", as
// in Alertmanager, with its API semantics so that `amtool` and Grafana manage csoc's silences
// unchanged. A silence is pending before it starts, active until it ends, then expired; expired
// silences stay listed for a retention (5 days by default, as Alertmanager's) and are then
// deleted.
//
// Threading: Silence is a plain value. Silences is thread-safe: main owns it, the web routes
// change and list it on the web thread and the alerting engine asks MutedBy from its own; every
// method takes one internal lock (writes hold it while the store commits, so a change is durable
// before anyone sees it).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "alert/alert.h"
#include "alert/matcher.h"
#include "core/status.h"
#include "core/time.h"

namespace csoc::alert {

class SilenceStore;

enum class SilenceState { kPending, kActive, kExpired };
std::string_view SilenceStateName(SilenceState s);  // "pending", "active", "expired"

struct Silence {
  std::string id;  // a random UUID (8-4-4-4-12 lower-case hex), given by Silences
  Matchers matchers;
  TimePoint starts_at{};
  TimePoint ends_at{};
  std::string created_by;
  std::string comment;
  TimePoint updated_at{};

  SilenceState StateAt(TimePoint now) const;
  // Active at `now` and every matcher matches `labels`.
  bool Mutes(const LabelSet& labels, TimePoint now) const;
};

// What a new or changed silence must satisfy (InvalidArgument naming the field): at least one
// matcher, and not only matchers that match the empty string (such a silence would mute every
// alert, as Alertmanager refuses); an end after the start; `createdBy` and `comment` not empty.
Status ValidateSilence(const Silence& s);

// A random version-4 UUID from OpenSSL's generator: "3f2a9c1e-8b7d-4e6f-a1b2-c3d4e5f60718".
std::string NewSilenceId();
// 8-4-4-4-12 hex digits (either case).
bool IsSilenceId(std::string_view s);

class Silences {
 public:
  struct Options {
    // How long an expired silence stays listed before it is deleted.
    std::chrono::milliseconds retention = std::chrono::hours(24 * 5);
  };

  // Loads every stored silence and deletes those expired longer than the retention.
  static Status Open(std::unique_ptr<SilenceStore> store, Options options, TimePoint now,
                     std::unique_ptr<Silences>* out);
  ~Silences();
  Silences(const Silences&) = delete;
  Silences& operator=(const Silences&) = delete;

  // Validates and stores a new silence under a new id (`s.id` is ignored). The end must be after
  // `now`: a silence that would already be over is refused.
  Status Create(Silence s, TimePoint now, std::string* id);
  // Changes the silence `s.id` as Alertmanager does (NotFound when there is none): in place when
  // the matchers are unchanged and it is pending (the start must not move into the past) or active
  // with the same start (the end must not move into the past); otherwise the old one is expired
  // (unless it already is) and the change is stored as a new silence. `*id` is the id that now
  // holds the change.
  Status Update(Silence s, TimePoint now, std::string* id);
  // Ends the silence now: an active one ends at `now`, a pending one never starts (start and end
  // become `now`). Expiring an expired silence changes nothing and is not an error. NotFound when
  // there is no such silence.
  Status Expire(const std::string& id, TimePoint now);

  std::optional<Silence> Get(const std::string& id, TimePoint now) const;
  // The silences whose matchers satisfy `filter` (each filter matcher is applied to a label set
  // made of the silence's matchers' names and values, as Alertmanager filters silences): active
  // ones first (soonest end first), then pending (soonest start first), then expired (latest end
  // first).
  std::vector<Silence> List(const Matchers& filter, TimePoint now) const;
  // The ids of the silences that mute `labels` at `now`, sorted.
  std::vector<std::string> MutedBy(const LabelSet& labels, TimePoint now) const;

  // Deletes the silences expired longer than the retention ago (writes do it too; a timer may call
  // it).
  Status CollectGarbage(TimePoint now);

 private:
  Silences(std::unique_ptr<SilenceStore> store, Options options);
  // Requires mu_. Stores the change, then applies it to the memory copy.
  Status Commit(const std::vector<Silence>& put, TimePoint now);
  bool Retained(const Silence& s, TimePoint now) const;
  Silence* FindLocked(const std::string& id);

  mutable std::mutex mu_;
  std::unique_ptr<SilenceStore> store_;
  Options options_;
  std::vector<Silence> silences_;
};

}  // namespace csoc::alert
