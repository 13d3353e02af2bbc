// The optional public listener (status_page.listen): the status page, its JSON, feeds and the SCS
// API, and nothing of the operator dashboard — with the real binary.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/support.h"

namespace csoc {
namespace {

using namespace std::chrono_literals;
using testing::HttpGet;
using testing::WaitFor;

TEST(PublicListener, ServesOnlyThePublicPage) {
  testing::TempDir dir;
  int main_port = testing::FreePort();
  int public_port = testing::FreePort();
  while (public_port == main_port) public_port = testing::FreePort();
  testing::WriteFile(dir.path() / "fleet.yaml",
                     fmt::format("environments:\n"
                                 "  - name: shop\n"
                                 "    cluster: east\n"
                                 "    services:\n"
                                 "      - name: db\n"
                                 "        checks:\n"
                                 "          - {{name: port, type: tcp, host: 127.0.0.1, port: 9, interval: 1s, "
                                 "timeout: 500ms}}\n"
                                 "status_page:\n"
                                 "  title: Shop status\n"
                                 "  listen: 127.0.0.1:{}\n"
                                 "  components:\n"
                                 "    - {{name: shop, display_name: The shop, environments: [shop]}}\n",
                                 public_port));
  testing::Process server({CSOC_BINARY, "serve", "--config", (dir.path() / "fleet.yaml").string(), "--listen",
                           fmt::format("127.0.0.1:{}", main_port), "--data-dir", (dir.path() / "data").string()},
                          dir.path() / "serve.log");
  auto pub = [&](const std::string& path) { return fmt::format("http://127.0.0.1:{}{}", public_port, path); };
  auto main = [&](const std::string& path) { return fmt::format("http://127.0.0.1:{}{}", main_port, path); };
  ASSERT_TRUE(WaitFor([&] { return HttpGet(pub("/status")).status == 200; }, 20s)) << server.Log();

  auto page = HttpGet(pub("/status"));
  EXPECT_NE(page.body.find("The shop"), std::string::npos) << page.body;
  EXPECT_EQ(HttpGet(pub("/api/v2/summary.json")).status, 200);
  EXPECT_EQ(HttpGet(pub("/status/feed.atom")).status, 200);
  EXPECT_EQ(HttpGet(pub("/status-api/v1/components")).status, 200);
  EXPECT_EQ(HttpGet(pub("/healthz")).status, 200);
  std::string css = page.body.substr(page.body.find("/static/status.css"));
  css = css.substr(0, css.find('"'));
  EXPECT_EQ(HttpGet(pub(css)).status, 200) << css;

  // The operator side is not there: dashboard, fleet API, metrics, the operators' forms.
  for (const char* path : {"/", "/api/v1/fleet", "/metrics", "/status/admin", "/environments/shop"}) {
    auto r = HttpGet(pub(path));
    EXPECT_EQ(r.status, 404) << path << ": " << r.body;
    EXPECT_EQ(r.body.find("shop\""), std::string::npos) << path << " leaked fleet data: " << r.body;
  }
  // ... which the main listener still serves.
  EXPECT_EQ(HttpGet(main("/api/v1/fleet")).status, 200);
  EXPECT_EQ(HttpGet(main("/status/admin")).status, 200);
  EXPECT_EQ(server.Signal(SIGTERM), 0) << server.Log();
}

}  // namespace
}  // namespace csoc
