#include "alert/silence.h"

#include <fmt/format.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "alert/silence_store.h"

namespace csoc::alert {

std::string_view SilenceStateName(SilenceState s) {
  switch (s) {
    case SilenceState::kPending: return "pending";
    case SilenceState::kActive: return "active";
    case SilenceState::kExpired: return "expired";
  }
  return "expired";
}

SilenceState Silence::StateAt(TimePoint now) const {
  if (now < starts_at) return SilenceState::kPending;
  if (now < ends_at) return SilenceState::kActive;
  return SilenceState::kExpired;
}

bool Silence::Mutes(const LabelSet& labels, TimePoint now) const {
  return StateAt(now) == SilenceState::kActive && MatchesAll(matchers, labels);
}

Status ValidateSilence(const Silence& s) {
  if (s.matchers.empty()) return Status::InvalidArgument("matchers: at least one matcher is required");
  bool all_match_empty = true;
  for (const Matcher& m : s.matchers) all_match_empty = all_match_empty && m.MatchesValue("");
  if (all_match_empty) {
    return Status::InvalidArgument(
        "matchers: at least one matcher must not match the empty string (otherwise the silence would mute every "
        "alert)");
  }
  if (s.starts_at == TimePoint{}) return Status::InvalidArgument("startsAt: a start time is required");
  if (s.ends_at == TimePoint{}) return Status::InvalidArgument("endsAt: an end time is required");
  if (s.ends_at <= s.starts_at) {
    return Status::InvalidArgument(fmt::format("endsAt: the end ({}) must be after the start ({})",
                                               FormatIso8601(s.ends_at), FormatIso8601(s.starts_at)));
  }
  if (s.created_by.empty()) return Status::InvalidArgument("createdBy: say who creates the silence");
  if (s.comment.empty()) return Status::InvalidArgument("comment: say why the silence is needed");
  return Status::Ok();
}

std::string NewSilenceId() {
  std::array<unsigned char, 16> b{};
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) {
    // As for API tokens: without a working random source no id can be trusted to be unique.
    throw std::runtime_error("the system random source failed (RAND_bytes)");
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string hex;
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) hex += '-';
    hex += fmt::format("{:02x}", b[i]);
  }
  return hex;
}

bool IsSilenceId(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

Silences::Silences(std::unique_ptr<SilenceStore> store, Options options)
    : store_(std::move(store)), options_(options) {}

Silences::~Silences() = default;

Status Silences::Open(std::unique_ptr<SilenceStore> store, Options options, TimePoint now,
                      std::unique_ptr<Silences>* out) {
  std::unique_ptr<Silences> s(new Silences(std::move(store), options));
  CSOC_RETURN_IF_ERROR(s->store_->Load(&s->silences_));
  CSOC_RETURN_IF_ERROR(s->CollectGarbage(now));
  *out = std::move(s);
  return Status::Ok();
}

bool Silences::Retained(const Silence& s, TimePoint now) const { return s.ends_at + options_.retention > now; }

Silence* Silences::FindLocked(const std::string& id) {
  for (Silence& s : silences_) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

Status Silences::Commit(const std::vector<Silence>& put, TimePoint now) {
  std::vector<std::string> remove;
  for (const Silence& s : silences_) {
    if (!Retained(s, now)) remove.push_back(s.id);
  }
  if (put.empty() && remove.empty()) return Status::Ok();
  CSOC_RETURN_IF_ERROR(store_->Apply(put, remove));
  std::erase_if(silences_, [&](const Silence& s) { return !Retained(s, now); });
  for (const Silence& p : put) {
    if (Silence* existing = FindLocked(p.id)) {
      *existing = p;
    } else {
      silences_.push_back(p);
    }
  }
  return Status::Ok();
}

Status Silences::CollectGarbage(TimePoint now) {
  std::lock_guard lock(mu_);
  return Commit({}, now);
}

Status Silences::Create(Silence s, TimePoint now, std::string* id) {
  CSOC_RETURN_IF_ERROR(ValidateSilence(s));
  if (s.ends_at <= now) {
    return Status::InvalidArgument(
        fmt::format("endsAt: the end ({}) is in the past; a silence must end in the future", FormatIso8601(s.ends_at)));
  }
  s.id = NewSilenceId();
  s.updated_at = now;
  std::lock_guard lock(mu_);
  CSOC_RETURN_IF_ERROR(Commit({s}, now));
  *id = s.id;
  return Status::Ok();
}

Status Silences::Update(Silence s, TimePoint now, std::string* id) {
  CSOC_RETURN_IF_ERROR(ValidateSilence(s));
  std::lock_guard lock(mu_);
  Silence* prev = FindLocked(s.id);
  if (prev == nullptr || !Retained(*prev, now)) return Status::NotFound(fmt::format("no silence with id '{}'", s.id));
  if (s.ends_at <= now) {
    return Status::InvalidArgument(
        fmt::format("endsAt: the end ({}) is in the past; a silence must end in the future", FormatIso8601(s.ends_at)));
  }
  // Alertmanager's rule: a change that would rewrite what was already muted (other matchers, a
  // moved start of an active silence, a start in the past) keeps the old silence as history.
  const SilenceState state = prev->StateAt(now);
  bool in_place = prev->matchers == s.matchers;
  if (in_place && state == SilenceState::kActive) in_place = s.starts_at == prev->starts_at;
  if (in_place && state == SilenceState::kPending) in_place = s.starts_at >= now;
  if (in_place && state == SilenceState::kExpired) in_place = false;
  s.updated_at = now;
  if (in_place) {
    CSOC_RETURN_IF_ERROR(Commit({s}, now));
    *id = s.id;
    return Status::Ok();
  }
  std::vector<Silence> put;
  if (state != SilenceState::kExpired) {
    Silence old = *prev;
    if (state == SilenceState::kPending) old.starts_at = now;
    old.ends_at = now;
    old.updated_at = now;
    put.push_back(std::move(old));
  }
  s.id = NewSilenceId();
  put.push_back(s);
  CSOC_RETURN_IF_ERROR(Commit(put, now));
  *id = s.id;
  return Status::Ok();
}

Status Silences::Expire(const std::string& id, TimePoint now) {
  std::lock_guard lock(mu_);
  Silence* prev = FindLocked(id);
  if (prev == nullptr || !Retained(*prev, now)) return Status::NotFound(fmt::format("no silence with id '{}'", id));
  const SilenceState state = prev->StateAt(now);
  if (state == SilenceState::kExpired) return Status::Ok();
  Silence s = *prev;
  if (state == SilenceState::kPending) s.starts_at = now;
  s.ends_at = now;
  s.updated_at = now;
  return Commit({s}, now);
}

std::optional<Silence> Silences::Get(const std::string& id, TimePoint now) const {
  std::lock_guard lock(mu_);
  for (const Silence& s : silences_) {
    if (s.id == id && Retained(s, now)) return s;
  }
  return std::nullopt;
}

std::vector<Silence> Silences::List(const Matchers& filter, TimePoint now) const {
  std::vector<Silence> out;
  {
    std::lock_guard lock(mu_);
    for (const Silence& s : silences_) {
      if (!Retained(s, now)) continue;
      LabelSet as_labels;
      for (const Matcher& m : s.matchers) as_labels[m.name()] = m.value();
      if (MatchesAll(filter, as_labels)) out.push_back(s);
    }
  }
  std::sort(out.begin(), out.end(), [now](const Silence& a, const Silence& b) {
    auto rank = [](SilenceState st) {
      return st == SilenceState::kActive ? 0 : st == SilenceState::kPending ? 1 : 2;
    };
    const SilenceState sa = a.StateAt(now), sb = b.StateAt(now);
    if (sa != sb) return rank(sa) < rank(sb);
    switch (sa) {
      case SilenceState::kActive:
        if (a.ends_at != b.ends_at) return a.ends_at < b.ends_at;
        break;
      case SilenceState::kPending:
        if (a.starts_at != b.starts_at) return a.starts_at < b.starts_at;
        break;
      case SilenceState::kExpired:
        if (a.ends_at != b.ends_at) return a.ends_at > b.ends_at;
        break;
    }
    return a.id < b.id;
  });
  return out;
}

std::vector<std::string> Silences::MutedBy(const LabelSet& labels, TimePoint now) const {
  std::vector<std::string> ids;
  {
    std::lock_guard lock(mu_);
    for (const Silence& s : silences_) {
      if (s.Mutes(labels, now)) ids.push_back(s.id);
    }
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace csoc::alert
