// One listening socket on Node's own libuv loop, the connections it accepted, and the
// batching boundary with JavaScript: events are collected in shared memory during one
// libuv callback and handed over in a single call (JsBridge::dispatch).
#pragma once
#include <ctime>
#include <uv.h>

#include <cstdint>
#include <cstddef>
#include <deque>
#include <string>
#include <vector>

#include "HttpParser.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX (TlsContext.h)

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
  uint64_t bodyMs = 30000;  // longest pause between two decoded bytes of a request body
  uint64_t sendMs = 30000;  // longest wait for the client to accept any queued output
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
  // Output queued for one connection: above kHighWater write() says false to JavaScript
  // and the connection stops reading (no new requests, so no new responses) until the
  // queue is back under kLowWater.
  static constexpr size_t kHighWater = 256 * 1024;
  static constexpr size_t kLowWater = 64 * 1024;
  static constexpr uint64_t kCloseGraceMs = 2000;  // at most, for a first request on close

  Server(uv_loop_t* loop, ServerConfig config, SharedMemory memory, JsBridge* bridge);
  ~Server();
  // Binds and listens. Returns 0 or a libuv error; *what names the failing step.
  int listen(std::string* what);
  int port() const { return port_; }
  void close();  // graceful: stop accepting, finish exchanges, resolve when all are gone

  // Bindings (called from JavaScript, never dispatch back into it).
  int applyOps(uint32_t count);  // returns how many connection ids went to control
  int writeLarge(uint32_t id, const char* data, size_t length, int flags);  // 1 = blocked
  int control(uint32_t id, int command);
  int sendFile(uint32_t id, int fd, int64_t offset, int64_t length);
  // TLS (TlsConnection.cc). setTls takes the caller's reference to ctx and drops the
  // previous context's: handshakes from now on use ctx, open connections keep theirs.
  void setTls(ssl_ctx_st* ctx, uint64_t handshakeMs);
  // RequestHead.tls of connection id; false when it is gone or not (yet) TLS.
  bool tlsFacts(uint32_t id, std::string* protocol, std::string* cipher, std::string* subject, bool* hasSubject,
                std::string* verify, bool* clientCertRequested) const;

  // For connections.
  uv_loop_t* loop() const { return loop_; }
  ssl_ctx_st* tlsContext() const { return tlsContext_; }
  uint64_t handshakeMs() const { return handshakeMs_; }
  // Scratch of kReadSize bytes: ciphertext just read (fed to the session at once) and
  // file chunks; and ciphertext on its way to the output queue.
  char* tlsReadBuffer() { return tlsRead_.data(); }
  char* tlsWriteBuffer() { return tlsWrite_.data(); }
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
  // [from, ...) is being parsed: a dispatch in the middle must not release it.
  void pinInput(size_t from) { pinnedFrom_ = from; }
  void unpinInput() { pinnedFrom_ = SIZE_MAX; }
  // C++ is about to write input[at, at + length): in the ASan build, released regions
  // are poisoned after each dispatch (releaseInput) and must be unpoisoned first.
  void claimInput(size_t at, size_t length);
  void afterRead();  // dispatches early when another read might not fit
  void scheduleResume(Connection* c);
  void armSoon(uint64_t at);
  void deferWatch(Connection* c);  // Connection::updateWatch, applied in onCheck  // check half-close deadlines at `at` (finer than the tick)
  void onConnectionClosed(Connection* c);
  uint64_t now() const { return uv_now(loop_); }

 private:
  static void onConnection(uv_stream_t* listener, int status);
  static void onListenClose(uv_handle_t* h);
  static void onTick(uv_timer_t* t);
  static void onSoon(uv_timer_t* t);
  static void onIdle(uv_idle_t* i);
  static void onCheck(uv_check_t* c);
  static void onAuxClose(uv_handle_t* h);
  int bindTcp(std::string* what);
  int bindPipe(std::string* what);
  void accept();
  int acceptOne(int fd);
  void updateDate(time_t second);
  void armTick();
  void sweepTimeouts();
  void maybeFinishClose();
  void releaseInput(size_t end);
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
  uv_timer_t tick_;  // just after each wall-clock second: Date header and connection deadlines
  time_t dateSecond_ = -1;  // the second the shared Date text names
  uv_timer_t soon_;  // half-close deadlines (Connection::checkHalfClose), unreferenced
  uint64_t soonAt_ = 0;
  uv_idle_t idle_;   // runs resumeInput for connections whose pipeline halt ended
  uv_check_t check_;  // after each poll phase: one dispatch for all reads of the iteration
  std::vector<HeaderField> fields_;
  ssl_ctx_st* tlsContext_ = nullptr;
  uint64_t handshakeMs_ = 0;
  std::vector<char> tlsRead_;
  std::vector<char> tlsWrite_;
  std::vector<Connection*> slots_;
  std::vector<uint16_t> generations_;
  std::deque<uint32_t> freeSlots_;  // FIFO: a slot is reused as late as possible
  std::vector<uint32_t> resumeIds_;
  std::vector<uint32_t> watchIds_;  // connections whose client watch onCheck decides
  Connection* first_ = nullptr;
  size_t connectionCount_ = 0;
  uint64_t closeDeadline_ = 0;  // end of the grace period for requests not yet received
  uint64_t forceCloseAt_ = 0;   // then responses in progress are cut (Connection::kCloseForceMs)
  uint32_t eventInts_ = 0;
  size_t inputUsed_ = 0;
  size_t pinnedFrom_ = SIZE_MAX;
  size_t maxLeftover_ = 0;  // largest partial head the parser keeps
  int port_ = 0;
  int auxOpen_ = 0;  // tick, soon, idle and check handles not yet closed
  bool listening_ = false;
  bool listenerOpen_ = false;
  bool closing_ = false;
  bool finished_ = false;
};

}  // namespace tsgi
