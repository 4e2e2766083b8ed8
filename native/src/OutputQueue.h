// Response bytes the kernel has not taken yet. Two buffers: `inFlight` belongs to the
// running uv_write; `pending` collects what JavaScript sends meanwhile. Memory is kept
// between responses (no allocation per request) and released when it grew large.
#pragma once
#include <cstddef>
#include <cstring>
#include <vector>

namespace tsgi {

class OutputQueue {
 public:
  static constexpr size_t kKeepCapacity = 256 * 1024;

  void append(const char* data, size_t length) {
    pending_.insert(pending_.end(), data, data + length);
  }
  bool writing() const { return writing_; }
  size_t size() const { return inFlight_.size() + pending_.size(); }
  bool hasPending() const { return !pending_.empty(); }
  size_t inFlightSize() const { return inFlight_.size(); }
  // Moves `pending` into `inFlight` for a new uv_write.
  std::vector<char>& beginWrite() {
    inFlight_.swap(pending_);
    pending_.clear();
    writing_ = true;
    return inFlight_;
  }
  void endWrite() {
    writing_ = false;
    inFlight_.clear();
    if (inFlight_.capacity() > kKeepCapacity) std::vector<char>().swap(inFlight_);
    if (pending_.empty() && pending_.capacity() > kKeepCapacity) std::vector<char>().swap(pending_);
  }

 private:
  std::vector<char> inFlight_;
  std::vector<char> pending_;
  bool writing_ = false;
};

}  // namespace tsgi
