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
class TlsSession;

// Which read-side deadline is running (one at a time; the server's 1 s tick checks it).
// Deadlines are computed from anchors that only progress moves (Timeouts.cc): a byte
// that does not advance its phase never extends a deadline.
enum class TimeoutKind : uint8_t {
  None,    // a request is in flight: the application owns the pace
  Idle,    // keep-alive wait for the next request, from the last response end (or open)
  Head,    // part of a head has arrived, from its first byte (slowloris defence)
  Body,    // a request body is being read, from the last decoded body byte (bodyTimeout)
  Linger,  // after our FIN: discard input until the client closes, briefly
  Handshake,  // TLS: from accept until the handshake completes (tls.handshakeTimeout)
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

  TlsSession* tls = nullptr;  // TLS listeners only; owned (TlsConnection.cc)
  RequestReader reader;
  std::vector<char> leftover;  // unconsumed input: a partial head or halted pipeline
  OutputQueue out;
  uint32_t outstanding = 0;  // requests given to JavaScript whose response has not ended
  HttpError pendingError = HttpError::None;  // answered once earlier responses are out

  TimeoutKind timeoutKind = TimeoutKind::None;
  uint64_t deadline = 0;   // of timeoutKind: uv_now() milliseconds, 0 for none
  uint64_t lastEndAt = 0;  // when a response last ended, or the connection opened
  uint64_t headSince = 0;  // first request byte (not an empty line) of the next head; 0: none
  uint64_t bodyMark = 0;   // last body progress (or the head, or a resume)
  uint64_t bodyBytes = 0;  // decoded body bytes since bodyMark
  uint64_t bodyUnit = 1024;  // bytes that count as body progress (Connection.h)
  uint64_t lingerSince = 0;
  // Output progress (sendTimeout, half-close): bytes the kernel accepted, and the
  // deadlines that only a change of that count (or a response end) moves.
  uint64_t sentTotal = 0;
  uint64_t sendMark = 0;
  uint64_t sendDeadline = 0;  // 0: no output pending, or sendTimeout 0
  uint64_t finMark = 0;
  uint64_t finDeadline = 0;   // the client half-closed while responses were pending
  uint64_t finEndDeadline = 0;  // ... and the next response must end by then

  // sendfile(2) job; the poll handle watches a dup() of the socket for writability,
  // because libuv allows one handle per descriptor and the stream already has it.
  struct {
    int fd = -1;
    int64_t offset = 0;
    int64_t remaining = 0;
    bool active = false;
  } file;
  bool fileCancelled = false;  // closed during a sendfile: report it before kEvClosed
  uv_poll_t* poll = nullptr;  // also watches for the client leaving (SendFile.cc)
  int pollFd = -1;
  int watchEvents = 0;        // UV_WRITABLE | UV_DISCONNECT in effect on poll
  bool fileWaiting = false;   // the sendfile waits for writability
  bool watchDeferred = false;  // queued for Server::onCheck (updateWatch)

  uint8_t pendingCloses = 0;  // handles whose uv_close callback has not run yet
  bool isTcp = true;
  bool reading = false;        // uv_read_start is in effect
  bool paused = false;         // pauseBody()
  bool halted = false;         // too many requests in flight; resumes as responses end
  bool peerEof = false;        // the client half-closed
  bool finSeen = false;        // FIN seen by the watch (UV_DISCONNECT) while not reading
  bool readBlocked = false;    // output over the high-water mark: no reading or parsing
  bool openSent = false;       // JavaScript knows this connection (kEvOpen sent)
  bool jsClosed = false;       // JavaScript was told it closed; ignore its ops
  bool served = false;           // at least one response ended
  bool responseStarted = false;  // bytes of the current response were sent
  bool wantDrain = false;      // JavaScript waits for kEvWritable
  bool closeRequested = false;   // close after output drains (and responses end)
  bool forceClose = false;       // ... even if later pipelined requests are unanswered
  bool shutdownStarted = false;  // uv_shutdown issued
  bool lingering = false;        // reading and discarding until EOF or the deadline
  bool closing = false;          // uv_close issued
};

}  // namespace tsgi
