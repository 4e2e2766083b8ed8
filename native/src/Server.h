// One listening socket on Node's own libuv loop, the connections it accepted, and the
// batching boundary with JavaScript: events are collected in shared memory during one
// libuv callback and handed over in a single call (JsBridge::dispatch).
#pragma once
#include <uv.h>

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "HttpParser.h"

namespace tsgi {

class Connection;
class Server;

struct ServerConfig {
  std::string host;  // an IP literal (JavaScript resolves names first)
  int port = 0;
  std::string path;  // Unix domain socket when not empty
  bool reusePort = false;
  ParserLimits limits;
  uint64_t keepAliveMs = 5000;
  uint64_t headersMs = 30000;
  uint64_t bodyMs = 30000;  // longest pause between two reads of a request body
};

struct SharedMemory {
  char* input = nullptr;
  size_t inputSize = 0;
  int32_t* events = nullptr;
  size_t eventCapacity = 0;  // ints
  char* output = nullptr;
  size_t outputSize = 0;
  int32_t* ops = nullptr;
  size_t opsCapacity = 0;  // ints
  int32_t* control = nullptr;
  size_t controlCapacity = 0;  // ints
  char* date = nullptr;        // at least 29 bytes
};

// Implemented in Addon.cc, the only file that sees Node-API.
class JsBridge {
 public:
  virtual ~JsBridge() = default;
  // Calls JavaScript with the number of event ints; JavaScript returns how many ops it
  // wrote, which must be applied (server.applyOps) before microtasks run.
  virtual void dispatch(Server* server, uint32_t eventInts) = 0;
  // The server finished closing and will be deleted right after this call.
  virtual void serverGone(Server* server) = 0;
};

class Server {
 public:
  static constexpr size_t kReadSize = 64 * 1024;
  static constexpr size_t kAddressReserve = 64;  // end of input: one peer address
  static constexpr size_t kHighWater = 256 * 1024;
  static constexpr uint64_t kCloseGraceMs = 2000;  // at most, for a first request on close

  Server(uv_loop_t* loop, ServerConfig config, SharedMemory memory, JsBridge* bridge);
  // Binds and listens. Returns 0 or a libuv error; *what names the failing step.
  int listen(std::string* what);
  int port() const { return port_; }
  void close();  // graceful: stop accepting, finish exchanges, resolve when all are gone

  // Bindings (called from JavaScript, never dispatch back into it).
  int applyOps(uint32_t count);  // returns how many connection ids went to control
  int writeLarge(uint32_t id, const char* data, size_t length, int flags);  // 1 = blocked
  int control(uint32_t id, int command);
  int sendFile(uint32_t id, int fd, int64_t offset, int64_t length);

  // For connections.
  uv_loop_t* loop() const { return loop_; }
  const ServerConfig& config() const { return config_; }
  const SharedMemory& memory() const { return memory_; }
  HeaderField* fieldStorage() { return fields_.data(); }
  bool closing() const { return closing_; }
  uint64_t closeDeadline() const { return closeDeadline_; }
  int32_t* reserveEvents(uint32_t ints);  // may dispatch first when the area is full
  void dispatchPending();
  // The input area in use by reads not yet handed to JavaScript.
  size_t inputUsed() const { return inputUsed_; }
  void protectInput(size_t end) { if (end > inputUsed_) inputUsed_ = end; }
  void afterRead();  // dispatches early when another read might not fit
  void scheduleResume(Connection* c);
  void onConnectionClosed(Connection* c);
  uint64_t now() const { return uv_now(loop_); }

 private:
  static void onConnection(uv_stream_t* listener, int status);
  static void onListenClose(uv_handle_t* h);
  static void onTick(uv_timer_t* t);
  static void onIdle(uv_idle_t* i);
  static void onCheck(uv_check_t* c);
  static void onAuxClose(uv_handle_t* h);
  int bindTcp(std::string* what);
  int bindPipe(std::string* what);
  void accept();
  int acceptOne(int fd);
  void updateDate();
  void sweepTimeouts();
  void maybeFinishClose();
  Connection* find(uint32_t id) const;
  uint32_t allocateId(Connection* c);

  uv_loop_t* loop_;
  ServerConfig config_;
  SharedMemory memory_;
  JsBridge* bridge_;
  union {
    uv_handle_t handle;
    uv_stream_t stream;
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } listener_;
  uv_timer_t tick_;  // once a second: Date header and connection deadlines
  uv_idle_t idle_;   // runs resumeInput for connections whose pipeline halt ended
  uv_check_t check_;  // after each poll phase: one dispatch for all reads of the iteration
  std::vector<HeaderField> fields_;
  std::vector<Connection*> slots_;
  std::vector<uint16_t> generations_;
  std::deque<uint32_t> freeSlots_;  // FIFO: a slot is reused as late as possible
  std::vector<uint32_t> resumeIds_;
  Connection* first_ = nullptr;
  size_t connectionCount_ = 0;
  uint64_t closeDeadline_ = 0;  // end of the grace period for requests not yet received
  uint32_t eventInts_ = 0;
  size_t inputUsed_ = 0;
  size_t maxLeftover_ = 0;  // largest partial head the parser keeps
  int port_ = 0;
  int auxOpen_ = 0;  // tick, idle and check handles not yet closed
  bool listening_ = false;
  bool listenerOpen_ = false;
  bool closing_ = false;
  bool finished_ = false;
};

}  // namespace tsgi
