// The capabilities' router: pattern matching with {params}, 405 with Allow, HEAD wherever GET is,
// malformed queries answered before a route runs, and CORS (preflight and the headers on answers).
#include "web/router.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace csoc::web {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TimePoint Now() { return FromUnixMillis(1'795'000'000'000); }

Request Req(std::string method, std::string target, std::vector<std::pair<std::string, std::string>> headers = {}) {
  Request r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.headers = std::move(headers);
  return r;
}

std::string JsonError(int status, const std::string& message) {
  return "{\"status\":" + std::to_string(status) + ",\"message\":\"" + message + "\"}";
}

// The names of every header whose name starts with "Access-Control-".
std::vector<std::string> CorsHeaderNames(const Response& r) {
  std::vector<std::string> out;
  for (const auto& [n, v] : r.headers) {
    if (n.rfind("Access-Control-", 0) == 0) out.push_back(n);
  }
  return out;
}

// What a route saw, so tests can check what the router handed over.
struct Seen {
  int calls = 0;
  std::string method, path, route;
  std::map<std::string, std::string> params;
  std::string query_a;
  bool has_query_a = false;
  TimePoint now;
};

class RouterTest : public ::testing::Test {
 protected:
  RouteFn Record(const std::string& answer, int status = 200) {
    return [this, answer, status](RouteCall& c) {
      ++seen_.calls;
      seen_.method = c.request.method;
      seen_.path = std::string(c.path);
      seen_.route = c.route;
      seen_.params = c.params;
      const std::string* a = c.query.Find("a");
      seen_.has_query_a = a != nullptr;
      seen_.query_a = a == nullptr ? "" : *a;
      seen_.now = c.now;
      Response r;
      r.status = status;
      r.content_type = "text/plain";
      r.body = answer;
      return r;
    };
  }

  Response Dispatch(const Request& request) {
    std::optional<Response> r = router_.Dispatch(request, Now());
    EXPECT_TRUE(r.has_value()) << request.method << " " << request.target;
    return r.value_or(Response{});
  }

  Router router_;
  Seen seen_;
  static Router::Options Opts(bool cors) {
    Router::Options o;
    o.cors = cors;
    o.error_body = JsonError;
    return o;
  }
  Router::Options plain_ = Opts(false);
  Router::Options cors_ = Opts(true);
};

// ---- Matching ----

TEST_F(RouterTest, ALiteralPathAnswersWithItsRoute) {
  router_.Add({"GET"}, "/api/v1/things", Record("things"), plain_);
  Response r = Dispatch(Req("GET", "/api/v1/things"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "things");
  EXPECT_EQ(r.route, "/api/v1/things");
  EXPECT_EQ(seen_.calls, 1);
  EXPECT_EQ(seen_.method, "GET");
  EXPECT_EQ(seen_.path, "/api/v1/things");
  EXPECT_EQ(seen_.route, "/api/v1/things");
  EXPECT_TRUE(seen_.params.empty());
  EXPECT_EQ(seen_.now, Now());
  // A plain (non-CORS) route adds no CORS headers, not even Vary.
  EXPECT_EQ(r.Header("Vary"), nullptr);
}

TEST_F(RouterTest, AnUnknownPathIsLeftToTheNextHandler) {
  router_.Add({"GET"}, "/api/v1/things", Record("things"), plain_);
  EXPECT_FALSE(router_.Dispatch(Req("GET", "/api/v1/other"), Now()).has_value());
  EXPECT_FALSE(router_.Dispatch(Req("GET", "/api/v1/things/"), Now()).has_value());
  EXPECT_FALSE(router_.Dispatch(Req("GET", "/api/v1"), Now()).has_value());
  EXPECT_FALSE(router_.Dispatch(Req("GET", "/api/v1/things/x"), Now()).has_value());
  EXPECT_FALSE(router_.Dispatch(Req("GET", "//api/v1/things"), Now()).has_value());
  EXPECT_FALSE(router_.Dispatch(Req("GET", "/API/v1/things"), Now()).has_value());
  // Not an origin-form target at all.
  EXPECT_FALSE(router_.Dispatch(Req("OPTIONS", "*"), Now()).has_value());
  EXPECT_FALSE(router_.Dispatch(Req("GET", ""), Now()).has_value());
  EXPECT_FALSE(router_.Dispatch(Req("GET", "api/v1/things"), Now()).has_value());
  EXPECT_EQ(seen_.calls, 0);
}

TEST_F(RouterTest, TheRootPathMatches) {
  router_.Add({"GET"}, "/", Record("root"), plain_);
  EXPECT_EQ(Dispatch(Req("GET", "/")).body, "root");
  EXPECT_FALSE(router_.Dispatch(Req("GET", "/x"), Now()).has_value());
}

TEST_F(RouterTest, ParamsAreSegmentsAndPercentDecoded) {
  router_.Add({"GET"}, "/incidents/{id}/updates/{order}", Record("update"), plain_);
  Response r = Dispatch(Req("GET", "/incidents/a%20b%2Fc/updates/7?a=1"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.route, "/incidents/{id}/updates/{order}");
  // "%2F" decodes to a slash inside the segment: it does not split the path.
  EXPECT_EQ(seen_.params, (std::map<std::string, std::string>{{"id", "a b/c"}, {"order", "7"}}));
  EXPECT_EQ(seen_.path, "/incidents/a%20b%2Fc/updates/7");
  // "+" stays a plus sign in a path.
  Dispatch(Req("GET", "/incidents/x+y/updates/0"));
  EXPECT_EQ(seen_.params.at("id"), "x+y");
}

TEST_F(RouterTest, AParamNeedsANonEmptyWellFormedSegment) {
  router_.Add({"GET"}, "/incidents/{id}", Record("one"), plain_);
  EXPECT_FALSE(router_.Dispatch(Req("GET", "/incidents/"), Now()).has_value());
  EXPECT_FALSE(router_.Dispatch(Req("GET", "/incidents"), Now()).has_value());
  EXPECT_FALSE(router_.Dispatch(Req("GET", "/incidents/%zz"), Now()).has_value());
  EXPECT_FALSE(router_.Dispatch(Req("GET", "/incidents/%4"), Now()).has_value());
  // A decoded NUL byte is refused rather than handed to a route.
  EXPECT_FALSE(router_.Dispatch(Req("GET", "/incidents/a%00b"), Now()).has_value());
  EXPECT_FALSE(router_.Dispatch(Req("GET", "/incidents/a/b"), Now()).has_value());
  EXPECT_EQ(seen_.calls, 0);
}

TEST_F(RouterTest, TheFirstMatchingRouteWins) {
  router_.Add({"GET"}, "/things/{id}", Record("param"), plain_);
  router_.Add({"GET"}, "/things/special", Record("literal"), plain_);
  EXPECT_EQ(Dispatch(Req("GET", "/things/special")).body, "param");
  EXPECT_EQ(seen_.params.at("id"), "special");
}

TEST_F(RouterTest, RoutesOfOnePathAreChosenByMethod) {
  router_.Add({"GET"}, "/things/{id}", Record("read"), plain_);
  router_.Add({"PATCH", "DELETE"}, "/things/{id}", Record("write"), plain_);
  router_.Add({"POST"}, "/things/new", Record("create"), plain_);
  EXPECT_EQ(Dispatch(Req("GET", "/things/1")).body, "read");
  EXPECT_EQ(Dispatch(Req("PATCH", "/things/1")).body, "write");
  EXPECT_EQ(seen_.params.at("id"), "1");
  EXPECT_EQ(seen_.route, "/things/{id}");
  EXPECT_EQ(Dispatch(Req("DELETE", "/things/1")).body, "write");
  // A later, more specific route is reached when earlier ones match the path but not the method.
  EXPECT_EQ(Dispatch(Req("POST", "/things/new")).body, "create");
  EXPECT_TRUE(seen_.params.empty());
  EXPECT_EQ(seen_.route, "/things/new");
}

TEST_F(RouterTest, MethodsAreCaseSensitive) {
  router_.Add({"GET"}, "/things", Record("read"), plain_);
  EXPECT_EQ(Dispatch(Req("get", "/things")).status, 405);
  EXPECT_EQ(seen_.calls, 0);
}

TEST_F(RouterTest, ARouteMayNameItsOwnMetricsLabel) {
  router_.Add(
      {"GET"}, "/things",
      [](RouteCall&) {
        Response r;
        r.route = "custom";
        return r;
      },
      plain_);
  EXPECT_EQ(Dispatch(Req("GET", "/things")).route, "custom");
}

// ---- HEAD and 405 ----

TEST_F(RouterTest, HeadIsAllowedWhereverGetIs) {
  router_.Add({"GET"}, "/things", Record("things"), plain_);
  Response r = Dispatch(Req("HEAD", "/things"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(seen_.calls, 1);
  EXPECT_EQ(seen_.method, "HEAD");
  // But not where only other methods are.
  router_.Add({"POST"}, "/other", Record("other"), plain_);
  Response refused = Dispatch(Req("HEAD", "/other"));
  EXPECT_EQ(refused.status, 405);
  EXPECT_EQ(seen_.calls, 1);
}

TEST_F(RouterTest, AnotherMethodGets405WithAllowAndTheErrorBody) {
  router_.Add({"GET"}, "/things/{id}", Record("read"), plain_);
  router_.Add({"PATCH", "DELETE"}, "/things/{id}", Record("write"), plain_);
  Response r = Dispatch(Req("PUT", "/things/1"));
  EXPECT_EQ(r.status, 405);
  ASSERT_NE(r.Header("Allow"), nullptr);
  EXPECT_EQ(*r.Header("Allow"), "GET, HEAD, PATCH, DELETE");
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.route, "/things/{id}");
  ASSERT_NE(r.Header("Cache-Control"), nullptr);
  EXPECT_EQ(*r.Header("Cache-Control"), "no-store");
  EXPECT_THAT(r.body, HasSubstr("\"status\":405"));
  EXPECT_THAT(r.body, HasSubstr("PUT"));
  EXPECT_THAT(r.body, HasSubstr("GET, HEAD, PATCH, DELETE"));
  EXPECT_EQ(seen_.calls, 0);
  // Without an error_body function the message is the body.
  router_.Add({"GET"}, "/bare", Record("bare"), Router::Options{});
  Response bare = Dispatch(Req("POST", "/bare"));
  EXPECT_EQ(bare.status, 405);
  EXPECT_THAT(bare.body, HasSubstr("method POST is not allowed on /bare"));
}

TEST_F(RouterTest, OptionsOnANonCorsRouteIs405WithoutCorsHeaders) {
  router_.Add({"POST"}, "/things", Record("create"), plain_);
  Response r = Dispatch(Req("OPTIONS", "/things", {{"origin", "https://status.example.org"}}));
  EXPECT_EQ(r.status, 405);
  ASSERT_NE(r.Header("Allow"), nullptr);
  EXPECT_EQ(*r.Header("Allow"), "POST");
  EXPECT_THAT(CorsHeaderNames(r), IsEmpty());
}

// ---- Queries ----

TEST_F(RouterTest, TheQueryIsParsedForTheRoute) {
  router_.Add({"GET"}, "/things", Record("things"), plain_);
  Dispatch(Req("GET", "/things?a=x%20y&b=2"));
  EXPECT_TRUE(seen_.has_query_a);
  EXPECT_EQ(seen_.query_a, "x y");
  EXPECT_EQ(seen_.path, "/things");
  Dispatch(Req("GET", "/things?"));
  EXPECT_FALSE(seen_.has_query_a);
  Dispatch(Req("GET", "/things?a=2026-01-01T00:00:00+01:00"));
  EXPECT_EQ(seen_.query_a, "2026-01-01T00:00:00+01:00");
  EXPECT_EQ(seen_.calls, 3);
}

TEST_F(RouterTest, AMalformedQueryIs400AndNeverReachesTheRoute) {
  router_.Add({"GET"}, "/things", Record("things"), cors_);
  router_.SetCors(CorsPolicy{{"https://status.example.org"}});
  for (std::string target : {"/things?a=1&a=2", "/things?a=%zz", "/things?%zz=1", "/things?=1"}) {
    Response r = Dispatch(Req("GET", target, {{"origin", "https://status.example.org"}}));
    EXPECT_EQ(r.status, 400) << target;
    EXPECT_EQ(r.content_type, "application/json");
    EXPECT_THAT(r.body, HasSubstr("\"status\":400"));
    EXPECT_EQ(r.route, "/things");
    ASSERT_NE(r.Header("Cache-Control"), nullptr);
    // A browser must be able to read the error of a CORS route.
    ASSERT_NE(r.Header("Access-Control-Allow-Origin"), nullptr) << target;
    EXPECT_EQ(*r.Header("Access-Control-Allow-Origin"), "https://status.example.org");
  }
  EXPECT_EQ(seen_.calls, 0);
  Response twice = Dispatch(Req("GET", "/things?a=1&a=2"));
  EXPECT_THAT(twice.body, HasSubstr("'a' is given more than once"));
}

// ---- CORS ----

TEST_F(RouterTest, CorsPolicyAllows) {
  CorsPolicy none;
  EXPECT_FALSE(none.Allows("https://a.example"));
  CorsPolicy exact{{"https://a.example", "http://localhost:3000"}};
  EXPECT_TRUE(exact.Allows("https://a.example"));
  EXPECT_TRUE(exact.Allows("http://localhost:3000"));
  EXPECT_FALSE(exact.Allows("https://a.example.evil"));
  EXPECT_FALSE(exact.Allows("http://a.example"));
  EXPECT_FALSE(exact.Allows("https://A.example"));
  EXPECT_FALSE(exact.Allows(""));
  CorsPolicy any{{"*"}};
  EXPECT_TRUE(any.Allows("https://whatever.example"));
  EXPECT_TRUE(any.Allows("null"));
  EXPECT_FALSE(any.Allows(""));
}

TEST_F(RouterTest, APreflightOfAnAllowedOriginGets204WithEveryCorsHeader) {
  router_.SetCors(CorsPolicy{{"https://status.example.org"}});
  router_.Add({"GET"}, "/incidents", Record("list"), cors_);
  router_.Add({"POST"}, "/incidents", Record("create"), cors_);
  Response r = Dispatch(Req("OPTIONS", "/incidents",
                            {{"origin", "https://status.example.org"},
                             {"access-control-request-method", "POST"},
                             {"access-control-request-headers", "authorization, content-type, x-custom"}}));
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.route, "/incidents");
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(seen_.calls, 0);
  ASSERT_NE(r.Header("Allow"), nullptr);
  EXPECT_EQ(*r.Header("Allow"), "GET, HEAD, POST, OPTIONS");
  ASSERT_NE(r.Header("Access-Control-Allow-Origin"), nullptr);
  EXPECT_EQ(*r.Header("Access-Control-Allow-Origin"), "https://status.example.org");
  ASSERT_NE(r.Header("Access-Control-Allow-Credentials"), nullptr);
  EXPECT_EQ(*r.Header("Access-Control-Allow-Credentials"), "true");
  ASSERT_NE(r.Header("Access-Control-Allow-Methods"), nullptr);
  EXPECT_EQ(*r.Header("Access-Control-Allow-Methods"), "GET, HEAD, POST, OPTIONS");
  ASSERT_NE(r.Header("Access-Control-Allow-Headers"), nullptr);
  EXPECT_EQ(*r.Header("Access-Control-Allow-Headers"), "authorization, content-type, x-custom");
  ASSERT_NE(r.Header("Access-Control-Max-Age"), nullptr);
  EXPECT_EQ(*r.Header("Access-Control-Max-Age"), "600");
  ASSERT_NE(r.Header("Vary"), nullptr);
  EXPECT_EQ(*r.Header("Vary"), "Origin");
}

TEST_F(RouterTest, APreflightWithoutRequestedHeadersAllowsAuthorizationAndContentType) {
  router_.SetCors(CorsPolicy{{"*"}});
  router_.Add({"PATCH"}, "/incidents/{id}", Record("patch"), cors_);
  Response r = Dispatch(Req("OPTIONS", "/incidents/1", {{"origin", "https://anywhere.example"}}));
  EXPECT_EQ(r.status, 204);
  // With credentials allowed the origin is echoed, never "*".
  EXPECT_EQ(*r.Header("Access-Control-Allow-Origin"), "https://anywhere.example");
  EXPECT_EQ(*r.Header("Access-Control-Allow-Headers"), "Authorization, Content-Type");
  EXPECT_EQ(*r.Header("Access-Control-Allow-Methods"), "PATCH, OPTIONS");
  Response empty = Dispatch(
      Req("OPTIONS", "/incidents/1", {{"origin", "https://anywhere.example"}, {"access-control-request-headers", ""}}));
  EXPECT_EQ(*empty.Header("Access-Control-Allow-Headers"), "Authorization, Content-Type");
}

TEST_F(RouterTest, APreflightOfAnotherOriginGetsNoCorsHeaders) {
  router_.SetCors(CorsPolicy{{"https://status.example.org"}});
  router_.Add({"POST"}, "/incidents", Record("create"), cors_);
  for (const auto& headers : std::vector<std::vector<std::pair<std::string, std::string>>>{
           {{"origin", "https://evil.example"}}, {}, {{"origin", ""}}}) {
    Response r = Dispatch(Req("OPTIONS", "/incidents", headers));
    EXPECT_EQ(r.status, 204);
    EXPECT_THAT(CorsHeaderNames(r), IsEmpty());
    // Caches must still keep answers per origin.
    ASSERT_NE(r.Header("Vary"), nullptr);
    EXPECT_EQ(*r.Header("Vary"), "Origin");
    ASSERT_NE(r.Header("Allow"), nullptr);
  }
  EXPECT_EQ(seen_.calls, 0);
}

TEST_F(RouterTest, WithoutAnyAllowedOriginNothingIsCrossOrigin) {
  router_.Add({"GET"}, "/incidents", Record("list"), cors_);
  Response r = Dispatch(Req("GET", "/incidents", {{"origin", "https://status.example.org"}}));
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(CorsHeaderNames(r), IsEmpty());
}

TEST_F(RouterTest, AnswersOfCorsRoutesCarryTheOriginButNoPreflightHeaders) {
  router_.SetCors(CorsPolicy{{"https://status.example.org"}});
  router_.Add({"GET"}, "/incidents", Record("list"), cors_);
  Response r = Dispatch(Req("GET", "/incidents", {{"origin", "https://status.example.org"}}));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "list");
  EXPECT_THAT(CorsHeaderNames(r), ElementsAre("Access-Control-Allow-Origin", "Access-Control-Allow-Credentials"));
  EXPECT_EQ(*r.Header("Access-Control-Allow-Origin"), "https://status.example.org");
  EXPECT_EQ(*r.Header("Vary"), "Origin");

  Response other = Dispatch(Req("GET", "/incidents", {{"origin", "https://evil.example"}}));
  EXPECT_EQ(other.status, 200);
  EXPECT_THAT(CorsHeaderNames(other), IsEmpty());
  EXPECT_EQ(*other.Header("Vary"), "Origin");
}

TEST_F(RouterTest, A405OnACorsRouteCarriesCorsHeaders) {
  router_.SetCors(CorsPolicy{{"https://status.example.org"}});
  router_.Add({"GET"}, "/incidents", Record("list"), cors_);
  Response r = Dispatch(Req("DELETE", "/incidents", {{"origin", "https://status.example.org"}}));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(*r.Header("Allow"), "GET, HEAD");
  ASSERT_NE(r.Header("Access-Control-Allow-Origin"), nullptr);
  EXPECT_EQ(*r.Header("Access-Control-Allow-Origin"), "https://status.example.org");
  EXPECT_EQ(r.Header("Access-Control-Allow-Methods"), nullptr);
}

TEST_F(RouterTest, ARouteThatHandlesOptionsItselfIsCalled) {
  router_.SetCors(CorsPolicy{{"*"}});
  router_.Add({"OPTIONS"}, "/special", Record("mine", 200), cors_);
  Response r = Dispatch(Req("OPTIONS", "/special", {{"origin", "https://a.example"}}));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "mine");
  EXPECT_EQ(seen_.calls, 1);
}

}  // namespace
}  // namespace csoc::web
