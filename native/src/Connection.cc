// Reading, writing and closing one connection. See Connection.h for ownership.
#include "Connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "Server.h"
#include "SharedLayout.h"

namespace tsgi {
namespace {

Connection* fromHandle(const void* h) {
  return static_cast<Connection*>(static_cast<const uv_handle_t*>(h)->data);
}

// Turns RequestReader callbacks into event records in shared memory.
struct EventSink {
  Connection* c;
  Server* s;

  bool acceptHead() {
    return !c->closing && !c->closeRequested && c->pendingError == HttpError::None &&
           c->outstanding < Connection::kMaxInFlight;
  }
  const ParserLimits& limits() { return s->config().limits; }
  HeaderField* fieldStorage() { return s->fieldStorage(); }

  void onHead(const char* base, const ParsedHead& head, const HeaderField* fields) {
    using namespace layout;
    if (!c->openSent) c->emitOpen();
    uint32_t n = head.headerCount;
    int32_t* e = s->reserveEvents(kRequestFixedInts + kIntsPerHeader * n);
    const char* headStart = base + head.start;
    const int32_t rel = int32_t(head.start);
    e[0] = kEventRequest;
    e[1] = int32_t(c->id);
    e[2] = int32_t(headStart - s->memory().input);
    e[3] = int32_t(head.length);
    e[4] = int32_t(head.methodOffset) - rel;
    e[5] = int32_t(head.methodLength);
    e[6] = int32_t(head.targetOffset) - rel;
    e[7] = int32_t(head.targetLength);
    e[8] = head.versionMinor | (head.keepAlive ? kRequestFlagKeepAlive : 0) |
           (head.chunked ? kRequestFlagChunked : 0) |
           (head.methodLength == 4 && std::memcmp(base + head.methodOffset, "HEAD", 4) == 0 ? kRequestFlagHead : 0);
    e[9] = head.chunked ? -1 : int32_t(uint32_t(head.contentLength));
    e[10] = head.chunked ? -1 : int32_t(head.contentLength >> 32);
    e[11] = int32_t(n);
    int32_t* f = e + kRequestFixedInts;
    for (uint32_t i = 0; i < n; i++, f += kIntsPerHeader) {
      f[0] = int32_t(fields[i].nameOffset) - rel;
      f[1] = int32_t(fields[i].nameLength);
      f[2] = int32_t(fields[i].valueOffset) - rel;
      f[3] = int32_t(fields[i].valueLength);
    }
    c->outstanding++;
    // RFC 9112 §9.6: a request with "close" (or HTTP/1.0 without keep-alive) is the last
    // one: "The server SHOULD NOT process further requests after [it]". Its body is
    // still read; then the connection closes after the response.
    // The server is closing: this request is served (with "Connection: close", set by
    // JavaScript) and is the last one.
    if (!head.keepAlive || s->closing()) c->requestClose(false);
  }

  void onBody(const char* data, size_t length, bool last) {
    using namespace layout;
    int32_t* e = s->reserveEvents(5);
    e[0] = kEventBody;
    e[1] = int32_t(c->id);
    e[2] = int32_t(data - s->memory().input);
    e[3] = int32_t(length);
    e[4] = last ? 1 : 0;
  }

  void onError(HttpError error, bool inBody) { c->onParseError(error, inBody); }
};

}  // namespace

void Connection::start() {
  h.handle.data = this;
  updateReading();
  updateTimeout();
}

// ------------------------------------------------------------------- input ----

bool Connection::wantsReading() const {
  if (closing || (shutdownStarted && !lingering)) return false;
  if (lingering) return true;
  if (paused || halted || peerEof) return false;
  if (reader.inBody()) return true;  // an in-flight request still needs its body
  return !closeRequested && pendingError == HttpError::None;
}

void Connection::updateReading() {
  bool want = wantsReading();
  if (want == reading) return;
  if (want) {
    reading = uv_read_start(&h.stream, onAlloc, onRead) == 0;
  } else {
    uv_read_stop(&h.stream);
    reading = false;
  }
}

void Connection::setPaused(bool p) {
  paused = p;
  updateReading();
  updateTimeout();  // a paused body is not the client's delay (bodyTimeout)
}

// Reads land in the server's input area at its current end, after a copy of this
// connection's leftover, so a head split across reads is contiguous and JavaScript sees
// one buffer. Several reads (of several connections) share one batch: the server hands
// them to JavaScript after the poll phase (Server::onCheck), or earlier when full.
void Connection::onAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  Connection* c = fromHandle(handle);
  Server* s = c->server;
  const SharedMemory& m = s->memory();
  size_t keep = c->lingering ? 0 : c->leftover.size();
  size_t at = s->inputUsed();
  // Leftover is a partial head, bounded by the parser limits, and the server dispatches
  // before the free space drops below a read plus such a head. Anything else is a bug:
  // fail this read (the connection closes).
  if (at + keep + Server::kAddressReserve + 1024 > m.inputSize) {
    *buf = uv_buf_init(nullptr, 0);
    return;
  }
  if (keep) std::memcpy(m.input + at, c->leftover.data(), keep);
  c->readBase = at;
  size_t room = m.inputSize - Server::kAddressReserve - keep - at;
  *buf = uv_buf_init(m.input + at + keep, unsigned(room < Server::kReadSize ? room : Server::kReadSize));
}

void Connection::onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  Connection* c = fromHandle(stream);
  if (nread == 0 || c->closing) return;
  if (nread < 0) {
    if (c->lingering || nread != UV_EOF) return c->close();
    // The client half-closed. Requests already received are still answered (their
    // responses can be written); a body cut short can never complete.
    c->peerEof = true;
    c->leftover.clear();
    if (c->reader.inBody() || c->outstanding == 0) return c->close();
    c->updateReading();
    c->requestClose(false);
    return;
  }
  if (c->lingering) return;  // discarding until the client closes
  Server* s = c->server;
  c->processInput(s->memory().input + c->readBase, c->leftover.size() + size_t(nread));
  s->afterRead();
  (void)buf;
}

void Connection::processInput(char* data, size_t length) {
  // The bytes stay in the input area until JavaScript had them; a dispatch in the
  // middle (event area full) must not let the next read overwrite them.
  const size_t end = size_t(data - server->memory().input) + length;
  server->protectInput(end);
  EventSink sink{this, server};
  const bool wasInBody = reader.inBody();
  size_t used = reader.consume(data, length, sink);
  bodyProgress = wasInBody && length > leftover.size();  // new body bytes arrived
  server->protectInput(end);
  if (closing) return;
  if (reader.state() == RequestReader::State::Failed) used = length;
  leftover.assign(data + used, data + length);
  if (outstanding >= kMaxInFlight) halted = true;
  updateReading();
  updateTimeout();
}

void Connection::resumeInput() {
  if (closing) return;
  if (!leftover.empty() && !closeRequested) {
    // Runs from the idle phase: dispatch now (the loop may block in poll next).
    server->dispatchPending();
    const SharedMemory& m = server->memory();
    size_t n = leftover.size();
    std::memcpy(m.input, leftover.data(), n);
    processInput(m.input, n);
    server->dispatchPending();
    return;
  }
  updateReading();
}

void Connection::onParseError(HttpError e, bool inBody) {
  leftover.clear();
  if (inBody) {
    // RFC 9112 §7.1: a broken chunked body makes the rest of the stream unusable. The
    // request is already with JavaScript; answer 400 only if its response has not begun.
    if (outstanding <= 1 && !responseStarted) writeErrorResponse(e);
    jsClosed = true;  // ignore its ops from now; kEventClosed tells it the exchange died
    requestClose(true);
    return;
  }
  pendingError = e;
  if (outstanding == 0) {
    writeErrorResponse(e);
    requestClose(true);
  }
  updateReading();
}

// ------------------------------------------------------------------ output ----

void Connection::send(const uv_buf_t* bufs, unsigned count) {
  if (closing || shutdownStarted) return;
  responseStarted = true;
  if (!out.writing() && !out.hasPending()) {
    int r = uv_try_write(&h.stream, bufs, count);
    if (r == UV_EAGAIN) r = 0;
    if (r < 0) return abort();
    size_t skip = size_t(r);
    for (unsigned i = 0; i < count; i++) {
      if (skip >= bufs[i].len) {
        skip -= bufs[i].len;
        continue;
      }
      out.append(bufs[i].base + skip, bufs[i].len - skip);
      skip = 0;
    }
  } else {
    for (unsigned i = 0; i < count; i++) out.append(bufs[i].base, bufs[i].len);
  }
  if (!out.writing() && out.hasPending()) startWrite();
}

void Connection::startWrite() {
  std::vector<char>& bytes = out.beginWrite();
  uv_buf_t b = uv_buf_init(bytes.data(), unsigned(bytes.size()));
  writeRequest.data = this;
  if (uv_write(&writeRequest, &h.stream, &b, 1, onWrite) != 0) {
    out.endWrite();
    abort();
  }
}

void Connection::onWrite(uv_write_t* req, int status) {
  Connection* c = static_cast<Connection*>(req->data);
  c->out.endWrite();
  if (c->closing) return;
  if (status < 0) return c->abort();
  if (c->out.hasPending()) return c->startWrite();
  c->onDrained();
}

void Connection::onDrained() {
  if (file.active) {
    int r = pumpFile();
    if (r == 0) return;
    finishFile(r);
  }
  if (wantDrain && !closing) {
    wantDrain = false;
    int32_t* e = server->reserveEvents(2);
    e[0] = layout::kEventWritable;
    e[1] = int32_t(id);
    server->dispatchPending();
  }
  updateTimeout();
  maybeFinishClose();
}

void Connection::writeErrorResponse(HttpError e) {
  PrebuiltResponse r = prebuiltResponse(e);
  uv_buf_t b = uv_buf_init(const_cast<char*>(r.bytes), unsigned(r.length));
  send(&b, 1);
}

void Connection::finishResponses(uint32_t ends, bool closeAfter) {
  if (closing) return;
  outstanding = ends > outstanding ? 0 : outstanding - ends;
  if (ends) {
    responseStarted = false;
    served = true;
    lastEndAt = server->now();
  }
  if (closeAfter) {
    requestClose(true);  // RFC 9112 §9.6: no further requests are processed after close
  } else if (outstanding == 0) {
    if (pendingError != HttpError::None) {
      writeErrorResponse(pendingError);
      requestClose(true);
    } else if (peerEof || server->closing()) {
      requestClose(true);
    }
  }
  if (halted && outstanding <= kMaxInFlight / 2) {
    halted = false;
    server->scheduleResume(this);
  }
  updateTimeout();
  maybeFinishClose();
}

// ----------------------------------------------------------------- closing ----

void Connection::beginServerClose() {
  if (closing || shutdownStarted || closeRequested) {
    if (!closing && !shutdownStarted) requestClose(false);
    return;
  }
  bool busy = outstanding || reader.inBody() || out.writing() || out.hasPending() || file.active;
  if (busy) return requestClose(false);  // in flight: finish it, then close
  // A client that got a response in the last moment is probably sending its next request
  // right now (a FIN would cross it: the keep-alive race): it gets the grace period too.
  bool waiting = !leftover.empty() || !served || server->now() - lastEndAt < kRecentMs;
  if (!waiting) {
    // Idle keep-alive: a request the client already sent (bytes in our socket buffer) is
    // still served; otherwise a FIN now.
    uv_os_fd_t fd;
    char byte;
    if (uv_fileno(&h.handle, &fd) == 0) {
      ssize_t n;
      do n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      while (n < 0 && errno == EINTR);
      waiting = n > 0;
    }
  }
  if (!waiting) return requestClose(true);
  // Grace period for the first (or an already sent) request: keep reading until the
  // server's close deadline.
  timeoutKind = TimeoutKind::None;
  updateTimeout();
  updateReading();
}

void Connection::requestClose(bool force) {
  closeRequested = true;
  forceClose = forceClose || force;
  updateReading();
  maybeFinishClose();
}

// Closes once every response is written: shut down our side, then read and discard
// until the client closes, so unread request bytes do not turn our FIN into a RST
// that destroys the response in flight (RFC 9112 §9.6, "tear-down").
void Connection::maybeFinishClose() {
  if (!closeRequested || closing || shutdownStarted) return;
  if (outstanding && !forceClose) return;
  if (out.writing() || out.hasPending() || file.active) return;
  shutdownStarted = true;
  shutdownRequest.data = this;
  if (uv_shutdown(&shutdownRequest, &h.stream, onShutdown) != 0) close();
  updateReading();
}

void Connection::onShutdown(uv_shutdown_t* req, int status) {
  Connection* c = static_cast<Connection*>(req->data);
  if (c->closing) return;
  if (status < 0) return c->close();
  c->lingering = true;
  c->leftover.clear();
  c->updateTimeout();
  c->updateReading();
}

void Connection::close() { closeHandles(false); }
void Connection::abort() { closeHandles(true); }

void Connection::closeHandles(bool reset) {
  if (closing) return;
  closing = true;
  reading = false;
  uv_read_stop(&h.stream);
  // A pending sendfile is cancelled here: from now on C++ never touches file.fd, and
  // JavaScript learns it (kEventFileDone, EPIPE) before kEventClosed, in
  // Server::onConnectionClosed; only then may it close the descriptor.
  if (file.active) {
    file.active = false;
    file.fd = -1;
    fileCancelled = true;
  }
  if (poll) {
    uv_poll_stop(poll);
    uv_close(reinterpret_cast<uv_handle_t*>(poll), onPollClose);
  }
  pendingCloses++;
  if (reset && isTcp) {
    if (uv_tcp_close_reset(&h.tcp, onClose) == 0) return;
  }
  uv_close(&h.handle, onClose);
}

void Connection::onClose(uv_handle_t* handle) {
  Connection* c = fromHandle(handle);
  if (--c->pendingCloses == 0) c->server->onConnectionClosed(c);
}

// ---------------------------------------------------------------- timeouts ----

void Connection::updateTimeout() {
  TimeoutKind k;
  if (lingering) k = TimeoutKind::Linger;
  else if (closing || shutdownStarted) k = TimeoutKind::None;
  // A body we are reading (not paused by JavaScript or the in-flight limit) must keep
  // arriving; every read that brings some restarts the wait.
  else if (reader.inBody()) k = wantsReading() ? TimeoutKind::Body : TimeoutKind::None;
  // Not idle while a request is in flight or our bytes still drain to a slow reader.
  else if (outstanding || out.writing() || out.hasPending() || file.active)
    k = TimeoutKind::None;
  else if (!leftover.empty()) k = TimeoutKind::Head;
  else k = TimeoutKind::Idle;
  if (k == timeoutKind && (k != TimeoutKind::Body || !bodyProgress)) return;
  bodyProgress = false;
  timeoutKind = k;
  const ServerConfig& cfg = server->config();
  switch (k) {
    case TimeoutKind::None: deadline = 0; break;
    // A timeout of 0 means none (as in Node's http server).
    case TimeoutKind::Idle: deadline = cfg.keepAliveMs ? server->now() + cfg.keepAliveMs : 0; break;
    case TimeoutKind::Head: deadline = cfg.headersMs ? server->now() + cfg.headersMs : 0; break;
    case TimeoutKind::Body: deadline = cfg.bodyMs ? server->now() + cfg.bodyMs : 0; break;
    case TimeoutKind::Linger: deadline = server->now() + kLingerMs; break;
  }
  // Closing server: a request not received yet has until the end of the grace period.
  if (server->closing() && (k == TimeoutKind::Idle || k == TimeoutKind::Head) &&
      (!deadline || deadline > server->closeDeadline()))
    deadline = server->closeDeadline();
}

void Connection::onTimeout() {
  deadline = 0;
  if (timeoutKind == TimeoutKind::Head && !closeRequested) {
    // The head did not arrive in time (slowloris): 408 (RFC 9110 §15.5.9), then close.
    timeoutKind = TimeoutKind::None;
    leftover.clear();
    pendingError = HttpError::RequestTimeout;
    writeErrorResponse(HttpError::RequestTimeout);
    requestClose(true);
    return;
  }
  if (timeoutKind == TimeoutKind::Body) {
    // The body stalled: 408 (RFC 9110 §15.5.9) if this request's response has not begun
    // (JavaScript is still waiting for the body), then close; its exchange aborts.
    timeoutKind = TimeoutKind::None;
    onParseError(HttpError::RequestTimeout, true);
    return;
  }
  if (timeoutKind == TimeoutKind::Idle && server->closing() && !closeRequested) {
    timeoutKind = TimeoutKind::None;
    requestClose(true);  // no request came during the close grace period: a FIN
    return;
  }
  close();
}

void Connection::emitOpen() {
  using namespace layout;
  openSent = true;
  jsClosed = false;
  char name[INET6_ADDRSTRLEN] = "";
  int remotePort = 0;
  if (isTcp) {
    sockaddr_storage ss;
    int len = sizeof ss;
    if (uv_tcp_getpeername(&h.tcp, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
      if (ss.ss_family == AF_INET) {
        auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        uv_ip4_name(a, name, sizeof name);
        remotePort = ntohs(a->sin_port);
      } else if (ss.ss_family == AF_INET6) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        uv_ip6_name(a, name, sizeof name);
        remotePort = ntohs(a->sin6_port);
      }
    }
  }
  const SharedMemory& m = server->memory();
  size_t n = std::strlen(name);
  if (n > Server::kAddressReserve) n = Server::kAddressReserve;
  // After the read being parsed: onAlloc left kAddressReserve bytes free there.
  size_t at = server->inputUsed();
  std::memcpy(m.input + at, name, n);
  server->protectInput(at + n);
  int32_t* e = server->reserveEvents(6);
  e[0] = kEventOpen;
  e[1] = int32_t(id);
  e[2] = int32_t(at);
  e[3] = int32_t(n);
  e[4] = remotePort;
  e[5] = server->port();
}

}  // namespace tsgi
