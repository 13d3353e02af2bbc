// Static files from web/static, embedded at build time (cmake/embed_assets.cmake).
#pragma once

#include <string_view>
#include <vector>

namespace csoc::web {

struct Asset {
  std::string_view name;  // file name, e.g. "app.css"
  std::string_view data;
};
const std::vector<Asset>& Assets();

}  // namespace csoc::web
