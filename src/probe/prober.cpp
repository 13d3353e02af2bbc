#include "probe/prober.h"

#include <algorithm>
#include <type_traits>
#include <variant>

#include "probe/http_engine.h"
#include "probe/socket_probes.h"

namespace csoc::probe {

class Prober::Impl {
 public:
  Impl(boost::asio::io_context& io, ProberOptions options) : io_(io), http_(io, options) {}
  ~Impl() { Shutdown(); }

  void Run(const fleet::Check& check, Done done) {
    // A zero timeout would mean "none" to curl; every probe must end.
    const auto timeout = std::max(check.timeout, std::chrono::milliseconds(1));
    std::visit(
        [&](const auto& spec) {
          using Spec = std::decay_t<decltype(spec)>;
          if constexpr (std::is_same_v<Spec, fleet::HttpSpec>) {
            http_.Start(spec, timeout, std::move(done));
          } else if constexpr (std::is_same_v<Spec, fleet::TcpSpec>) {
            internal::MakeTcpProbe(io_, spec, timeout, std::move(done))->Start(&probes_);
          } else if constexpr (std::is_same_v<Spec, fleet::TlsSpec>) {
            internal::MakeTlsProbe(io_, spec, timeout, std::move(done), &tls_contexts_)->Start(&probes_);
          } else {
            internal::MakeDnsProbe(io_, spec, timeout, std::move(done))->Start(&probes_);
          }
        },
        check.spec);
  }

  void Shutdown() {
    http_.CancelAll();
    probes_.CancelAll();
  }

  size_t in_flight() const { return http_.in_flight() + probes_.size(); }

 private:
  boost::asio::io_context& io_;
  internal::TlsContexts tls_contexts_;
  internal::ProbeSet probes_;
  internal::HttpEngine http_;
};

Prober::Prober(boost::asio::io_context& io, ProberOptions options)
    : impl_(std::make_unique<Impl>(io, std::move(options))) {}

Prober::~Prober() = default;

void Prober::Run(const fleet::Check& check, Done done) { impl_->Run(check, std::move(done)); }

void Prober::Shutdown() { impl_->Shutdown(); }

size_t Prober::in_flight() const { return impl_->in_flight(); }

}  // namespace csoc::probe
