// Reading, writing and closing one connection. See Connection.h for ownership.
#include "Connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "Server.h"
#include "SharedLayout.h"
#include "TlsSession.h"

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
    // readBlocked: a client that does not read its responses gets no new ones (the
    // output queue stays bounded); the rest waits in leftover, then in the socket.
    return !c->closing && !c->closeRequested && c->pendingError == HttpError::None &&
           c->outstanding < Connection::kMaxInFlight && !c->readBlocked;
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
    e[kRecordType] = kEvRequest;
    e[kRecordConn] = int32_t(c->id);
    e[kRequestHeadOffset] = int32_t(headStart - s->memory().input);
    e[kRequestHeadLength] = int32_t(head.length);
    e[kRequestMethodOffset] = int32_t(head.methodOffset) - rel;
    e[kRequestMethodLength] = int32_t(head.methodLength);
    e[kRequestTargetOffset] = int32_t(head.targetOffset) - rel;
    e[kRequestTargetLength] = int32_t(head.targetLength);
    e[kRequestFlags] = (head.versionMinor & kRequestFlagVersionMinorMask) | (head.keepAlive ? kRequestFlagKeepAlive : 0) |
                       (head.chunked ? kRequestFlagChunked : 0) |
                       (head.methodLength == 4 && std::memcmp(base + head.methodOffset, "HEAD", 4) == 0 ? kRequestFlagHead : 0);
    e[kRequestBodyLow] = head.chunked ? -1 : int32_t(uint32_t(head.contentLength));
    e[kRequestBodyHigh] = head.chunked ? -1 : int32_t(head.contentLength >> 32);
    e[kRequestHeaderCount] = int32_t(n);
    int32_t* f = e + kRequestFixedInts;
    for (uint32_t i = 0; i < n; i++, f += kIntsPerHeader) {
      f[kHeaderNameOffset] = int32_t(fields[i].nameOffset) - rel;
      f[kHeaderNameLength] = int32_t(fields[i].nameLength);
      f[kHeaderValueOffset] = int32_t(fields[i].valueOffset) - rel;
      f[kHeaderValueLength] = int32_t(fields[i].valueLength);
    }
    c->outstanding++;
    c->headSince = 0;  // the next head's deadline starts with its own first byte
    c->bodyMark = s->now();
    c->bodyBytes = 0;
    c->bodyUnit = Connection::bodyProgressUnit(head);
    // RFC 9112 §9.6: a request with "close" (or HTTP/1.0 without keep-alive) is the last
    // one: "The server SHOULD NOT process further requests after [it]". Its body is
    // still read; then the connection closes after the response.
    // The server is closing: this request is served (with "Connection: close", set by
    // JavaScript) and is the last one.
    if (!head.keepAlive || s->closing()) c->requestClose(false);
  }

  void onBody(const char* data, size_t length, bool last) {
    using namespace layout;
    // Progress of a body is decoded bytes, bodyUnit of them per bodyTimeout: chunk-size
    // lines, extensions and trailers never restart it (Connection::bodyProgressUnit).
    c->bodyBytes += length;
    if (c->bodyBytes >= c->bodyUnit || last) {
      c->bodyMark = s->now();
      c->bodyBytes = 0;
    }
    int32_t* e = s->reserveEvents(kBodyInts);
    e[kRecordType] = kEvBody;
    e[kRecordConn] = int32_t(c->id);
    e[kBodyOffset] = int32_t(data - s->memory().input);
    e[kBodyLength] = int32_t(length);
    e[kBodyLast] = last ? 1 : 0;
  }

  void onError(HttpError error, bool inBody) { c->onParseError(error, inBody); }
};

}  // namespace

void Connection::start() {
  h.handle.data = this;
  lastEndAt = server->now();  // the keep-alive wait for the first request starts now
  if (!startTls()) return close();
  updateReading();
  updateTimeout();
}

// ------------------------------------------------------------------- input ----

bool Connection::wantsReading() const {
  if (closing || (shutdownStarted && !lingering)) return false;
  if (lingering) return true;
  if (paused || halted || peerEof || readBlocked) return false;
  if (reader.inBody()) return true;  // an in-flight request still needs its body
  return !closeRequested && pendingError == HttpError::None;
}

void Connection::updateReading() {
  bool want = wantsReading();
  if (want == reading) return updateWatch();
  if (want) {
    // A body wait restarts when we resume reading (a pause was ours, not the client's).
    if (reader.inBody()) bodyMark = server->now();
    reading = uv_read_start(&h.stream, onAlloc, onRead) == 0;
  } else {
    uv_read_stop(&h.stream);
    reading = false;
  }
  // TLS: bytes already read from the socket may wait in the session; no new read would
  // deliver them, so resumeInput (idle phase) decrypts them.
  if (want && tls && tls->inputPending()) server->scheduleResume(this);
  updateWatch();
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
  if (c->tls) {  // ciphertext: fed to the session at once, so one buffer serves all
    *buf = uv_buf_init(s->tlsReadBuffer(), unsigned(Server::kReadSize));
    return;
  }
  const SharedMemory& m = s->memory();
  size_t keep = c->lingering ? 0 : c->leftover.size();
  size_t at = s->inputUsed();
  // Leftover is a partial head, bounded by the parser limits, and the server dispatches
  // before the free space drops below a read plus such a head. Anything else is a bug:
  // fail this read (the connection closes).
  if (at + keep + 1024 > m.inputSize) {
    *buf = uv_buf_init(nullptr, 0);
    return;
  }
  size_t room = m.inputSize - keep - at;
  if (room > Server::kReadSize) room = Server::kReadSize;
  s->claimInput(at, keep + room);
  if (keep) std::memcpy(m.input + at, c->leftover.data(), keep);
  c->readBase = at;
  *buf = uv_buf_init(m.input + at + keep, unsigned(room));
}

void Connection::onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  Connection* c = fromHandle(stream);
  if (nread == 0 || c->closing) return;
  if (nread < 0) {
    if (c->lingering || nread != UV_EOF) return c->close();
    return c->onEof();
  }
  if (c->lingering) return;  // discarding until the client closes
  if (c->tls) return c->onTlsRead(buf->base, size_t(nread));
  Server* s = c->server;
  c->processInput(s->memory().input + c->readBase, c->leftover.size() + size_t(nread));
  s->afterRead();
}

void Connection::onEof() {
  // The client half-closed. Requests already received are still answered (their
  // responses can be written); a body cut short can never complete.
  peerEof = true;
  leftover.clear();
  if (reader.inBody() || outstanding == 0) return close();
  onPeerFin();
  updateReading();
  requestClose(false);
}

void Connection::processInput(char* data, size_t length) {
  // The bytes stay in the input area until JavaScript had them; a dispatch in the
  // middle (event area full) must not let the next read overwrite them.
  const size_t begin = size_t(data - server->memory().input);
  const size_t end = begin + length;
  server->protectInput(end);
  server->pinInput(begin);
  EventSink sink{this, server};
  size_t used = reader.consume(data, length, sink);
  server->unpinInput();
  server->protectInput(end);
  if (closing) return;
  if (reader.state() == RequestReader::State::Failed) used = length;
  leftover.assign(data + used, data + length);
  // RFC 9112 §2.2: empty lines before a request-line are ignored, and so they do not
  // start (or restart) the head deadline: the keep-alive wait keeps running. The first
  // other byte starts it, once per request.
  if (!headSince && reader.state() == RequestReader::State::Head) {
    for (char ch : leftover) {
      if (ch != '\r' && ch != '\n') {
        headSince = server->now();
        break;
      }
    }
  }
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
    server->claimInput(0, n);
    std::memcpy(m.input, leftover.data(), n);
    processInput(m.input, n);
    if (tls) drainTls();
    server->dispatchPending();
    return;
  }
  updateReading();
  if (tls && !closing && wantsReading() && tls->inputPending()) {
    drainTls();
    server->dispatchPending();
  }
}

void Connection::onParseError(HttpError e, bool inBody) {
  leftover.clear();
  if (inBody) {
    // RFC 9112 §7.1: a broken chunked body makes the rest of the stream unusable. The
    // request is already with JavaScript; answer 400 only if its response has not begun.
    if (outstanding <= 1 && !responseStarted) writeErrorResponse(e);
    jsClosed = true;  // ignore its ops from now; kEvClosed tells it the exchange died
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
  if (tls) return sendTls(bufs, count);
  sendRaw(bufs, count);
}

void Connection::sendRaw(const uv_buf_t* bufs, unsigned count) {
  if (closing || shutdownStarted) return;
  if (!out.writing() && !out.hasPending()) {
    int r = uv_try_write(&h.stream, bufs, count);
    if (r == UV_EAGAIN) r = 0;
    if (r < 0) return abort();
    sentTotal += uint64_t(r);
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
  if (!out.hasPending()) return;
  armSend();
  if (out.size() > Server::kHighWater && !readBlocked) {
    readBlocked = true;
    updateReading();
    updateTimeout();
  }
  if (!out.writing()) startWrite();
}

void Connection::resumeAfterBlock() {
  readBlocked = false;
  // Complete requests may wait in leftover: parse them (from the idle phase), else read.
  if (!leftover.empty()) server->scheduleResume(this);
  else updateReading();
  updateTimeout();
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
  if (status == 0) c->sentTotal += c->out.inFlightSize();
  c->out.endWrite();
  if (c->closing) return;
  if (status < 0) return c->abort();
  if (c->readBlocked && c->out.size() <= Server::kLowWater) c->resumeAfterBlock();
  if (c->out.hasPending()) return c->startWrite();
  c->onDrained();
}

void Connection::onDrained() {
  if (file.active) {
    int r = pumpFile();
    if (r == 0) return;
    if (r == -EPIPE || r == -ECONNRESET) return abort();  // the client left (SendFile.cc)
    finishFile(r);
  }
  sendDeadline = 0;  // nothing is waiting for the client
  if (!outstanding) lastEndAt = server->now();  // the keep-alive wait starts at the last byte
  if (wantDrain && !closing) {
    wantDrain = false;
    int32_t* e = server->reserveEvents(layout::kBareEventInts);
    e[layout::kRecordType] = layout::kEvWritable;
    e[layout::kRecordConn] = int32_t(id);
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
    if (finDeadline) {  // progress for a half-closed client (Timeouts.cc)
      finDeadline = lastEndAt + kHalfCloseMs;
      finEndDeadline = lastEndAt + kHalfCloseEndMs;
      server->armSoon(finDeadline);
    }
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
  if (tls) {
    // RFC 8446 §6.1: close_notify before our FIN. It goes out in one write (the queue
    // is empty here), which libuv finishes before the shutdown.
    tls->shutdown();
    flushTls();
    if (closing) return;
  }
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
  c->lingerSince = c->server->now();
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
  // JavaScript learns it (kEvFileDone, EPIPE) before kEvClosed, in
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
  watchEvents = 0;  // updateWatch never touches the closing handle again
  fileWaiting = false;
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
  // The address travels in the record (SharedLayout.h), 4 bytes per int.
  size_t n = std::strlen(name);
  if (n > size_t(kOpenAddressInts) * 4) n = size_t(kOpenAddressInts) * 4;
  int32_t* e = server->reserveEvents(kOpenInts);
  e[kRecordType] = kEvOpen;
  e[kRecordConn] = int32_t(id);
  e[kOpenRemotePort] = remotePort;
  e[kOpenLocalPort] = server->port();
  e[kOpenAddressLength] = int32_t(n);
  // In memory order: JavaScript reads these bytes through a byte view of the events.
  std::memset(e + kOpenAddress, 0, sizeof(int32_t) * kOpenAddressInts);
  std::memcpy(e + kOpenAddress, name, n);
}

}  // namespace tsgi
