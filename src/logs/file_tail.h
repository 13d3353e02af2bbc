// Following a log file the way `tail -F` does, with a position that can be stored and resumed.
//
//   - A file that does not exist yet is waited for.
//   - Rotation by rename (logrotate's default): the old file is read to its end, then the new file
//     at the path from its start.
//   - Copy-truncate: when the file shrinks below the position, reading starts again at 0.
//   - Only whole lines are returned; a line still being written stays unread until its newline.
//   - Rotated files compressed with gzip are not read (their lines were read before rotation).
//   - Resuming after a restart: when the stored file (device and inode) is no longer at the path
//     but still in the same directory under another name (access.log.1), its rest is read first.
//
// Thread-compatible: one thread polls a FileTail.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace csoc::logs {

class FileTail {
 public:
  // `file_id`, `offset` and `line`: where a previous run stopped (empty file_id: never read).
  FileTail(std::string path, std::string file_id, uint64_t offset, uint64_t line);
  ~FileTail();
  FileTail(const FileTail&) = delete;
  FileTail& operator=(const FileTail&) = delete;

  // Reads up to about max_bytes of new whole lines and passes them to on_lines(text,
  // first_line_number) in one or more calls. Returns the bytes consumed (0: nothing new). An I/O
  // error other than "no such file" is returned; the tail stays usable.
  using OnLines = std::function<void(std::string_view text, uint64_t first_line)>;
  Status Poll(size_t max_bytes, const OnLines& on_lines, size_t* consumed);

  // Where the next line starts: store these three with the aggregates the lines produced.
  const std::string& file_id() const { return file_id_; }
  uint64_t offset() const { return offset_; }
  uint64_t line() const { return line_; }
  // Bytes in the file beyond the position (how far behind the tail is), as of the last Poll.
  uint64_t unread_bytes() const { return unread_; }
  const std::string& path() const { return path_; }

 private:
  Status OpenAt(int fd, const std::string& id, uint64_t offset, uint64_t line);
  Status ReadOpen(size_t max_bytes, const OnLines& on_lines, size_t* consumed, bool* at_end);
  void Close();

  std::string path_;
  std::string file_id_;
  uint64_t offset_ = 0;
  uint64_t line_ = 0;
  uint64_t unread_ = 0;
  int fd_ = -1;
  bool resume_pending_ = true;  // the stored position has not been matched to a file yet
  std::string buffer_;
};

}  // namespace csoc::logs
