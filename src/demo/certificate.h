// Private to demo/: a throw-away self-signed certificate for the simulator's TLS endpoint.
// Thread-compatible.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <chrono>
#include <memory>

#include "core/status.h"

namespace csoc::demo::internal {

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

struct SelfSignedCertificate {
  std::unique_ptr<X509, X509Deleter> certificate;
  std::unique_ptr<EVP_PKEY, EvpPkeyDeleter> key;
};

// An ECDSA P-256 certificate for CN=localhost with SAN DNS:localhost and IP:127.0.0.1, valid from
// an hour ago until now + `validity`.
Status MakeSelfSignedCertificate(std::chrono::seconds validity, SelfSignedCertificate* out);

}  // namespace csoc::demo::internal
