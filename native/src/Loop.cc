// Server: listening, accepting, and the event batch boundary (timers and the graceful
// close are in ServerTimers.cc). Handles and who closes them:
//  - listener_: closed by close(); onListenClose marks it gone.
//  - tick_ and soon_ (uv_timer, unreferenced), idle_ (uv_idle) and check_ (uv_check):
//    closed by maybeFinishClose once the listener and every connection are gone; the
//    last onAuxClose hands the server to JsBridge::serverGone, which deletes it.
//  - connections: see Connection.h.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#ifdef TSGI_POISON_INPUT
#include <sanitizer/asan_interface.h>
#endif

#include "Connection.h"
#include "Server.h"
#include "SharedLayout.h"

namespace tsgi {

Server::Server(uv_loop_t* loop, ServerConfig config, SharedMemory memory, JsBridge* bridge)
    : loop_(loop), config_(std::move(config)), memory_(memory), bridge_(bridge) {
  fields_.resize(config_.limits.maxHeaderCount ? config_.limits.maxHeaderCount : 1);
  maxLeftover_ = size_t(config_.limits.maxRequestLine) + config_.limits.maxHeaderSize + 64;
}

int Server::listen(std::string* what) {
  int r = config_.path.empty() ? bindTcp(what) : bindPipe(what);
  if (r != 0) {
    if (listenerOpen_) uv_close(&listener_.handle, nullptr);  // never accepted: no callback
    return r;
  }
  listener_.handle.data = this;
  r = uv_listen(&listener_.stream, 511, onConnection);
  if (r != 0) {
    *what = "listen";
    uv_close(&listener_.handle, nullptr);
    return r;
  }
  listening_ = true;
  uv_timer_init(loop_, &tick_);
  tick_.data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(&tick_));
  uv_timer_init(loop_, &soon_);
  soon_.data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(&soon_));
  uv_idle_init(loop_, &idle_);
  idle_.data = this;
  uv_check_init(loop_, &check_);
  check_.data = this;
  uv_check_start(&check_, onCheck);
  uv_unref(reinterpret_cast<uv_handle_t*>(&check_));
  auxOpen_ = 4;
  armTick();  // writes the Date of this second, then ticks at each second's start
  return 0;
}

// libuv 1.46 has no UV_TCP_REUSEPORT: create the socket here, set the options, bind, and
// hand it to uv_tcp_open.
int Server::bindTcp(std::string* what) {
  sockaddr_storage addr{};
  bool v6 = config_.host.find(':') != std::string::npos;
  int r = v6 ? uv_ip6_addr(config_.host.c_str(), config_.port, reinterpret_cast<sockaddr_in6*>(&addr))
             : uv_ip4_addr(config_.host.c_str(), config_.port, reinterpret_cast<sockaddr_in*>(&addr));
  if (r != 0) {
    *what = "address";
    return r;
  }
  int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *what = "socket";
    return -errno;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (config_.reusePort && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    int e = errno;
    ::close(fd);
    *what = "setsockopt SO_REUSEPORT";
    return -e;
  }
  socklen_t len = v6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    int e = errno;
    ::close(fd);
    *what = "bind";
    return -e;
  }
  uv_tcp_init(loop_, &listener_.tcp);
  listenerOpen_ = true;
  r = uv_tcp_open(&listener_.tcp, fd);
  if (r != 0) {
    ::close(fd);
    *what = "open";
    return r;
  }
  sockaddr_storage bound{};
  int blen = sizeof bound;
  uv_tcp_getsockname(&listener_.tcp, reinterpret_cast<sockaddr*>(&bound), &blen);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return 0;
}

int Server::bindPipe(std::string* what) {
  uv_pipe_init(loop_, &listener_.pipe, 0);
  listenerOpen_ = true;
  int r = uv_pipe_bind(&listener_.pipe, config_.path.c_str());
  if (r != 0) *what = "bind";
  return r;
}

void Server::onConnection(uv_stream_t* listener, int status) {
  Server* s = static_cast<Server*>(listener->data);
  if (status == 0) s->accept();
}

void Server::accept() {
  if (closing_) return;
  acceptOne(-1);
}

// Accepts one connection: from libuv (fd < 0; UV_EAGAIN when libuv holds none) or a
// descriptor accept4() returned while draining the backlog on close. Returns 0 or an error.
int Server::acceptOne(int fd) {
  Connection* c = new Connection(this);
  c->isTcp = config_.path.empty();
  int r = c->isTcp ? uv_tcp_init(loop_, &c->h.tcp) : uv_pipe_init(loop_, &c->h.pipe, 0);
  if (r == 0) {
    if (fd < 0) r = uv_accept(&listener_.stream, &c->h.stream);
    else r = c->isTcp ? uv_tcp_open(&c->h.tcp, fd) : uv_pipe_open(&c->h.pipe, fd);
    if (r != 0 && fd >= 0) ::close(fd);
  }
  if (r != 0) {
    c->h.handle.data = c;
    uv_close(&c->h.handle, [](uv_handle_t* h) { delete static_cast<Connection*>(h->data); });
    return r;
  }
  if (c->isTcp) uv_tcp_nodelay(&c->h.tcp, 1);
  c->id = allocateId(c);
  c->next = first_;
  if (first_) first_->prev = c;
  first_ = c;
  connectionCount_++;
  c->start();
  return 0;
}

uint32_t Server::allocateId(Connection* c) {
  uint32_t slot;
  if (freeSlots_.size() > 64 || slots_.size() > layout::kSlotMask) {
    slot = freeSlots_.front();
    freeSlots_.pop_front();
  } else {
    slot = uint32_t(slots_.size());
    slots_.push_back(nullptr);
    generations_.push_back(0);
  }
  slots_[slot] = c;
  generations_[slot] = uint16_t((generations_[slot] + 1) & layout::kGenerationMask);
  return slot | (uint32_t(generations_[slot]) << layout::kSlotBits);
}

Connection* Server::find(uint32_t id) const {
  uint32_t slot = id & layout::kSlotMask;
  if (slot >= slots_.size()) return nullptr;
  Connection* c = slots_[slot];
  return c && c->id == id ? c : nullptr;
}

void Server::onConnectionClosed(Connection* c) {
  if (c->openSent && c->fileCancelled) {
    int32_t* e = reserveEvents(layout::kFileDoneInts);
    e[layout::kRecordType] = layout::kEvFileDone;
    e[layout::kRecordConn] = int32_t(c->id);
    e[layout::kFileDoneErrno] = EPIPE;
  }
  if (c->openSent) {
    int32_t* e = reserveEvents(layout::kBareEventInts);
    e[layout::kRecordType] = layout::kEvClosed;
    e[layout::kRecordConn] = int32_t(c->id);
    dispatchPending();
  }
  if (c->prev) c->prev->next = c->next;
  else first_ = static_cast<Connection*>(c->next);
  if (c->next) c->next->prev = c->prev;
  uint32_t slot = c->id & layout::kSlotMask;
  slots_[slot] = nullptr;
  freeSlots_.push_back(slot);
  connectionCount_--;
  delete c;
  maybeFinishClose();
}

// ----------------------------------------------------------- event batches ----

int32_t* Server::reserveEvents(uint32_t ints) {
  if (eventInts_ + ints > memory_.eventCapacity) dispatchPending();
  int32_t* e = memory_.events + eventInts_;
  eventInts_ += ints;
  return e;
}

void Server::dispatchPending() {
  if (!eventInts_) {
    releaseInput(inputUsed_);
    inputUsed_ = 0;
    return;
  }
  uint32_t n = eventInts_;
  eventInts_ = 0;
  bridge_->dispatch(this, n);
  // JavaScript is done with the input area: its heads and body slices expired when
  // dispatch returned (native-server.ts), so the next read may land anywhere in it.
  releaseInput(inputUsed_);
  inputUsed_ = 0;
}

// The ASan build (native/scripts/build-asan.cjs defines TSGI_POISON_INPUT) fills the
// released input with a pattern and poisons it: a stale read in C++ fails, and one in
// JavaScript (which ASan does not see) returns bytes a test can recognize. A region still
// being parsed (a dispatch forced in the middle of a read) stays intact.
void Server::releaseInput(size_t end) {
#ifdef TSGI_POISON_INPUT
  if (end > pinnedFrom_) end = pinnedFrom_;
  if (end > memory_.inputSize) end = memory_.inputSize;
  if (!end) return;
  ASAN_UNPOISON_MEMORY_REGION(memory_.input, end);  // parts may still be poisoned
  std::memset(memory_.input, 0xA5, end);
  ASAN_POISON_MEMORY_REGION(memory_.input, end);
#else
  (void)end;
#endif
}

void Server::claimInput(size_t at, size_t length) {
#ifdef TSGI_POISON_INPUT
  if (at < memory_.inputSize) {
    if (length > memory_.inputSize - at) length = memory_.inputSize - at;
    ASAN_UNPOISON_MEMORY_REGION(memory_.input + at, length);
  }
#else
  (void)at;
  (void)length;
#endif
}

void Server::afterRead() {
  if (memory_.inputSize - inputUsed_ < kReadSize + maxLeftover_ + 1024) dispatchPending();
}

void Server::deferWatch(Connection* c) { watchIds_.push_back(c->id); }

void Server::onCheck(uv_check_t* c) {
  Server* s = static_cast<Server*>(c->data);
  s->dispatchPending();
  if (s->watchIds_.empty()) return;
  std::vector<uint32_t> ids;
  ids.swap(s->watchIds_);
  for (uint32_t id : ids) {
    Connection* conn = s->find(id);
    if (!conn || conn->closing) continue;
    conn->watchDeferred = false;
    conn->updateWatch(true);
  }
}

// ---------------------------------------------------------------- bindings ----

int Server::applyOps(uint32_t count) {
  using namespace layout;
  int32_t* blocked = memory_.control + kControlBlockedIds;
  int blockedCount = 0;
  const int maxBlocked = int(memory_.controlCapacity) - kControlBlockedIds;
  if (count * kIntsPerOp > memory_.opsCapacity) count = uint32_t(memory_.opsCapacity / kIntsPerOp);
  constexpr unsigned kMaxBufs = 64;
  uv_buf_t bufs[kMaxBufs];
  uint32_t i = 0;
  while (i < count) {
    const uint32_t id = uint32_t(memory_.ops[i * kIntsPerOp + kOpConn]);
    Connection* c = find(id);
    if (c && (c->jsClosed || c->closing)) c = nullptr;
    unsigned nb = 0;
    uint32_t ends = 0;
    bool closeAfter = false;
    for (; i < count && uint32_t(memory_.ops[i * kIntsPerOp + kOpConn]) == id; i++) {
      const int32_t* op = memory_.ops + i * kIntsPerOp;
      int32_t flags = op[kOpFlags], off = op[kOpOffset], len = op[kOpLength];
      // Nothing may follow a response that closes the connection (RFC 9112 §9.6).
      if ((flags & kOpData) && len > 0 && off >= 0 && size_t(off) + size_t(len) <= memory_.outputSize && c &&
          !closeAfter) {
        char* p = memory_.output + off;
        if (nb && bufs[nb - 1].base + bufs[nb - 1].len == p) {
          bufs[nb - 1].len += size_t(len);  // head and body written back to back
        } else {
          if (nb == kMaxBufs) {
            c->send(bufs, nb);
            nb = 0;
          }
          bufs[nb++] = uv_buf_init(p, unsigned(len));
        }
      }
      if (flags & kOpEnd) ends++;
      if (flags & kOpClose) closeAfter = true;
    }
    if (!c) continue;
    if (nb) c->send(bufs, nb);
    if (ends || closeAfter) c->finishResponses(ends, closeAfter);
    if (!c->closing && !c->wantDrain && c->out.size() > kHighWater && blockedCount < maxBlocked) {
      c->wantDrain = true;
      blocked[blockedCount++] = int32_t(id);
    }
  }
  memory_.control[kControlBlockedCount] = blockedCount;
  return blockedCount;
}

int Server::writeLarge(uint32_t id, const char* data, size_t length, int flags) {
  Connection* c = find(id);
  if (!c || c->jsClosed || c->closing) return 0;
  if (length) {
    uv_buf_t b = uv_buf_init(const_cast<char*>(data), unsigned(length));
    c->send(&b, 1);
  }
  if (flags & (layout::kOpEnd | layout::kOpClose))
    c->finishResponses((flags & layout::kOpEnd) ? 1 : 0, (flags & layout::kOpClose) != 0);
  if (!c->closing && c->out.size() > kHighWater) {
    c->wantDrain = true;
    return 1;
  }
  return 0;
}

int Server::control(uint32_t id, int command) {
  Connection* c = find(id);
  if (!c || c->closing) return -1;
  switch (command) {
    case layout::kCmdPause: c->setPaused(true); return 0;
    case layout::kCmdResume: c->setPaused(false); return 0;
    case layout::kCmdAbort: c->jsClosed = true; c->abort(); return 0;
    default: return -1;
  }
}

int Server::sendFile(uint32_t id, int fd, int64_t offset, int64_t length) {
  Connection* c = find(id);
  if (!c || c->jsClosed || c->closing) return -EPIPE;
  return c->startFile(fd, offset, length);
}

// ------------------------------------------------------------------ resume ----

void Server::scheduleResume(Connection* c) {
  resumeIds_.push_back(c->id);
  if (auxOpen_ && !uv_is_active(reinterpret_cast<uv_handle_t*>(&idle_))) uv_idle_start(&idle_, onIdle);
}

void Server::onIdle(uv_idle_t* i) {
  Server* s = static_cast<Server*>(i->data);
  uv_idle_stop(i);
  std::vector<uint32_t> ids;
  ids.swap(s->resumeIds_);
  for (uint32_t id : ids) {
    Connection* c = s->find(id);
    if (c) c->resumeInput();
  }
}

}  // namespace tsgi
