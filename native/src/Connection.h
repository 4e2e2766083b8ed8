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

  explicit Connection(Server* s) { server = s; }
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
  void onTimeout();
  void updateTimeout();

  // libuv callbacks.
  static void onAlloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void onRead(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
  static void onWrite(uv_write_t* req, int status);
  static void onShutdown(uv_shutdown_t* req, int status);
  static void onClose(uv_handle_t* h);
  static void onPollWritable(uv_poll_t* p, int status, int events);
  static void onPollClose(uv_handle_t* h);

  // Called by the request sink in Connection.cc.
  void emitOpen();
  void onParseError(HttpError e, bool inBody);

 private:
  bool wantsReading() const;
  void startWrite();
  void onDrained();
  void writeErrorResponse(HttpError e);
  void maybeFinishClose();
  int pumpFile();  // 1 done, 0 waiting for writability, <0 -errno
  void finishFile(int result);
  void closeHandles(bool reset);
};

}  // namespace tsgi
