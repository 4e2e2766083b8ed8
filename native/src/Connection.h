// Behaviour of one client connection: reading and parsing (via RequestReader), writing
// with uv_try_write and falling back to uv_write, sendfile, timeouts and closing.
// Who frees what: the Connection is deleted by Server::onConnectionClosed once every
// handle it owns (the stream, and the poll handle when sendfile needed one) has
// finished uv_close; pending write and shutdown requests are cancelled by libuv first.
#pragma once
#include "ConnectionData.h"

namespace tsgi {

class Connection : public ConnectionData {
 public:
  static constexpr uint32_t kMaxInFlight = 128;  // pipelined requests given to JavaScript
  static constexpr uint64_t kLingerMs = 2000;
  static constexpr uint64_t kRecentMs = 1000;  // on server close: "just used" keep-alive
  // After the client's FIN, responses still owed must make progress (bytes accepted or a
  // response ended) at least every kHalfCloseMs, and one must end at least every
  // kHalfCloseEndMs, or the connection is reset (Timeouts.cc, onPeerFin).
  static constexpr uint64_t kHalfCloseMs = 250;
  static constexpr uint64_t kHalfCloseEndMs = 5000;
  // Decoded body bytes that restart bodyTimeout: 1 KiB, or an eighth of a smaller
  // Content-Length body (at least 1 byte). A body dribbled a byte at a time is cut (the
  // slow-POST attack), while a small body sent slowly but steadily still completes: the
  // time a client can take is bounded by (8 + length / 1 KiB) bodyTimeouts. Chunked
  // bodies (length unknown) use 1 KiB.
  static constexpr uint64_t kBodyProgressBytes = 1024;
  static uint64_t bodyProgressUnit(const ParsedHead& head) {
    if (head.chunked) return kBodyProgressBytes;
    uint64_t eighth = (head.contentLength + 7) / 8;
    return eighth < 1 ? 1 : eighth > kBodyProgressBytes ? kBodyProgressBytes : eighth;
  }
  // After Server::close, responses in progress get sendTimeout (this without one) past
  // the close grace; then their connections close (Server::sweepTimeouts).
  static constexpr uint64_t kCloseForceMs = 10000;

  explicit Connection(Server* s) { server = s; }
  ~Connection();  // TlsConnection.cc: frees the TLS session
  void start();

  // Input.
  void processInput(char* data, size_t length);  // data lives in the server's input area
  void resumeInput();                             // after a pipeline halt
  void setPaused(bool p);
  void updateReading();

  // Output.
  void send(const uv_buf_t* bufs, unsigned count);
  void finishResponses(uint32_t ends, bool close);
  int startFile(int fd, int64_t offset, int64_t length);  // 1 done, 0 pending, <0 -errno

  // Closing.
  void requestClose(bool force);
  void beginServerClose();  // Server::close(): see there
  void abort();  // close now (RST on TCP)
  void close();  // close now, gracefully
  // Timeouts.cc.
  void onTimeout();
  void updateTimeout();
  void checkTimeouts(uint64_t now);  // from the server's 1 s tick
  void onPeerFin();                  // the client half-closed (EOF read, or POLLRDHUP)
  bool checkHalfClose(uint64_t now);  // true: reset (Server::onSoon, checkTimeouts)

  // libuv callbacks.
  static void onAlloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void onRead(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
  static void onWrite(uv_write_t* req, int status);
  static void onShutdown(uv_shutdown_t* req, int status);
  static void onClose(uv_handle_t* h);
  static void onPollEvent(uv_poll_t* p, int status, int events);
  static void onPollClose(uv_handle_t* h);

  // SendFile.cc: the poll handle's events (writable; the client's FIN or RST while we
  // do not read). deferredPass: from Server::onCheck, which applies new client watches.
  void updateWatch(bool deferredPass = false);

  // Called by the request sink in Connection.cc.
  void emitOpen();
  void onParseError(HttpError e, bool inBody);

  // TlsConnection.cc: the TLS layer between the socket and the unchanged HTTP code.
  bool startTls();  // false: no memory for a session
  void onTlsRead(const char* data, size_t length);  // ciphertext from the socket

 private:
  void drainTls();    // decrypt buffered input into the HTTP reader while it reads
  void flushTls();    // move ciphertext from the session to the output queue
  void sendTls(const uv_buf_t* bufs, unsigned count);
  void failTls();     // the session failed: the alert goes out, then FIN
  void refusePlainHttp();
  int pumpFileTls();  // sendfile over TLS: pread, encrypt, queue (see SendFile.cc)

  bool wantsReading() const;
  void resumeAfterBlock();  // output went under the low-water mark
  void armSend();
  uint64_t accepted() const;  // bytes the client took (Timeouts.cc): progress of output
  void sendRaw(const uv_buf_t* bufs, unsigned count);  // bytes as they go on the wire
  void onEof();  // the client's FIN (or its TLS close_notify)
  void startWrite();
  void onDrained();
  void writeErrorResponse(HttpError e);
  void maybeFinishClose();
  int pumpFile();  // 1 done, 0 waiting for writability, <0 -errno
  void finishFile(int result);
  void closeHandles(bool reset);
};

}  // namespace tsgi
