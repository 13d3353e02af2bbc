// API tokens: bearer credentials for writes (and, later, for agents and ingestion). A token is
// shown once when it is created; the store keeps only its SHA-256 hash, so a copy of the database
// does not hand out credentials. Tokens are random (192 bits), so a plain hash is enough: there
// is nothing to guess that a slow password hash would protect.
//
// Threading: a TokenStore is used by one thread at a time (each thread opens its own).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"

namespace csoc::auth {

// The scopes a token can carry. `admin` includes every other scope.
inline constexpr std::string_view kScopeAdmin = "admin";
inline constexpr std::string_view kScopeStatusWrite = "status:write";
inline constexpr std::string_view kScopeLogsIngest = "logs:ingest";  // pushing access logs (HTTP push, Loki)
// Writes of the Alertmanager v2 API: alerts sent by Prometheus, creating and expiring silences.
inline constexpr std::string_view kScopeAlertsWrite = "alerts:write";
const std::vector<std::string_view>& KnownScopes();

struct TokenInfo {
  std::string name;
  std::vector<std::string> scopes;
  TimePoint created;
  std::optional<TimePoint> expires;
  std::optional<TimePoint> revoked;
  std::optional<TimePoint> last_used;

  bool HasScope(std::string_view scope) const;
};

// What checking a presented token found.
enum class TokenCheck { kValid, kUnknown, kExpired, kRevoked };

// Token names: 1 to 64 of [A-Za-z0-9._-], so they are safe in a terminal and a log line.
Status ValidateTokenName(std::string_view name);
// Each scope must be one of KnownScopes(); at least one.
Status ValidateScopes(const std::vector<std::string>& scopes);
// "csoc_" and 48 hex digits from the system's random source.
std::string NewTokenSecret();
// Lower-case hex SHA-256 of the token: what the store keeps and looks up.
std::string HashToken(std::string_view secret);

class TokenStore {
 public:
  virtual ~TokenStore() = default;

  // Validates name and scopes, creates the token and gives its secret (shown once). A name in use
  // by a token that is not revoked is refused (InvalidArgument) and nothing is stored.
  virtual Status Create(const std::string& name, const std::vector<std::string>& scopes,
                        std::optional<TimePoint> expires, TimePoint now, std::string* secret) = 0;
  // Every token, revoked ones included, oldest first. Never the secret or its hash.
  virtual Status List(std::vector<TokenInfo>* out) = 0;
  // Revokes the live token called `name` (NotFound when there is none).
  virtual Status Revoke(const std::string& name, TimePoint now) = 0;
  // Looks a presented token up. `info` is filled for every answer but kUnknown. A valid token's
  // last use is recorded (at most once a minute, to keep reads cheap).
  virtual Status Check(std::string_view secret, TimePoint now, TokenCheck* result, TokenInfo* info) = 0;
};

// The token store in csoc's SQLite database at `path` (created and migrated as needed).
Status OpenSqliteTokenStore(const std::filesystem::path& path, std::unique_ptr<TokenStore>* out);

}  // namespace csoc::auth
