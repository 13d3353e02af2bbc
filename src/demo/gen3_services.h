// Private to demo/: the simulated commons and what their Gen3 services answer. Pure functions of
// their arguments (no I/O), so the answers are testable without a socket. Thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"

namespace csoc::demo::internal {

enum class Behaviour {
  kHealthy,
  kSlow,         // guppy and peregrine answer late
  kFlapping,     // indexd alternates between healthy and 503 every flap period
  kFenceDown,    // fence answers 503; the rest of the commons is up
  kUnreachable,  // no listener at all: connection refused
};

struct CommonsProfile {
  std::string name;
  std::string cluster;
  std::string tier;   // the `tier` label: production, staging, ...
  std::string owner;  // the team that owns it, as an e-mail address
  Behaviour behaviour;
  // Its fleet file adds a TLS check on the simulator's TLS endpoint (certificate expiring soon).
  bool tls_check = false;
  // Its fleet file enables the gen3 preset's optional components (requestor, sower).
  bool optional_components = false;
};

// The six commons in port order: commons i listens on base_port + i.
const std::vector<CommonsProfile>& DemoCommons();

inline constexpr std::chrono::milliseconds kGuppyDelay{1500};
inline constexpr std::chrono::milliseconds kPeregrineDelay{800};
// The TLS endpoint's self-signed certificate expires in kTlsCertificateDays days: its notAfter is
// start + that many days + kTlsCertificateSlack, so that the floored whole-days count that probes
// report ("certificate expires in 5 days") reads 5 for the first hours of a run, not 4.
inline constexpr int kTlsCertificateDays = 5;
inline constexpr std::chrono::hours kTlsCertificateSlack{12};

// The health paths a Gen3 revproxy exposes, "/" (the portal) included.
const std::vector<std::string_view>& Gen3HealthPaths();

struct Reply {
  unsigned status = 200;
  std::string_view content_type;
  std::string body;
  // How long to wait before answering (the slow commons).
  std::chrono::milliseconds delay{0};
};

// The answer of `commons` to `method` `target` (path with optional query). `indexd_down` is the
// flapping state, consulted only for kFlapping. `now` stamps the bodies that carry a timestamp.
Reply Respond(const CommonsProfile& commons, std::string_view method, std::string_view target, bool indexd_down,
              TimePoint now);

// True in the odd half-periods: the flapping indexd starts healthy.
bool FlapIsDown(std::chrono::steady_clock::duration since_start, std::chrono::milliseconds flap_period);

// One line for SimulatedCommons::behaviour.
std::string DescribeBehaviour(const CommonsProfile& commons, std::chrono::milliseconds flap_period);

}  // namespace csoc::demo::internal
