// State of one client connection. Behaviour lives in Connection.h / Connection.cc; this
// file is only what a connection remembers between libuv callbacks.
#pragma once
#include <uv.h>

#include <cstdint>
#include <vector>

#include "HttpErrors.h"
#include "OutputQueue.h"
#include "RequestReader.h"

namespace tsgi {

class Server;

// Which deadline is running (one per connection; the server's 1 s timer checks them).
enum class TimeoutKind : uint8_t {
  None,    // a request is in flight: the application owns the pace
  Idle,    // keep-alive wait for the next request (keepAliveTimeout)
  Head,    // part of a head has arrived (headersTimeout: slowloris defence)
  Body,    // a request body is being read and the client sends nothing (bodyTimeout)
  Linger,  // after our FIN: discard input until the client closes, briefly
};

struct ConnectionData {
  union {
    uv_handle_t handle;
    uv_stream_t stream;
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } h;
  uv_write_t writeRequest;
  uv_shutdown_t shutdownRequest;
  Server* server = nullptr;
  ConnectionData* prev = nullptr;  // the server's list of live connections
  ConnectionData* next = nullptr;
  uint32_t id = 0;  // slot | generation << 20, see SharedLayout.h
  size_t readBase = 0;  // where onAlloc put this read (and the leftover before it)

  RequestReader reader;
  std::vector<char> leftover;  // unconsumed input: a partial head or halted pipeline
  OutputQueue out;
  uint32_t outstanding = 0;  // requests given to JavaScript whose response has not ended
  HttpError pendingError = HttpError::None;  // answered once earlier responses are out

  TimeoutKind timeoutKind = TimeoutKind::None;
  uint64_t deadline = 0;  // uv_now() milliseconds, 0 for none
  uint64_t lastEndAt = 0;  // uv_now() when a response last ended

  // sendfile(2) job; the poll handle watches a dup() of the socket for writability,
  // because libuv allows one handle per descriptor and the stream already has it.
  struct {
    int fd = -1;
    int64_t offset = 0;
    int64_t remaining = 0;
    bool active = false;
  } file;
  bool fileCancelled = false;  // closed during a sendfile: report it before kEventClosed
  uv_poll_t* poll = nullptr;
  int pollFd = -1;

  uint8_t pendingCloses = 0;  // handles whose uv_close callback has not run yet
  bool isTcp = true;
  bool reading = false;        // uv_read_start is in effect
  bool paused = false;         // pauseBody()
  bool halted = false;         // too many requests in flight; resumes as responses end
  bool peerEof = false;        // the client half-closed
  bool bodyProgress = false;   // the last read brought body bytes (restarts bodyTimeout)
  bool openSent = false;       // JavaScript knows this connection (kEventOpen sent)
  bool jsClosed = false;       // JavaScript was told it closed; ignore its ops
  bool served = false;           // at least one response ended
  bool responseStarted = false;  // bytes of the current response were sent
  bool wantDrain = false;      // JavaScript waits for kEventWritable
  bool closeRequested = false;   // close after output drains (and responses end)
  bool forceClose = false;       // ... even if later pipelined requests are unanswered
  bool shutdownStarted = false;  // uv_shutdown issued
  bool lingering = false;        // reading and discarding until EOF or the deadline
  bool closing = false;          // uv_close issued
};

}  // namespace tsgi
