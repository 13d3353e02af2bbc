#include "logs/file_tail.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace csoc::logs {
namespace {

constexpr size_t kBlockBytes = 1 << 20;

std::string IdOf(const struct stat& st) {
  return std::to_string(static_cast<uint64_t>(st.st_dev)) + ":" + std::to_string(static_cast<uint64_t>(st.st_ino));
}

Status Errno(const std::string& what, const std::string& path) {
  return Status::IOError(what + " " + path + ": " + std::strerror(errno));
}

// A file in the same directory as `path` whose device and inode are `id` (the file `path` was
// before it was rotated), skipping compressed ones. Empty when there is none.
std::string FindRotated(const std::string& path, const std::string& id) {
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  DIR* d = ::opendir(dir.empty() ? "." : dir.c_str());
  if (d == nullptr) return {};
  std::string found;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == ".." || name.ends_with(".gz")) continue;
    const std::string candidate = (dir / name).string();
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && IdOf(st) == id) {
      found = candidate;
      break;
    }
  }
  ::closedir(d);
  return found;
}

}  // namespace

FileTail::FileTail(std::string path, std::string file_id, uint64_t offset, uint64_t line)
    : path_(std::move(path)), file_id_(std::move(file_id)), offset_(offset), line_(line) {}

FileTail::~FileTail() { Close(); }

void FileTail::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status FileTail::OpenAt(int fd, const std::string& id, uint64_t offset, uint64_t line) {
  Close();
  fd_ = fd;
  file_id_ = id;
  offset_ = offset;
  line_ = line;
  return Status::Ok();
}

Status FileTail::Poll(size_t max_bytes, const OnLines& on_lines, size_t* consumed) {
  *consumed = 0;
  if (resume_pending_) {
    resume_pending_ = false;
    if (!file_id_.empty()) {
      struct stat st {};
      std::string where;
      if (::stat(path_.c_str(), &st) == 0 && IdOf(st) == file_id_) {
        where = path_;
      } else {
        where = FindRotated(path_, file_id_);
      }
      if (!where.empty()) {
        const int fd = ::open(where.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return Errno("cannot open", where);
        CSOC_RETURN_IF_ERROR(OpenAt(fd, file_id_, offset_, line_));
      } else {
        file_id_.clear();  // the file read before is gone: start afresh with what is at the path
        offset_ = line_ = 0;
      }
    }
  }
  for (int round = 0; round < 3; ++round) {  // at most: finish a rotated file, then the new one
    if (fd_ < 0) {
      const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        if (errno == ENOENT) return Status::Ok();  // not there (yet): wait for it
        return Errno("cannot open", path_);
      }
      struct stat st {};
      if (::fstat(fd, &st) != 0) {
        ::close(fd);
        return Errno("cannot stat", path_);
      }
      CSOC_RETURN_IF_ERROR(OpenAt(fd, IdOf(st), 0, 0));
    }
    bool at_end = false;
    size_t n = 0;
    CSOC_RETURN_IF_ERROR(ReadOpen(max_bytes - std::min(max_bytes, *consumed), on_lines, &n, &at_end));
    *consumed += n;
    if (!at_end) return Status::Ok();
    // At the end of the open file: has it been truncated in place, or rotated away?
    struct stat open_st {};
    if (::fstat(fd_, &open_st) == 0 && static_cast<uint64_t>(open_st.st_size) < offset_) {
      offset_ = 0;  // copy-truncate: the same file starts again
      line_ = 0;
      continue;
    }
    struct stat path_st {};
    if (::stat(path_.c_str(), &path_st) != 0 || IdOf(path_st) == file_id_) return Status::Ok();
    // Rotated: a new file is at the path. The writer may have finished lines in the old file
    // after the read above and before it started the new one: read them before moving on.
    CSOC_RETURN_IF_ERROR(ReadOpen(max_bytes - std::min(max_bytes, *consumed), on_lines, &n, &at_end));
    *consumed += n;
    if (!at_end) return Status::Ok();
    Close();  // the old file has been read to its end
  }
  return Status::Ok();
}

Status FileTail::ReadOpen(size_t max_bytes, const OnLines& on_lines, size_t* consumed, bool* at_end) {
  *consumed = 0;
  *at_end = false;
  while (*consumed < max_bytes) {
    buffer_.resize(kBlockBytes);
    const ssize_t n = ::pread(fd_, buffer_.data(), buffer_.size(), static_cast<off_t>(offset_));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("cannot read", path_);
    }
    const std::string_view data(buffer_.data(), static_cast<size_t>(n));
    const size_t last_nl = data.rfind('\n');
    if (last_nl == std::string_view::npos) {
      if (data.size() < buffer_.size()) break;  // a line still being written
      // A line longer than a whole block: pass its start on (the analyzer counts it as too long)
      // and skip the rest of it, so one such line cannot stop the file.
      const std::string start(data);
      uint64_t skip = data.size();
      while (true) {
        const ssize_t m = ::pread(fd_, buffer_.data(), buffer_.size(), static_cast<off_t>(offset_ + skip));
        if (m <= 0) return Status::Ok();  // its end is not written yet: try again later
        const std::string_view more(buffer_.data(), static_cast<size_t>(m));
        const size_t nl = more.find('\n');
        if (nl != std::string_view::npos) {
          skip += nl + 1;
          break;
        }
        skip += more.size();
      }
      on_lines(start, line_ + 1);
      offset_ += skip;
      ++line_;
      *consumed += skip;
      continue;
    }
    const std::string_view lines = data.substr(0, last_nl + 1);
    on_lines(lines, line_ + 1);
    line_ += static_cast<uint64_t>(std::count(lines.begin(), lines.end(), '\n'));
    offset_ += lines.size();
    *consumed += lines.size();
    if (static_cast<size_t>(n) < buffer_.size()) break;
  }
  struct stat st {};
  if (::fstat(fd_, &st) == 0) {
    unread_ = static_cast<uint64_t>(st.st_size) > offset_ ? static_cast<uint64_t>(st.st_size) - offset_ : 0;
    // Nothing left but, at most, a line still being written.
    *at_end = unread_ == 0 || (*consumed < max_bytes && unread_ < kBlockBytes);
  }
  return Status::Ok();
}

}  // namespace csoc::logs
