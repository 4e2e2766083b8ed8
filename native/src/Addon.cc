// The Node-API surface of the native engine, and the only file that includes napi.h.
// Seven functions; everything per request travels through shared memory (SharedLayout.h),
// so there is one call into JavaScript per libuv callback and one back per batch.
#include <napi.h>
#include <uv.h>

#include <cstring>
#include <string>

#include "Server.h"
#include "SharedLayout.h"
#include "TlsContext.h"

namespace tsgi {
namespace {

constexpr int kAbiVersion = 6;

// What the JavaScript handle points to. It outlives the server: after the server is gone
// `server` is null and every binding returns its "gone" value instead of touching memory.
struct Handle {
  Server* server = nullptr;
};

class NodeBridge : public JsBridge {
 public:
  NodeBridge(Napi::Env env, Napi::Function dispatch, Napi::Object keepAlive, Handle* handle)
      : env_(env), handle_(handle) {
    dispatch_ = Napi::Persistent(dispatch);
    keepAlive_ = Napi::Persistent(keepAlive);
    resource_ = Napi::Persistent(Napi::Object::New(env));
    napi_async_init(env, resource_.Value(), Napi::String::New(env, "tsgi.native"), &context_);
  }
  ~NodeBridge() override { napi_async_destroy(env_, context_); }

  // Runs inside a callback scope so that promise jobs and process.nextTick callbacks
  // queued by the application run when the batch is done, as after any Node I/O callback.
  void dispatch(Server* server, uint32_t eventInts) override {
    Napi::HandleScope scope(env_);
    napi_callback_scope callbackScope;
    napi_open_callback_scope(env_, resource_.Value(), context_, &callbackScope);
    napi_value arg, result;
    napi_create_uint32(env_, eventInts, &arg);
    napi_status st = napi_call_function(env_, env_.Undefined(), dispatch_.Value(), 1, &arg, &result);
    if (st == napi_ok) {
      int32_t ops = 0;
      if (napi_get_value_int32(env_, result, &ops) == napi_ok && ops > 0) server->applyOps(uint32_t(ops));
    } else {
      napi_value error;
      if (napi_get_and_clear_last_exception(env_, &error) == napi_ok) napi_fatal_exception(env_, error);
    }
    napi_close_callback_scope(env_, callbackScope);
  }

  void serverGone(Server* server) override {
    handle_->server = nullptr;
    delete server;
    delete this;
  }

 private:
  Napi::Env env_;
  Handle* handle_;
  Napi::FunctionReference dispatch_;
  Napi::ObjectReference keepAlive_;  // the shared buffers: they must not be collected
  Napi::ObjectReference resource_;
  napi_async_context context_ = nullptr;
};

Server* serverOf(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsExternal()) return nullptr;
  return info[0].As<Napi::External<Handle>>().Data()->server;
}

template <class T>
bool typedArray(const Napi::Value& v, napi_typedarray_type type, T** data, size_t* count) {
  if (!v.IsTypedArray()) return false;
  Napi::TypedArray a = v.As<Napi::TypedArray>();
  if (a.TypedArrayType() != type) return false;
  Napi::ArrayBuffer buffer = a.ArrayBuffer();
  *data = reinterpret_cast<T*>(static_cast<char*>(buffer.Data()) + a.ByteOffset());
  *count = a.ElementLength();
  return true;
}

uint32_t uintProperty(Napi::Object o, const char* key, uint32_t fallback) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Uint32Value() : fallback;
}

// The addon's TLS options (native.ts nativeTls): PEM text and flags, timeouts in ms.
TlsConfig tlsConfigOf(Napi::Object o) {
  TlsConfig c;
  auto text = [&](const char* key) {
    Napi::Value v = o.Get(key);
    return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
  };
  c.cert = text("cert");
  c.key = text("key");
  c.ca = text("ca");
  c.ciphers = text("ciphers");
  c.tls13Only = text("minVersion") == "TLSv1.3";
  c.requestCert = o.Get("requestCert").ToBoolean().Value();
  c.rejectUnauthorized = o.Get("rejectUnauthorized").ToBoolean().Value();
  c.handshakeMs = uintProperty(o, "handshakeMs", 10000);
  return c;
}

// Why listen failed: { errno, syscall, message }. errno is a negative libuv/OS errno when
// the operating system refused (JavaScript turns it into Node's error for that errno),
// 0 when the arguments were wrong.
Napi::Value ListenFailure(Napi::Env env, int errnum, const char* syscall, const std::string& message) {
  Napi::Object failure = Napi::Object::New(env);
  failure.Set("errno", Napi::Number::New(env, errnum));
  failure.Set("syscall", Napi::String::New(env, syscall));
  failure.Set("message", Napi::String::New(env, message));
  return failure;
}

// Takes (config, input, events, output, ops, control, date, dispatch); returns an
// external handle, or a ListenFailure object.
Napi::Value Listen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 8 || !info[0].IsObject() || !info[7].IsFunction())
    return ListenFailure(env, 0, "listen", "tsgi native listen: bad arguments");
  Napi::Object cfg = info[0].As<Napi::Object>();
  ServerConfig config;
  config.host = cfg.Get("host").ToString().Utf8Value();
  config.port = int(uintProperty(cfg, "port", 0));
  if (cfg.Get("path").IsString()) config.path = cfg.Get("path").As<Napi::String>().Utf8Value();
  config.reusePort = cfg.Get("reusePort").ToBoolean().Value();
  config.limits.maxRequestLine = uintProperty(cfg, "maxRequestLine", 8190);
  config.limits.maxHeaderCount = uintProperty(cfg, "maxHeaderCount", 100);
  config.limits.maxHeaderSize = uintProperty(cfg, "maxHeaderSize", 16384);
  config.keepAliveMs = uintProperty(cfg, "keepAliveMs", 5000);
  config.headersMs = uintProperty(cfg, "headersMs", 30000);
  config.bodyMs = uintProperty(cfg, "bodyMs", 30000);
  config.sendMs = uintProperty(cfg, "sendMs", 30000);

  SharedMemory m;
  bool ok = typedArray(info[1], napi_uint8_array, &m.input, &m.inputSize) &&
            typedArray(info[2], napi_int32_array, &m.events, &m.eventCapacity) &&
            typedArray(info[3], napi_uint8_array, &m.output, &m.outputSize) &&
            typedArray(info[4], napi_int32_array, &m.ops, &m.opsCapacity) &&
            typedArray(info[5], napi_int32_array, &m.control, &m.controlCapacity);
  size_t dateSize = 0;
  ok = ok && typedArray(info[6], napi_uint8_array, &m.date, &dateSize) && dateSize >= 29;
  const size_t maxHead = size_t(config.limits.maxRequestLine) + config.limits.maxHeaderSize + 64;
  if (!ok || m.inputSize < Server::kReadSize + 2 * maxHead ||
      m.eventCapacity < 64 + layout::kIntsPerHeader * size_t(config.limits.maxHeaderCount) || m.controlCapacity < 8)
    return ListenFailure(env, 0, "listen", "tsgi native listen: shared buffers missing or too small");

  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || !loop)
    return ListenFailure(env, 0, "listen", "tsgi native listen: no libuv loop");

  // The TLS context first: a certificate OpenSSL refuses fails before anything listens.
  SSL_CTX* tlsContext = nullptr;
  uint64_t handshakeMs = 0;
  if (cfg.Get("tls").IsObject()) {
    TlsConfig tls = tlsConfigOf(cfg.Get("tls").As<Napi::Object>());
    std::string error;
    tlsContext = buildTlsContext(tls, &error);
    if (!tlsContext) return ListenFailure(env, 0, "tls", error);
    handshakeMs = tls.handshakeMs;
  }

  Napi::Object keep = Napi::Object::New(env);
  for (uint32_t i = 1; i <= 6; i++) keep.Set(i, info[i]);
  Handle* handle = new Handle();
  auto* bridge = new NodeBridge(env, info[7].As<Napi::Function>(), keep, handle);
  Server* server = new Server(loop, config, m, bridge);
  if (tlsContext) server->setTls(tlsContext, handshakeMs);  // the server owns it now
  std::string what;
  int r = server->listen(&what);
  if (r != 0) {
    delete server;
    delete bridge;
    delete handle;
    std::string target = config.path.empty() ? config.host + ":" + std::to_string(config.port) : config.path;
    return ListenFailure(env, r, what.c_str(),
                         what + " " + uv_err_name(r) + ": " + uv_strerror(r) + " " + target);
  }
  handle->server = server;
  return Napi::External<Handle>::New(env, handle, [](Napi::Env, Handle* h) {
    if (!h->server) delete h;  // else the live server still refers to it
  });
}

// Takes (handle); returns the bound TCP port, 0 for a Unix socket or a closed server.
Napi::Value Port(const Napi::CallbackInfo& info) {
  Server* s = serverOf(info);
  return Napi::Number::New(info.Env(), s ? s->port() : 0);
}

// Takes (handle, opCount); applies the ops, returns how many connection ids it wrote to
// control (connections whose output is over the high-water mark).
Napi::Value Flush(const Napi::CallbackInfo& info) {
  Server* s = serverOf(info);
  int blocked = s && info[1].IsNumber() ? s->applyOps(info[1].As<Napi::Number>().Uint32Value()) : 0;
  return Napi::Number::New(info.Env(), blocked);
}

// Takes (handle, id, Uint8Array, flags); returns 1 when the connection is now blocked.
Napi::Value WriteLarge(const Napi::CallbackInfo& info) {
  Server* s = serverOf(info);
  char* data = nullptr;
  size_t length = 0;
  if (!s || !typedArray(info[2], napi_uint8_array, &data, &length)) return Napi::Number::New(info.Env(), 0);
  int r = s->writeLarge(info[1].As<Napi::Number>().Uint32Value(), data, length,
                        info[3].As<Napi::Number>().Int32Value());
  return Napi::Number::New(info.Env(), r);
}

// Takes (handle, id, command); returns 0, or -1 when the connection is gone.
Napi::Value Control(const Napi::CallbackInfo& info) {
  Server* s = serverOf(info);
  int r = s ? s->control(info[1].As<Napi::Number>().Uint32Value(), info[2].As<Napi::Number>().Int32Value()) : -1;
  return Napi::Number::New(info.Env(), r);
}

// Takes (handle, id, fd, offset, length); returns 1 (sent), 0 (kEvFileDone follows)
// or a negative errno.
Napi::Value SendFile(const Napi::CallbackInfo& info) {
  Server* s = serverOf(info);
  if (!s || info.Length() < 5) return Napi::Number::New(info.Env(), -9);
  int r = s->sendFile(info[1].As<Napi::Number>().Uint32Value(), info[2].As<Napi::Number>().Int32Value(),
                      info[3].As<Napi::Number>().Int64Value(), info[4].As<Napi::Number>().Int64Value());
  return Napi::Number::New(info.Env(), r);
}

// Takes (handle, tlsOptions); new handshakes use them. Returns undefined, or why the
// options were refused (the current context stays).
Napi::Value UpdateTls(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Server* s = serverOf(info);
  if (!s || !s->tlsContext() || info.Length() < 2 || !info[1].IsObject())
    return Napi::String::New(env, "not a TLS server (or closed)");
  TlsConfig tls = tlsConfigOf(info[1].As<Napi::Object>());
  std::string error;
  SSL_CTX* ctx = buildTlsContext(tls, &error);
  if (!ctx) return Napi::String::New(env, error);
  s->setTls(ctx, tls.handshakeMs);
  return env.Undefined();
}

// Takes (handle, id); returns [protocol, cipher, peerSubject | undefined, verify,
// clientCertRequested] of a TLS connection, undefined otherwise. Asked once per connection (NativeConnection).
Napi::Value TlsFacts(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Server* s = serverOf(info);
  std::string protocol, cipher, subject, verify;
  bool hasSubject = false, requested = false;
  if (!s || info.Length() < 2 || !info[1].IsNumber() ||
      !s->tlsFacts(info[1].As<Napi::Number>().Uint32Value(), &protocol, &cipher, &subject, &hasSubject, &verify,
                   &requested))
    return env.Undefined();
  Napi::Array facts = Napi::Array::New(env, 5);
  facts.Set(uint32_t(0), Napi::String::New(env, protocol));
  facts.Set(uint32_t(1), Napi::String::New(env, cipher));
  facts.Set(uint32_t(2), hasSubject ? Napi::Value(Napi::String::New(env, subject)) : env.Undefined());
  facts.Set(uint32_t(3), Napi::String::New(env, verify));
  facts.Set(uint32_t(4), Napi::Boolean::New(env, requested));
  return facts;
}

// Takes (handle); starts the graceful close (kEvServerClosed reports the end).
Napi::Value Close(const Napi::CallbackInfo& info) {
  Server* s = serverOf(info);
  if (s) s->close();
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("abiVersion", Napi::Number::New(env, kAbiVersion));
  exports.Set("listen", Napi::Function::New(env, Listen, "listen"));
  exports.Set("port", Napi::Function::New(env, Port, "port"));
  exports.Set("flush", Napi::Function::New(env, Flush, "flush"));
  exports.Set("writeLarge", Napi::Function::New(env, WriteLarge, "writeLarge"));
  exports.Set("control", Napi::Function::New(env, Control, "control"));
  exports.Set("sendFile", Napi::Function::New(env, SendFile, "sendFile"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  exports.Set("updateTls", Napi::Function::New(env, UpdateTls, "updateTls"));
  exports.Set("tlsFacts", Napi::Function::New(env, TlsFacts, "tlsFacts"));
  return exports;
}

}  // namespace
}  // namespace tsgi

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return tsgi::Init(env, exports); }

NODE_API_MODULE(tsgi_native, InitModule)
