#include "probe/certificate.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <ctime>
#include <memory>

namespace csoc::probe::internal {

void FillLeafCertificate(X509* leaf, fleet::ProbeResult* result) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(leaf), &tm) == 1) {
    TimePoint not_after = Clock::from_time_t(timegm(&tm));
    result->cert_not_after = not_after;
    result->cert_days_left = static_cast<int>(std::chrono::floor<std::chrono::days>(not_after - Clock::now()).count());
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (bio && X509_NAME_print_ex(bio.get(), X509_get_subject_name(leaf), 0, XN_FLAG_RFC2253) >= 0) {
    char* data = nullptr;
    long size = BIO_get_mem_data(bio.get(), &data);
    if (size > 0) result->cert_subject.assign(data, static_cast<size_t>(size));
  }
}

void FillVerifyResult(const SSL* ssl, fleet::ProbeResult* result) {
  long code = SSL_get_verify_result(ssl);
  result->cert_chain_valid = code == X509_V_OK;
  if (code != X509_V_OK) result->cert_error = X509_verify_cert_error_string(code);
}

TrustStores::~TrustStores() {
  for (auto& [file, store] : stores_) X509_STORE_free(store);
}

X509_STORE* TrustStores::Get(const std::string& ca_file, std::string* error) {
  auto it = stores_.find(ca_file);
  if (it != stores_.end()) return it->second;
  X509_STORE* store = X509_STORE_new();
  int ok = ca_file.empty() ? X509_STORE_set_default_paths(store)
                           : X509_STORE_load_locations(store, ca_file.c_str(), nullptr);
  if (ok != 1) {
    X509_STORE_free(store);
    *error = ca_file.empty() ? "cannot load the system CA certificates" : "cannot read CA file " + ca_file;
    return nullptr;
  }
  stores_.emplace(ca_file, store);
  return store;
}

void VerifyChain(X509_STORE* store, X509* leaf, STACK_OF(X509) * chain, const std::string& host,
                 fleet::ProbeResult* result) {
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(), &X509_STORE_CTX_free);
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store, leaf, chain) != 1) return;
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
  if (IsIpLiteral(host)) {
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  } else {
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
  }
  const bool ok = X509_verify_cert(ctx.get()) == 1;
  result->cert_chain_valid = ok;
  if (!ok) result->cert_error = X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
}

bool IsIpLiteral(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace csoc::probe::internal
