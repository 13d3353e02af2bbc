// Private to probe/: reading the evidence a probe reports about a server certificate.
// Stateless functions; thread-safe.
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <string>
#include <unordered_map>

#include "fleet/probe_result.h"

namespace csoc::probe::internal {

// Fills cert_days_left (floor of whole days until notAfter, negative once expired), cert_not_after
// and cert_subject (RFC 2253) from the leaf certificate.
void FillLeafCertificate(X509* leaf, fleet::ProbeResult* result);

// Fills cert_chain_valid and cert_error from OpenSSL's verification of the chain that `ssl` ran
// during its handshake (with whatever host or IP the verify parameters named).
void FillVerifyResult(const SSL* ssl, fleet::ProbeResult* result);

// X509 trust stores by CA file ("" = the system's default locations), each loaded once because
// loading a bundle costs far more than a probe. Not thread-safe; one per Prober.
class TrustStores {
 public:
  TrustStores() = default;
  ~TrustStores();
  TrustStores(const TrustStores&) = delete;
  TrustStores& operator=(const TrustStores&) = delete;

  // The store, or nullptr with `*error` set when the CA file cannot be read.
  X509_STORE* Get(const std::string& ca_file, std::string* error);

 private:
  std::unordered_map<std::string, X509_STORE*> stores_;
};

// Verifies `leaf` with the untrusted `chain` the server sent against `store` for `host` (a name
// or an IP literal) and fills cert_chain_valid and cert_error. For connections whose handshake
// did not verify (HTTPS with tls_verify off), so the evidence is still reported.
void VerifyChain(X509_STORE* store, X509* leaf, STACK_OF(X509) * chain, const std::string& host,
                 fleet::ProbeResult* result);

// Whether `host` is an IPv4 or IPv6 literal (brackets not included).
bool IsIpLiteral(const std::string& host);

}  // namespace csoc::probe::internal
