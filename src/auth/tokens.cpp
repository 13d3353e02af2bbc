#include "auth/tokens.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace csoc::auth {

const std::vector<std::string_view>& KnownScopes() {
  static const std::vector<std::string_view> kScopes = {kScopeAdmin, kScopeStatusWrite, kScopeLogsIngest,
                                                             kScopeAlertsWrite};
  return kScopes;
}

bool TokenInfo::HasScope(std::string_view scope) const {
  return std::any_of(scopes.begin(), scopes.end(),
                     [&](const std::string& s) { return s == scope || s == kScopeAdmin; });
}

Status ValidateTokenName(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return Status::InvalidArgument(fmt::format("token name must have 1 to 64 characters, got {}", name.size()));
  }
  for (char c : name) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) {
      return Status::InvalidArgument(
          fmt::format("token name '{}': only letters, digits, '.', '_' and '-' are allowed", name));
    }
  }
  return Status::Ok();
}

Status ValidateScopes(const std::vector<std::string>& scopes) {
  std::string known;
  for (auto s : KnownScopes()) known += (known.empty() ? "" : ", ") + std::string(s);
  if (scopes.empty()) return Status::InvalidArgument(fmt::format("a token needs at least one scope ({})", known));
  for (const auto& s : scopes) {
    if (std::find(KnownScopes().begin(), KnownScopes().end(), s) == KnownScopes().end()) {
      return Status::InvalidArgument(fmt::format("unknown scope '{}' (known: {})", s, known));
    }
  }
  return Status::Ok();
}

std::string NewTokenSecret() {
  std::array<unsigned char, 24> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // Without randomness no token can be safe; this is not a condition to limp on from.
    throw std::runtime_error("the system random source failed (RAND_bytes)");
  }
  std::string out = "csoc_";
  for (unsigned char b : bytes) out += fmt::format("{:02x}", b);
  return out;
}

std::string HashToken(std::string_view secret) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(secret.data(), secret.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed (EVP_Digest)");
  }
  std::string out;
  for (unsigned int i = 0; i < length; ++i) out += fmt::format("{:02x}", digest[i]);
  return out;
}

}  // namespace csoc::auth
